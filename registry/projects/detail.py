"""One project as its public page and the API show it: repositories, releases, licence, milestones, results."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from registry.errors import NotFound
from registry.projects.licence_view import SOURCE_LABELS, SOURCE_MAP, project_licence
from registry.projects.queries import _LIST_COLUMNS, _LIST_FROM, _aware, _json, _release, reading, summaries
from registry.projects.tables import LicenceFinding, Milestone, Project, Release, Repository, Result


@reading
async def project_detail(slug: str) -> dict[str, Any]:
    rows = await Project.raw(
        f"SELECT {_LIST_COLUMNS}, ami_project.description, ami_project.team, ami_project.declared_licence, "
        "ami_project.organisation_siren, ami_project.organisation_ror, ami_project.updated_at "
        f"FROM {_LIST_FROM} WHERE ami_project.slug = {{}}",
        slug,
    )
    if not rows:
        raise NotFound(f"Aucun projet « {slug[:80]} » dans le registre.")
    row = rows[0]
    detail = (await summaries([row]))[0]
    project_id = row["id"]
    repositories = (
        await Repository.select(Repository.all_columns(exclude=[Repository.licence_texts, Repository.validators]))
        .where(Repository.project == project_id)
        .order_by(Repository.id)
    )
    repo_ids = [r["id"] for r in repositories]
    releases = (
        await Release.select()
        .where(Release.repository.is_in(repo_ids or [0]))
        .order_by(Release.published_at, ascending=False)
    )
    releases_by_repo: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        releases_by_repo[release["repository"]].append(_release(release))
    findings = await LicenceFinding.select().where(LicenceFinding.project == project_id).order_by(LicenceFinding.id)
    current = [f for f in findings if f["release"] is None]
    licence = project_licence(current, repo_ids, row["declared_licence"])
    url_of = {r["id"]: r["url"] for r in repositories}
    per_repo = {r.repository_id: r.expression for r in licence.repositories}
    detail.update(
        description=row["description"],
        team=_json(row["team"]) or [],
        declared_licence=row["declared_licence"],
        organisation_siren=row["organisation_siren"],
        organisation_ror=row["organisation_ror"],
        updated_at=_aware(row["updated_at"]),
        licence={
            "expression": licence.expression,
            "compliant": licence.compliant,
            "reason_fr": licence.reason_fr,
            "reason_en": licence.reason_en,
            "disagreements": [{"fr": d.fr, "en": d.en} for d in licence.disagreements],
        },
        findings=[
            {
                "source": SOURCE_MAP.get(f["source"], f["source"]),
                "source_fr": SOURCE_LABELS.get(SOURCE_MAP.get(f["source"], ""), (f["source"], f["source"]))[0],
                "source_en": SOURCE_LABELS.get(SOURCE_MAP.get(f["source"], ""), (f["source"], f["source"]))[1],
                "repository": url_of.get(f["repository"], ""),
                "path": f["path"],
                "expression": f["expression"],
                "confidence": f["confidence"],
                "detected_at": _aware(f["detected_at"]),
            }
            for f in current
        ],
        repositories=[
            {**_repository(r, releases_by_repo[r["id"]]), "licence": per_repo.get(r["id"], "")} for r in repositories
        ],
        releases=[{**_release(r), "repository": url_of[r["repository"]]} for r in releases],
        milestones=[
            {
                "title": m["title"],
                "due_on": m["due_on"],
                "deliverable": m["deliverable"],
                "expected_version": m["expected_version"],
                "status": m["status"],
                "verified_at": _aware(m["verified_at"]),
            }
            for m in await Milestone.select().where(Milestone.project == project_id).order_by(Milestone.due_on)
        ],
        results=[
            {"kind": r["kind"], "title": r["title"], "url": r["url"], "identifier": r["identifier"], "year": r["year"]}
            for r in await Result.select().where(Result.project == project_id).order_by(Result.id)
        ],
    )
    return detail


def _repository(row: dict[str, Any], releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "url": row["url"],
        "forge": row["forge"],
        "full_name": row["full_name"],
        "description": row["description"],
        "homepage": row["homepage"],
        "default_branch": row["default_branch"],
        "topics": _json(row["topics"]) or [],
        "languages": _json(row["languages"]) or {},
        "stars": row["stars"],
        "forks": row["forks"],
        "archived": bool(row["archived"]),
        "gone": bool(row["gone"]),
        "last_push_at": _aware(row["last_push_at"]),
        "readme_html": row["readme_html"],
        "licence_forge": row["licence_forge"],
        "last_harvest_at": _aware(row["last_success_at"]),
        "last_attempt_at": _aware(row["last_attempt_at"]),
        "last_error": row["last_error"],
        "last_error_at": _aware(row["last_error_at"]),
        "consecutive_failures": row["consecutive_failures"],
        "releases": releases,
    }
