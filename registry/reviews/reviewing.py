"""Declarations of interest and reviews: each state change goes through the transition tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.service import manager_recipients
from registry.accounts.tables import User
from registry.applications.tables import Application
from registry.audit.log import record_event
from registry.calls.tables import Criterion
from registry.db import write_transaction
from registry.errors import Conflict, FieldError, InvalidInput, invalid
from registry.reviews.access import (
    application_of,
    as_json,
    assignment_for_reviewer,
    assignment_for_staff,
    call_of,
    ensure_open_for_review,
)
from registry.reviews.assigning import Mailer
from registry.reviews.scoring import CriterionSpec, review_score, validate_scores
from registry.reviews.states import (
    ASSIGNMENT_TRANSITIONS,
    EDITABLE_REVIEW_STATES,
    REVIEW_TRANSITIONS,
    advance,
)
from registry.reviews.tables import CONFLICT_KINDS, Assignment, Review

CONFLICT_KIND_LABELS = {
    "collaborator": "collaboration (récente ou en cours)", "same_institution": "même établissement",
    "personal": "lien personnel", "financial": "intérêt financier", "other": "autre",
}
MAX_COMMENT = 20_000


async def criteria_specs(call_id: int) -> list[CriterionSpec]:
    rows = await Criterion.select().where(Criterion.call == call_id).order_by(Criterion.position)
    return [CriterionSpec(r["name"], r["weight"], r["scale_max"], r["eliminatory_below"],
                          description=r["description"] or "", description_en=r.get("description_en") or "",
                          anchors=tuple(as_json(r.get("anchors"), []))) for r in rows]


def clean_criterion_comments(raw: Any, criteria: list[CriterionSpec]) -> dict[str, str]:
    """{criterion name: comment}: known criteria only, blank ones dropped, each at most MAX_COMMENT."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid("criterion_comments", "Les commentaires par critère sont un objet {critère: texte}.")
    names = {c.name for c in criteria}
    errors = []
    clean: dict[str, str] = {}
    for name, text in raw.items():
        if name not in names:
            errors.append(FieldError(f"criterion_comments.{name}", f"Critère inconnu : « {name} »."))
        elif not isinstance(text, str):
            errors.append(FieldError(f"criterion_comments.{name}", "Le commentaire doit être un texte."))
        elif len(text) > MAX_COMMENT:
            errors.append(FieldError(f"criterion_comments.{name}",
                                     f"Commentaire sur « {name} » trop long (20 000 caractères au plus)."))
        elif text.strip():
            clean[name] = text.strip()
    if errors:
        raise InvalidInput(errors[0].message, errors)
    return clean


def check_declaration(*, conflict: bool, kind: str = "", note: str = "",
                      attest_confidentiality: bool = False) -> str:
    """The declaration's field checks (nothing stored); the transition's event name."""
    if conflict:
        if kind not in CONFLICT_KINDS:
            raise invalid("kind", "Choisissez la nature du conflit d'intérêts.")
        if kind == "other" and not note.strip():
            raise invalid("note", "Précisez la nature du conflit.")
        return "declare_conflict"
    if not attest_confidentiality:
        raise invalid("confidentiality", "Vous devez vous engager à la confidentialité.")
    return "declare_no_conflict"


