"""Submission: the deadline check at server time, the frozen version and its receipt hash.

The canonical content is JSON with sorted keys, UTF-8 (no ASCII escaping) and no whitespace
between tokens; the receipt is the SHA-256 of those bytes (docs/calls-and-applications.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.tables import User
from registry.applications.permissions import application_for
from registry.applications.state import action_for
from registry.applications.tables import (
    Application,
    ApplicationLabel,
    ApplicationVersion,
    Attachment,
    CoApplicant,
)
from registry.applications.validation import missing_for_submission
from registry.audit.log import record_event
from registry.calls.jsonfield import json_list
from registry.calls.questions import answers_of, questions_of, validate_answers
from registry.calls.tables import Call
from registry.db import is_postgres, write_transaction
from registry.errors import FieldError, InvalidInput, NotFound


@dataclass(frozen=True)
class Receipt:
    application_id: int
    version: int
    sha256: str
    submitted_at: datetime
    content: str


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def receipt_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def canonical_content(application: Application, *, call_slug: str, version: int,
                            submitted_at: datetime, questions_version: int | None = None,
                            answers: dict[str, Any] | None = None) -> dict[str, Any]:
    owner = await User.select(User.email).where(User.id == application.owner).first()
    labels = await ApplicationLabel.select(ApplicationLabel.label.slug).where(
        ApplicationLabel.application == application.id)
    team = await CoApplicant.select(CoApplicant.email).where(CoApplicant.application == application.id)
    files = await Attachment.select(Attachment.filename, Attachment.sha256, Attachment.size).where(
        Attachment.application == application.id)
    return {
        "application_id": application.id,
        "call": call_slug,
        "version": version,
        "submitted_at": submitted_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "owner": owner["email"] if owner else "",
        "co_applicants": sorted(row["email"] for row in team),
        "title": application.title,
        "public_title": application.public_title,
        "public_summary": application.public_summary,
        "description": application.description,
        "requested_amount": application.requested_amount,
        "repositories": json_list(application.repositories),
        "licence": application.licence,
        "labels": sorted(row["label.slug"] for row in labels),
        "organisation": {"name": application.org_name, "siren": application.org_siren,
                         "ror": application.org_ror},
        "attachments": sorted(({"filename": f["filename"], "sha256": f["sha256"], "size": f["size"]}
                               for f in files), key=lambda f: (f["filename"], f["sha256"])),
        # The call's questions version answered and the answers (registry/calls/questions.py).
        "questions_version": questions_version,
        "answers": answers if answers is not None else answers_of(application.answers),
    }


async def answer_problems(application: Application, call: Any | None = None) -> tuple[dict[str, Any], list]:
    """(the answers as they will be frozen, the problems with them) against the call's current questions."""
    from registry.applications.service import _attachment_ids

    if call is None:
        call = await Call.objects().where(Call.id == application.call).first()
    clean, errors = validate_answers(questions_of(call.questions), answers_of(application.answers),
                                     for_submission=True, attachment_ids=await _attachment_ids(application.id))
    return clean, [FieldError(e["field"], e["message"]) for e in errors]


async def submission_problems(application: Application) -> list:
    """Invalid values kept in the draft first (each must be fixed), then what is still missing
    (answers to the call's questions included, as `answers.<key>`)."""
    from registry.applications.service import pending_errors

    invalid = pending_errors(application)
    named = {p.field for p in invalid}
    _, answers = await answer_problems(application)
    invalid += [p for p in answers if p.field not in named]
    named = {p.field for p in invalid}
    return invalid + [p for p in missing_for_submission({
        "title": application.title, "public_title": application.public_title,
        "public_summary": application.public_summary, "description": application.description,
        "requested_amount": application.requested_amount, "repositories": json_list(application.repositories),
        "licence": application.licence, "org_name": application.org_name,
        "org_siren": application.org_siren, "org_ror": application.org_ror}) if p.field not in named]


ATTESTATION = ("J'atteste sur l'honneur l'exactitude des informations fournies dans cette candidature et "
               "dans ses pièces jointes, et que l'organisme porteur est informé de son dépôt.")


