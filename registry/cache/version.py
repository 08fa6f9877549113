"""The data version shared by every process: read once per request, bumped by triggers.

Every table except those listed in UNVERSIONED gets a trigger that adds one to
ami_data_version.version (and stamps changed_at) in the same transaction as the write, so the new
version becomes visible exactly when the data does, on both engines, to every process.
"""

from __future__ import annotations

from datetime import UTC, datetime

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

# Tables whose writes change no public page (sessions, mail queue, rate limits, audit log, tokens):
# leaving them out keeps logins, mail delivery and API calls from emptying the cache.
UNVERSIONED = frozenset({
    "ami_data_version", "ami_session", "ami_rate_limit_hit", "ami_outbox_message", "ami_audit_entry",
    "ami_email_token", "ami_api_token", "ami_reminder_sent", "migration", "ami_scheduler_job",
    "ami_team_invitation",
})
_SQLITE_BUMP = ("BEGIN UPDATE ami_data_version SET version = version + 1, "
                "changed_at = strftime('%Y-%m-%d %H:%M:%f+00:00', 'now'); END")


async def _tables(engine: Engine) -> list[str]:
    if engine.engine_type == "postgres":
        rows = await engine.run_querystring(QueryString(
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()"))
    else:
        rows = await engine.run_querystring(QueryString(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        # A full-text index (virtual table) takes no trigger; nor do its shadow tables.
        virtual = [row["name"] for row in rows if (row["sql"] or "").upper().startswith("CREATE VIRTUAL")]
        rows = [row for row in rows if not any(row["name"] == v or row["name"].startswith(v + "_")
                                                for v in virtual)]
    return sorted(row["name"] for row in rows if row["name"] not in UNVERSIONED)


async def ensure_version_triggers(engine: Engine) -> int:
    """Creates the missing row and triggers (idempotent: run after every migration); returns how many
    tables are versioned."""
    if not await engine.run_querystring(QueryString("SELECT version FROM ami_data_version")):
        await engine.run_querystring(QueryString(
            "INSERT INTO ami_data_version (version, changed_at) VALUES (1, {})", datetime.now(UTC)))
    tables = await _tables(engine)
    if engine.engine_type == "postgres":
        await engine.run_ddl(
            "CREATE OR REPLACE FUNCTION ami_bump_data_version() RETURNS trigger AS $$ BEGIN "
            "UPDATE ami_data_version SET version = version + 1, changed_at = now(); RETURN NULL; END; "
            "$$ LANGUAGE plpgsql")
        existing = {row["name"] for row in await engine.run_querystring(QueryString(
            "SELECT tgname AS name FROM pg_trigger WHERE tgname LIKE 'ami_data_version_%'"))}
        for table in tables:
            if f"ami_data_version_{table}"[:63] not in existing:
                await engine.run_ddl(
                    f"CREATE TRIGGER ami_data_version_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ami_bump_data_version()")
    else:
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                await engine.run_ddl(
                    f"CREATE TRIGGER IF NOT EXISTS ami_data_version_{table}_{event.lower()} "
                    f"AFTER {event} ON {table} {_SQLITE_BUMP}")
    return len(tables)


async def data_version(engine: Engine) -> tuple[int, datetime | None]:
    """The current version and when it last changed (0, None before the migration)."""
    rows = await engine.run_querystring(QueryString("SELECT version, changed_at FROM ami_data_version"))
    if not rows:
        return 0, None
    changed = rows[0]["changed_at"]
    if isinstance(changed, str):
        changed = datetime.fromisoformat(changed)
    return int(rows[0]["version"]), changed


async def bump(engine: Engine) -> None:
    """A write the triggers cannot see (TRUNCATE in tests, a file changed on disk)."""
    await engine.run_querystring(QueryString(
        "UPDATE ami_data_version SET version = version + 1, changed_at = {}", datetime.now(UTC)))
