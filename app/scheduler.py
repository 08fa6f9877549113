"""APScheduler wiring: an hourly change check and a daily full refresh, one scheduler per database.

The job store is APScheduler's SQLAlchemyJobStore in the application database (sqlite3 or
psycopg 3); on PostgreSQL the process holding `pg_try_advisory_lock` on a dedicated connection
is the only one that runs jobs, and the others retry the election every minute.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from app.settings import Settings, SettingsError, load_settings
from harvesters.config import HarvestConfig
from registry.harvest.lock import DatabaseLock, HarvestAlreadyRunning

log = logging.getLogger(__name__)
LOCK_KEY = 0x414D4948  # "AMIH": the harvest scheduler's advisory lock (a harvest run has its own)
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
    _mailer(settings)  # milestones met after the harvest mail the managers (queue_mail)
    mode = "full" if full else "check"
    try:
        report = await run_harvest(harvest_config(settings), full=full, trigger="scheduler")
    except HarvestAlreadyRunning as busy:
        log.info("harvest (%s) skipped: another harvest run holds the lock", mode)
        return busy.detail
    log.info("harvest (%s): %s", mode, report.summary)
    return report.summary


async def scheduled_reminders() -> int:
    """Deadline reminders to owners of unsubmitted drafts (each sent once; see registry.applications)."""
    from datetime import UTC, datetime

    from registry.applications.reminders import send_deadline_reminders

    settings = load_settings()
    sent = await send_deadline_reminders(now=datetime.now(UTC), mailer=_mailer(settings),
                                         base_url=settings.base_url)
    log.info("deadline reminders: %d queued", sent)
    return sent


async def scheduled_review_reminders() -> int:
    """Review due-date reminders, 3 days and 1 day before (each sent once; see registry.reviews.reminders)."""
    from registry.reviews.reminders import send_review_reminders

    settings = load_settings()
    sent = await send_review_reminders(now=datetime.now(UTC), mailer=_mailer(settings), base_url=settings.base_url)
    log.info("review reminders: %d queued", sent)
    return sent


async def scheduled_report_jobs() -> str:
    """Progress reports: requests due by the calls' schedules, then reminders 7 days and 1 day before the
    due date and when late (each sent once; see registry.reports.reminders)."""
    from registry.reports.reminders import run_report_jobs

    settings = load_settings()
    _mailer(settings)  # configures the outbox's composer for queue_mail
    requested, reminded = await run_report_jobs(now=datetime.now(UTC), base_url=settings.base_url)
    log.info("progress reports: %d requested, %d reminded", requested, reminded)
    return f"{requested} requested, {reminded} reminded"


async def scheduled_milestones() -> str:
    """Milestones whose due date passed become late without waiting for a harvest (registry.projects.milestones)."""
    from registry.projects.milestones import evaluate_all

    _mailer(load_settings())
    await evaluate_all()
    return "milestones evaluated"


async def scheduled_corrections() -> str:
    """Requests for changes past their due date: the application back on its last submitted version
    (registry.enquiries.corrections.expire_corrections)."""
    from registry.enquiries.corrections import expire_corrections

    count = await expire_corrections()
    log.info("correction requests: %d expired", count)
    return f"{count} expired"


def _mailer(settings: Settings):  # type: ignore[no-untyped-def]
    from app.mail import configure_mail
    from app.web.templating import build_environment

    return configure_mail(settings, build_environment())


async def scheduled_outbox() -> str:
    """Delivers queued mail that is due (retries with backoff; see registry.outbox.delivery)."""
    summary = await _mailer(load_settings()).deliver_due()
    log.info("outbox: %s", summary)
    return summary


class _Election(DatabaseLock):
    """Who may run the scheduler: a PostgreSQL advisory lock, or a file lock on SQLite."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.database, key=LOCK_KEY, suffix=".scheduler.lock",
                         application_name="ami-scheduler")


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
        # Checks fall half an interval away from full runs: with one run at a time, a check
        # starting with the full run could take the lock and make it skip its day.
        now = datetime.now(UTC)
        check, full = self.config.check_interval, self.config.full_interval
        scheduler.add_job("app.scheduler:scheduled_harvest", IntervalTrigger(
            seconds=int(check.total_seconds()), start_date=now + check / 2), kwargs={"full": False},
            id="harvest-check", name="Vérification des dépôts", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_harvest", IntervalTrigger(
            seconds=int(full.total_seconds()), start_date=now + full), kwargs={"full": True},
            id="harvest-full", name="Collecte complète des dépôts", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_reminders", IntervalTrigger(hours=1),
                          id="deadline-reminders", name="Rappels avant la date limite", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_review_reminders", IntervalTrigger(hours=1),
                          id="review-reminders", name="Rappels avant l’échéance des évaluations",
                          replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_report_jobs", IntervalTrigger(hours=1),
                          id="report-jobs", name="Rapports d’avancement : calendriers et rappels",
                          replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_milestones", IntervalTrigger(hours=6),
                          id="milestones", name="Jalons : passage en retard après l’échéance", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_corrections", IntervalTrigger(minutes=30),
                          id="corrections", name="Demandes de correction : fin du délai", replace_existing=True)
        scheduler.add_job("app.scheduler:scheduled_outbox", IntervalTrigger(minutes=1),
                          id="outbox", name="Envoi des courriels en attente", replace_existing=True)
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
