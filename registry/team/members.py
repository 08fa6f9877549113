"""A funded project's team: who belongs (lead | member), invitations by e-mail, removals.

Transitions (each with its audit entry and mails in one transaction):
- `make_release_members` (called by release_decisions): owner → lead, co-applicants with an
  account → members, the others invited by mail; audit `team.member_added` / `team.invited`.
- `invite`: a lead (or staff) invites an address; the token is mailed (template team_invitation);
  audit `team.invited`.
- `accept_invitation`: the logged-in person whose address was invited joins; the token is spent;
  audit `team.member_added`.
- `remove_member`: a lead (or staff) removes someone, or a member leaves; the last lead can
  neither be removed nor leave; audit `team.member_removed`.
- `revoke_invitation`: a lead (or staff) cancels a pending invitation; audit `team.invitation_revoked`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine import engine_finder

from registry.accounts.permissions import Actor, is_staff
from registry.accounts.tables import User
from registry.audit.log import record_event
from registry.db import write_transaction
from registry.errors import N_, Conflict, Forbidden, NotFound, invalid
from registry.outbox.service import queue_mail
from registry.projects.tables import Project
from registry.team.tables import ROLES, ProjectMember, TeamInvitation

INVITATION_DAYS = 14
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_settings: dict[str, str] = {"base_url": "http://127.0.0.1:8000"}


def configure(*, base_url: str) -> None:
    """The public base URL for the links in invitation mails (set by the app factory)."""
    _settings["base_url"] = base_url.rstrip("/")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def member_role(project_id: int, user_id: int) -> str | None:
    row = await ProjectMember.select(ProjectMember.role).where(
        (ProjectMember.project == project_id) & (ProjectMember.user == user_id)).first()
    return row["role"] if row else None


async def members_of(project_id: int) -> list[dict[str, Any]]:
    """Leads first, then by arrival. Public names only (plus user_id, for internal checks; never
    shown in public outputs — use public_members for those)."""
    rows = await ProjectMember.select(
        ProjectMember.id, ProjectMember.user, ProjectMember.role, ProjectMember.added_at,
        ProjectMember.user.name, ProjectMember.user.organisation,
    ).where(ProjectMember.project == project_id).order_by(ProjectMember.added_at).order_by(ProjectMember.id)
    members = [{"user_id": r["user"], "name": r["user.name"], "role": r["role"],
                "organisation": r["user.organisation"] or "", "added_at": r["added_at"]} for r in rows]
    members.sort(key=lambda m: m["role"] != "lead")
    return members


async def public_members(project_id: int) -> list[dict[str, str]]:
    return [{"name": m["name"], "role": m["role"], "organisation": m["organisation"]}
            for m in await members_of(project_id)]


async def projects_of(user_id: int) -> list[dict[str, Any]]:
    """The funded projects a person belongs to (their "Mes projets financés")."""
    rows = await ProjectMember.select(
        ProjectMember.role, ProjectMember.project.slug, ProjectMember.project.title,
        ProjectMember.project.public_title,
    ).where(ProjectMember.user == user_id).order_by(ProjectMember.added_at, ascending=False)
    return [{"slug": r["project.slug"], "title": r["project.public_title"] or r["project.title"],
             "role": r["role"]} for r in rows]


async def can_edit(actor: Actor | None, project_id: int) -> bool:
    return actor is not None and (is_staff(actor) or await member_role(project_id, actor.id) is not None)


async def can_lead(actor: Actor | None, project_id: int) -> bool:
    return actor is not None and (is_staff(actor) or await member_role(project_id, actor.id) == "lead")


async def project_by_slug(slug: str) -> Project:
    project = await Project.objects().where(Project.slug == slug).first()
    if project is None:
        raise NotFound(N_("Projet introuvable."))
    return project


async def _add(project_id: int, user_id: int, role: str, *, actor_id: int | None, actor: str, via: str) -> bool:
    if await ProjectMember.exists().where((ProjectMember.project == project_id) & (ProjectMember.user == user_id)):
        return False
    await ProjectMember(project=project_id, user=user_id, role=role).save()
    await record_event("team.member_added", actor_id=actor_id, actor=actor, object_type="project",
                       object_id=project_id, data={"user": user_id, "role": role, "via": via})
    return True


async def _queue_invitation(project: Any, email: str, role: str, *, inviter: str, inviter_id: int | None,
                            actor: str, language: str = "fr") -> TeamInvitation:
    token = secrets.token_urlsafe(32)
    row = TeamInvitation(project=project.id, email=email, role=role, token_hash=_hash(token),
                         invited_by=inviter_id, expires_at=datetime.now(UTC) + timedelta(days=INVITATION_DAYS))
    await row.save()
    await record_event("team.invited", actor_id=inviter_id, actor=actor, object_type="project",
                       object_id=project.id, data={"email": email, "role": role, "invitation": row.id})
    await queue_mail(to=email, template="team_invitation", language=language, secret=True,
                     object_type="project", object_id=project.id,
                     context={"inviter": inviter, "title": project.public_title or project.title,
                              "link": f"{_settings['base_url']}/team/invitations/{token}",
                              "days": INVITATION_DAYS})
    return row


async def make_release_members(project: Any, application: Any) -> None:
    """At release (inside its transaction): owner → lead, co-applicants with an account → members,
    the others invited by mail."""
    from registry.applications.tables import CoApplicant

    if application.owner:
        await _add(project.id, int(application.owner), "lead", actor_id=None, actor="system", via="release")
    owner = await User.select(User.name).where(User.id == application.owner).first()
    for row in await CoApplicant.select(CoApplicant.email).where(CoApplicant.application == application.id):
        email = (row["email"] or "").strip().lower()
        if not email:
            continue
        user = await User.select(User.id).where(User.email == email).first()
        if user:
            await _add(project.id, user["id"], "member", actor_id=None, actor="system", via="release")
        else:
            await _queue_invitation(project, email, "member", inviter=owner["name"] if owner else "",
                                    inviter_id=None, actor="system")


async def release_invitations(emails: list[str]) -> int:
    """How many of these co-applicant addresses have no account, so get a team invitation at release."""
    wanted = {email.strip().lower() for email in emails if email and email.strip()}
    if not wanted:
        return 0
    known = await User.select(User.email).where(User.email.is_in(list(wanted)))
    return len(wanted - {row["email"] for row in known})


async def backfill_members() -> int:
    """Members for projects released before teams existed: their application's people. Idempotent."""
    from registry.applications.tables import Application, CoApplicant

    made = 0
    for project in await Project.select(Project.id, Project.application_id).where(
            Project.application_id.is_not_null()):
        if await ProjectMember.exists().where(ProjectMember.project == project["id"]):
            continue
        application = await Application.select(Application.id, Application.owner).where(
            Application.id == project["application_id"]).first()
        if not application or not application["owner"]:
            continue
        async with write_transaction(engine_finder()):
            made += await _add(project["id"], application["owner"], "lead", actor_id=None, actor="system",
                               via="backfill")
            emails = [r["email"].lower() for r in await CoApplicant.select(CoApplicant.email).where(
                CoApplicant.application == application["id"]) if r["email"]]
            if emails:
                for user in await User.select(User.id).where(User.email.is_in(emails)):
                    made += await _add(project["id"], user["id"], "member", actor_id=None, actor="system",
                                       via="backfill")
    return made


