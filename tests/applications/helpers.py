"""Shared builders: a call (open by default) and a complete application, through the domain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.accounts.permissions import Actor
from registry.accounts.service import actor_for
from registry.accounts.tables import User
from registry.applications.service import ApplicationInput, create_application
from registry.applications.validation import UrlPolicy
from registry.calls.service import CallInput, CriterionInput, create_call, publish_call

POLICY = UrlPolicy(allowed_hosts=("github.com", "gitlab.com"))
CRITERIA = [CriterionInput(name="Valeur publique", weight=60, scale_max=4),
            CriterionInput(name="Qualité", weight=40, scale_max=4, eliminatory_below=1)]


async def actor(user: User) -> Actor:
    return await actor_for(user)


async def open_call(manager: User, *, slug: str = "ami-test", opens_at: datetime | None = None,
                    closes_at: datetime | None = None, publish: bool = True, policy: list[str] | None = None):
    now = datetime.now(UTC)
    call = await create_call(CallInput(
        slug=slug, title_fr="AMI test", opens_at=opens_at or now - timedelta(days=1),
        closes_at=closes_at or now + timedelta(days=10), budget_total=1_000_000, amount_min=10_000,
        amount_max=200_000, description_fr="Un appel de test.", criteria=CRITERIA,
        licence_policy=policy or []), actor=await actor(manager))
    if publish:
        call = await publish_call(slug, actor=await actor(manager))
    return call


def complete_input(**overrides) -> ApplicationInput:
    values = dict(title="Pseudonymisation de comptes rendus", public_title="Masquer les noms dans les comptes rendus",
                  public_summary="Un outil libre qui retire les noms.", description="Description longue.",
                  requested_amount=50_000, repositories=["https://github.com/example/pseudo"], licence="EUPL-1.2",
                  labels=[], org_name="CHU de Test", org_siren="732829320", org_ror="")
    values.update(overrides)
    return ApplicationInput(**values)


async def draft(owner: User, call_slug: str = "ami-test", *, complete: bool = True, now: datetime | None = None):
    return await create_application(call_slug, complete_input() if complete else ApplicationInput(),
                                    actor=await actor(owner), policy=POLICY, now=now)


async def people_by_role(make_user, *, other_reviewer: bool = False) -> dict:
    """One user per role around an application: the owner, a co-applicant, another applicant, a
    reviewer (and a second one), a manager and an admin, each under the key the role tests use."""
    people = {
        "manager": await make_user("manager", email="manager@example.org"),
        "other_applicant": await make_user("applicant", email="other@example.org"),
        "owner": await make_user("applicant", email="owner@example.org"),
        "co_applicant": await make_user("applicant", email="co@example.org"),
        "reviewer": await make_user("reviewer", email="reviewer@example.org"),
        "admin": await make_user("admin", email="admin@example.org"),
    }
    if other_reviewer:
        people["other_reviewer"] = await make_user("reviewer", email="reviewer2@example.org")
    return people
