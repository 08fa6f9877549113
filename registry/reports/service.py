"""Progress report transitions: one function each, their effects in one transaction.

States: requested → draft → submitted → accepted (→ published) or more_requested → … → submitted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor, is_staff
from registry.accounts.service import manager_recipients
from registry.audit.log import record_event
from registry.db import write_transaction
from registry.errors import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound, invalid
from registry.outbox.service import queue_mail
from registry.projects.tables import Project
from registry.reports.access import (
    ensure_member,
    member_recipients,
    project_by_slug,
)
from registry.reports.tables import CONTENT_FIELDS, OPEN_REPORT_STATES, Report

STATE_LABELS = {
    "requested": "demandé",
    "draft": "brouillon",
    "submitted": "remis",
    "accepted": "accepté",
    "more_requested": "compléments demandés",
}
MAX_TEXT = 20_000
MAX_PERIOD = 200


def _parse_day(value: Any, field: str, *, required: bool) -> date | None:
    if value is None or value == "":
        if required:
            raise invalid(field, N_("Indiquez une date (AAAA-MM-JJ)."))
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise invalid(field, N_("Date non valide : écrivez-la AAAA-MM-JJ.")) from None


def check_request(*, due_on: Any, period: str, period_start: Any = None, period_end: Any = None,
                  note: str = "") -> tuple[date, str, date | None, date | None, str]:
    """The request's field checks, every error at once; nothing stored."""
    errors: list[FieldError] = []
    parsed: dict[str, date | None] = {}
    for name, value, required in (("due_on", due_on, True), ("period_start", period_start, False),
                                  ("period_end", period_end, False)):
        try:
            parsed[name] = _parse_day(value, name, required=required)
        except InvalidInput as error:
            errors += error.errors
    label = (period or "").strip()
    if not label:
        errors.append(FieldError("period", N_("Indiquez la période couverte (par exemple « premier semestre »).")))
    elif len(label) > MAX_PERIOD:
        errors.append(FieldError("period", N_("La période tient en 200 caractères au plus.")))
    if parsed.get("period_start") and parsed.get("period_end") and parsed["period_end"] < parsed["period_start"]:
        errors.append(FieldError("period_end", N_("La fin de la période précède son début.")))
    if len(note or "") > MAX_TEXT:
        errors.append(FieldError("note", N_("Texte trop long (20 000 caractères au plus).")))
    if errors:
        raise InvalidInput(errors[0].message, errors)
    assert parsed["due_on"] is not None
    return parsed["due_on"], label, parsed["period_start"], parsed["period_end"], (note or "").strip()


def _title(project: Project | dict[str, Any]) -> str:
    if isinstance(project, dict):
        return project.get("public_title") or project.get("title") or ""
    return project.public_title or project.title


async def _mail_members(report: Report, project: Project, template: str, base_url: str,
                        extra: dict[str, Any] | None = None) -> int:
    sent = 0
    for member in await member_recipients(project.id):
        await queue_mail(to=member["email"], template=template, language=member["locale"] or "fr",
                         object_type="report", object_id=report.id, context={
                             "name": member["name"], "project_title": _title(project),
                             "period": report.period_label, "due_on": report.due_on,
                             "note": report.request_note, "feedback": report.feedback,
                             "link": f"{base_url}/reports/{report.id}", **(extra or {})})
        sent += 1
    return sent


async def request_report(slug: str, *, actor: Actor | None, due_on: Any, period: str, period_start: Any = None,
                         period_end: Any = None, note: str = "", base_url: str = "",
                         schedule_period: int | None = None) -> Report:
    """A manager (or the call's schedule, with no actor) asks a funded project for a report.

    Effects, in order, in one transaction:
    1. the report row, state `requested`;
    2. an audit entry `report.requested`;
    3. a mail `report_requested` to each member of the project, in the outbox."""
    if actor is not None and not is_staff(actor):
        raise Forbidden("Réservé à l'équipe du programme.")
    due, label, start, end, clean_note = check_request(due_on=due_on, period=period, period_start=period_start,
                                                       period_end=period_end, note=note)
    project = await project_by_slug(slug)
    async with write_transaction(engine_finder()):
        report = Report(project=project.id, due_on=due, period_label=label, period_start=start, period_end=end,
                        state="requested", request_note=clean_note, schedule_period=schedule_period,
                        requested_by=actor.id if actor else None, requested_at=datetime.now(UTC),
                        updated_at=datetime.now(UTC))
        await report.save()
        recipients = await _mail_members(report, project, "report_requested", base_url)
        await record_event("report.requested", actor_id=actor.id if actor else None,
                           actor=actor.email if actor else "scheduler", object_type="report", object_id=report.id,
                           data={"project": project.slug, "due_on": due.isoformat(), "period": label,
                                 "schedule_period": schedule_period, "recipients": recipients})
    return report


