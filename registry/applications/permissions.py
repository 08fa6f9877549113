"""Who may see or change an application; anything not visible is reported as absent (404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from registry.accounts.permissions import Actor, is_staff
from registry.applications.tables import Application, CoApplicant
from registry.errors import Forbidden, NotFound

# Other areas grant read access here (e.g. reviews: an assigned, non-conflicted reviewer).
ReadGrant = Callable[[Actor, Any], Awaitable[bool]]
READ_GRANTS: list[ReadGrant] = []

NOT_FOUND = "Candidature introuvable."


def _owner_id(application: Any) -> int:
    owner = application["owner"] if isinstance(application, dict) else application.owner
    return int(owner)


def _id(application: Any) -> int:
    return int(application["id"] if isinstance(application, dict) else application.id)


def is_owner(actor: Actor | None, application: Any) -> bool:
    return actor is not None and _owner_id(application) == actor.id


async def is_co_applicant(actor: Actor | None, application: Any) -> bool:
    if actor is None:
        return False
    return await CoApplicant.exists().where(
        (CoApplicant.application == _id(application)) & (CoApplicant.email == actor.email.lower()))


async def is_applicant(actor: Actor | None, application: Any) -> bool:
    return is_owner(actor, application) or await is_co_applicant(actor, application)


async def can_view_application(actor: Actor | None, application: Any) -> bool:
    if actor is None:
        return False
    if is_staff(actor) or await is_applicant(actor, application):
        return True
    for grant in READ_GRANTS:
        if await grant(actor, application):
            return True
    return False


async def can_read_attachment(actor: Actor | None, application: Any) -> bool:
    return await can_view_application(actor, application)


async def can_edit_application(actor: Actor | None, application: Any) -> bool:
    return await is_applicant(actor, application)


def can_manage_team(actor: Actor | None, application: Any) -> bool:
    """Only the owner invites or removes co-applicants."""
    return is_owner(actor, application)


async def application_for(actor: Actor | None, application_id: int, *, edit: bool = False) -> Application:
    """The application if the actor may see it (or edit it); NotFound otherwise, never Forbidden."""
    application = await Application.objects().where(Application.id == application_id).first()
    if application is None:
        raise NotFound(NOT_FOUND)
    if not await can_view_application(actor, application):
        raise NotFound(NOT_FOUND)
    if edit and not await can_edit_application(actor, application):
        raise Forbidden("Seuls le porteur et les co-candidats modifient une candidature.")
    return application
