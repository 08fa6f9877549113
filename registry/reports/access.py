"""Who belongs to a project's team, for reports: the team's members (registry.team) when that area is
installed and the project has members there, else the funded application's owner and co-applicants
with an account."""

from __future__ import annotations

from typing import Any

from registry.accounts.permissions import Actor, is_staff
from registry.accounts.tables import User
from registry.errors import N_, Forbidden, NotFound
from registry.projects.tables import Project


async def _fallback_member_ids(project_id: int) -> list[int]:
    from registry.applications.tables import Application, CoApplicant

    project = await Project.select(Project.application_id).where(Project.id == project_id).first()
    if not project or not project["application_id"]:
        return []
    application = await Application.select(Application.owner).where(
        Application.id == project["application_id"]).first()
    ids = [application["owner"]] if application and application["owner"] else []
    emails = [r["email"] for r in await CoApplicant.select(CoApplicant.email).where(
        CoApplicant.application == project["application_id"])]
    if emails:
        ids += [r["id"] for r in await User.select(User.id).where(User.email.is_in(emails))]
    return list(dict.fromkeys(ids))


def _user_id(member: Any) -> int | None:
    if isinstance(member, dict):
        value = member.get("user_id", member.get("user"))
    else:
        value = getattr(member, "user_id", None) or getattr(member, "user", None)
    if isinstance(value, dict):
        value = value.get("id")
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


async def _team_ids(project_id: int) -> list[int] | None:
    """The team's member ids (registry.team), or None when that area is absent or the project has no
    team rows yet (projects released before it): then the funded application's people count."""
    try:
        from registry.team.members import members_of
    except ImportError:
        return None
    ids = [i for i in (_user_id(m) for m in await members_of(project_id)) if i is not None]
    return ids or None


async def member_ids(project_id: int) -> list[int]:
    ids = await _team_ids(project_id)
    return ids if ids is not None else await _fallback_member_ids(project_id)


async def is_member(project_id: int, user_id: int) -> bool:
    return user_id in await member_ids(project_id)


async def member_recipients(project_id: int) -> list[dict[str, Any]]:
    ids = await member_ids(project_id)
    if not ids:
        return []
    return await User.select(User.id, User.email, User.name, User.locale).where(User.id.is_in(ids))


async def project_by_slug(slug: str) -> Project:
    project = await Project.objects().where(Project.slug == slug).first()
    if project is None:
        raise NotFound(f"Aucun projet « {slug[:80]} » dans le registre.")
    return project


async def ensure_reader(actor: Actor, project_id: int) -> None:
    """Members of the project and programme staff read its reports; others are refused (403)."""
    if is_staff(actor) or await is_member(project_id, actor.id):
        return
    raise Forbidden(N_("Réservé à l’équipe du projet et aux gestionnaires du programme."))


async def ensure_member(actor: Actor, project_id: int) -> None:
    if not await is_member(project_id, actor.id):
        raise Forbidden(N_("Seule l’équipe du projet rédige ses rapports d’avancement."))
