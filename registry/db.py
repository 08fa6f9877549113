"""Database engines from a URL, shared by the app, the CLI and Piccolo's own tooling."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

# Piccolo's own tooling (and engine_finder) look for the configuration here.
os.environ.setdefault("PICCOLO_CONF", "registry.piccolo_conf")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "ami.sqlite3"


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseTarget:
    engine: str  # "sqlite" or "postgres"
    sqlite_path: Path | None = None
    postgres: dict[str, object] | None = None


def parse_database_url(url: str | None) -> DatabaseTarget:
    if not url:
        return DatabaseTarget(engine="sqlite", sqlite_path=DEFAULT_SQLITE_PATH)
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        raw = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not raw:
            raise DatabaseURLError(f"AMI_DATABASE_URL={url!r}: expected sqlite:///path")
        path = Path(unquote(raw))
        if not path.is_absolute():
            path = (Path.cwd() / path).resolve()
        return DatabaseTarget(engine="sqlite", sqlite_path=path)
    if parts.scheme in {"postgresql", "postgres", "postgresql+asyncpg"}:
        if not parts.hostname or not parts.path.strip("/"):
            raise DatabaseURLError(
                f"AMI_DATABASE_URL={url!r}: expected postgresql://user:pass@host:port/db"
            )
        config: dict[str, object] = {
            "host": parts.hostname,
            "port": parts.port or 5432,
            "database": unquote(parts.path.lstrip("/")),
            "user": unquote(parts.username or "postgres"),
        }
        if parts.password:
            config["password"] = unquote(parts.password)
        return DatabaseTarget(engine="postgres", postgres=config)
    raise DatabaseURLError(
        f"AMI_DATABASE_URL={url!r}: unsupported scheme {parts.scheme!r} (sqlite or postgresql)"
    )


def make_engine(target: DatabaseTarget) -> Engine:
    if target.engine == "sqlite":
        assert target.sqlite_path is not None
        target.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        # WAL is a property of the file: set it once, every later connection inherits it.
        with sqlite3.connect(target.sqlite_path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
        return SQLiteEngine(path=str(target.sqlite_path), timeout=30)
    assert target.postgres is not None
    return PostgresEngine(config=dict(target.postgres))


def engine_from_environment() -> Engine:
    return make_engine(parse_database_url(os.environ.get("AMI_DATABASE_URL")))


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"


def all_tables() -> list[type]:
    from piccolo.conf.apps import Finder

    return Finder().get_table_classes()


def use_engine(engine: Engine) -> None:
    """Point every table, and engine_finder(), at this engine."""
    import registry.piccolo_conf

    registry.piccolo_conf.DB = engine
    for table in all_tables():
        table._meta._db = engine


async def truncate_all(engine: Engine) -> None:
    """Empties every table (tests, benchmarks), and forgets the audit anchor that described them.

    The audit log's triggers refuse DELETE (and TRUNCATE on PostgreSQL): they are lifted only inside
    the transaction that empties the tables, so no other connection ever sees them missing.
    """
    from piccolo.querystring import QueryString

    from registry.audit.anchor import forget_anchor  # here: the audit package imports this module

    names = [t._meta.tablename for t in all_tables()]
    async with engine.transaction():
        if is_postgres(engine):
            guards = await engine.run_querystring(QueryString(
                "SELECT c.relname AS tablename, t.tgname AS name FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgtype & 32 <> 0 AND c.relname = ANY({})", names))  # 32: TRUNCATE
            for guard in guards:
                await engine.run_ddl(f"ALTER TABLE {guard['tablename']} DISABLE TRIGGER {guard['name']}")
            await engine.run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
            for guard in guards:
                await engine.run_ddl(f"ALTER TABLE {guard['tablename']} ENABLE TRIGGER {guard['name']}")
        else:
            triggers = await engine.run_querystring(QueryString(
                "SELECT name, tbl_name AS tablename, sql FROM sqlite_master WHERE type = 'trigger'"))
            for name in names:
                # Only the guards that refuse (RAISE) are lifted: others, such as the one that keeps the
                # search index in step with ami_project, must fire while the rows go.
                guards = [t for t in triggers if t["tablename"] == name and "RAISE" in t["sql"].upper()]
                for guard in guards:
                    await engine.run_ddl(f"DROP TRIGGER {guard['name']}")
                await engine.run_ddl(f"DELETE FROM {name}")
                for guard in guards:
                    await engine.run_ddl(guard["sql"])
    forget_anchor()


@dataclass
class _Scope:
    """What belongs to one outermost write transaction."""

    callbacks: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("ami_write_scope", default=None)


@contextlib.asynccontextmanager
async def write_transaction(engine: Engine) -> AsyncIterator[Any]:
    """A write transaction (taking the write lock at once on SQLite, so no upgrade deadlocks).

    Nested inside another transaction it joins it. The outermost one runs the callbacks given to
    `after_commit` once it has committed, and drops them on a rollback.
    """
    if engine.current_transaction.get() is not None:
        async with engine.transaction() as joined:
            yield joined
        return
    scope = _Scope()
    token = _scope.set(scope)
    try:
        if is_postgres(engine):
            transaction = engine.transaction()
        else:
            transaction = engine.transaction(transaction_type=TransactionType.immediate)
        async with transaction as outer:
            yield outer
    finally:
        _scope.reset(token)
    for callback in scope.callbacks:
        await callback()


def _current_scope() -> _Scope:
    scope = _scope.get()
    if scope is None:
        raise RuntimeError("this needs an open write_transaction()")
    return scope


def after_commit(callback: Callable[[], Awaitable[None]]) -> None:
    """Runs `callback` once the current write transaction has committed.

    The change is saved by then, so a callback must not raise: it records its own failures.
    """
    _current_scope().callbacks.append(callback)


def transaction_state() -> dict[str, Any]:
    """A dict private to the current outermost write transaction (e.g. what it queued)."""
    return _current_scope().state


def in_transaction(engine: Engine) -> bool:
    return engine.current_transaction.get() is not None
