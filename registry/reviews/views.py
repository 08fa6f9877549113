"""What a reviewer is shown of an application: the public title until "no conflict" is declared,
then the content; the applicant's identity only when the call is not blind."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from registry.accounts.tables import User
from registry.applications.queries import co_applicants, label_slugs
from registry.applications.tables import Application, Attachment
from registry.calls.questions import answer_rows, answers_of, version_questions
from registry.calls.tables import Call
from registry.reviews.access import application_of, as_json, call_of, sees_full_application, sees_identity
from registry.reviews.pool import label_names
from registry.reviews.reviewing import criteria_specs, other_reviews, review_of
from registry.reviews.states import state_label
from registry.reviews.tables import Assignment

OPEN_ASSIGNMENT_STATES = ("assigned", "no_conflict")


def due_date(assignment_due: datetime | None, call_due: datetime | None) -> datetime | None:
    """An assignment's own due date wins over the call's `reviews_due_at`."""
    return assignment_due or call_due


def is_late(state: str, due: datetime | None, now: datetime | None = None) -> bool:
    """Late: still to be reviewed (assigned or declared free of conflict) once the due date passed."""
    return due is not None and state in OPEN_ASSIGNMENT_STATES and (now or datetime.now(UTC)) > due


def _summary(assignment: Assignment, application: Application, call: Call) -> dict[str, Any]:
    due = due_date(assignment.due_at, getattr(call, "reviews_due_at", None))
    return {"id": assignment.id, "application_id": application.id, "state": assignment.state,
            "state_label": state_label(assignment.state), "public_title": application.public_title or "",
            "call_slug": call.slug, "call_title": call.title_fr, "blind": call.blind,
            "due_at": due, "late": is_late(assignment.state, due), "declared_at": assignment.declared_at}


async def _identity(application: Application) -> dict[str, Any]:
    owner = await User.select(User.name, User.email, User.organisation).where(User.id == application.owner).first()
    return {"name": owner["name"], "email": owner["email"],
            "organisation": application.org_name or owner["organisation"],
            "co_applicants": [c["email"] for c in await co_applicants(application.id)]}


async def application_for_reviewer(assignment: Assignment) -> dict[str, Any]:
    """Everything the reviewer's page and API may show, already masked."""
    application = await application_of(int(assignment.application))
    call = await call_of(int(assignment.call))
    view: dict[str, Any] = {"assignment": _summary(assignment, application, call), "application": None,
                            "applicant": None, "review": None, "others": None, "criteria": [], "parties": None}
    if not sees_full_application(assignment):
        # The declaration page: who applied, so the reviewer can judge a conflict (never in blind
        # calls, where not even the organisation is shown). The API keeps the public title only.
        if assignment.state == "assigned" and sees_identity(call):
            view["parties"] = await _identity(application)
        return view
    names = await label_names()
    attachments = await Attachment.select(Attachment.id, Attachment.filename, Attachment.size).where(
        Attachment.application == application.id).order_by(Attachment.id)
    view["application"] = {
        "id": application.id, "title": application.title, "public_title": application.public_title,
        "public_summary": application.public_summary, "description": application.description,
        "requested_amount": application.requested_amount, "repositories": list(as_json(application.repositories, [])),
        "licence": application.licence, "labels": [names.get(s, s) for s in await label_slugs(application.id)],
        # Numbered, not named: a file name can carry an author's name.
        "attachments": [{"id": a["id"], "name": f"Pièce jointe {i}" if call.blind else a["filename"],
                         "size": a["size"]} for i, a in enumerate(attachments, start=1)],
        # Answers to the call's questions, against the version answered; on blind calls files and
        # answers flagged identifying are left out (registry/calls/questions.py).
        "questions_version": application.questions_version,
        "answers": answer_rows(version_questions(call.to_dict(), application.questions_version),
                               answers_of(application.answers), blind_reader=bool(call.blind),
                               attachments={a["id"]: a["filename"] for a in attachments}),
    }
    if sees_identity(call):
        view["applicant"] = await _identity(application)
    view["criteria"] = await criteria_specs(call.id)
    review = await review_of(assignment.id)
    if review is not None:
        view["review"] = {"state": review.state, "scores": as_json(review.scores, {}), "score": review.score,
                          "comment_applicant": review.comment_applicant,
                          "comment_committee": review.comment_committee, "confidence": review.confidence,
                          "criterion_comments": as_json(review.criterion_comments, {}),
                          "submitted_at": review.submitted_at, "updated_at": review.updated_at}
    view["others"] = await other_reviews(assignment)
    return view


async def my_assignments(reviewer_id: int) -> list[dict[str, Any]]:
    rows = await Assignment.objects().where(Assignment.reviewer == reviewer_id).order_by(Assignment.id)
    result = []
    for assignment in rows:
        application = await application_of(int(assignment.application))
        call = await call_of(int(assignment.call))
        review = await review_of(assignment.id)
        result.append({**_summary(assignment, application, call),
                       "review_state": review.state if review else None})
    return result


async def assignment_summary(assignment: Assignment) -> dict[str, Any]:
    """For staff: the summary plus who reviews and why."""
    application = await application_of(int(assignment.application))
    call = await call_of(int(assignment.call))
    reviewer = await User.select(User.email, User.name).where(User.id == assignment.reviewer).first()
    return {**_summary(assignment, application, call), "reviewer_email": reviewer["email"],
            "reviewer_name": reviewer["name"], "reason": assignment.reason, "automatic": assignment.automatic}


AUTO_REASON = re.compile(r"^Attribution automatique : (?:expertise couvrant (?P<labels>.*?)|aucune expertise "
                         r"déclarée sur les thèmes de la candidature) ; charge après attribution : (?P<load>\d+) ")