async def declare(assignment_id: int, *, actor: Actor, conflict: bool, kind: str = "", note: str = "",
                  attest_confidentiality: bool = False, mailer: Mailer | None = None,
                  base_url: str = "") -> Assignment:
    """The assignment's declaration (assigned → no_conflict or conflict).

    Effects, in order, in one transaction:
    1. the move is checked against the assignment table; declaring a conflict after a review was
       handed in is refused;
    2. the declaration (kind, note, attestation, time) is saved;
    3. an audit entry `assignment.declare_conflict` or `assignment.declare_no_conflict`;
    4. on a conflict, an alert per manager is queued in the outbox.
    No conflict opens the application to the reviewer; a conflict closes the assignment for good."""
    assignment = await assignment_for_reviewer(actor, assignment_id)
    application = await application_of(int(assignment.application))
    call = await call_of(int(assignment.call))
    await ensure_open_for_review(application.id, call)
    event = check_declaration(conflict=conflict, kind=kind, note=note,
                              attest_confidentiality=attest_confidentiality)
    async with write_transaction(engine_finder()):  # state, audit entry and alert mails together
        previous = assignment.state
        if previous == "no_conflict" and conflict and await Review.exists().where(
                (Review.assignment == assignment.id) & (Review.state != "draft")):
            raise Conflict("Une évaluation a déjà été remise pour cette candidature.")
        assignment.state = advance(ASSIGNMENT_TRANSITIONS, previous, event)
        assignment.declared_at = datetime.now(UTC)
        assignment.confidentiality_attested = not conflict
        assignment.conflict_kind = kind if conflict else ""
        assignment.conflict_note = note.strip()[:2000] if conflict else ""
        await assignment.save()
        await record_event(f"assignment.{event}", actor_id=actor.id, actor=actor.email, object_type="assignment",
                           object_id=assignment.id, data={"from": previous, "to": assignment.state,
                                                          "kind": assignment.conflict_kind,
                                                          "note": assignment.conflict_note})
        if conflict and mailer is not None:
            for manager in await manager_recipients():
                await mailer.send(to=manager["email"], template="review_conflict", language=manager["locale"] or "fr",
                                  object_type="assignment", object_id=assignment.id, context={
                    "reviewer": actor.name, "reviewer_email": actor.email, "application_id": application.id,
                    "public_title": application.public_title or application.title,
                    "kind": CONFLICT_KIND_LABELS[kind], "note": assignment.conflict_note, "base_url": base_url,
                    "call_slug": call.slug})
    return assignment


async def review_of(assignment_id: int) -> Review | None:
    return await Review.objects().where(Review.assignment == assignment_id).first()