async def submit_application(application_id: int, *, actor: Actor, now: datetime | None = None,
                             attestation: str = "", base_url: str = "") -> Receipt:
    """Check (visible, draft, complete with no invalid value kept and every required answer given,
    before closes_at at the moment the lock is held), freeze a new version (answers and the call's
    questions version included, also stored on the application) with its hash and the sworn
    statement given (`attestation`, the sentence as shown, "" when none was asked), mark submitted,
    audit, in one transaction. An application reopened by a correction request is resubmitted until
    the request's due date (even after closes_at), goes back to the state the request found it in,
    and the request is closed with the effects of corrections.record_resubmission, in the same
    transaction (the caller's, if it opened one to queue the receipt mails with it)."""
    from registry.applications.service import ensure_call_open

    await application_for(actor, application_id, edit=True)
    engine = engine_finder()
    async with write_transaction(engine):
        query = Application.objects().where(Application.id == application_id)
        if is_postgres(engine):
            query = query.lock_rows()
        application = await query.first()
        if application is None:
            raise NotFound("Candidature introuvable.")
        previous = application.state
        call = await Call.objects().where(Call.id == application.call).first()
        # `now` is when the request reached the server (queueing behind other writers is not lateness).
        at = now or datetime.now(UTC)
        correction = None
        if previous == "correction_requested":
            # A resubmission after a request for changes: until its due date, whatever closes_at,
            # back to the state the request found it in (registry/enquiries/corrections.py).
            from registry.enquiries.corrections import ensure_correction_open

            correction = await ensure_correction_open(application.id, at)
            target = correction.return_state
        else:
            target = "submitted"
            ensure_call_open(call, at)
        action_for(previous, target)
        problems = await submission_problems(application)
        if problems:
            raise InvalidInput("La candidature est incomplète : " + " ".join(p.message for p in problems), problems)
        last = await ApplicationVersion.select(ApplicationVersion.number).where(
            ApplicationVersion.application == application.id).order_by(
            ApplicationVersion.number, ascending=False).first()
        number = (last["number"] if last else 0) + 1
        answers, _ = await answer_problems(application, call)
        content = canonical_json(await canonical_content(application, call_slug=call.slug, version=number,
                                                         submitted_at=at, answers=answers,
                                                         questions_version=call.questions_version))
        digest = receipt_hash(content)
        await ApplicationVersion(application=application.id, number=number, submitted_at=at,
                                 submitted_by=actor.id, content=content, sha256=digest,
                                 attestation=attestation).save()
        await Application.update({Application.state: target, Application.submitted_at: at,
                                  Application.updated_at: at, Application.answers: answers,
                                  Application.questions_version: call.questions_version}).where(
            Application.id == application.id)
        await record_event("application.submit", actor_id=actor.id, actor=actor.email, object_type="application",
                           object_id=application_id, data={"from": previous, "to": target, "version": number,
                                                           "sha256": digest, "attested": bool(attestation)})
        if correction is not None:
            from registry.enquiries.corrections import record_resubmission

            await record_resubmission(correction, application, version=number, actor=actor, at=at,
                                      base_url=base_url)
    return Receipt(application_id=application_id, version=number, sha256=digest, submitted_at=at, content=content)


async def latest_receipt(application_id: int) -> Receipt | None:
    version = await ApplicationVersion.objects().where(ApplicationVersion.application == application_id).order_by(
        ApplicationVersion.number, ascending=False).first()
    if version is None:
        return None
    return Receipt(application_id=application_id, version=version.number, sha256=version.sha256,
                   submitted_at=version.submitted_at, content=version.content)


async def versions_of(application_id: int) -> list[dict[str, Any]]:
    return await ApplicationVersion.select(
        ApplicationVersion.number, ApplicationVersion.submitted_at, ApplicationVersion.sha256,
        ApplicationVersion.attestation).where(
        ApplicationVersion.application == application_id).order_by(ApplicationVersion.number, ascending=False)


__all__ = ["ATTESTATION", "Receipt", "canonical_json", "receipt_hash", "submit_application"]
