"""What a reviewer is shown of an application: the public title until "no conflict" is declared,
then the content; the applicant's identity only when the call is not blind."""

from __future__ import annotations

from typing import Any

from registry.accounts.tables import User
from registry.applications.queries import co_applicants, label_slugs
from registry.applications.tables import Application, Attachment
from registry.calls.tables import Call
from registry.reviews.access import application_of, as_json, call_of, sees_full_application, sees_identity
from registry.reviews.pool import label_names
from registry.reviews.reviewing import criteria_specs, other_reviews, review_of
from registry.reviews.states import state_label
from registry.reviews.tables import Assignment


def _summary(assignment: Assignment, application: Application, call: Call) -> dict[str, Any]:
    return {"id": assignment.id, "application_id": application.id, "state": assignment.state,
            "state_label": state_label(assignment.state), "public_title": application.public_title or "",
            "call_slug": call.slug, "call_title": call.title_fr, "blind": call.blind,
            "due_at": assignment.due_at, "declared_at": assignment.declared_at}


async def application_for_reviewer(assignment: Assignment) -> dict[str, Any]:
    """Everything the reviewer's page and API may show, already masked."""
    application = await application_of(int(assignment.application))
    call = await call_of(int(assignment.call))
    view: dict[str, Any] = {"assignment": _summary(assignment, application, call), "application": None,
                            "applicant": None, "review": None, "others": None, "criteria": []}
    if not sees_full_application(assignment):
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
    }
    if sees_identity(call):
        owner = await User.select(User.name, User.email, User.organisation).where(
            User.id == application.owner).first()
        view["applicant"] = {"name": owner["name"], "email": owner["email"],
                             "organisation": application.org_name or owner["organisation"],
                             "co_applicants": [c["email"] for c in await co_applicants(application.id)]}
    view["criteria"] = await criteria_specs(call.id)
    review = await review_of(assignment.id)
    if review is not None:
        view["review"] = {"state": review.state, "scores": as_json(review.scores, {}), "score": review.score,
                          "comment_applicant": review.comment_applicant,
                          "comment_committee": review.comment_committee, "confidence": review.confidence,
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


async def call_assignments(call_id: int) -> list[dict[str, Any]]:
    """For staff: each reviewable application of the call with its assignments and review states."""
    from registry.reviews.assigning import REVIEWABLE_APPLICATION_STATES
    from registry.reviews.tables import Review

    applications = await Application.select(Application.id, Application.title, Application.public_title,
                                            Application.state, Application.org_name).where(
        (Application.call == call_id)
        & Application.state.is_in([*REVIEWABLE_APPLICATION_STATES, "funded", "rejected"])).order_by(Application.id)
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.state, Assignment.reason, Assignment.automatic,
        Assignment.conflict_kind, Assignment.conflict_note, Assignment.reviewer.name, Assignment.reviewer.email
    ).where(Assignment.call == call_id).order_by(Assignment.id)
    reviews = {r["assignment"]: r for r in await Review.select(Review.assignment, Review.state, Review.score).where(
        Review.assignment.call == call_id)}
    by_application: dict[int, list[dict[str, Any]]] = {a["id"]: [] for a in applications}
    for row in rows:
        review = reviews.get(row["id"])
        by_application.setdefault(row["application"], []).append({
            **row, "state_label": state_label(row["state"]), "review_state": review["state"] if review else None,
            "score": review["score"] if review else None})
    return [{**a, "assignments": by_application.get(a["id"], [])} for a in applications]
