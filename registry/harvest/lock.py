"""One harvest run at a time, across every process that shares the database.

The scheduler's election (app/scheduler.py) uses the same `DatabaseLock` with another key: on
PostgreSQL a session advisory lock on a dedicated connection, on SQLite an flock on a file next to
the database. Both die with their connection or process, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO, Any

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from registry.db import DatabaseTarget
from registry.errors import Conflict

RUN_LOCK_KEY = 0x414D4952  # "AMIR"; the election holds 0x414D4948 ("AMIH")
RUN_LOCK_SUFFIX = ".harvest.lock"


class HarvestAlreadyRunning(Conflict):
    """Another run holds the harvest lock; this one harvested nothing (409)."""


ALREADY_RUNNING = ("Une autre collecte est en cours : celle-ci n'a pas été lancée. "
                   "Réessayez quand elle sera terminée.")


class DatabaseLock:
    """A non-blocking lock on one database. Its methods block: call them from a thread in async code."""

    def __init__(self, target: DatabaseTarget, *, key: int, suffix: str, application_name: str) -> None:
        self.target = target
        self.key = key
        self.suffix = suffix
        self.application_name = application_name
        self._connection: Any = None
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self.target.engine == "postgres":
            import psycopg

            config = dict(self.target.postgres or {})
            if self._connection is None:
                self._connection = psycopg.connect(
                    host=config["host"], port=config["port"], dbname=config["database"],
                    user=config["user"], password=config.get("password"), autocommit=True,
                    application_name=self.application_name,
                )
            row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            return bool(row and row[0])
        path = Path(str(self.target.sqlite_path) + self.suffix)
        self._file = self._file or path.open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            # Unlocked explicitly before closing: the server ends a closed session's backend (and so
            # frees its locks) a moment after the client has gone, and the next run could find the
            # lock still held. A session that died unlocks on its own.
            try:
                self._connection.execute("SELECT pg_advisory_unlock_all()")
            except Exception:  # noqa: BLE001 - the connection may be broken; closing frees the lock anyway
                pass
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


def database_target(engine: Engine) -> DatabaseTarget:
    if isinstance(engine, PostgresEngine):
        return DatabaseTarget(engine="postgres", postgres=dict(engine.config))
    return DatabaseTarget(engine="sqlite", sqlite_path=Path(engine.path))  # type: ignore[attr-defined]


def harvest_run_lock(engine: Engine | None = None) -> DatabaseLock:
    """The lock of the database harvests are written to (the tables' engine unless given)."""
    from registry.projects.tables import Repository

    return DatabaseLock(database_target(engine or Repository._meta.db), key=RUN_LOCK_KEY,
                        suffix=RUN_LOCK_SUFFIX, application_name="ami-harvest")


@asynccontextmanager
async def exclusive_harvest() -> AsyncIterator[None]:
    """Held for a whole run; raises HarvestAlreadyRunning at once when another run holds it."""
    lock = harvest_run_lock()
    try:
        if not await asyncio.to_thread(lock.try_acquire):
            raise HarvestAlreadyRunning(ALREADY_RUNNING)
        yield
    finally:
        lock.release()