MANUAL_REASON = re.compile(r"^Attribution manuelle par un gestionnaire(?: : (?P<note>.*)|\.)$", re.S)


def reason_parts(reason: str) -> dict[str, Any]:
    """The stored (French) reason of an assignment as a kind and its values, so that pages show
    it in the reader's language; `raw` when it is free text."""
    if match := AUTO_REASON.match(reason or ""):
        kind = "auto_expertise" if match.group("labels") else "auto_no_expertise"
        return {"kind": kind, "labels": match.group("labels") or "", "load": int(match.group("load"))}
    if match := MANUAL_REASON.match(reason or ""):
        return {"kind": "manual_note" if match.group("note") else "manual", "note": match.group("note") or ""}
    return {"kind": "raw", "text": reason or ""}


async def review_progress(call_id: int, *, now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per application of the call: {assigned, submitted, conflicts, late}.

    `assigned` counts live assignments (awaiting declaration, declared free, reviewed);
    `submitted` the reviews handed in (submitted or locked); `conflicts` the declared conflicts;
    `late` the live assignments without a submitted review past their due date (the assignment's
    own, else the call's `reviews_due_at`)."""
    from registry.reviews.states import LIVE_ASSIGNMENT_STATES
    from registry.reviews.tables import Review

    now = now or datetime.now(UTC)
    call = await call_of(call_id)
    rows = await Assignment.select(Assignment.id, Assignment.application, Assignment.state,
                                   Assignment.due_at).where(Assignment.call == call_id)
    handed_in = {r["assignment"] for r in await Review.select(Review.assignment).where(
        (Review.assignment.call == call_id) & Review.state.is_in(["submitted", "locked"]))}
    progress: dict[int, dict[str, int]] = {}
    for row in rows:
        counts = progress.setdefault(row["application"], {"assigned": 0, "submitted": 0, "conflicts": 0, "late": 0})
        if row["state"] == "conflict":
            counts["conflicts"] += 1
        if row["state"] not in LIVE_ASSIGNMENT_STATES:
            continue
        counts["assigned"] += 1
        if row["id"] in handed_in:
            counts["submitted"] += 1
        elif is_late(row["state"], due_date(row["due_at"], call.reviews_due_at), now):
            counts["late"] += 1
    return progress


async def reviewer_progress(call_id: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per reviewer holding an assignment in the call: name, email, load (live assignments),
    submitted and late counts."""
    from registry.reviews.states import LIVE_ASSIGNMENT_STATES
    from registry.reviews.tables import Review

    now = now or datetime.now(UTC)
    call = await call_of(call_id)
    rows = await Assignment.select(Assignment.id, Assignment.state, Assignment.due_at, Assignment.reviewer,
                                   Assignment.reviewer.name, Assignment.reviewer.email).where(
        (Assignment.call == call_id) & Assignment.state.is_in(list(LIVE_ASSIGNMENT_STATES)))
    handed_in = {r["assignment"] for r in await Review.select(Review.assignment).where(
        (Review.assignment.call == call_id) & Review.state.is_in(["submitted", "locked"]))}
    by_reviewer: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = by_reviewer.setdefault(row["reviewer"], {"id": row["reviewer"], "name": row["reviewer.name"],
                                                        "email": row["reviewer.email"], "load": 0,
                                                        "submitted": 0, "late": 0})
        item["load"] += 1
        if row["id"] in handed_in:
            item["submitted"] += 1
        elif is_late(row["state"], due_date(row["due_at"], call.reviews_due_at), now):
            item["late"] += 1
    return sorted(by_reviewer.values(), key=lambda r: (r["name"], r["email"]))


async def call_assignments(call_id: int) -> list[dict[str, Any]]:
    """For staff: each reviewable application of the call with its assignments and review states."""
    from registry.reviews.assigning import REVIEWABLE_APPLICATION_STATES
    from registry.reviews.tables import Review

    applications = await Application.select(Application.id, Application.title, Application.public_title,
                                            Application.state, Application.org_name).where(
        (Application.call == call_id)
        & Application.state.is_in([*REVIEWABLE_APPLICATION_STATES, "funded", "rejected"])).order_by(Application.id)
    from registry.reviews.reviewing import CONFLICT_KIND_LABELS

    call = await call_of(call_id)
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.state, Assignment.reason, Assignment.automatic,
        Assignment.conflict_kind, Assignment.conflict_note, Assignment.reviewer, Assignment.reviewer.name,
        Assignment.reviewer.email, Assignment.due_at
    ).where(Assignment.call == call_id).order_by(Assignment.id)
    reviews = {r["assignment"]: r for r in await Review.select(
        Review.assignment, Review.state, Review.score, Review.scores, Review.criterion_comments,
        Review.comment_committee).where(Review.assignment.call == call_id)}
    by_application: dict[int, list[dict[str, Any]]] = {a["id"]: [] for a in applications}
    for row in rows:
        review = reviews.get(row["id"])
        due = due_date(row["due_at"], call.reviews_due_at)
        by_application.setdefault(row["application"], []).append({
            **row, "state_label": state_label(row["state"]), "review_state": review["state"] if review else None,
            "review_state_label": state_label(review["state"]) if review else "",
            "score": review["score"] if review else None,
            "scores": as_json(review["scores"], {}) if review else {},
            "criterion_comments": as_json(review["criterion_comments"], {}) if review else {},
            "comment_committee": review["comment_committee"] if review else "",
            "conflict_label": CONFLICT_KIND_LABELS.get(row["conflict_kind"], row["conflict_kind"]),
            "reason_parts": reason_parts(row["reason"]), "due": due,
            "late": is_late(row["state"], due) and not (review and review["state"] in ("submitted", "locked"))})
    return [{**a, "assignments": by_application.get(a["id"], [])} for a in applications]