async def pending_invitations(project_id: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [dict(r) for r in await TeamInvitation.select(
        TeamInvitation.id, TeamInvitation.email, TeamInvitation.role, TeamInvitation.created_at,
        TeamInvitation.expires_at,
    ).where((TeamInvitation.project == project_id) & TeamInvitation.accepted_at.is_null()
            & TeamInvitation.revoked_at.is_null() & (TeamInvitation.expires_at > now)).order_by(TeamInvitation.id)]


async def invite(slug: str, email: str, role: str, *, actor: Actor) -> TeamInvitation:
    project = await project_by_slug(slug)
    if not await can_lead(actor, project.id):
        raise Forbidden(N_("Seuls les responsables du projet invitent."))
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise invalid("email", N_("Indiquez une adresse électronique valide."))
    if role not in ROLES:
        raise invalid("role", N_("Rôle inconnu."))
    existing = await User.select(User.id).where(User.email == email).first()
    if existing and await member_role(project.id, existing["id"]):
        raise invalid("email", N_("Cette personne fait déjà partie de l'équipe."))
    if any(p["email"] == email for p in await pending_invitations(project.id)):
        raise invalid("email", N_("Une invitation est déjà en attente pour cette adresse."))
    async with write_transaction(engine_finder()):
        return await _queue_invitation(project, email, role, inviter=actor.name, inviter_id=actor.id,
                                       actor=actor.email, language=actor.locale or "fr")


async def invitation_by_token(token: str) -> tuple[TeamInvitation, Project]:
    row = await TeamInvitation.objects().where(TeamInvitation.token_hash == _hash(token or "")).first()
    if row is None:
        raise NotFound(N_("Invitation introuvable."))
    if row.accepted_at or row.revoked_at:
        raise Conflict(N_("Cette invitation a déjà servi ou a été annulée."))
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        raise Conflict(N_("Cette invitation a expiré ; demandez-en une nouvelle."))
    project = await Project.objects().where(Project.id == row.project).first()
    if project is None:
        raise NotFound(N_("Invitation introuvable."))
    return row, project


async def accept_invitation(token: str, *, actor: Actor) -> Project:
    row, project = await invitation_by_token(token)
    if actor.email.strip().lower() != row.email:
        raise Forbidden(N_("Cette invitation a été envoyée à une autre adresse : connectez-vous avec celle-ci."))
    async with write_transaction(engine_finder()):
        claimed = await TeamInvitation.update({TeamInvitation.accepted_at: datetime.now(UTC)}).where(
            (TeamInvitation.id == row.id) & TeamInvitation.accepted_at.is_null()).returning(TeamInvitation.id)
        if not claimed:
            raise Conflict(N_("Cette invitation a déjà servi ou a été annulée."))
        await _add(project.id, actor.id, row.role, actor_id=actor.id, actor=actor.email, via="invitation")
    return project


async def revoke_invitation(slug: str, invitation_id: int, *, actor: Actor) -> None:
    project = await project_by_slug(slug)
    if not await can_lead(actor, project.id):
        raise Forbidden(N_("Seuls les responsables du projet gèrent les invitations."))
    async with write_transaction(engine_finder()):
        done = await TeamInvitation.update({TeamInvitation.revoked_at: datetime.now(UTC)}).where(
            (TeamInvitation.id == invitation_id) & (TeamInvitation.project == project.id)
            & TeamInvitation.accepted_at.is_null() & TeamInvitation.revoked_at.is_null()).returning(TeamInvitation.id)
        if not done:
            raise NotFound(N_("Invitation introuvable."))
        await record_event("team.invitation_revoked", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"invitation": invitation_id})


async def remove_member(slug: str, user_id: int, *, actor: Actor) -> None:
    project = await project_by_slug(slug)
    leaving = user_id == actor.id
    if not leaving and not await can_lead(actor, project.id):
        raise Forbidden(N_("Seuls les responsables du projet retirent des membres."))
    async with write_transaction(engine_finder()):
        role = await member_role(project.id, user_id)
        if role is None:
            raise NotFound(N_("Cette personne ne fait pas partie de l'équipe."))
        if role == "lead" and await ProjectMember.count().where(
                (ProjectMember.project == project.id) & (ProjectMember.role == "lead")) <= 1:
            raise Conflict(N_("Le dernier responsable du projet ne peut être retiré ni partir : "
                              "désignez d'abord un autre responsable."))
        await ProjectMember.delete().where((ProjectMember.project == project.id) & (ProjectMember.user == user_id))
        await record_event("team.member_removed", actor_id=actor.id, actor=actor.email, object_type="project",
                           object_id=project.id, data={"user": user_id, "role": role, "left": leaving})
