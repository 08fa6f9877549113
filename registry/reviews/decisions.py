"""Decisions: prepared one by one, checked against the budget, then released in one batch."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor
from registry.accounts.tables import User
from registry.applications.service import move_application
from registry.applications.tables import Application, ApplicationLabel, CoApplicant
from registry.audit.log import record_event
from registry.calls.service import call_by_slug, move_call
from registry.calls.tables import Call
from registry.db import write_transaction
from registry.errors import Conflict, FieldError, InvalidInput, invalid
from registry.projects.tables import Project, ProjectLabel, Repository
from registry.reviews.access import application_of, as_json, call_of, decision_released
from registry.reviews.assigning import REVIEWABLE_APPLICATION_STATES, Mailer
from registry.reviews.reviewing import applicant_feedback
from registry.reviews.states import DECISION_TRANSITIONS, REVIEW_TRANSITIONS, advance
from registry.reviews.tables import Decision, Review

OUTCOMES = ("funded", "rejected")
DEFAULT_GITLAB_HOSTS = ("gitlab.com", "framagit.org")


async def prepare_decision(application_id: int, *, outcome: str, amount: Any = None, reason: str = "",
                           actor: Actor) -> Decision:
    """Creates or replaces the prepared decision of an application (refused once released)."""
    application = await application_of(application_id)
    if application.state not in REVIEWABLE_APPLICATION_STATES:
        raise Conflict("Seule une candidature soumise ou en évaluation reçoit une décision.")
    errors: list[FieldError] = []
    if outcome not in OUTCOMES:
        errors.append(FieldError("outcome", "Choisissez « financée » ou « non retenue »."))
    reason = (reason or "").strip()
    if outcome == "rejected":
        amount = None
        if not reason:
            errors.append(FieldError("reason", "Un refus doit être motivé : rédigez la motivation."))
    elif outcome == "funded":
        requested = application.requested_amount or 0
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            errors.append(FieldError("amount", "Indiquez le montant accordé, en euros entiers."))
        elif amount > requested:
            errors.append(FieldError("amount", f"Le montant accordé dépasse le montant demandé ({requested} €)."))
    if errors:
        raise InvalidInput(errors[0].message, errors)
    async with write_transaction(engine_finder()):
        decision = await Decision.objects().where(Decision.application == application.id).first()
        if decision is not None and decision.state == "released":
            raise Conflict("Cette décision est déjà publiée.")
        before = ({"outcome": decision.outcome, "amount": decision.amount, "reason": decision.reason}
                  if decision else None)
        decision = decision or Decision(application=application.id, call=application.call)
        decision.outcome, decision.amount, decision.reason = outcome, amount, reason
        decision.prepared_by, decision.prepared_at = actor.id, datetime.now(UTC)
        await decision.save()
        await record_event("decision.prepared", actor_id=actor.id, actor=actor.email, object_type="decision",
                           object_id=decision.id, data={"application": application.id, "before": before,
                                                        "outcome": outcome, "amount": amount, "reason": reason})
    return decision


async def budget_summary(call: Call) -> dict[str, Any]:
    rows = await Decision.select(Decision.amount).where((Decision.call == call.id) & (Decision.outcome == "funded"))
    total = sum(row["amount"] or 0 for row in rows)
    return {"budget": call.budget_total, "funded_total": total, "funded_count": len(rows),
            "remaining": call.budget_total - total, "over_budget": total > call.budget_total}


async def decisions_of_call(call_slug: str) -> tuple[Call, list[dict[str, Any]], dict[str, Any]]:
    call = await call_by_slug(call_slug)
    applications = await Application.select(
        Application.id, Application.title, Application.public_title, Application.requested_amount,
        Application.state).where(
        (Application.call == call.id) & Application.state.is_in([*REVIEWABLE_APPLICATION_STATES, "funded",
                                                                  "rejected"])).order_by(Application.id)
    decisions = {row["application"]: row for row in await Decision.select().where(Decision.call == call.id)}
    return call, [{**a, "decision": decisions.get(a["id"])} for a in applications], await budget_summary(call)


async def letter(application_id: int, decision: dict[str, Any] | Decision) -> dict[str, Any]:
    """What a decision letter says: recipients, outcome, reason and the comments for the applicant.
    The committee's comments are never part of it."""
    application = await application_of(application_id)
    call = await call_of(int(application.call))
    owner = await User.select(User.email, User.name, User.locale).where(User.id == application.owner).first()
    co = [row["email"] for row in await CoApplicant.select(CoApplicant.email).where(
        CoApplicant.application == application.id).order_by(CoApplicant.email)]
    get = decision.get if isinstance(decision, dict) else lambda key: getattr(decision, key)
    return {
        "template": f"decision_{get('outcome')}", "to": [owner["email"], *co], "language": owner["locale"] or "fr",
        "context": {"name": owner["name"], "application_id": application.id, "title": application.title,
                    "public_title": application.public_title, "call_title": call.title_fr,
                    "outcome": get("outcome"), "amount": get("amount"), "reason": get("reason"),
                    "requested_amount": application.requested_amount,
                    "comments": await applicant_feedback(application.id)},
    }


async def letters_preview(call_slug: str) -> list[dict[str, Any]]:
    call = await call_by_slug(call_slug)
    rows = await Decision.select().where((Decision.call == call.id) & (Decision.state == "prepared")).order_by(
        Decision.application)
    return [await letter(row["application"], row) for row in rows]


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100] or "projet"


