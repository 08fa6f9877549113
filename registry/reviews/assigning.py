"""Assigning reviewers, by hand or for a whole call; each assignment says why it was made."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, Protocol

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.tables import User
from registry.applications.queries import label_slugs
from registry.applications.service import move_application
from registry.applications.tables import Application, CoApplicant
from registry.audit.log import record_event
from registry.calls.service import call_by_slug
from registry.calls.state import call_state
from registry.calls.tables import Call
from registry.db import write_transaction
from registry.errors import Conflict, invalid
from registry.reviews.access import application_of, assignment_for_staff, call_of, decision_released
from registry.reviews.assignment import ApplicationInfo, ReviewerInfo, conflict_of, plan_assignments
from registry.reviews.pool import label_names, list_pool
from registry.reviews.states import ASSIGNMENT_TRANSITIONS, LIVE_ASSIGNMENT_STATES, advance
from registry.reviews.tables import Assignment

REVIEWABLE_APPLICATION_STATES = ("submitted", "under_review")
ASSIGNABLE_CALL_STATES = frozenset({"closed", "in_review"})


class Mailer(Protocol):
    """Queues a mail in the current transaction (app.mail.OutboxMailer)."""

    async def send(self, *, to: str, template: str, language: str = "fr", context: dict | None = None,
                   secret: bool = False, object_type: str = "", object_id: str | int = "") -> Any: ...


def _ensure_assignable_call(call: Call) -> None:
    if call_state(call) not in ASSIGNABLE_CALL_STATES:
        raise Conflict("Les attributions se font une fois l'appel clos et avant la publication des décisions.")


async def _application_info(application: Application, reviewer_rows: list[dict[str, Any]]) -> ApplicationInfo:
    owner = await User.select(User.email, User.organisation).where(User.id == application.owner).first()
    co = await CoApplicant.select(CoApplicant.email).where(CoApplicant.application == application.id)
    rows = await Assignment.select(Assignment.reviewer, Assignment.state).where(
        Assignment.application == application.id)
    return ApplicationInfo(
        id=application.id, title=application.public_title or application.title,
        applicant_id=int(application.owner), applicant_email=owner["email"] if owner else "",
        organisation=application.org_name or (owner["organisation"] if owner else ""),
        extra_organisations=frozenset({owner["organisation"]}) if owner and owner["organisation"] else frozenset(),
        co_applicant_emails=frozenset(r["email"] for r in co),
        labels=frozenset(await label_slugs(application.id)),
        assigned=frozenset(r["reviewer"] for r in rows if r["state"] in LIVE_ASSIGNMENT_STATES),
        declared_conflicts=frozenset(r["reviewer"] for r in rows if r["state"] == "conflict"))


def _reviewer_info(row: dict[str, Any]) -> ReviewerInfo:
    return ReviewerInfo(id=row["id"], email=row["email"], name=row["name"], organisation=row["organisation"] or "",
                        expertise=frozenset(row["expertise"]), load=row["load"])


async def _create(application: Application, reviewer_id: int, *, reason: str, automatic: bool, actor: Actor,
                  due_at: datetime | None) -> Assignment:
    assignment = Assignment(application=application.id, call=application.call, reviewer=reviewer_id,
                            reason=reason, automatic=automatic, assigned_by=actor.id, due_at=due_at,
                            assigned_at=datetime.now(UTC))
    await assignment.save()
    if application.state == "submitted":
        await move_application(application, "under_review", actor=actor)
    await record_event("assignment.created", actor_id=actor.id, actor=actor.email, object_type="assignment",
                       object_id=assignment.id, data={"application": application.id, "reviewer": reviewer_id,
                                                      "automatic": automatic, "reason": reason})
    return assignment


async def _send_digests(mailer: Mailer | None, created: list[Assignment], base_url: str) -> None:
    """One message per reviewer, listing public titles only (safe for blind calls)."""
    if mailer is None or not created:
        return
    by_reviewer: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in created:
        by_reviewer[int(assignment.reviewer)].append(assignment)
    for reviewer_id, items in by_reviewer.items():
        user = await User.select(User.email, User.name, User.locale).where(User.id == reviewer_id).first()
        titles = {row["id"]: row["public_title"] or row["title"] for row in await Application.select(
            Application.id, Application.public_title, Application.title).where(
            Application.id.is_in([int(a.application) for a in items]))}
        await mailer.send(to=user["email"], template="review_assigned", language=user["locale"] or "fr",
                          object_type="user", object_id=reviewer_id,
                          context={"name": user["name"], "base_url": base_url,
                                   "items": [{"id": a.id, "public_title": titles[int(a.application)],
                                              "due_at": a.due_at} for a in items]})


async def reviewer_choices(call_id: int, application_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per application, the pool members a manager may still assign: not already holding a live
    assignment, and free of every known conflict (declared, applicant, co-applicant, organisation)."""
    pool = await list_pool(call_id)
    applications = await Application.objects().where(Application.id.is_in(application_ids or [-1]))
    choices: dict[int, list[dict[str, Any]]] = {}
    for application in applications:
        info = await _application_info(application, [])
        choices[application.id] = [row for row in pool if row["id"] not in info.assigned
                                   and conflict_of(_reviewer_info(row), info) is None]
    return choices


