"""Numbers and seals existing rows, then refuses DELETE (and TRUNCATE on PostgreSQL) like UPDATE.

Piccolo runs an app's migrations in ID order: this one follows (and needs) the columns added by
2026-12-04T09:00:00:000000, which itself follows the UPDATE trigger of 2026-11-29T16:20:00:000000.
Existing rows keep their hash; they are sealed here only when AMI_SECRET_KEY is set (otherwise
`ami audit verify` lists them as unsealed once a key is set).
"""

import hashlib
import hmac

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-12-04T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit seq, seals and append-only DELETE"

_REFUSE = "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="audit", description=DESCRIPTION)

    async def number_seal_and_guard():
        from registry.audit.anchor import environment

        engine = engine_finder()
        sqlite = engine.engine_type == "sqlite"
        # The UPDATE trigger refuses the backfill: lift it inside this migration's transaction.
        if sqlite:
            await engine.run_ddl("DROP TRIGGER ami_audit_entry_append_only")
        else:
            await engine.run_ddl("ALTER TABLE ami_audit_entry DISABLE TRIGGER ami_audit_entry_append_only")
        await engine.run_ddl(
            "UPDATE ami_audit_entry SET seq = (SELECT COUNT(*) FROM ami_audit_entry AS earlier "
            "WHERE earlier.id <= ami_audit_entry.id)"
        )
        key = environment("SECRET_KEY")
        if key:
            for row in await engine.run_querystring(QueryString("SELECT id, hash FROM ami_audit_entry")):
                sealed = hmac.new(key.encode("utf-8"), row["hash"].encode("utf-8"), hashlib.sha256).hexdigest()
                await engine.run_querystring(
                    QueryString("UPDATE ami_audit_entry SET seal = {} WHERE id = {}", sealed, row["id"])
                )
        await engine.run_ddl("CREATE UNIQUE INDEX ami_audit_entry_seq ON ami_audit_entry (seq)")
        if sqlite:
            await engine.run_ddl(
                f"CREATE TRIGGER ami_audit_entry_append_only BEFORE UPDATE ON ami_audit_entry {_REFUSE}"
            )
            await engine.run_ddl(
                f"CREATE TRIGGER ami_audit_entry_no_delete BEFORE DELETE ON ami_audit_entry {_REFUSE}"
            )
        else:
            await engine.run_ddl("ALTER TABLE ami_audit_entry ENABLE TRIGGER ami_audit_entry_append_only")
            await engine.run_ddl(
                "CREATE TRIGGER ami_audit_entry_no_delete BEFORE DELETE ON ami_audit_entry "
                "FOR EACH ROW EXECUTE FUNCTION ami_audit_entry_append_only()"
            )
            await engine.run_ddl(
                "CREATE TRIGGER ami_audit_entry_no_truncate BEFORE TRUNCATE ON ami_audit_entry "
                "FOR EACH STATEMENT EXECUTE FUNCTION ami_audit_entry_append_only()"
            )

    manager.add_raw(number_seal_and_guard)

    return manager
