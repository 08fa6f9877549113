"""APScheduler wiring: an hourly change check and a daily full refresh, one scheduler per database.

The job store is APScheduler's SQLAlchemyJobStore in the application database (sqlite3 or
psycopg 3); on PostgreSQL the process holding `pg_try_advisory_lock` on a dedicated connection
is the only one that runs jobs, and the others retry the election every minute.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from app.settings import Settings, SettingsError, load_settings
from harvesters.config import HarvestConfig

log = logging.getLogger(__name__)
LOCK_KEY = 0x414D4948  # "AMIH": the harvest scheduler's advisory lock
ELECTION_SECONDS = 60.0


def _minutes(key: str, default: int) -> int:
    raw = os.environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key}={raw!r}: expected a whole number") from None
    if value < 1:
        raise SettingsError(f"{key}={raw!r}: must be at least 1")
    return value


def harvest_config(settings: Settings) -> HarvestConfig:
    return HarvestConfig(
        github_api_url=settings.github_api_url,
        github_token=settings.github_token,
        gitlab_hosts=settings.gitlab_hosts,
        gitlab_api_urls=dict(settings.gitlab_api_urls),
        gitlab_tokens=dict(settings.gitlab_tokens),
        allowed_forge_hosts=settings.allowed_forge_hosts,
        allow_loopback=settings.allow_loopback_forges,
        concurrency=settings.harvest_concurrency,
        check_interval=timedelta(minutes=_minutes("AMI_HARVEST_CHECK_MINUTES", 60)),
        full_interval=timedelta(hours=_minutes("AMI_HARVEST_FULL_HOURS", 24)),
    )


def sqlalchemy_url(settings: Settings) -> str:
    target = settings.database
    if target.engine == "sqlite":
        return f"sqlite:///{target.sqlite_path}"
    config = dict(target.postgres or {})
    password = f":{config['password']}" if config.get("password") else ""
    return (f"postgresql+psycopg://{config['user']}{password}@{config['host']}:{config['port']}"
            f"/{config['database']}")


async def scheduled_harvest(full: bool) -> str:
    """The job APScheduler runs (by reference, so the job store can persist it)."""
    from harvesters.run import run_harvest

    settings = load_settings()
    report = await run_harvest(harvest_config(settings), full=full, trigger="scheduler")
    log.info("harvest (%s): %s", "full" if full else "check", report.summary)
    return report.summary


async def scheduled_reminders() -> int:
    """Deadline reminders to owners of unsubmitted drafts (each sent once; see registry.applications)."""
    from datetime import UTC, datetime

    from app.mail import mailer_for
    from app.web.templating import build_environment
    from registry.applications.reminders import send_deadline_reminders

    settings = load_settings()
    sent = await send_deadline_reminders(now=datetime.now(UTC), mailer=mailer_for(settings, build_environment()),
                                         base_url=settings.base_url)
    log.info("deadline reminders: %d sent", sent)
    return sent


class _Election:
    """Who may run the scheduler: a PostgreSQL advisory lock, or a file lock on SQLite."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection: Any = None
        self._file: Any = None

    def try_acquire(self) -> bool:
        if self.settings.database.engine == "postgres":
            import psycopg

            config = dict(self.settings.database.postgres or {})
            if self._connection is None:
                self._connection = psycopg.connect(
                    host=config["host"], port=config["port"], dbname=config["database"],
                    user=config["user"], password=config.get("password"), autocommit=True,
                    application_name="ami-scheduler",
                )
            row = self._connection.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
            return bool(row and row[0])
        path = Path(str(self.settings.database.sqlite_path) + ".scheduler.lock")
        self._file = self._file or path.open("a")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session releases the advisory lock
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


@dataclass
class SchedulerHandle:
    settings: Settings
    scheduler: AsyncIOScheduler | None = None
    election: _Election | None = None
    retry: asyncio.TimerHandle | None = None
    config: HarvestConfig | None = None
    leader_changes: list[bool] = field(default_factory=list)

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def _elect(self) -> None:
        self.retry = None
        assert self.election is not None and self.config is not None
        try:
            won = self.election.try_acquire()
        except Exception:  # the database may be down; try again later
            log.exception("scheduler election failed")
            won = False
        if not won:
            self.retry = asyncio.get_running_loop().call_later(ELECTION_SECONDS, self._elect)
            return
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # SQLAlchemy is slow to import

        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=sqlalchemy_url(self.settings),
                                                     tablename="ami_scheduler_job")},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone="UTC",
        )
        scheduler.add_job("app.scheduler:scheduled_harvest", IntervalTrigger(
            seconds=int(self.config.check_interval.total_seconds())), kwargs={"full": False},
            id="harvest-check", name="Vérification des dépôts", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_harvest", IntervalTrigger(
            seconds=int(self.config.full_interval.total_seconds())), kwargs={"full": True},
            id="harvest-full", name="Collecte complète des dépôts", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_reminders", IntervalTrigger(hours=1),
                          id="deadline-reminders", name="Rappels avant la date limite", replace_existing=True)
        scheduler.start()
        self.scheduler = scheduler
        self.leader_changes.append(True)
        log.info("harvest scheduler started in process %s", os.getpid())

    def shutdown(self) -> None:
        if self.retry is not None:
            self.retry.cancel()
            self.retry = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if self.election is not None:
            self.election.release()


def start_scheduler(settings: Settings) -> SchedulerHandle:
    """Call from a running event loop (the app's lifespan). AMI_SCHEDULER=off: does nothing."""
    handle = SchedulerHandle(settings=settings)
    if not settings.scheduler:
        return handle
    handle.config = harvest_config(settings)
    handle.election = _Election(settings)
    handle._elect()
    return handle