def _confidence(value: Any, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise invalid("confidence", "Indiquez votre degré de confiance (1 à 5).")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise invalid("confidence", "Le degré de confiance est un entier de 1 à 5.")
    return value


async def check_review(assignment_id: int, *, actor: Actor, scores: Any, comment_applicant: str = "",
                       comment_committee: str = "", confidence: Any = None, submit: bool = False,
                       criterion_comments: Any = None
                       ) -> tuple[Assignment, list[CriterionSpec], dict[str, float | None], int | None, dict[str, str]]:
    """Every check of save_review, changing nothing (the confirmation page runs it before asking)."""
    assignment = await assignment_for_reviewer(actor, assignment_id)
    if assignment.state != "no_conflict":
        messages = {"assigned": "Déclarez d'abord l'absence de conflit d'intérêts.",
                    "conflict": "Vous avez déclaré un conflit d'intérêts : cette évaluation vous est fermée.",
                    "reviewed": "Votre évaluation est remise et verrouillée.",
                    "cancelled": "Cette attribution a été annulée."}
        raise Conflict(messages.get(assignment.state, "Évaluation impossible."))
    call = await call_of(int(assignment.call))
    await ensure_open_for_review(int(assignment.application), call)
    criteria = await criteria_specs(call.id)
    clean = validate_scores(scores if scores is not None else {}, criteria, complete=submit)
    level = _confidence(confidence, required=submit)
    comments = clean_criterion_comments(criterion_comments, criteria)
    errors = [FieldError(name, "Commentaire trop long (20 000 caractères au plus).")
              for name, text in (("comment_applicant", comment_applicant), ("comment_committee", comment_committee))
              if len(text) > MAX_COMMENT]
    if submit and not comment_applicant.strip():
        errors.append(FieldError("comment_applicant", "Rédigez un commentaire pour le porteur."))
    if errors:
        raise InvalidInput(errors[0].message, errors)
    return assignment, criteria, clean, level, comments


async def save_review(assignment_id: int, *, actor: Actor, scores: Any, comment_applicant: str = "",
                      comment_committee: str = "", confidence: Any = None, submit: bool = False,
                      criterion_comments: Any = None) -> Review:
    """Saves a review draft, or hands it in (review draft → submitted, assignment → reviewed).

    Refused while conflicted, before the declaration, once handed in, and after the decisions are
    released. Effects, in order, in one transaction:
    1. the review's scores, comments (overall and per criterion) and confidence are saved;
    2. on submission, the review and its assignment move on (checked against their tables);
    3. an audit entry `review.scores_changed` when the scores changed, and `review.submitted` on
       submission."""
    assignment, criteria, clean, level, comments = await check_review(
        assignment_id, actor=actor, scores=scores, comment_applicant=comment_applicant,
        comment_committee=comment_committee, confidence=confidence, submit=submit,
        criterion_comments=criterion_comments)
    async with write_transaction(engine_finder()):
        review = await review_of(assignment.id) or Review(assignment=assignment.id, state="draft", scores={})
        if review.state not in EDITABLE_REVIEW_STATES:
            raise Conflict("Votre évaluation est remise et verrouillée.")
        before = as_json(review.scores, {})
        review.scores = clean
        review.score = review_score(clean, criteria)
        review.comment_applicant = comment_applicant
        review.comment_committee = comment_committee
        review.criterion_comments = comments
        review.confidence = level
        review.updated_at = datetime.now(UTC)
        if submit:
            review.state = advance(REVIEW_TRANSITIONS, review.state, "submit")
            review.submitted_at = review.updated_at
            assignment.state = advance(ASSIGNMENT_TRANSITIONS, assignment.state, "submit_review")
            await assignment.save()
        await review.save()
        if before != clean:
            await record_event("review.scores_changed", actor_id=actor.id, actor=actor.email, object_type="review",
                               object_id=review.id, data={"assignment": assignment.id, "before": before,
                                                          "after": clean, "score": review.score})
        if submit:
            await record_event("review.submitted", actor_id=actor.id, actor=actor.email, object_type="review",
                               object_id=review.id, data={"assignment": assignment.id, "score": review.score,
                                                          "confidence": level})
    return review


async def reopen_review(assignment_id: int, *, actor: Actor, reason: str = "") -> Review:
    """A manager hands a submitted review back to its reviewer (review → reopened, assignment →
    no_conflict). Effects, in one transaction: both states saved; an audit entry `review.reopened`
    with the reason."""
    assignment = await assignment_for_staff(actor, assignment_id)
    await ensure_open_for_review(int(assignment.application), await call_of(int(assignment.call)))
    review = await review_of(assignment.id)
    if review is None:
        raise Conflict("Aucune évaluation remise à rouvrir.")
    async with write_transaction(engine_finder()):
        review.state = advance(REVIEW_TRANSITIONS, review.state, "reopen")
        assignment.state = advance(ASSIGNMENT_TRANSITIONS, assignment.state, "reopen")
        review.reopened_at = datetime.now(UTC)
        review.reopened_count += 1
        review.reopen_reason = reason.strip()[:2000]
        await review.save()
        await assignment.save()
        await record_event("review.reopened", actor_id=actor.id, actor=actor.email, object_type="review",
                           object_id=review.id, data={"assignment": assignment.id, "reason": review.reopen_reason})
    return review


async def other_reviews(assignment: Assignment) -> list[dict[str, Any]] | None:
    """The other submitted reviews this reviewer may read, per the call's setting; None when hidden.
    Reviewers are numbered, never named."""
    call = await call_of(int(assignment.call))
    visibility = call.reviews_visibility
    if visibility == "never" or (visibility == "after_own" and assignment.state != "reviewed"):
        return None
    rows = await Review.select(Review.scores, Review.score, Review.comment_applicant, Review.comment_committee,
                               Review.confidence, Review.assignment.id).where(
        (Review.assignment.application == assignment.application) & (Review.assignment.id != assignment.id)
        & Review.state.is_in(["submitted", "locked"])).order_by(Review.assignment.id)
    return [{**row, "scores": as_json(row["scores"], {}), "number": index} for index, row in enumerate(rows, start=1)]


async def applicant_feedback(application_id: int) -> list[str]:
    """Comments for the applicant, shown only once the decision is released (caller checks)."""
    rows = await Review.select(Review.comment_applicant).where(
        (Review.assignment.application == application_id) & Review.state.is_in(["submitted", "locked"])
    ).order_by(Review.assignment.id)
    return [row["comment_applicant"] for row in rows if row["comment_applicant"].strip()]


async def reviewer_name(user_id: int) -> str:
    row = await User.select(User.name).where(User.id == user_id).first()
    return row["name"] if row else ""


async def applications_titles(ids: list[int]) -> dict[int, str]:
    rows = await Application.select(Application.id, Application.public_title, Application.title).where(
        Application.id.is_in(ids or [-1]))
    return {r["id"]: r["public_title"] or r["title"] for r in rows}
