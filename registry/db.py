"""Database engines from a URL, shared by the app, the CLI and Piccolo's own tooling."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import re
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

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
        return PooledSQLiteEngine(path=str(target.sqlite_path), timeout=30)
    assert target.postgres is not None
    return PostgresEngine(config=dict(target.postgres))


_WRITE_WORDS = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


def _is_read(sql: str) -> bool:
    """True for a statement that cannot write: a SELECT (or WITH … SELECT) naming no write verb.

    A false "no" only costs a turn on the writer; a write never goes to a reader.
    """
    head = sql.lstrip()[:6].upper()
    return head.startswith(("SELECT", "WITH")) and _WRITE_WORDS.search(sql) is None


def _settle(future: asyncio.Future[Any], rows: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(rows)


def _serve(jobs: queue.SimpleQueue[Any], connection_kwargs: dict[str, Any]) -> None:
    """A connection's thread: opens it, runs its statements one at a time, closes it on None."""
    connection: sqlite3.Connection | None = None
    while True:
        job = jobs.get()
        if job is None:
            if connection is not None:
                connection.close()
            return
        loop, future, sql, args = job
        rows: Any = None
        error: BaseException | None = None
        try:
            if connection is None:
                connection = sqlite3.connect(**connection_kwargs)
                connection.execute("PRAGMA foreign_keys = 1")
                connection.execute("PRAGMA synchronous = NORMAL")
            cursor = connection.execute(sql, args)
            try:
                fetched = cursor.fetchall()
                names = [column[0] for column in cursor.description or ()]
                rows = [dict(zip(names, row, strict=True)) for row in fetched]
            finally:
                cursor.close()
        except BaseException as exception:  # noqa: BLE001 - handed to the awaiting task
            error = exception
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting any more
            loop.call_soon_threadsafe(_settle, future, rows, error)


class _Connection:
    """One sqlite3 connection kept open in a thread of its own, running one statement at a time.

    (A plain queue and call_soon_threadsafe: a round trip costs ~0.04 ms, against ~0.2 ms through
    run_in_executor or aiosqlite.)
    """

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self.busy = 0  # statements submitted and not finished (to spread reads over the readers)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        kwargs = {**connection_kwargs, "check_same_thread": False, "cached_statements": 256}
        self._thread = threading.Thread(target=_serve, args=(self._jobs, kwargs), name="ami-sqlite", daemon=True)
        self._thread.start()
        weakref.finalize(self, self._jobs.put, None)

    async def execute(self, sql: str, args: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.busy += 1
        try:
            self._jobs.put((loop, future, sql, args or ()))
            return await future
        finally:
            self.busy -= 1

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)


class _WriterLock:
    """An asyncio lock on the writer connection, remade if the event loop changes (tests, run_sync)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()

    def get(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._lock = loop, asyncio.Lock()
        return self._lock


class PooledTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, on the engine's writer connection (held until it ends)."""

    async def __aenter__(self) -> PooledTransaction:
        if self._parent is not None:
            return self._parent  # type: ignore[return-value]
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        self.connection = await engine._acquire_writer()
        try:
            await self.begin()
        except BaseException:
            engine._release_writer()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:  # type: ignore[no-untyped-def]
        if self._parent:
            return exception is None
        engine: PooledSQLiteEngine = self.engine  # type: ignore[assignment]
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            engine._release_writer()
            self.engine.current_transaction.reset(self.context)
        return exception is None


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine on connections kept open instead of one connection per statement.

    One writer connection takes every transaction (held for its whole length, so transactions and
    writes are queued in the process, not spinning on SQLite's busy lock) and every write outside a
    transaction; a few reader connections take the reads outside a transaction. WAL mode lets the
    readers see the last committed state while a write goes on; busy_timeout (the `timeout`)
    arbitrates with other processes. Each connection lives in a thread of its own.
    """

    def __init__(self, path: str = "piccolo.sqlite", readers: int = 4, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._reader_count = readers
        self._readers: list[_Connection] = []
        self._writer: _Connection | None = None
        self._writer_lock = _WriterLock()

    def _reader(self) -> _Connection:
        idle = min(self._readers, key=lambda c: c.busy, default=None)
        if idle is not None and (idle.busy == 0 or len(self._readers) >= self._reader_count):
            return idle
        connection = _Connection(self.connection_kwargs)
        self._readers.append(connection)
        return connection

    def _the_writer(self) -> _Connection:
        if self._writer is None:
            self._writer = _Connection(self.connection_kwargs)
        return self._writer

    async def _acquire_writer(self) -> _Connection:
        # Like SQLite's busy_timeout: waiting longer than `timeout` is an error, not a hang.
        try:
            await asyncio.wait_for(self._writer_lock.get().acquire(), self.connection_kwargs.get("timeout", 30))
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked (writer busy)") from None
        return self._the_writer()

    def _release_writer(self) -> None:
        self._writer_lock.get().release()

    async def _execute(self, sql: str, args: Sequence[Any] | None) -> list[dict[str, Any]]:
        transaction = self.current_transaction.get()
        if transaction is not None:
            return await transaction.connection.execute(sql, args)
        if _is_read(sql):
            return await self._reader().execute(sql, args)
        writer = await self._acquire_writer()
        try:
            return await writer.execute(sql, args)
        finally:
            self._release_writer()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False):  # type: ignore[no-untyped-def]
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=querystring.__str__())
        query, query_args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._execute(query, query_args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False):  # type: ignore[no-untyped-def]
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._execute(ddl, None)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> PooledTransaction:
        return PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    def close(self) -> None:
        """Closes the connections kept open (their threads end)."""
        for connection in [*self._readers, *([self._writer] if self._writer else [])]:
            connection.close()
        self._readers, self._writer = [], None


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
    from registry.cache.version import bump

    # The data version is not emptied but bumped: pages cached before must not be served after.
    names = [t._meta.tablename for t in all_tables() if t._meta.tablename != "ami_data_version"]
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
        await bump(engine)
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
