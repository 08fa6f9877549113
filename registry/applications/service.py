"""Drafts, edits, state moves and the team of an application: each change checked, saved, audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.service import check_email
from registry.applications.permissions import application_for, can_manage_team
from registry.applications.state import APPLICANT_ACTIONS, action_for, is_editable
from registry.applications.tables import Application, ApplicationLabel, ApplicationVersion, CoApplicant
from registry.applications.validation import (
    UrlPolicy,
    clean_amount,
    clean_licence,
    clean_repositories,
    clean_ror,
    clean_siren,
)
from registry.audit.log import record_event
from registry.calls.jsonfield import json_list
from registry.calls.state import accepts_submissions, call_state
from registry.calls.tables import Call
from registry.db import write_transaction
from registry.errors import N_, Conflict, FieldError, InvalidInput, NotFound
from registry.labels.tables import Label

CLOSED = "L'appel est clos : la date limite de dépôt est passée ({when}). Plus aucune modification n'est possible."


@dataclass
class ApplicationInput:
    """None means "leave as it is" (PATCH); the page form sends every field."""

    title: str | None = None
    public_title: str | None = None
    public_summary: str | None = None
    description: str | None = None
    requested_amount: Any = None
    repositories: list[str] | None = None
    licence: str | None = None
    labels: list[str] | None = None
    org_name: str | None = None
    org_siren: str | None = None
    org_ror: str | None = None
    # Set when the amount was sent explicitly empty (clearing it), as None means unchanged.
    clear_amount: bool = False
    # Answers to the call's questions {key: value}; keys sent replace, others stay (None: unchanged).
    answers: dict[str, Any] | None = None


def _paris(value: datetime) -> str:
    from registry.calls.paris import PARIS

    return value.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M:%S (heure de Paris)")


def ensure_call_open(call: Call, now: datetime) -> None:
    if not accepts_submissions(call, now):
        state = call_state(call, now)
        if state == "upcoming":
            raise Conflict("L'appel n'est pas encore ouvert.")
        raise Conflict(CLOSED.format(when=_paris(call.closes_at)))


async def ensure_edit_window(application: Any, call: Call, now: datetime) -> None:
    """Applicants edit a draft while the call is open, an application reopened by a correction
    request until the request's due date (registry/enquiries/corrections.py), whatever closes_at."""
    if application.state == "correction_requested":
        from registry.enquiries.corrections import ensure_correction_open

        await ensure_correction_open(application.id, now)
    else:
        ensure_call_open(call, now)


# Domain field name (as in errors and the API) -> ApplicationInput attribute.
FIELD_ATTRIBUTES = {"title": "title", "public_title": "public_title", "public_summary": "public_summary",
                    "description": "description", "requested_amount": "requested_amount",
                    "repositories": "repositories", "licence": "licence", "labels": "labels",
                    "organisation.name": "org_name", "organisation.siren": "org_siren",
                    "organisation.ror": "org_ror"}


def pending_of(application: Any) -> dict[str, dict[str, Any]]:
    """The draft's invalid values kept as typed: {field: {"raw": value, "message": error}}."""
    value = getattr(application, "pending", None)
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return dict(value or {})


def pending_errors(application: Any) -> list[FieldError]:
    return [FieldError(name, item["message"]) for name, item in pending_of(application).items()]


def _sent(data: ApplicationInput, attribute: str) -> bool:
    if attribute == "requested_amount":
        return data.requested_amount is not None or data.clear_amount
    return getattr(data, attribute) is not None


