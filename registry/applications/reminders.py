"""Deadline reminders for unsubmitted drafts: 7 days, 2 days and the morning of the deadline.

Each (application, kind) is recorded in ReminderSent, under a unique index, in the transaction that
queues its mail in the outbox, so running the job twice (or in two processes) never sends twice.
When the job was down, only the most recent due reminder is sent: no burst of stale ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from piccolo.engine import engine_finder

from registry.applications.tables import Application, ReminderSent
from registry.calls.paris import PARIS
from registry.calls.tables import Call
from registry.db import write_transaction

KINDS = ("7d", "2d", "morning")


def deadline_morning(closes_at: datetime) -> datetime:
    """08:00 Paris on the deadline's day, or that day's midnight when the call closes before 08:00."""
    local_day = closes_at.astimezone(PARIS).date()
    morning = datetime.combine(local_day, time(8, 0), tzinfo=PARIS).astimezone(UTC)
    if morning >= closes_at:
        morning = datetime.combine(local_day, time(0, 0), tzinfo=PARIS).astimezone(UTC)
    return morning


def due_reminder(closes_at: datetime, now: datetime) -> str | None:
    """The reminder kind due at `now` for a call closing at `closes_at`, if any."""
    if now >= closes_at:
        return None
    morning = deadline_morning(closes_at)
    if now >= morning and morning < closes_at:
        return "morning"
    if now >= closes_at - timedelta(days=2):
        return "2d"
    if now >= closes_at - timedelta(days=7):
        return "7d"
    return None


async def _claim(application_id: int, kind: str, recipient: str) -> bool:
    """Insert the ReminderSent row; False when another run already holds it (the write lock on
    SQLite, the unique index on PostgreSQL, which then fails this transaction as it should)."""
    if await ReminderSent.exists().where(
            (ReminderSent.application == application_id) & (ReminderSent.kind == kind)):
        return False
    await ReminderSent(application=application_id, kind=kind, recipient=recipient).save()
    return True


async def send_deadline_reminders(*, now: datetime, mailer: Any, base_url: str = "") -> int:
    """Queues the due reminders and returns how many were queued."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    calls = await Call.objects().where((Call.status == "published") & (Call.closes_at > now)
                                       & (Call.opens_at <= now))
    sent = 0
    for call in calls:
        kind = due_reminder(call.closes_at, now)
        if kind is None:
            continue
        drafts = await Application.select(
            Application.id, Application.title, Application.owner.email, Application.owner.name,
            Application.owner.locale).where((Application.call == call.id) & (Application.state == "draft"))
        for draft in drafts:
            recipient = draft["owner.email"]
            # The claim and the queued mail commit together: a reminder is recorded once, and sent.
            async with write_transaction(engine_finder()):
                if not await _claim(draft["id"], kind, recipient):
                    continue
                await mailer.send(to=recipient, template=f"reminder_{kind}", language=draft["owner.locale"] or "fr",
                                  object_type="application", object_id=draft["id"],
                                  context={"name": draft["owner.name"], "title": draft["title"],
                                           "call_title": call.title_fr, "closes_at": call.closes_at,
                                           "link": f"{base_url}/applications/{draft['id']}/edit"})
            sent += 1
    return sent


__all__ = ["KINDS", "deadline_morning", "due_reminder", "send_deadline_reminders"]
