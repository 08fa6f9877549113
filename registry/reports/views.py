"""Read models for the report pages and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from registry.reports.reminders import paris_day
from registry.reports.tables import CONTENT_FIELDS, OPEN_REPORT_STATES, Report

_COLUMNS = (
    Report.id, Report.project, Report.due_on, Report.period_label, Report.period_start, Report.period_end,
    Report.state, Report.summary, Report.achievements, Report.difficulties, Report.next_steps, Report.data_ethics,
    Report.request_note, Report.feedback, Report.published, Report.published_at, Report.requested_at,
    Report.updated_at, Report.submitted_at, Report.decided_at, Report.revision, Report.schedule_period,
    Report.project.slug, Report.project.title, Report.project.public_title, Report.submitted_by.name,
)


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def shape(row: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    today = today or paris_day(datetime.now(UTC))
    due = _day(row["due_on"])
    item = {
        "id": row["id"], "project_id": row["project"], "project_slug": row["project.slug"],
        "project_title": row["project.public_title"] or row["project.title"],
        "due_on": due, "period": row["period_label"], "period_start": _day(row["period_start"]),
        "period_end": _day(row["period_end"]), "state": row["state"],
        "request_note": row["request_note"], "feedback": row["feedback"], "published": bool(row["published"]),
        "published_at": _aware(row["published_at"]), "requested_at": _aware(row["requested_at"]),
        "updated_at": _aware(row["updated_at"]), "submitted_at": _aware(row["submitted_at"]),
        "decided_at": _aware(row["decided_at"]), "revision": row["revision"] or 0,
        "submitted_by": row.get("submitted_by.name") or "", "scheduled": row["schedule_period"] is not None,
        "late": row["state"] in OPEN_REPORT_STATES and due is not None and due < today,
        "editable": row["state"] in OPEN_REPORT_STATES,
    }
    for name in CONTENT_FIELDS:
        item[name] = row[name] or ""
    return item


async def report_view(report_id: int) -> dict[str, Any] | None:
    rows = await Report.select(*_COLUMNS).where(Report.id == report_id)
    return shape(rows[0]) if rows else None


def _order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda r: (not r["late"], r["due_on"] or date.max, r["id"]))


async def project_reports(project_id: int) -> list[dict[str, Any]]:
    rows = await Report.select(*_COLUMNS).where(Report.project == project_id)
    return sorted((shape(r) for r in rows), key=lambda r: (r["due_on"] or date.max, r["id"]))


STATE_ORDER = ("submitted", "more_requested", "requested", "draft", "accepted")


async def all_reports(state: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every report grouped by state (reports to read first), late ones first in each group."""
    query = Report.select(*_COLUMNS)
    if state:
        query = query.where(Report.state == state)
    groups: dict[str, list[dict[str, Any]]] = {s: [] for s in STATE_ORDER}
    for row in await query:
        item = shape(row)
        groups.setdefault(item["state"], []).append(item)
    return {s: _order(items) for s, items in groups.items()}


async def public_reports(project_id: int) -> list[dict[str, Any]]:
    """What the public sees: which reports were received (and accepted) and when; the content only
    once published."""
    rows = await Report.select(*_COLUMNS).where((Report.project == project_id) & Report.submitted_at.is_not_null())
    items = []
    for row in sorted(rows, key=lambda r: (_day(r["due_on"]) or date.max, r["id"])):
        item = shape(row)
        public = {"id": item["id"], "period": item["period"], "due_on": item["due_on"],
                  "received_at": item["submitted_at"], "accepted": item["state"] == "accepted",
                  "accepted_at": item["decided_at"] if item["state"] == "accepted" else None,
                  "published": item["published"] and item["state"] == "accepted"}
        if public["published"]:
            public.update({name: item[name] for name in CONTENT_FIELDS})
        items.append(public)
    return items
