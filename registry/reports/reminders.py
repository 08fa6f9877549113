"""Report reminders and the per-call schedules, run by the scheduler every hour.

Reminders: 7 days and 1 day before a report's due date (Paris calendar day), and once when it is
late, to the project's members, for reports still to be written (requested, draft, more requested).
Each is claimed by an `UPDATE … WHERE reminded_<kind>_at IS NULL … RETURNING` in the transaction
that queues its mails, so a second run (or a second process) never sends it again; a later reminder
marks the earlier ones as spent (no burst of stale reminders after a pause).

Schedules: for each active schedule of a call, every funded project of that call gets, for its nth
period (n months × every_months after its release date), a report requested `lead_days` before the
period's end and due on that end; periods ending before the schedule was saved are not requested.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.engine import engine_finder

from registry.calls.paris import PARIS
from registry.db import write_transaction
from registry.outbox.service import queue_mail
from registry.projects.tables import Project
from registry.reports.access import member_recipients
from registry.reports.tables import OPEN_REPORT_STATES, Report, ReportSchedule

KINDS = ("7d", "1d", "late")
SPENT_WITH = {"7d": ("7d",), "1d": ("7d", "1d"), "late": ("7d", "1d", "late")}


def paris_day(now: datetime) -> date:
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(PARIS).date()


def due_reminder(due_on: date, today: date) -> str | None:
    """The reminder kind due `today` for a report due on `due_on`, if any."""
    left = (due_on - today).days
    if left < 0:
        return "late"
    if left <= 1:
        return "1d"
    if left <= 7:
        return "7d"
    return None


async def _claim(report_id: int, kind: str, now: datetime) -> bool:
    column = getattr(Report, f"reminded_{kind}_at")
    values: dict[Any, Any] = {getattr(Report, f"reminded_{k}_at"): now for k in SPENT_WITH[kind]}
    rows = await Report.update(values).where(
        (Report.id == report_id) & column.is_null() & Report.state.is_in(list(OPEN_REPORT_STATES))
    ).returning(Report.id)
    return bool(rows)


async def send_report_reminders(*, now: datetime, base_url: str = "") -> int:
    """Queues the due reminders (one mail per member) and returns how many reports were reminded."""
    today = paris_day(now)
    rows = await Report.select(
        Report.id, Report.project, Report.due_on, Report.period_label, Report.state,
        Report.reminded_7d_at, Report.reminded_1d_at, Report.reminded_late_at,
        Report.project.title, Report.project.public_title,
    ).where(Report.state.is_in(list(OPEN_REPORT_STATES)))
    reminded = 0
    for row in rows:
        kind = due_reminder(row["due_on"], today)
        if kind is None or row[f"reminded_{kind}_at"] is not None:
            continue
        async with write_transaction(engine_finder()):  # the claim and its mails commit together
            if not await _claim(row["id"], kind, now):
                continue
            for member in await member_recipients(row["project"]):
                await queue_mail(to=member["email"], template="report_reminder", language=member["locale"] or "fr",
                                 object_type="report", object_id=row["id"], context={
                                     "name": member["name"], "kind": kind, "period": row["period_label"],
                                     "project_title": row["project.public_title"] or row["project.title"],
                                     "due_on": row["due_on"], "link": f"{base_url}/reports/{row['id']}"})
        reminded += 1
    return reminded


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_periods(released: date, every_months: int, lead_days: int, today: date, since: date
                ) -> list[tuple[int, date, date]]:
    """(n, start, end) of the periods to request now: started, within lead_days of their end, and
    ending on or after `since` (the schedule's creation day)."""
    periods = []
    n = 1
    while True:
        start, end = add_months(released, (n - 1) * every_months), add_months(released, n * every_months)
        if end - timedelta(days=lead_days) > today:
            break
        if end >= since:
            periods.append((n, start, end))
        n += 1
        if n > 600:
            break
    return periods


async def run_schedules(*, now: datetime, base_url: str = "") -> int:
    """Requests the reports the schedules call for; returns how many were requested."""
    from registry.reports.service import request_report

    today = paris_day(now)
    created = 0
    for schedule in await ReportSchedule.select().where(ReportSchedule.active == True):  # noqa: E712
        since = paris_day(schedule["created_at"])
        projects = await Project.select(Project.id, Project.slug, Project.decided_at, Project.created_at).where(
            Project.call == schedule["call"])
        for project in projects:
            released = paris_day(project["decided_at"] or project["created_at"])
            existing = {r["schedule_period"] for r in await Report.select(Report.schedule_period).where(
                (Report.project == project["id"]) & Report.schedule_period.is_not_null())}
            for n, start, end in due_periods(released, schedule["every_months"], schedule["lead_days"], today, since):
                if n in existing:
                    continue
                async with write_transaction(engine_finder()):
                    if await Report.exists().where((Report.project == project["id"])
                                                   & (Report.schedule_period == n)):
                        continue
                    await request_report(project["slug"], actor=None, due_on=end,
                                         period=f"{start.isoformat()} → {end.isoformat()}", period_start=start,
                                         period_end=end, base_url=base_url, schedule_period=n)
                created += 1
    return created


async def run_report_jobs(*, now: datetime, base_url: str = "") -> tuple[int, int]:
    """The scheduler's hourly job: schedules first, then reminders."""
    return await run_schedules(now=now, base_url=base_url), await send_report_reminders(now=now, base_url=base_url)
