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


async def true_counts(call_ids: list[int], *, reopened: set[int] | None = None) -> dict[int, dict[str, int]]:
    """Per call, its applications by their true state, whatever the call's phase.

    `submitted` counts every application with a submitted version that still counts (submitted, in
    review, decided, and drafts reopened after a submission: their last version is what is reviewed);
    `drafts` the drafts never submitted; `reopened` the drafts with an earlier submitted version;
    `in_review` the submitted ones not yet decided while the call is in review; `decided` the funded
    and rejected ones. `reopened`, when given, receives the ids of the reopened drafts."""
    from registry.applications.tables import Application, ApplicationVersion

    counts = {call_id: {"drafts": 0, "reopened": 0, "submitted": 0, "in_review": 0, "decided": 0, "funded": 0,
                        "rejected": 0, "withdrawn": 0} for call_id in call_ids}
    if not call_ids:
        return counts
    rows = await Application.select(Application.id, Application.call, Application.state).where(
        Application.call.is_in(call_ids))
    drafts = [row["id"] for row in rows if row["state"] == "draft"]
    versioned = {row["application"] for row in await ApplicationVersion.select(
        ApplicationVersion.application).where(ApplicationVersion.application.is_in(drafts))} if drafts else set()
    if reopened is not None:
        reopened.update(versioned)
    reviewing = {row["id"] for row in await Call.select(Call.id).where(
        Call.id.is_in(call_ids) & (Call.status == "in_review"))}
    for row in rows:
        bucket, state = counts[row["call"]], row["state"]
        if state == "under_review" or (state == "submitted" and row["call"] in reviewing):
            bucket["in_review"] += 1
        if state == "draft":
            bucket["reopened" if row["id"] in versioned else "drafts"] += 1
        elif state == "withdrawn":
            bucket["withdrawn"] += 1
        elif state in ("funded", "rejected"):
            bucket["decided"] += 1
            bucket[state] += 1
        received = ("submitted", "under_review", "correction_requested", "funded", "rejected")
        if state in received or row["id"] in versioned:
            bucket["submitted"] += 1
    return counts