async def assign_reviewer(application_id: int, reviewer_email: str, *, actor: Actor, mailer: Mailer | None = None,
                          due_at: datetime | None = None, note: str = "", base_url: str = "") -> Assignment:
    """Creates one assignment by hand. Checks: the reviewer is in the call's pool, not yet assigned
    and free of any known conflict. Effects, in order, in one transaction:
    1. the assignment is saved;
    2. a submitted application moves to under_review (through move_application, audited);
    3. an audit entry `assignment.created`;
    4. the reviewer's notice (public title only) is queued in the outbox."""
    application = await application_of(application_id)
    call = await call_of(int(application.call))
    _ensure_assignable_call(call)
    if application.state not in REVIEWABLE_APPLICATION_STATES or await decision_released(application.id):
        raise Conflict("Seule une candidature soumise, sans décision publiée, reçoit des évaluateurs.")
    email = reviewer_email.strip().lower()
    pool = {row["email"].lower(): row for row in await list_pool(call.id)}
    if email not in pool:
        raise invalid("reviewer", "Cette adresse n'est pas celle d'un évaluateur.")
    reviewer = _reviewer_info(pool[email])
    async with write_transaction(engine_finder()):
        info = await _application_info(application, [])
        if reviewer.id in info.assigned:
            raise invalid("reviewer", "Cet évaluateur est déjà affecté à cette candidature.")
        conflict = conflict_of(reviewer, info)
        if conflict:
            raise invalid("reviewer", f"Affectation impossible : {conflict}.")
        reason = "Attribution manuelle par un gestionnaire" + (f" : {note.strip()}" if note.strip() else ".")
        assignment = await _create(application, reviewer.id, reason=reason, automatic=False, actor=actor,
                                   due_at=due_at)
        await _send_digests(mailer, [assignment], base_url)
    return assignment


async def assign_call_automatically(call_slug: str, *, actor: Actor, mailer: Mailer | None = None,
                                    due_at: datetime | None = None, base_url: str = "") -> list[Assignment]:
    """Completes every submitted application of the call to `reviews_per_application` reviewers.

    Effects, in order, in one transaction: each planned assignment as in assign_reviewer (saved,
    application under review, audit entry); an audit entry `assignment.auto` with the count; one
    digest per reviewer queued in the outbox."""
    call = await call_by_slug(call_slug)
    _ensure_assignable_call(call)
    async with write_transaction(engine_finder()):
        applications = await Application.objects().where(
            (Application.call == call.id) & Application.state.is_in(list(REVIEWABLE_APPLICATION_STATES))
        ).order_by(Application.id)
        applications = [a for a in applications if not await decision_released(a.id)]
        reviewers = [_reviewer_info(row) for row in await list_pool(call.id) if row["active"] and row["is_active"]]
        infos = [await _application_info(a, []) for a in applications]
        proposals = plan_assignments(infos, reviewers, per_application=call.reviews_per_application,
                                     label_names=await label_names())
        by_id = {a.id: a for a in applications}
        created = [await _create(by_id[p.application_id], p.reviewer_id, reason=p.reason, automatic=True,
                                 actor=actor, due_at=due_at) for p in proposals]
        await record_event("assignment.auto", actor_id=actor.id, actor=actor.email, object_type="call",
                           object_id=call.id, data={"slug": call.slug, "created": len(created)})
        await _send_digests(mailer, created, base_url)
    return created


async def cancel_assignment(assignment_id: int, *, actor: Actor) -> Assignment:
    """A manager withdraws an assignment (→ cancelled). Effects, in one transaction: the state saved
    (checked against the table); an audit entry `assignment.cancelled`."""
    assignment = await assignment_for_staff(actor, assignment_id)
    previous = assignment.state
    assignment.state = advance(ASSIGNMENT_TRANSITIONS, assignment.state, "cancel")
    async with write_transaction(engine_finder()):
        await assignment.save()
        await record_event("assignment.cancelled", actor_id=actor.id, actor=actor.email,
                           object_type="assignment", object_id=assignment.id, data={"from": previous})
    return assignment