async def _unique_slug(text: str) -> str:
    base = _slugify(text)
    slug, n = base, 2
    while await Project.exists().where(Project.slug == slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


def forge_of(url: str, gitlab_hosts: tuple[str, ...]) -> tuple[str, str]:
    host = (urlsplit(url).hostname or "").lower()
    if host == "github.com":
        return "github", host
    return ("gitlab" if host in gitlab_hosts else "git"), host


async def _create_project(application: Application, decision: Decision, call: Call,
                          gitlab_hosts: tuple[str, ...]) -> Project:
    owner = await User.select(User.name, User.organisation).where(User.id == application.owner).first()
    project = Project(
        slug=await _unique_slug(application.public_title or application.title), title=application.title,
        public_title=application.public_title, public_summary=application.public_summary,
        description=application.description, call=call.id, application_id=application.id,
        amount_granted=decision.amount or 0, decided_at=decision.released_at,
        organisation_name=application.org_name, organisation_siren=application.org_siren,
        organisation_ror=application.org_ror, declared_licence=application.licence,
        team=[{"name": owner["name"], "role": "porteur", "organisation": application.org_name or owner["organisation"],
               "type": "person"}] if owner else [])
    await project.save()
    for row in await ApplicationLabel.select(ApplicationLabel.label).where(
            ApplicationLabel.application == application.id):
        await ProjectLabel(project=project.id, label=row["label"]).save()
    seen: set[str] = set()
    for url in as_json(application.repositories, []):
        if not isinstance(url, str) or url in seen:
            continue
        seen.add(url)
        forge, host = forge_of(url, gitlab_hosts)
        await Repository(project=project.id, url=url, forge=forge, host=host).save()
    return project


async def release_decisions(call_slug: str, *, actor: Actor, mailer: Mailer | None = None,
                            gitlab_hosts: tuple[str, ...] = DEFAULT_GITLAB_HOSTS) -> list[Decision]:
    """The decision aggregate's transition (prepared → released), for a whole call at once.

    Checks first: a call already decided with nothing left to release answers the same decisions
    again (a retry after a lost answer does nothing twice); otherwise the call must be in review and
    every reviewable application must have a prepared decision.
    Effects, in order, in one transaction (a fault anywhere leaves the call in review, ready for
    another try):
    1. per decision: it is marked released; its application moves to funded or rejected (through
       move_application, with its audit entry); its reviews are locked; a funded one gets its
       registry project and repositories, and its team (registry.team: owner lead, co-applicants with
       an account members, the others invited by mail); an audit entry `decision.released`;
    2. the call moves to "decided" (through move_call, with its audit entry);
    3. the letters, one per owner and co-applicant, are queued in the outbox.
    After commit: the registry's search index is refreshed and the outbox delivers the letters
    (retried with backoff while the mail server refuses)."""
    call = await call_by_slug(call_slug)
    if call.status == "decided" and not await Decision.exists().where(
            (Decision.call == call.id) & (Decision.state == "prepared")):
        # Already released (a retry after a lost answer): the same result, nothing done twice.
        return list(await Decision.objects().where(Decision.call == call.id).order_by(Decision.application))
    if call.status != "in_review":
        raise Conflict("Les décisions se publient quand l'appel est en évaluation.")
    pending = await Application.select(Application.id, Application.title).where(
        (Application.call == call.id) & Application.state.is_in(list(REVIEWABLE_APPLICATION_STATES)))
    decisions = {d.application: d for d in await Decision.objects().where(
        (Decision.call == call.id) & (Decision.state == "prepared"))}
    missing = [row for row in pending if row["id"] not in decisions and not await decision_released(row["id"])]
    if missing:
        names = ", ".join(f"n° {row['id']} « {row['title']} »" for row in missing)
        raise invalid("decisions", f"Décision manquante pour : {names}.")
    if not decisions:
        raise Conflict("Aucune décision préparée à publier.")
    now = datetime.now(UTC)
    async with write_transaction(engine_finder()):
        for application_id, decision in sorted(decisions.items()):
            application = await application_of(int(application_id))
            decision.state = advance(DECISION_TRANSITIONS, decision.state, "release")
            decision.released_at = now
            if application.state == "submitted":
                await move_application(application, "under_review", actor=actor)
            await move_application(application, decision.outcome, actor=actor, data={"decision": decision.id})
            for review in await Review.objects().where(Review.assignment.application == application.id):
                review.state = advance(REVIEW_TRANSITIONS, review.state, "lock")
                await review.save()
            if decision.outcome == "funded":
                project = await _create_project(application, decision, call, gitlab_hosts)
                decision.project_id = project.id
                from registry.team.members import make_release_members

                await make_release_members(project, application)
            await decision.save()
            await record_event("decision.released", actor_id=actor.id, actor=actor.email, object_type="decision",
                               object_id=decision.id, data={"application": application.id,
                                                            "outcome": decision.outcome, "amount": decision.amount,
                                                            "project": decision.project_id})
        if call.status == "in_review":
            await move_call(call.slug, "decided", actor=actor)
        released = [decisions[key] for key in sorted(decisions)]
        # The letters are queued with the decisions: a mail server that is down delays them, never loses them.
        if mailer is not None:
            for decision in released:
                item = await letter(int(decision.application), decision)
                for recipient in item["to"]:
                    await mailer.send(to=recipient, template=item["template"], language=item["language"],
                                      context=item["context"], object_type="decision", object_id=decision.id)
    from registry.projects.search import refresh_search_index

    for decision in released:
        if decision.project_id:
            await refresh_search_index(int(decision.project_id))
    return released



async def project_slugs(project_ids: list[int]) -> list[str]:
    if not project_ids:
        return []
    rows = await Project.select(Project.id, Project.slug).where(Project.id.is_in(project_ids))
    by_id = {row["id"]: row["slug"] for row in rows}
    return [by_id[i] for i in project_ids if i in by_id]