async def _clean_all(data: ApplicationInput, call: Call, policy: UrlPolicy,
                     held: frozenset[int] = frozenset()) -> tuple[dict[str, Any], list[int] | None, list[FieldError]]:
    """`held`: the label ids the draft already has, which it keeps even once retired."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in ("title", "public_title", "public_summary", "description", "org_name"):
        raw = getattr(data, name)
        if raw is not None:
            values[name] = raw.strip()
    for name, limit in (("title", 300), ("public_title", 300), ("org_name", 300)):
        if len(values.get(name, "")) > limit:
            field = "organisation.name" if name == "org_name" else name
            errors.append(FieldError(field, f"{limit} caractères au plus."))
    if data.requested_amount is not None or data.clear_amount:
        values["requested_amount"] = clean_amount(data.requested_amount, amount_min=call.amount_min,
                                                  amount_max=call.amount_max, errors=errors)
    if data.repositories is not None:
        values["repositories"] = clean_repositories(data.repositories, policy=policy, errors=errors)
    if data.licence is not None:
        values["licence"] = clean_licence(data.licence, policy=json_list(call.licence_policy), errors=errors)
    if data.org_siren is not None:
        values["org_siren"] = clean_siren(data.org_siren, errors)
    if data.org_ror is not None:
        values["org_ror"] = clean_ror(data.org_ror, errors)
    label_ids: list[int] | None = None
    if data.labels is not None:
        slugs = sorted({s.strip() for s in data.labels if s.strip()})
        rows = await Label.select(Label.id, Label.slug, Label.retired_at).where(
            Label.slug.is_in(slugs)) if slugs else []
        unknown = sorted(set(slugs) - {r["slug"] for r in rows})
        if unknown:
            errors.append(FieldError("labels", f"Étiquette(s) inconnue(s) : {', '.join(unknown)}."))
        # A retired label is no longer offered: only a draft that already holds it keeps it.
        retired = sorted(r["slug"] for r in rows if r["retired_at"] is not None and r["id"] not in held)
        if retired:
            errors.append(FieldError("labels", N_("Étiquette(s) retirée(s), plus proposée(s) : %(slugs)s.")
                                     % {"slugs": ", ".join(retired)}))
        label_ids = [r["id"] for r in rows]
    return values, label_ids, errors


async def _attachment_ids(application_id: int | None) -> set[int]:
    from registry.applications.tables import Attachment

    if application_id is None:
        return set()
    rows = await Attachment.select(Attachment.id).where(Attachment.application == application_id)
    return {row["id"] for row in rows}


async def merge_answers(application: Any, call: Call, sent: dict[str, Any] | None,
                        pending: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The draft's answers after `sent`: valid ones stored (empty ones removed), invalid ones kept
    as typed in `pending` under `answers.<key>` (the stored answer stays), unknown keys ignored."""
    from registry.calls.questions import answers_of, questions_of, validate_answers

    answers = answers_of(getattr(application, "answers", None))
    if sent is None:
        return answers
    questions = {q["key"]: q for q in questions_of(call.questions)}
    sent = {key: value for key, value in sent.items() if key in questions}
    clean, errors = validate_answers([questions[key] for key in sent], sent, for_submission=False,
                                     attachment_ids=await _attachment_ids(getattr(application, "id", None)))
    messages = {e["field"]: e["message"] for e in errors}
    for key, value in sent.items():
        field = f"answers.{key}"
        if field in messages:
            pending[field] = {"raw": value, "message": messages[field]}
            continue
        pending.pop(field, None)
        if key in clean:
            answers[key] = clean[key]
        else:
            answers.pop(key, None)
    return answers


async def _clean(data: ApplicationInput, call: Call, policy: UrlPolicy) -> tuple[dict[str, Any], list[int] | None]:
    values, label_ids, errors = await _clean_all(data, call, policy)
    if errors:
        detail = errors[0].message if len(errors) == 1 else "Certains champs sont invalides : " + " ".join(
            e.message for e in errors)
        raise InvalidInput(detail, errors)
    return values, label_ids


async def create_application(call_slug: str, data: ApplicationInput, *, actor: Actor, policy: UrlPolicy,
                             now: datetime | None = None) -> Application:
    call = await Call.objects().where((Call.slug == call_slug) & (Call.status != "draft")).first()
    if call is None:
        raise NotFound("Appel introuvable.")
    ensure_call_open(call, now or datetime.now(UTC))
    values, label_ids = await _clean(data, call, policy)
    if data.answers:
        pending: dict[str, dict[str, Any]] = {}
        values["answers"] = await merge_answers(None, call, data.answers, pending)
        if pending:
            errors = [FieldError(name, item["message"]) for name, item in pending.items()]
            detail = errors[0].message if len(errors) == 1 else "Certains champs sont invalides : " + " ".join(
                e.message for e in errors)
            raise InvalidInput(detail, errors)
    async with write_transaction(engine_finder()):
        application = Application(call=call.id, owner=actor.id, state="draft", **values)
        await application.save()
        for label_id in label_ids or []:
            await ApplicationLabel(application=application.id, label=label_id).save()
        await record_event("application.created", actor_id=actor.id, actor=actor.email,
                           object_type="application", object_id=application.id, data={"call": call.slug})
    return application


