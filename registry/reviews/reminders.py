"""Review due-date reminders: 3 days and 1 day before an assignment is due, once each.

The due date is the assignment's own `due_at`, else its call's `reviews_due_at`. Only assignments
still to be reviewed (awaiting declaration, or declared free of conflict without a submitted
review) are reminded; conflicts, cancellations and handed-in reviews never are. Each reminder is
claimed by an `UPDATE … WHERE reminded_<kind>_at IS NULL … RETURNING` in the transaction that
queues its mail in the outbox, so running the job twice (or in two processes) never sends twice.
When the job was down past both points, only the later reminder goes out (the earlier one is
marked as spent with it): no burst of stale reminders.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine import engine_finder

from registry.db import write_transaction
from registry.reviews.tables import Assignment
from registry.reviews.views import OPEN_ASSIGNMENT_STATES, due_date

KINDS = {"3d": timedelta(days=3), "1d": timedelta(days=1)}
CLOSED_CALL_STATUSES = ("decided", "archived")


def due_reminder(due: datetime, now: datetime) -> str | None:
    """The reminder kind due at `now` for an assignment due at `due`, if any."""
    if now >= due:
        return None
    if now >= due - KINDS["1d"]:
        return "1d"
    if now >= due - KINDS["3d"]:
        return "3d"
    return None


async def _claim(assignment_id: int, kind: str, now: datetime) -> bool:
    column = Assignment.reminded_1d_at if kind == "1d" else Assignment.reminded_3d_at
    values: dict[Any, Any] = {column: now}
    if kind == "1d":  # the 3-day reminder is spent too: never sent after the 1-day one
        values[Assignment.reminded_3d_at] = now
    rows = await Assignment.update(values).where(
        (Assignment.id == assignment_id) & column.is_null()).returning(Assignment.id)
    return bool(rows)


async def send_review_reminders(*, now: datetime, mailer: Any, base_url: str = "") -> int:
    """Queues the due reminders and returns how many were queued."""
    from registry.reviews.tables import Review

    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    rows = await Assignment.select(
        Assignment.id, Assignment.state, Assignment.due_at, Assignment.reminded_3d_at, Assignment.reminded_1d_at,
        Assignment.call.reviews_due_at, Assignment.call.status, Assignment.call.title_fr,
        Assignment.application.public_title, Assignment.reviewer.email, Assignment.reviewer.name,
        Assignment.reviewer.locale,
    ).where(Assignment.state.is_in(list(OPEN_ASSIGNMENT_STATES))
            & Assignment.call.status.not_in(list(CLOSED_CALL_STATUSES)))
    handed_in = {r["assignment"] for r in await Review.select(Review.assignment).where(
        Review.state.is_in(["submitted", "locked"]))}
    sent = 0
    for row in rows:
        due = due_date(row["due_at"], row["call.reviews_due_at"])
        if due is None or row["id"] in handed_in:
            continue
        kind = due_reminder(due, now)
        if kind is None or row[f"reminded_{kind}_at"] is not None:
            continue
        # The claim and the queued mail commit together: a reminder is recorded once, and sent.
        async with write_transaction(engine_finder()):
            if not await _claim(row["id"], kind, now):
                continue
            await mailer.send(to=row["reviewer.email"], template="review_reminder",
                              language=row["reviewer.locale"] or "fr", object_type="assignment",
                              object_id=row["id"], context={
                                  "name": row["reviewer.name"], "kind": kind,
                                  "public_title": row["application.public_title"],
                                  "call_title": row["call.title_fr"], "due_at": due,
                                  "declared": row["state"] == "no_conflict",
                                  "link": f"{base_url}/reviews/assignments/{row['id']}"})
        sent += 1
    return sent


__all__ = ["KINDS", "due_reminder", "send_review_reminders"]
