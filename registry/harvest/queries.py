"""Read side of harvesting: what is due, and what the dashboard and `ami harvest status` show."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.projects.tables import Project, Release, Repository

from .records import RepositoryTarget
from .tables import HarvestRun


@dataclass(frozen=True)
class RepositoryStatus:
    id: int
    project_slug: str
    url: str
    forge: str
    gone: bool
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str
    last_error_at: datetime | None
    consecutive_failures: int
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class RunSummary:
    id: int
    started_at: datetime
    finished_at: datetime | None
    mode: str
    trigger: str
    requests: int
    rate_limited_requests: int
    not_modified: int
    rate_limit_remaining: int | None
    duration_seconds: float
    repositories: int
    unchanged: int
    changed: int
    failed: int
    deferred: int
    summary: str


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def repositories_to_harvest(
    *, now: datetime, project_slug: str | None = None, everything: bool = False, full: bool = False
) -> list[RepositoryTarget]:
    """What a run covers: a project's or every repository when asked; else the due ones (next
    attempt reached: a gone one is due once a day, so that it is harvested again when it comes
    back) and, for a full run, also every one not gone, due or not."""
    query = Repository.select(
        Repository.all_columns(exclude=[Repository.readme_html, Repository.licence_texts]),
        Repository.project.slug.as_alias("project_slug"),
    )
    due = Repository.next_attempt_at.is_null() | (Repository.next_attempt_at <= now)
    if project_slug is not None:
        query = query.where(Repository.project.slug == project_slug)
    elif full and not everything:
        query = query.where((Repository.gone == False) | due)  # noqa: E712
    elif not everything:
        query = query.where(due)
    rows = await query.order_by(Repository.id)
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    known: dict[int, dict[str, bool]] = {i: {} for i in ids}
    for release in await Release.select(
        Release.repository, Release.tag, Release.published_at
    ).where(Release.repository.is_in(ids)):
        known[release["repository"]][release["tag"]] = release["published_at"] is not None
    return [
        RepositoryTarget(
            id=row["id"], url=row["url"], forge=row["forge"], full_name=row["full_name"],
            forge_id=row["forge_id"], default_branch=row["default_branch"],
            head_sha=row["head_sha"], last_push_at=row["last_push_at"],
            validators=_json(row["validators"]) or {}, known_tags=known[row["id"]],
            project_id=row["project"], gone=row["gone"],
        )
        for row in rows
    ]


async def repository_statuses(*, project_slug: str | None = None) -> list[RepositoryStatus]:
    query = Repository.select(
        Repository.id, Repository.url, Repository.forge, Repository.gone,
        Repository.last_success_at, Repository.last_attempt_at, Repository.last_error,
        Repository.last_error_at, Repository.consecutive_failures, Repository.next_attempt_at,
        Repository.project.slug.as_alias("project_slug"),
    )
    if project_slug is not None:
        query = query.where(Repository.project.slug == project_slug)
    rows = await query.order_by(Repository.project.slug).order_by(Repository.url)
    return [RepositoryStatus(**row) for row in rows]


async def recent_runs(*, limit: int = 20) -> list[RunSummary]:
    rows = await HarvestRun.select().order_by(HarvestRun.started_at, ascending=False).limit(limit)
    return [RunSummary(**row) for row in rows]


async def project_exists(slug: str) -> bool:
    return await Project.exists().where(Project.slug == slug)
