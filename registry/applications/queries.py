"""Reading applications: an applicant's own (and shared) ones, or every one for staff."""

from __future__ import annotations

from typing import Any

from registry.accounts.permissions import Actor, is_staff
from registry.applications.tables import Application, ApplicationLabel, CoApplicant
from registry.calls.tables import Call

LIST_COLUMNS = (Application.id, Application.state, Application.title, Application.public_title,
                Application.requested_amount, Application.updated_at, Application.submitted_at,
                Application.created_at, Application.owner, Application.call.slug, Application.call.title_fr,
                Application.call.closes_at)


async def list_applications(actor: Actor, *, call_slug: str | None = None, mine_only: bool = False,
                            page: int = 1, per_page: int = 20) -> tuple[list[dict[str, Any]], int]:
    """Own and co-applied applications; staff see all unless mine_only."""
    where = None
    if mine_only or not is_staff(actor):
        shared = await CoApplicant.select(CoApplicant.application).where(CoApplicant.email == actor.email.lower())
        ids = [row["application"] for row in shared]
        where = (Application.owner == actor.id) | (Application.id.is_in(ids)) if ids else (
            Application.owner == actor.id)
    if call_slug:
        call = await Call.select(Call.id).where(Call.slug == call_slug).first()
        condition = Application.call == (call["id"] if call else -1)
        where = condition if where is None else where & condition
    query = Application.select(*LIST_COLUMNS).order_by(Application.id, ascending=False)
    count = Application.count()
    if where is not None:
        query, count = query.where(where), count.where(where)
    total = await count
    rows = await query.limit(per_page).offset((page - 1) * per_page)
    return rows, total


async def label_slugs(application_id: int) -> list[str]:
    rows = await ApplicationLabel.select(ApplicationLabel.label.slug).where(
        ApplicationLabel.application == application_id)
    return sorted(row["label.slug"] for row in rows)


async def co_applicants(application_id: int) -> list[dict[str, Any]]:
    return await CoApplicant.select(CoApplicant.id, CoApplicant.email).where(
        CoApplicant.application == application_id).order_by(CoApplicant.email)