async def report_by_id(report_id: int) -> Report:
    report = await Report.objects().where(Report.id == report_id).first()
    if report is None:
        raise NotFound(N_("Rapport introuvable."))
    return report


async def project_of(report: Report) -> Project:
    project = await Project.objects().where(Project.id == report.project).first()
    if project is None:
        raise NotFound(N_("Rapport introuvable."))
    return project


def clean_content(values: dict[str, Any], *, submit: bool) -> dict[str, str]:
    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    for name in CONTENT_FIELDS:
        value = values.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(FieldError(name, N_("Ce champ est un texte.")))
            continue
        if len(value) > MAX_TEXT:
            errors.append(FieldError(name, N_("Texte trop long (20 000 caractères au plus).")))
        clean[name] = value.strip()
    if submit and not errors and not clean["summary"]:
        errors.append(FieldError("summary", N_("Rédigez la synthèse avant de remettre le rapport.")))
    if errors:
        raise InvalidInput(errors[0].message, errors)
    return clean


async def check_report(report_id: int, *, actor: Actor, values: dict[str, Any], submit: bool = False
                       ) -> tuple[Report, dict[str, str]]:
    """Every check of save_report, changing nothing (the confirmation page runs it before asking)."""
    report = await report_by_id(report_id)
    await ensure_member(actor, int(report.project))
    if report.state not in OPEN_REPORT_STATES:
        raise Conflict(N_("Ce rapport est remis : il ne peut plus être modifié."))
    return report, clean_content(values, submit=submit)


async def save_report(report_id: int, *, actor: Actor, values: dict[str, Any], submit: bool = False,
                      base_url: str = "") -> Report:
    """A member saves the report's draft (autosave too), or submits it.

    Refused once submitted (until a manager asks for more). Effects, in order, in one transaction:
    1. the summary and the structured fields are saved (requested → draft; more_requested stays
       until submitted), the revision moves on;
    2. on submission: state `submitted`, time and author, an audit entry `report.submitted`, and a
       mail `report_submitted` to each manager in the outbox (a draft save writes no audit entry)."""
    report, clean = await check_report(report_id, actor=actor, values=values, submit=submit)
    project = await project_of(report)
    async with write_transaction(engine_finder()):
        current = await report_by_id(report_id)  # read again inside the write lock
        if current.state not in OPEN_REPORT_STATES:
            raise Conflict(N_("Ce rapport est remis : il ne peut plus être modifié."))
        report = current
        previous = report.state
        for name, value in clean.items():
            setattr(report, name, value)
        report.updated_at = datetime.now(UTC)
        report.revision = (report.revision or 0) + 1
        if submit:
            report.state = "submitted"
            report.submitted_at = datetime.now(UTC)
            report.submitted_by = actor.id
        elif previous == "requested":
            report.state = "draft"
        await report.save()
        if submit:
            await record_event("report.submitted", actor_id=actor.id, actor=actor.email, object_type="report",
                               object_id=report.id, data={"from": previous, "to": "submitted",
                                                          "project": project.slug})
            for manager in await manager_recipients():
                await queue_mail(to=manager["email"], template="report_submitted",
                                 language=manager["locale"] or "fr", object_type="report", object_id=report.id,
                                 context={"name": manager["name"], "project_title": _title(project),
                                          "period": report.period_label, "author": actor.name,
                                          "link": f"{base_url}/manage/reports/{report.id}"})
    return report


