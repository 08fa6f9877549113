"""The reviewer pool: users holding the reviewer role, their expertise and their load."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from registry.accounts.permissions import Actor
from registry.accounts.tables import User, UserRole
from registry.audit.log import record_event
from registry.errors import NotFound, invalid
from registry.labels.tables import Label
from registry.reviews.access import as_json
from registry.reviews.states import LIVE_ASSIGNMENT_STATES
from registry.reviews.tables import Assignment, ReviewerProfile


async def reviewer_ids() -> list[int]:
    rows = await UserRole.select(UserRole.user).where(UserRole.role == "reviewer")
    return sorted({row["user"] for row in rows})


async def list_pool(call_id: int | None = None) -> list[dict[str, Any]]:
    """Every reviewer with organisation, expertise and live assignments (in the call when given)."""
    ids = await reviewer_ids()
    if not ids:
        return []
    users = await User.select(User.id, User.name, User.email, User.organisation, User.is_active).where(
        User.id.is_in(ids)).order_by(User.name)
    profiles = {p["user"]: p for p in await ReviewerProfile.select().where(ReviewerProfile.user.is_in(ids))}
    query = Assignment.select(Assignment.reviewer).where(
        Assignment.reviewer.is_in(ids) & Assignment.state.is_in(list(LIVE_ASSIGNMENT_STATES)))
    if call_id is not None:
        query = query.where(Assignment.call == call_id)
    loads: dict[int, int] = {}
    for row in await query:
        loads[row["reviewer"]] = loads.get(row["reviewer"], 0) + 1
    pool = []
    for user in users:
        profile = profiles.get(user["id"])
        pool.append({**user, "organisation": (profile and profile["organisation"]) or user["organisation"],
                     "expertise": sorted(as_json(profile["expertise"], []) if profile else []),
                     "active": bool(profile["active"]) if profile else True,
                     "load": loads.get(user["id"], 0)})
    return pool


async def label_names() -> dict[str, str]:
    return {row["slug"]: row["name_fr"] for row in await Label.select(Label.slug, Label.name_fr)}


async def save_profile(user_id: int, *, organisation: str, expertise: list[str], active: bool,
                       actor: Actor) -> ReviewerProfile:
    if user_id not in await reviewer_ids():
        raise NotFound("Évaluateur introuvable.")
    known = set(await label_names())
    unknown = sorted(set(expertise) - known)
    if unknown:
        raise invalid("expertise", f"Étiquette(s) inconnue(s) : {', '.join(unknown)}.")
    profile = await ReviewerProfile.objects().where(ReviewerProfile.user == user_id).first()
    if profile is None:
        profile = ReviewerProfile(user=user_id)
    profile.organisation = organisation.strip()[:300]
    profile.expertise = sorted(set(expertise))
    profile.active = active
    profile.updated_at = datetime.now(UTC)
    await profile.save()
    await record_event("reviewer.profile_saved", actor_id=actor.id, actor=actor.email, object_type="user",
                       object_id=user_id, data={"organisation": profile.organisation,
                                                "expertise": profile.expertise, "active": active})
    return profile
