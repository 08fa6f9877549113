"""Requests for changes after submission (« demande de correction »): one function per move.

A manager asks on a submitted or under-review application (→ `correction_requested`); its applicants
edit it (answers and attachments included) until the end of the due date, Paris time, even after the
call's closes_at, and resubmit through the usual recap (a new version and receipt, the old ones kept;
back to the state the request found it in). Past the due date editing is refused, and the expiry job
puts the application back on its last submitted version. The request, the replies and the
resubmission or expiry form the thread, seen by the applicants and the managers, and by the assigned
reviewers when the manager allowed it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor, is_staff
from registry.accounts.tables import User
from registry.applications.permissions import application_for, is_applicant
from registry.applications.tables import Application, CoApplicant
from registry.audit.log import record_event
from registry.calls.paris import PARIS
from registry.db import write_transaction
from registry.enquiries.tables import CorrectionMessage, CorrectionRequest
from registry.errors import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from registry.outbox.service import queue_mail

MAX_MESSAGE = 10_000
REQUESTABLE = ("submitted", "under_review")


def deadline_of(due_on: date) -> datetime:
    """Edits are accepted until the end of the due date in Paris."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)


def _message(value: Any, errors: list[FieldError]) -> str:
    if value is not None and not isinstance(value, str):
        errors.append(FieldError("message", N_("Ce champ est un texte.")))
        return ""
    clean = (value or "").strip()
    if not clean:
        errors.append(FieldError("message", N_("Ce champ est obligatoire.")))
    elif len(clean) > MAX_MESSAGE:
        errors.append(FieldError("message", N_("Texte trop long.")))
    return clean


def _due_on(value: Any, now: datetime, errors: list[FieldError]) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        due = value
    else:
        try:
            due = date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors.append(FieldError("due_on", N_("Indiquez une date au format AAAA-MM-JJ.")))
            return None
    if due < now.astimezone(PARIS).date():
        errors.append(FieldError("due_on", N_("La date limite ne peut pas être passée.")))
        return None
    if due > now.astimezone(PARIS).date() + timedelta(days=365):
        errors.append(FieldError("due_on", N_("La date limite doit tomber dans l’année.")))
        return None
    return due


