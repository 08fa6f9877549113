"""Reading calls: public lists, a call with its criteria, and the manager's live counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.calls.state import call_state
from registry.calls.tables import Call, Criterion


async def list_calls(*, include_drafts: bool = False, states: tuple[str, ...] = (),
                     now: datetime | None = None, page: int = 1, per_page: int = 20
                     ) -> tuple[list[dict[str, Any]], int]:
    """Calls newest first, each dict with its derived `state`; the public never sees drafts."""
    now = now or datetime.now(UTC)
    query = Call.select().order_by(Call.closes_at, ascending=False)
    if not include_drafts:
        query = query.where(Call.status != "draft")
    rows = await query
    for row in rows:
        row["state"] = call_state(row, now)
    if states:
        rows = [row for row in rows if row["state"] in states]
    start = (page - 1) * per_page
    return rows[start:start + per_page], len(rows)


async def criteria_rows(call_id: int) -> list[dict[str, Any]]:
    return await Criterion.select().where(Criterion.call == call_id).order_by(Criterion.position)


async def application_counts(call_id: int) -> dict[str, int]:
    """How many applications of the call are in each state (drafts and submissions as they come)."""
    from registry.applications.tables import Application

    rows = await Application.select(Application.state).where(Application.call == call_id)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return counts
