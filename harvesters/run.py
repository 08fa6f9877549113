"""One harvest run: pick the repositories, harvest them concurrently, store them through one writer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from registry.harvest.lock import exclusive_harvest
from registry.harvest.queries import repositories_to_harvest
from registry.harvest.records import HarvestResult, Outcome, RepositoryTarget
from registry.harvest.runs import RunTotals, finish_run, start_run
from registry.harvest.urls import UnsafeRepositoryURL, check_repository_url, forge_for_host

from .base import Harvester, utcnow
from .config import HarvestConfig
from .errors import N_
from .stats import RequestStats
from .store import Progress, ResultWriter


@dataclass(frozen=True)
class RunReport:
    run_id: int
    totals: RunTotals

    @property
    def summary(self) -> str:
        return self.totals.summary_line()


class HarvesterSet:
    """One harvester per source (per host for GitLab), sharing the run's counters."""

    def __init__(self, config: HarvestConfig, stats: RequestStats,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.config = config
        self.stats = stats
        self.clock = clock
        self._by_key: dict[str, Harvester] = {}

    def for_target(self, target: RepositoryTarget) -> Harvester:
        parsed = check_repository_url(target.url, allowed_hosts=self.config.allowed_hosts(),
                                      allow_loopback=self.config.allow_loopback)
        forge = forge_for_host(parsed.host, gitlab_hosts=self.config.gitlab_hosts)
        key = f"{forge}:{parsed.host}" if forge == "gitlab" else forge
        if key not in self._by_key:
            # Imported here: each client library is heavy and a run may need only one.
            harvester: Harvester
            if forge == "github":
                from .github import GitHubHarvester

                harvester = GitHubHarvester(self.config, self.stats)
            elif forge == "gitlab":
                from .gitlab import GitLabHarvester

                harvester = GitLabHarvester(self.config, self.stats, host=parsed.host)
            else:
                from .git import GitHarvester

                harvester = GitHarvester(self.config, self.stats)
            harvester.clock = self.clock
            self._by_key[key] = harvester
        return self._by_key[key]


async def run_harvest(
    config: HarvestConfig, *, full: bool = False, project_slug: str | None = None,
    everything: bool = False, trigger: str = "cli", on_progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> RunReport:
    """Raises HarvestAlreadyRunning, having read and written nothing, while another run (any
    process) holds the harvest lock; the lock is held from the choice of repositories to the run row."""
    async with exclusive_harvest():
        return await _run(config, full=full, project_slug=project_slug, everything=everything,
                          trigger=trigger, on_progress=on_progress, on_start=on_start, clock=clock)


async def _run(
    config: HarvestConfig, *, full: bool, project_slug: str | None, everything: bool, trigger: str,
    on_progress: Progress | None, on_start: Callable[[int], None] | None, clock: Callable[[], datetime],
) -> RunReport:
    started = time.monotonic()
    now = clock()
    targets = await repositories_to_harvest(now=now, project_slug=project_slug,
                                            everything=everything, full=full)
    run_id = await start_run(mode="full" if full else "check", trigger=trigger, now=now)
    if on_start is not None:
        on_start(len(targets))
    stats = RequestStats()
    totals = RunTotals(repositories=len(targets))
    harvesters = HarvesterSet(config, stats, clock)
    semaphore = asyncio.Semaphore(config.concurrency)
    # Its own pool: the default one may be smaller than the configured concurrency.
    pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="harvest")
    loop = asyncio.get_running_loop()
    writer = ResultWriter(totals, clock=clock, check_interval=config.check_interval, on_progress=on_progress)

    async def one(target: RepositoryTarget) -> None:
        async with semaphore:
            try:
                harvester = harvesters.for_target(target)
            except UnsafeRepositoryURL as error:
                result = HarvestResult(Outcome.FAILED,
                                       reason=N_("adresse refusée : %(detail)s") % {"detail": error.detail})
            else:
                result = await loop.run_in_executor(pool, harvester.harvest, target, full)
        await writer.put(target, result)

    async def harvest_all() -> None:
        await asyncio.gather(*(one(t) for t in targets))
        await writer.close()

    storing = asyncio.create_task(writer.run())
    harvesting = asyncio.create_task(harvest_all())
    try:
        # Whichever fails first (a database error in the writer) stops the other.
        await asyncio.wait({storing, harvesting}, return_when=asyncio.FIRST_EXCEPTION)
        for task in (storing, harvesting):
            if task.done():
                task.result()
        await storing
    finally:
        for task in (storing, harvesting):
            task.cancel()
        pool.shutdown(wait=False)
        totals.requests = stats.requests
        totals.rate_limited_requests = stats.rate_limited
        totals.not_modified = stats.not_modified
        totals.rate_limit_remaining = stats.rate_limit_remaining
        try:
            await writer.refresh_search_indexes()
            # Milestones follow what was harvested (and what was not: a due date passes).
            from registry.projects.milestones import evaluate_projects

            await evaluate_projects({target.project_id for target in targets})
        finally:
            totals.duration_seconds = round(time.monotonic() - started, 3)
            await finish_run(run_id, totals, now=clock())
    return RunReport(run_id=run_id, totals=totals)
