"""Demo projects: ten funded projects pointing at real open-source health-data repositories.

Their harvested metadata comes from a bundled, dated snapshot (data/demo_snapshot.json) so the
registry looks alive offline; a real harvest later refreshes it. Idempotent.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nh3

from registry.calls.tables import Call, Criterion
from registry.db import write_transaction
from registry.labels.tables import Label
from registry.labels.taxonomy import TAXONOMY
from registry.projects.search import refresh_search_index
from registry.projects.tables import (
    LicenceFinding,
    Milestone,
    Project,
    ProjectLabel,
    Release,
    Repository,
    Result,
)

SNAPSHOT = Path(__file__).parent / "data" / "demo_snapshot.json"
FALLBACK_CALL = "ami-2024"
PREFERRED_CALL = "ami-2025"
DEMO_CRITERIA = [
    ("Intérêt pour la santé publique et les usagers", 30),
    ("Qualité scientifique et technique", 30),
    ("Ouverture : licence, documentation, réutilisabilité", 25),
    ("Faisabilité et équipe", 15),
]


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


async def _demo_call_id() -> int:
    """The call the demo projects were funded by: ami-2025 once its decisions are out, else ami-2024.

    A project is only ever attached to a decided (or archived) call, so that the registry, the call's
    page and its transparency page agree: the demo's ami-2025 is still in review (the reviewer demo
    works on it), so the snapshot's projects go to a past call, ami-2024, created decided.
    """
    for slug in (PREFERRED_CALL, FALLBACK_CALL):
        row = await Call.select(Call.id, Call.status).where(Call.slug == slug).first()
        if row and (slug == FALLBACK_CALL or row["status"] in ("decided", "archived")):
            return row["id"]
    call = Call(
        slug=FALLBACK_CALL,
        title_fr="AMI 2024 — Algorithmes ouverts pour les données de santé",
        title_en="AMI 2024 — Open algorithms for health data",
        description_fr="Premier appel à manifestation d'intérêt du Health Data Hub et de France Assos Santé "
        "pour financer des algorithmes open source qui facilitent l'usage des données de santé.",
        budget_total=1_200_000,
        amount_min=20_000,
        amount_max=200_000,
        opens_at=datetime(2024, 1, 15, 9, tzinfo=UTC),
        closes_at=datetime(2024, 3, 31, 15, tzinfo=UTC),
        status="decided",
        published_at=datetime(2024, 1, 10, 9, tzinfo=UTC),
    )
    await call.save()
    await Criterion.insert(
        *[
            Criterion(call=call.id, position=i, name=name, weight=weight, scale_max=4)
            for i, (name, weight) in enumerate(DEMO_CRITERIA)
        ]
    )
    return call.id


async def _label_ids(slugs: list[str]) -> list[int]:
    known = {row["slug"]: row["id"] for row in await Label.select(Label.id, Label.slug).where(Label.slug.is_in(slugs))}
    taxonomy = {entry[0]: (position, entry) for position, entry in enumerate(TAXONOMY)}
    for slug in slugs:
        if slug in known:
            continue
        position, (_, category, name_fr, name_en, description_fr) = taxonomy.get(
            slug, (len(taxonomy), (slug, "theme", slug, slug, ""))
        )
        label = Label(
            slug=slug,
            category=category,
            name_fr=name_fr,
            name_en=name_en,
            description_fr=description_fr,
            position=position,
        )
        await label.save()
        known[slug] = label.id
    return [known[slug] for slug in slugs]


async def _add_repository(project_id: int, repo: dict[str, Any]) -> None:
    host = repo["url"].split("/")[2]
    repository = Repository(
        project=project_id,
        url=repo["url"],
        forge=repo["forge"],
        host=host,
        full_name=repo["full_name"],
        default_branch=repo["default_branch"],
        description=repo["description"],
        homepage=repo["homepage"],
        topics=repo["topics"],
        languages=repo["languages"],
        stars=repo["stars"],
        forks=repo["forks"],
        last_push_at=_time(repo["last_push_at"]),
        readme_html=nh3.clean(repo["readme_html"]),
        licence_forge=repo["licence_forge"],
        last_success_at=_time(repo["harvested_at"]),
        last_attempt_at=_time(repo.get("last_error_at") or repo["harvested_at"]),
        last_error=repo.get("last_error", ""),
        last_error_at=_time(repo.get("last_error_at")),
        consecutive_failures=1 if repo.get("last_error") else 0,
    )
    await repository.save()
    for release in repo["releases"]:
        await Release.insert(
            Release(
                repository=repository.id,
                tag=release["tag"],
                name=release["name"],
                published_at=_time(release["published_at"]),
                notes_html=nh3.clean(release["notes_html"]),
                url=f"{repo['url']}/{'-/' if repo['forge'] == 'gitlab' else ''}releases/tag/{release['tag']}",
            )
        )
    for finding in repo["findings"]:
        await LicenceFinding.insert(
            LicenceFinding(
                project=project_id,
                repository=repository.id,
                source=finding["source"],
                path=finding["path"],
                expression=finding["expression"],
                confidence=finding["confidence"],
                detected_at=_time(repo["harvested_at"]),
            )
        )


async def _add_project(entry: dict[str, Any], call_id: int) -> None:
    project = Project(
        slug=entry["slug"],
        title=entry["title"],
        public_title=entry["public_title"],
        public_summary=entry["public_summary"],
        description=entry["description"],
        call=call_id,
        amount_granted=entry["amount"],
        decided_at=_time(entry["decided_at"]),
        organisation_name=entry["organisation"],
        team=entry["team"],
        declared_licence=entry["declared_licence"],
        status=entry["status"],
    )
    await project.save()
    for label_id in await _label_ids(entry["labels"]):
        await ProjectLabel.insert(ProjectLabel(project=project.id, label=label_id))
    for repo in entry["repositories"]:
        await _add_repository(project.id, repo)
    for milestone in entry["milestones"]:
        await Milestone.insert(
            Milestone(
                project=project.id,
                title=milestone["title"],
                due_on=date.fromisoformat(milestone["due_on"]),
                deliverable=milestone["deliverable"],
                expected_version=milestone["expected_version"],
                status=milestone["status"],
            )
        )
    for result in entry["results"]:
        await Result.insert(Result(project=project.id, **result))
    await refresh_search_index(project.id)


async def load_demo_projects() -> None:
    """Adds the demo projects that are missing (by slug), linked to a decided ami-2025 or ami-2024 call."""
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    existing = {row["slug"] for row in await Project.select(Project.slug)}
    missing = [entry for entry in snapshot["projects"] if entry["slug"] not in existing]
    if not missing:
        return
    # One transaction: all or nothing, and one disk sync instead of hundreds on SQLite.
    async with write_transaction(Project._meta.db):
        call_id = await _demo_call_id()
        for entry in missing:
            await _add_project(entry, call_id)
