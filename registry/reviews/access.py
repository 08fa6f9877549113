"""Who sees what of the review: small predicates, and the loaders that apply them.

Anything a reviewer may not see is reported as absent (NotFound), never as forbidden.
"""

from __future__ import annotations

import json
from typing import Any

from registry.accounts.permissions import Actor, has_role, is_staff
from registry.applications import permissions as application_permissions
from registry.applications.tables import Application
from registry.calls.tables import Call
from registry.errors import Conflict, NotFound
from registry.reviews.tables import Assignment, Decision

ASSIGNMENT_NOT_FOUND = "Attribution introuvable."
SEES_FULL_APPLICATION = frozenset({"no_conflict", "reviewed"})


def as_json(value: Any, default: Any) -> Any:
    """JSON columns come back as text from some queries and engines."""
    if value is None:
        return default
    if isinstance(value, str):
        return json.loads(value) if value else default
    return value


def is_assigned_reviewer(actor: Actor | None, assignment: Assignment) -> bool:
    return actor is not None and has_role(actor, "reviewer") and int(assignment.reviewer) == actor.id


def sees_full_application(assignment: Assignment) -> bool:
    """Until "no conflict" is declared, only the public title is shown."""
    return assignment.state in SEES_FULL_APPLICATION


def sees_identity(call: Call) -> bool:
    return not call.blind


async def decision_released(application_id: int) -> bool:
    return await Decision.exists().where(
        (Decision.application == application_id) & (Decision.state == "released"))


async def ensure_open_for_review(application_id: int, call: Call) -> None:
    if call.status in {"decided", "archived"} or await decision_released(application_id):
        raise Conflict("Les décisions sont publiées : les évaluations sont closes.")


async def assignment_for_reviewer(actor: Actor | None, assignment_id: int) -> Assignment:
    assignment = await Assignment.objects().where(Assignment.id == assignment_id).first()
    if assignment is None or not is_assigned_reviewer(actor, assignment):
        raise NotFound(ASSIGNMENT_NOT_FOUND)
    return assignment


async def assignment_for_staff(actor: Actor | None, assignment_id: int) -> Assignment:
    assignment = await Assignment.objects().where(Assignment.id == assignment_id).first()
    if assignment is None or not is_staff(actor):
        raise NotFound(ASSIGNMENT_NOT_FOUND)
    return assignment


async def call_of(call_id: int) -> Call:
    call = await Call.objects().where(Call.id == call_id).first()
    if call is None:
        raise NotFound("Appel introuvable.")
    return call


async def application_of(application_id: int) -> Application:
    application = await Application.objects().where(Application.id == application_id).first()
    if application is None:
        raise NotFound(application_permissions.NOT_FOUND)
    return application


async def reviewer_may_read(actor: Actor, application: Any) -> bool:
    """Grant for the applications area: open calls only, since its views show the applicant."""
    application_id = int(application["id"] if isinstance(application, dict) else application.id)
    rows = await Assignment.select(Assignment.call.blind).where(
        (Assignment.application == application_id) & (Assignment.reviewer == actor.id)
        & Assignment.state.is_in(list(SEES_FULL_APPLICATION)))
    return has_role(actor, "reviewer") and any(not row["call.blind"] for row in rows)


if reviewer_may_read not in application_permissions.READ_GRANTS:
    application_permissions.READ_GRANTS.append(reviewer_may_read)
