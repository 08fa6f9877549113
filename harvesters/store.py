"""The run's one writer: results go through a queue to a single task that stores them in order.

Harvesting and storing overlap (a worker slot is free again as soon as its requests are done),
the database never sees two harvest writes competing for its lock, and the bookkeeping of
unchanged repositories (a 304) is written for many of them in one statement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from registry.db import write_transaction
from registry.harvest.ingest import IngestReport, ingest_repository, mark_unchanged
from registry.harvest.records import HarvestResult, Outcome, RepositoryTarget
from registry.harvest.runs import RunTotals
from registry.projects.tables import Repository

Progress = Callable[[RepositoryTarget, IngestReport], None]
# Results stored per transaction (and unchanged ones per statement: well under SQLite's
# bound-parameter limit), and how long the writer waits for a batch to fill: each transaction
# costs a connection (a thread with aiosqlite) and a sync, a short wait costs nothing.
BATCH = 100
LINGER_SECONDS = 0.1
_DONE = None


def is_bookkeeping_only(target: RepositoryTarget, result: HarvestResult) -> bool:
    """A 304 that taught nothing: only the success and scheduling fields change."""
    return (result.outcome is Outcome.UNCHANGED and result.record is None
            and (result.validators or {}) == target.validators)


class ResultWriter:
    def __init__(self, totals: RunTotals, *, clock: Callable[[], datetime], check_interval: timedelta,
                 on_progress: Progress | None) -> None:
        self.totals = totals
        self.clock = clock
        self.check_interval = check_interval
        self.on_progress = on_progress
        # Bounded: when storing falls behind, harvesting waits instead of piling results up.
        self.queue: asyncio.Queue[tuple[RepositoryTarget, HarvestResult] | None] = asyncio.Queue(BATCH)
        # Projects whose stored data changed: their search index is refreshed once, at the end.
        self.changed_projects: set[int] = set()

    async def put(self, target: RepositoryTarget, result: HarvestResult) -> None:
        await self.queue.put((target, result))

    async def close(self) -> None:
        await self.queue.put(_DONE)

    async def run(self) -> None:
        """Stores until `close`, a batch at a time."""
        while True:
            items = [await self.queue.get()]
            if items[0] is not _DONE and self.queue.qsize() < BATCH - 1:
                await asyncio.sleep(LINGER_SECONDS)
            while not self.queue.empty() and len(items) < BATCH and items[-1] is not _DONE:
                items.append(self.queue.get_nowait())
            done = items[-1] is _DONE
            await self._store([item for item in items if item is not None])
            if done:
                return

    async def _store(self, items: list[tuple[RepositoryTarget, HarvestResult]]) -> None:
        """One transaction for the batch (on SQLite, a statement outside one costs a connection
        and a sync); a savepoint per repository keeps the earlier ones if a later one fails."""
        stored: list[tuple[RepositoryTarget, IngestReport]] = []
        failure: Exception | None = None
        async with write_transaction(Repository._meta.db) as transaction:
            unchanged = [target for target, result in items if is_bookkeeping_only(target, result)]
            if unchanged:
                next_at = await mark_unchanged([t.id for t in unchanged], now=self.clock(),
                                               check_interval=self.check_interval)
                report = IngestReport(outcome=Outcome.UNCHANGED, next_attempt_at=next_at)
                stored += [(target, report) for target in unchanged]
            for target, result in items:
                if is_bookkeeping_only(target, result):
                    continue
                savepoint = await transaction.savepoint()
                try:
                    report = await ingest_repository(target.id, result, now=self.clock(),
                                                     check_interval=self.check_interval, refresh_index=False)
                except Exception as error:
                    await savepoint.rollback_to()
                    failure = error
                    break
                await savepoint.release()
                if report.outcome is Outcome.CHANGED:
                    self.changed_projects.add(target.project_id)
                stored.append((target, report))
        for target, report in stored:
            self._count(target, report)
        if failure is not None:
            raise failure

    def _count(self, target: RepositoryTarget, report: IngestReport) -> None:
        # A repository found gone counts as a failure in the summary; its data stays.
        key = "failed" if report.outcome is Outcome.GONE else report.outcome.value
        setattr(self.totals, key, getattr(self.totals, key) + 1)
        if self.on_progress is not None:
            self.on_progress(target, report)

    async def refresh_search_indexes(self) -> None:
        """Search, facets and sort keys follow what was harvested: once per changed project."""
        if not self.changed_projects:
            return
        from registry.projects.search import refresh_search_index

        for project_id in sorted(self.changed_projects):
            # In a transaction: atomic for readers, and one connection for its dozen statements.
            async with write_transaction(Repository._meta.db):
                await refresh_search_index(project_id)
        self.changed_projects.clear()