def parse_due(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _raise_if_invalid(message: Any, due_on: Any, now: datetime | None = None) -> None:
    """The request's checks alone (the page checks before its confirmation step)."""
    errors: list[FieldError] = []
    _message(message, errors)
    _due_on(due_on, now or datetime.now(UTC), errors)
    if errors:
        raise InvalidInput(errors[0].message, errors)


async def open_correction(application_id: int) -> CorrectionRequest | None:
    return await CorrectionRequest.objects().where(
        (CorrectionRequest.application == application_id) & (CorrectionRequest.state == "open")).order_by(
        CorrectionRequest.id, ascending=False).first()


async def ensure_correction_open(application_id: int, now: datetime) -> CorrectionRequest:
    """The open request that lets the applicants edit, refused (Conflict) past its due date."""
    correction = await open_correction(application_id)
    if correction is None:
        raise Conflict(N_("Aucune demande de correction n’est en cours sur cette candidature."))
    if now >= deadline_of(correction.due_on):
        raise Conflict(N_("Le délai de correction est dépassé : la candidature reste dans sa dernière "
                          "version soumise."))
    return correction


async def _applicants(application: Application) -> list[dict[str, Any]]:
    emails = [r["email"] for r in await CoApplicant.select(CoApplicant.email).where(
        CoApplicant.application == application.id)]
    people = await User.select(User.email, User.name, User.locale).where(
        (User.id == application.owner) | User.email.is_in(emails or [""]))
    return people


async def _managers() -> list[dict[str, Any]]:
    from registry.accounts.service import manager_recipients

    return await manager_recipients()


async def request_correction(application_id: int, *, actor: Actor, message: Any, due_on: Any,
                             visible_to_reviewers: bool = False, base_url: str = "",
                             now: datetime | None = None) -> CorrectionRequest:
    """A manager asks for changes on a submitted or under-review application.

    Effects, in order, in one transaction:
    1. the request row (state `open`, the application's state kept as `return_state`);
    2. the application moves to `correction_requested` (audit entry `application.request_correction`);
    3. an audit entry `correction.requested` (due date, reviewers' visibility);
    4. a mail `correction_requested` to the owner and each co-applicant with an account, in the outbox."""
    if not is_staff(actor):
        raise Forbidden(N_("Réservé à l'équipe du programme."))
    at = now or datetime.now(UTC)
    errors: list[FieldError] = []
    clean = _message(message, errors)
    due = _due_on(due_on, at, errors)
    if errors:
        raise InvalidInput(errors[0].message, errors)
    from registry.applications.service import move_application

    async with write_transaction(engine_finder()):
        application = await Application.objects().where(Application.id == application_id).first()
        if application is None:
            raise NotFound(N_("Candidature introuvable."))
        if application.state not in REQUESTABLE:
            raise Conflict(N_("Une correction ne se demande que sur une candidature soumise ou en évaluation."))
        correction = CorrectionRequest(application=application.id, requested_by=actor.id, message=clean,
                                       due_on=due, visible_to_reviewers=bool(visible_to_reviewers),
                                       return_state=application.state, state="open", created_at=at)
        await correction.save()
        await move_application(application, "correction_requested", actor=actor, now=at,
                               data={"correction": correction.id})
        await record_event("correction.requested", actor_id=actor.id, actor=actor.email,
                           object_type="application", object_id=application.id,
                           data={"correction": correction.id, "due_on": due.isoformat(),
                                 "visible_to_reviewers": bool(visible_to_reviewers)})
        for person in await _applicants(application):
            await queue_mail(to=person["email"], template="correction_requested",
                             language=person["locale"] or "fr", object_type="application",
                             object_id=application.id, context={
                                 "name": person["name"], "title": application.title, "message": clean,
                                 "due_on": due, "link": f"{base_url}/applications/{application.id}"})
    return correction


async def correction_by_id(correction_id: int) -> CorrectionRequest:
    correction = await CorrectionRequest.objects().where(CorrectionRequest.id == correction_id).first()
    if correction is None:
        raise NotFound(N_("Demande de correction introuvable."))
    return correction


async def reply(correction_id: int, *, actor: Actor, message: Any, base_url: str = "") -> CorrectionMessage:
    """An applicant or a manager answers in an open request's thread.

    Effects, in one transaction: 1. the message row; 2. an audit entry `correction.replied`;
    3. a mail `correction_reply`: an applicant's reply to each manager, a manager's to the applicants."""
    correction = await correction_by_id(correction_id)
    application = await application_for(actor, correction.application)  # 404 when not visible
    staff = is_staff(actor)
    if not staff and not await is_applicant(actor, application):
        raise NotFound(N_("Demande de correction introuvable."))
    errors: list[FieldError] = []
    clean = _message(message, errors)
    if errors:
        raise InvalidInput(errors[0].message, errors)
    if correction.state != "open":
        raise Conflict(N_("Cette demande de correction est close."))
    async with write_transaction(engine_finder()):
        row = CorrectionMessage(correction=correction.id, author=actor.id, kind="reply", message=clean,
                                created_at=datetime.now(UTC))
        await row.save()
        await record_event("correction.replied", actor_id=actor.id, actor=actor.email,
                           object_type="application", object_id=application.id,
                           data={"correction": correction.id, "message": row.id})
        recipients = await _applicants(application) if staff else await _managers()
        link = f"{base_url}/applications/{application.id}"
        for person in recipients:
            if person["email"] == actor.email:
                continue
            await queue_mail(to=person["email"], template="correction_reply", language=person["locale"] or "fr",
                             object_type="application", object_id=application.id, context={
                                 "name": person["name"], "title": application.title, "author": actor.name,
                                 "message": clean, "link": link})
    return row


async def record_resubmission(correction: CorrectionRequest, application: Application, *, version: int,
                              actor: Actor, at: datetime, base_url: str = "") -> None:
    """Inside the resubmission's transaction (registry.applications.submission.submit_application):
    1. the request is closed (`resubmitted`); 2. a `resubmitted` item naming the new version joins the
    thread; 3. an audit entry `correction.resubmitted`; 4. a mail `correction_resubmitted` to each manager."""
    await CorrectionRequest.update({CorrectionRequest.state: "resubmitted", CorrectionRequest.closed_at: at}).where(
        CorrectionRequest.id == correction.id)
    await CorrectionMessage(correction=correction.id, author=actor.id, kind="resubmitted", version=version,
                            created_at=at).save()
    await record_event("correction.resubmitted", actor_id=actor.id, actor=actor.email, object_type="application",
                       object_id=application.id, data={"correction": correction.id, "version": version})
    for person in await _managers():
        await queue_mail(to=person["email"], template="correction_resubmitted", language=person["locale"] or "fr",
                         object_type="application", object_id=application.id, context={
                             "name": person["name"], "title": application.title, "version": version,
                             "author": actor.name, "link": f"{base_url}/applications/{application.id}"})


async def expire_corrections(now: datetime | None = None) -> int:
    """The scheduler's job: each open request past its due date expires.

    Effects, per request, in one transaction: 1. the application goes back to its last submitted
    version and to the state the request found it in (registry.applications.service.
    restore_latest_version, audit entry `application.resubmit` naming the restored version);
    2. the request is closed (`expired`) with an `expired` item in the thread; 3. an audit entry
    `correction.expired`. No mail. Returns how many expired."""
    from registry.applications.service import restore_latest_version

    at = now or datetime.now(UTC)
    count = 0
    for correction in await CorrectionRequest.objects().where(CorrectionRequest.state == "open"):
        if at < deadline_of(correction.due_on):
            continue
        async with write_transaction(engine_finder()):
            application = await Application.objects().where(Application.id == correction.application).first()
            if application is not None and application.state == "correction_requested":
                await restore_latest_version(application, target=correction.return_state,
                                             extra={"correction_expired": correction.id})
            await CorrectionRequest.update({CorrectionRequest.state: "expired",
                                            CorrectionRequest.closed_at: at}).where(
                CorrectionRequest.id == correction.id)
            await CorrectionMessage(correction=correction.id, kind="expired", created_at=at).save()
            await record_event("correction.expired", actor_id=None, actor="system", object_type="application",
                               object_id=correction.application, data={"correction": correction.id})
        count += 1
    return count


async def thread_of(application_id: int, *, actor: Actor | None) -> list[dict[str, Any]]:
    """The application's requests, newest first, each with its items in order. Applicants and staff see
    them all, a reviewer (or anyone else the application is visible to) those visible to reviewers;
    NotFound when the application is not visible at all."""
    application = await application_for(actor, application_id)
    everything = is_staff(actor) or await is_applicant(actor, application)
    query = CorrectionRequest.select(CorrectionRequest.all_columns(),
                                     CorrectionRequest.requested_by.name.as_alias("author_name")).where(
        CorrectionRequest.application == application_id)
    if not everything:
        query = query.where(CorrectionRequest.visible_to_reviewers.eq(True))
    requests = await query.order_by(CorrectionRequest.id, ascending=False)
    for request in requests:
        request["deadline"] = deadline_of(request["due_on"])
        request["items"] = await CorrectionMessage.select(
            CorrectionMessage.all_columns(), CorrectionMessage.author.name.as_alias("author_name")).where(
            CorrectionMessage.correction == request["id"]).order_by(CorrectionMessage.created_at).order_by(
            CorrectionMessage.id)
    return requests


async def correction_context(actor: Actor | None, application: Any, now: datetime | None = None) -> dict[str, Any]:
    """What the application's pages show: the thread (as the actor may see it), the open request, and
    whether the applicants may still edit and resubmit under it."""
    thread = await thread_of(application.id, actor=actor)
    current = next((c for c in thread if c["state"] == "open"), None)
    editable = (application.state == "correction_requested" and current is not None
                and (now or datetime.now(UTC)) < current["deadline"])
    staff = is_staff(actor)
    applicant = await is_applicant(actor, application)
    return {"corrections": thread, "open_correction": current, "correction_editable": editable,
            "correction_can_reply": staff or applicant, "correction_can_edit": applicant,
            "correction_can_request": staff and application.state in REQUESTABLE}
