"""Bookkeeping of harvest runs (one HarvestRun row each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .tables import HarvestRun


@dataclass
class RunTotals:
    requests: int = 0
    rate_limited_requests: int = 0
    not_modified: int = 0
    rate_limit_remaining: int | None = None
    duration_seconds: float = 0.0
    repositories: int = 0
    unchanged: int = 0
    changed: int = 0
    failed: int = 0
    deferred: int = 0

    def summary_line(self) -> str:
        """e.g. '12 dépôts : 10 à jour, 1 modifié, 1 en échec'."""
        def plural(n: int, one: str, many: str) -> str:
            return f"{n} {one if n <= 1 else many}"

        parts = [
            f"{self.unchanged} à jour",
            plural(self.changed, "modifié", "modifiés"),
            f"{self.failed} en échec",
        ]
        if self.deferred:
            parts.append(plural(self.deferred, "reporté", "reportés"))
        return f"{plural(self.repositories, 'dépôt', 'dépôts')} : {', '.join(parts)}"


async def start_run(*, mode: str, trigger: str, now: datetime) -> int:
    rows = await HarvestRun.insert(HarvestRun(started_at=now, mode=mode, trigger=trigger)).returning(
        HarvestRun.id
    )
    return int(rows[0]["id"])


async def finish_run(run_id: int, totals: RunTotals, *, now: datetime) -> None:
    await HarvestRun.update(
        {
            HarvestRun.finished_at: now,
            HarvestRun.requests: totals.requests,
            HarvestRun.rate_limited_requests: totals.rate_limited_requests,
            HarvestRun.not_modified: totals.not_modified,
            HarvestRun.rate_limit_remaining: totals.rate_limit_remaining,
            HarvestRun.duration_seconds: totals.duration_seconds,
            HarvestRun.repositories: totals.repositories,
            HarvestRun.unchanged: totals.unchanged,
            HarvestRun.changed: totals.changed,
            HarvestRun.failed: totals.failed,
            HarvestRun.deferred: totals.deferred,
            HarvestRun.summary: totals.summary_line(),
        }
    ).where(HarvestRun.id == run_id)