async def decide_report(report_id: int, *, actor: Actor, accept: bool, message: str = "",
                        base_url: str = "") -> Report:
    """A manager accepts a submitted report, or asks for more (with a message, required).

    Effects, in order, in one transaction:
    1. state `accepted` or `more_requested` (reopened for the members), the message, time and manager;
    2. an audit entry `report.accepted` or `report.more_requested`;
    3. a mail `report_accepted` or `report_more_requested` to each member of the project."""
    if not is_staff(actor):
        raise Forbidden("Réservé à l'équipe du programme.")
    text = (message or "").strip()
    if not accept and not text:
        raise invalid("message", N_("Dites à l’équipe ce qu’il faut compléter."))
    if len(text) > MAX_TEXT:
        raise invalid("message", N_("Texte trop long (20 000 caractères au plus)."))
    async with write_transaction(engine_finder()):
        report = await report_by_id(report_id)
        if report.state != "submitted":
            raise Conflict(N_("Seul un rapport remis peut être accepté ou renvoyé à l’équipe."))
        project = await project_of(report)
        report.state = "accepted" if accept else "more_requested"
        report.feedback = text
        report.decided_at = datetime.now(UTC)
        report.decided_by = actor.id
        report.updated_at = datetime.now(UTC)
        await report.save()
        event = "report.accepted" if accept else "report.more_requested"
        await record_event(event, actor_id=actor.id, actor=actor.email, object_type="report", object_id=report.id,
                           data={"from": "submitted", "to": report.state, "message": text,
                                 "project": project.slug})
        await _mail_members(report, project, "report_accepted" if accept else "report_more_requested", base_url)
    return report


async def publish_report(report_id: int, *, actor: Actor) -> Report:
    """A manager publishes an accepted report: its content becomes public on the project page.

    Effects, in order, in one transaction: the published flag and time; an audit entry
    `report.published`. Publishing again changes nothing."""
    if not is_staff(actor):
        raise Forbidden("Réservé à l'équipe du programme.")
    async with write_transaction(engine_finder()):
        report = await report_by_id(report_id)
        if report.state != "accepted":
            raise Conflict(N_("Seul un rapport accepté peut être publié."))
        if report.published:
            return report
        report.published = True
        report.published_at = datetime.now(UTC)
        await report.save()
        await record_event("report.published", actor_id=actor.id, actor=actor.email, object_type="report",
                           object_id=report.id, data={"project": int(report.project)})
    return report


__all__ = ["STATE_LABELS", "check_report", "check_request", "decide_report", "publish_report", "report_by_id",
           "request_report", "save_report"]


async def save_schedule(call_slug: str, *, actor: Actor, every_months: Any, lead_days: Any = 30,
                        active: bool = True) -> Any:
    """A manager sets (or stops) a call's report schedule: every N months from each funded project's
    release date, requested `lead_days` before the end of each period.

    Effects, in order, in one transaction: the schedule row (created or changed); an audit entry
    `report_schedule.saved`. The scheduler's hourly job then requests the reports due."""
    from registry.calls.tables import Call
    from registry.reports.tables import ReportSchedule

    if not is_staff(actor):
        raise Forbidden("Réservé à l'équipe du programme.")
    errors: list[FieldError] = []
    numbers: dict[str, int] = {}
    for name, value, low, high, message in (
            ("every_months", every_months, 1, 36, N_("Un nombre entier de mois, de 1 à 36.")),
            ("lead_days", lead_days, 0, 180, N_("Un nombre entier de jours, de 0 à 180."))):
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            errors.append(FieldError(name, message))
        else:
            numbers[name] = number
    if errors:
        raise InvalidInput(errors[0].message, errors)
    call = await Call.objects().where(Call.slug == call_slug).first()
    if call is None:
        raise NotFound(f"Aucun appel « {call_slug[:80]} ».")
    async with write_transaction(engine_finder()):
        schedule = await ReportSchedule.objects().where(ReportSchedule.call == call.id).first()
        if schedule is None:
            schedule = ReportSchedule(call=call.id, created_at=datetime.now(UTC))
        schedule.every_months = numbers["every_months"]
        schedule.lead_days = numbers["lead_days"]
        schedule.active = bool(active)
        schedule.updated_by = actor.id
        schedule.updated_at = datetime.now(UTC)
        await schedule.save()
        await record_event("report_schedule.saved", actor_id=actor.id, actor=actor.email, object_type="call",
                           object_id=call.id, data={"every_months": schedule.every_months,
                                                    "lead_days": schedule.lead_days, "active": schedule.active})
    return schedule