async def update_application(application_id: int, data: ApplicationInput, *, actor: Actor, policy: UrlPolicy,
                             now: datetime | None = None) -> Application:
    """A draft's partial update, saved whatever its validity (as Démarches Simplifiées does).

    Every valid field sent is stored; each invalid one keeps the stored value and is kept as typed,
    with its error, in `Application.pending` until a later save fixes it (submission is refused
    while any remain). Fields not sent keep both their value and any pending entry."""
    application = await application_for(actor, application_id, edit=True)
    call = await Call.objects().where(Call.id == application.call).first()
    if not is_editable(application.state):
        raise Conflict("Cette candidature n'est pas un brouillon : rouvrez-la pour la modifier.")
    await ensure_edit_window(application, call, now or datetime.now(UTC))
    held = frozenset(row["label"] for row in await ApplicationLabel.select(ApplicationLabel.label).where(
        ApplicationLabel.application == application.id))
    values, label_ids, errors = await _clean_all(data, call, policy, held)
    pending = pending_of(application)
    messages: dict[str, list[str]] = {}
    for error in errors:
        messages.setdefault(error.field, []).append(error.message)
    for field, attribute in FIELD_ATTRIBUTES.items():
        if not _sent(data, attribute):
            continue
        if field in messages:
            values.pop(attribute, None)
            if field == "labels":
                label_ids = None
            raw = getattr(data, attribute)
            pending[field] = {"raw": "" if raw is None else raw, "message": " ".join(messages[field])}
        else:
            pending.pop(field, None)
    answers = await merge_answers(application, call, data.answers, pending)
    async with write_transaction(engine_finder()):
        for key, value in values.items():
            setattr(application, key, value)
        application.answers = answers
        application.pending = pending
        application.updated_at = now or datetime.now(UTC)
        application.revision = application.revision + 1
        await application.save()
        if label_ids is not None:
            await ApplicationLabel.delete().where(ApplicationLabel.application == application.id)
            for label_id in label_ids:
                await ApplicationLabel(application=application.id, label=label_id).save()
    return application


async def move_application(application: Application, target: str, *, actor: Actor | None,
                           now: datetime | None = None, data: dict[str, Any] | None = None) -> Application:
    """The application aggregate's transition: the only way its state changes.

    Effects, in order, in one transaction (joining the caller's when there is one):
    1. the move is checked against the state table (registry.applications.state), and an applicant's
       move against the call's deadline, judged on `now` (when the request reached the server);
    2. the state and `updated_at` are saved;
    3. an audit entry `application.<action>` records from, to and any `data`.
    Submission (registry.applications.submission) freezes a version and queues the receipt first, in
    the same transaction, then ends here; the call's move to review restores reopened drafts through
    here; releasing decisions moves applications to funded or rejected through here."""
    action = action_for(application.state, target)
    # An applicant's move is judged on the deadline; the system restoring a submission is not.
    if action in APPLICANT_ACTIONS and actor is not None:
        call = await Call.objects().where(Call.id == application.call).first()
        ensure_call_open(call, now or datetime.now(UTC))
    previous = application.state
    application.state = target
    application.updated_at = now or datetime.now(UTC)
    async with write_transaction(engine_finder()):  # the state and its audit entry together
        await application.save()
        await record_event(f"application.{action}", actor_id=actor.id if actor else None,
                           actor=actor.email if actor else "system", object_type="application",
                           object_id=application.id, data={"from": previous, "to": target, **(data or {})})
    return application


async def withdraw_application(application_id: int, *, actor: Actor, now: datetime | None = None) -> Application:
    application = await application_for(actor, application_id, edit=True)
    return await move_application(application, "withdrawn", actor=actor, now=now)


async def reopen_application(application_id: int, *, actor: Actor, now: datetime | None = None) -> Application:
    application = await application_for(actor, application_id, edit=True)
    return await move_application(application, "draft", actor=actor, now=now)


async def restore_latest_submissions(call_id: int) -> int:
    """At the close of review intake, a draft reopened after a submission counts as its latest version.

    Effects, per such draft, inside the call's move (one transaction):
    1. its text, organisation and submission time go back to the version;
    2. its labels become the version's labels;
    3. its co-applicants become the version's (those removed since come back, those added go);
    4. its attachments become the version's: files added since are taken off (kept aside), files
       removed since are put back from where they were kept;
    5. it moves to "submitted" with an audit entry naming the restored version (and any file missing).
    Returns how many drafts were restored.
    """
    restored = 0
    drafts = await Application.objects().where((Application.call == call_id) & (Application.state == "draft"))
    for application in drafts:
        restored += await restore_latest_version(application)
    return restored


