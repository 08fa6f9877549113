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
    for result in entry["results"]:
        await Result.insert(Result(project=project.id, **result))
    await refresh_search_index(project.id)
    await _add_milestones(project.id, entry)


# Milestones of the demo projects, in every status and tranche state, consistent with their demo releases:
# (title, due_on, kind, parameter, tranche amount or None, what a manager did: "" | "tick:<note>" |
# "waive:<reason>" | "missed", tranche state reached when met: "" (due) | "approved" | "paid").
DEMO_MILESTONES: dict[str, list[tuple[str, str, str, str, int | None, str, str]]] = {
    "edsnlp": [("Modèle de négation réentraîné", "2026-06-30", "release", "0.16", 60_000, "", "paid"),
               ("Version 1.0 stable", "2027-06-30", "release", "1.0", 80_000, "", "")],
    "eds-pseudo": [("Jeu de test synthétique publié", "2026-03-31", "manual", "", 40_000,
                    "tick:Jeu de test publié sur l’entrepôt de données, vérifié le 2 avril 2026", "approved"),
                   ("Version 0.5", "2026-09-30", "release", "0.5", 40_000, "", "")],
    "eds-scikit": [("Phénotype diabète validé", "2026-04-30", "release", "0.1.8", 30_000, "", "paid"),
                   ("Version 0.2", "2027-04-30", "release", "0.2", 30_000, "", "")],
    "scalpel-extraction": [("Version 2 publiée", "2026-05-31", "release", "2.0", 50_000, "", ""),
                           ("Fichier publiccode.yml", "2027-05-31", "file", "publiccode.yml", None, "", "")],
    "snds-tools": [("Version 1.0", "2026-06-30", "release", "1.0", 20_000, "", "")],
    "omop-cdm-fr": [("Alignement OMOP 5.4.2", "2026-02-28", "release", "5.4.2", 20_000, "", "paid"),
                    ("Alignement OMOP 5.4.10", "2027-01-31", "release", "5.4.10", 30_000, "", "")],
    "boas-outils-qualite": [("Rapport qualité accessible", "2026-12-31", "release", "1.2", 50_000, "", "approved")],
    "schema-snds": [("Schéma 2026", "2026-10-31", "release", "2026.1", 20_000, "", "paid"),
                    ("Documentation relue par la CNAM", "2026-06-30", "manual", "", None,
                     "waive:Relecture reprise par le groupe de travail national, hors du projet", "")],
    "snds-synthetique": [("Version 1.0", "2026-09-30", "release", "1.0", 45_000, "", "")],
    "tableau-bord-sejours": [("Mise en conformité de la licence", "2026-03-31", "licence", "", 15_000, "missed", "")],
}


async def _add_milestones(project_id: int, entry: dict[str, Any]) -> None:
    """The demo milestones, their status computed from the demo releases (as a harvest would), then what the
    managers did; written directly (no audit entries nor mails: the demo is no one's decision)."""
    from registry.projects.milestones import find_evidence

    project = await Project.select(Project.licence_compliant, Project.licence_expression).where(
        Project.id == project_id).first()
    repositories = await Repository.select(Repository.id, Repository.url, Repository.last_push_at,
                                           Repository.head_sha, Repository.files).where(
        Repository.project == project_id)
    releases = await Release.select(Release.tag, Release.url, Release.commit_sha, Release.published_at).where(
        Release.repository.is_in([r["id"] for r in repositories] or [0]))
    today = datetime.now(UTC).date()
    for position, (title, due, kind, parameter, amount, action, reached) in enumerate(
            DEMO_MILESTONES.get(entry["slug"], [])):
        row = Milestone(project=project_id, title=title, due_on=date.fromisoformat(due), kind=kind, position=position,
                        min_version=parameter if kind == "release" else "", path=parameter if kind == "file" else "",
                        tranche_amount=amount, tranche_state="planned" if amount is not None else "",
                        status="pending", evidence={})
        evidence = find_evidence({"kind": kind, "min_version": row.min_version, "path": row.path, "since": None},
                                 project=project, repositories=repositories, releases=releases)
        if action.startswith("tick:"):
            evidence = {"note": action[5:], "by": "Gabriel Gestion", "observed_at": f"{due}T10:00:00+00:00"}
        if evidence is not None:
            row.status, row.evidence = "met", evidence
            row.met_at = datetime.fromisoformat(evidence.get("published_at") or evidence["observed_at"])
            row.note = evidence.get("note", "")
            if amount is not None:
                row.tranche_state = reached or "due"
                moment = row.met_at
                if reached in ("approved", "paid"):
                    row.tranche_approved_at = moment
                if reached == "paid":
                    row.tranche_paid_at = moment
        elif action.startswith("waive:"):
            row.status, row.waived_reason = "waived", action[6:]
        elif action == "missed":
            row.status = "missed"
        elif row.due_on < today:
            row.status = "late"
        await row.save()


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
