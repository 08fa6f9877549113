"""What applicants learn of the review: nothing before the release, then the decision and the
comments meant for them (never the committee's, never the scores)."""

from __future__ import annotations

from typing import Any

from registry.accounts.permissions import Actor, is_staff
from registry.applications.permissions import NOT_FOUND, is_applicant
from registry.errors import Conflict, NotFound
from registry.reviews.access import application_of
from registry.reviews.reviewing import applicant_feedback
from registry.reviews.tables import Decision


async def feedback_for_applicant(actor: Actor | None, application_id: int) -> dict[str, Any]:
    application = await application_of(application_id)
    if actor is None or not (await is_applicant(actor, application) or is_staff(actor)):
        raise NotFound(NOT_FOUND)
    decision = await Decision.objects().where(
        (Decision.application == application.id) & (Decision.state == "released")).first()
    if decision is None:
        raise Conflict("Les évaluations sont communiquées avec la décision, qui n'est pas encore publiée.")
    project_slug = None
    if decision.project_id:
        from registry.projects.tables import Project

        row = await Project.select(Project.slug).where(Project.id == decision.project_id).first()
        project_slug = row["slug"] if row else None
    return {"application_id": application.id, "title": application.title, "outcome": decision.outcome,
            "amount": decision.amount, "reason": decision.reason, "released_at": decision.released_at,
            "comments": await applicant_feedback(application.id), "project_slug": project_slug}