async def restore_latest_version(application: Application, *, target: str = "submitted",
                                 extra: dict[str, Any] | None = None) -> int:
    """One application back to its latest submitted version, then moved to `target` (the effects 1-5
    of restore_latest_submissions; also used when a correction request expires). 1 if restored."""
    from registry.applications.attachments import detach, reattach  # it imports this module

    version = await ApplicationVersion.objects().where(
        ApplicationVersion.application == application.id).order_by(
        ApplicationVersion.number, ascending=False).first()
    if version is None:
        return 0
    content = json.loads(version.content)
    for key in ("title", "public_title", "public_summary", "description", "requested_amount",
                "repositories", "licence"):
        setattr(application, key, content[key])
    application.org_name = content["organisation"]["name"]
    application.org_siren = content["organisation"]["siren"]
    application.org_ror = content["organisation"]["ror"]
    application.submitted_at = version.submitted_at
    application.answers = content.get("answers", {})
    application.questions_version = content.get("questions_version")
    application.pending = {}  # the version's values replace whatever was typed since
    await ApplicationLabel.delete().where(ApplicationLabel.application == application.id)
    for row in await Label.select(Label.id).where(Label.slug.is_in(content["labels"])) if content["labels"] else []:
        await ApplicationLabel(application=application.id, label=row["id"]).save()
    team = set(content["co_applicants"])
    await CoApplicant.delete().where((CoApplicant.application == application.id)
                                     & CoApplicant.email.not_in(sorted(team) or [""]))
    present = {row["email"] for row in await CoApplicant.select(CoApplicant.email).where(
        CoApplicant.application == application.id)}
    for email in sorted(team - present):
        await CoApplicant(application=application.id, email=email, invited_by=application.owner).save()
    missing = await _restore_attachments(application.id, content.get("attachments", []), detach, reattach)
    data: dict[str, Any] = {"restored_version": version.number, **(extra or {})}
    if missing:
        data["missing_attachments"] = missing
    await move_application(application, target, actor=None, data=data)
    return 1


async def _restore_attachments(application_id: int, wanted: list[dict], detach, reattach) -> list[str]:
    """Makes the draft's files those of the version (matched by hash and name); returns the names of
    the version's files that could not be found any more."""
    from registry.applications.tables import Attachment, DetachedAttachment

    needed = [(f["sha256"], f["filename"]) for f in wanted]
    for row in await Attachment.objects().where(Attachment.application == application_id).order_by(Attachment.id):
        key = (row.sha256, row.filename)
        if key in needed:
            needed.remove(key)
        else:
            await detach(row)
    missing = []
    for sha256, filename in needed:
        kept = await DetachedAttachment.objects().where(
            (DetachedAttachment.application == application_id) & (DetachedAttachment.sha256 == sha256)).order_by(
            DetachedAttachment.id, ascending=False)
        match = next((k for k in kept if k.filename == filename), kept[0] if kept else None)
        if match is None:
            missing.append(filename)
            continue
        match.filename = filename
        await reattach(match)
    return missing


async def invite_co_applicant(application_id: int, email: str, *, actor: Actor) -> CoApplicant:
    application = await application_for(actor, application_id)
    if not can_manage_team(actor, application):
        raise NotFound("Candidature introuvable.")
    try:
        address = check_email(email)
    except InvalidInput as error:
        raise InvalidInput(error.detail, [FieldError("email", error.detail)]) from None
    if address == actor.email.lower():
        raise InvalidInput("Vous êtes déjà le porteur de cette candidature.",
                           [FieldError("email", "Vous êtes déjà le porteur de cette candidature.")])
    existing = await CoApplicant.objects().where(
        (CoApplicant.application == application.id) & (CoApplicant.email == address)).first()
    if existing:
        return existing
    row = CoApplicant(application=application.id, email=address, invited_by=actor.id)
    await row.save()
    await record_event("application.co_applicant_added", actor_id=actor.id, actor=actor.email,
                       object_type="application", object_id=application.id, data={"email": address})
    return row


async def remove_co_applicant(application_id: int, co_applicant_id: int, *, actor: Actor) -> None:
    application = await application_for(actor, application_id)
    if not can_manage_team(actor, application):
        raise NotFound("Candidature introuvable.")
    row = await CoApplicant.objects().where(
        (CoApplicant.id == co_applicant_id) & (CoApplicant.application == application.id)).first()
    if row is None:
        raise NotFound("Co-candidat introuvable.")
    await row.remove()
    await record_event("application.co_applicant_removed", actor_id=actor.id, actor=actor.email,
                       object_type="application", object_id=application.id, data={"email": row.email})


def input_fields() -> list[str]:
    return [f.name for f in fields(ApplicationInput) if f.name not in ("clear_amount", "answers")]
