"""Demo teams: members for the demo's funded projects; the demo applicant leads two of them."""

from __future__ import annotations

from piccolo.engine import engine_finder

from registry.accounts.tables import User
from registry.db import write_transaction
from registry.projects.tables import Project
from registry.team.members import _add, backfill_members
from registry.team.tables import ProjectMember

DEMO_LEAD = "candidate@demo.ami.fr"


async def load_demo_team() -> None:
    await backfill_members()
    user = await User.select(User.id).where(User.email == DEMO_LEAD).first()
    if not user:
        return
    projects = await Project.select(Project.id).order_by(Project.id).limit(2)
    async with write_transaction(engine_finder()):
        for project in projects:
            if await ProjectMember.exists().where(ProjectMember.project == project["id"]):
                if not await ProjectMember.exists().where(
                        (ProjectMember.project == project["id"]) & (ProjectMember.user == user["id"])):
                    await _add(project["id"], user["id"], "lead", actor_id=None, actor="system", via="demo")
                continue
            await _add(project["id"], user["id"], "lead", actor_id=None, actor="system", via="demo")
