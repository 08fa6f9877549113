"""Figures for the public pages."""

from __future__ import annotations

from datetime import UTC, datetime

from registry.accounts.tables import User
from registry.calls.tables import Call
from registry.projects.tables import Project, Release, Repository


async def database_answers() -> bool:
    return await User.count() >= 0


async def key_figures() -> dict[str, int]:
    projects = await Project.count()
    funding = await Project.select(Project.amount_granted)
    return {
        "projects": projects,
        "funding": sum(row["amount_granted"] or 0 for row in funding),
        "repositories": await Repository.count(),
        "releases": await Release.count(),
    }


async def open_calls() -> list[dict]:
    now = datetime.now(UTC)
    return await Call.select(Call.slug, Call.title_fr, Call.title_en, Call.closes_at).where(
        (Call.status == "published") & (Call.opens_at <= now) & (Call.closes_at > now)
    ).order_by(Call.closes_at)
