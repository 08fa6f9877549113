"""One project as its public page and the API show it: repositories, releases, licence, milestones, results.

Three statements whatever the number of repositories and releases: the project row (with its call, and its labels,
current licence findings, milestones and results as JSON arrays from correlated subqueries on indexed columns),
its repositories, and its releases.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from registry.db import is_postgres
from registry.errors import NotFound
from registry.projects.licence_view import SOURCE_LABELS, SOURCE_MAP, project_licence
from registry.projects.queries import _LIST_COLUMNS, _LIST_FROM, _aware, _json, _release, _summary, _when, reading
from registry.projects.tables import Project
from registry.team.edits import result_view
from registry.team.members import public_members

_NESTED_DETAIL = (
    ", (SELECT {agg}({row}(ami_label.slug, ami_label.category, ami_label.name_fr, ami_label.name_en, "
    "ami_label.position)) FROM ami_project_label JOIN ami_label ON ami_label.id = ami_project_label.label "
    "WHERE ami_project_label.project = ami_project.id) AS labels_json"
    ", (SELECT {agg}({row}(f.id, f.repository, f.source, f.path, f.expression, f.confidence, f.detected_at)) "
    "FROM ami_licence_finding f WHERE f.project = ami_project.id AND f.release IS NULL) AS findings_json"
    ", (SELECT {agg}({row}(m.id, m.title, m.due_on, m.deliverable, m.expected_version, m.status, m.verified_at, "
    "m.kind, m.min_version, m.path, m.since, m.evidence, m.met_at, m.note, m.waived_reason, m.position, "
    "m.tranche_amount, m.tranche_state, m.tranche_approved_at, m.tranche_paid_at)) "
    "FROM ami_milestone m WHERE m.project = ami_project.id) AS milestones_json"
    ", (SELECT {agg}({row}(r.id, r.kind, r.title, r.url, r.identifier, r.year)) "
    "FROM ami_result r WHERE r.project = ami_project.id) AS results_json"
)
_AGG = {"sqlite": ("json_group_array", "json_array"), "postgres": ("json_agg", "json_build_array")}
_SQL: dict[str, str] = {}
_REPOSITORY_COLUMNS = (
    "id url forge full_name description homepage default_branch topics languages stars forks archived gone "
    "last_push_at readme_html licence_forge last_success_at last_attempt_at last_error last_error_at "
    "consecutive_failures"
).split()
_REPOSITORIES_SQL = (
    f"SELECT {', '.join(_REPOSITORY_COLUMNS)} FROM ami_repository WHERE project = {{}} ORDER BY id"
)
_RELEASES_SQL = (
    "SELECT repository, tag, name, published_at, url, notes_html, licence_expression FROM ami_release "
    "WHERE repository IN (SELECT id FROM ami_repository WHERE project = {}) ORDER BY published_at DESC"
)


def _project_sql(postgres: bool) -> str:
    engine = "postgres" if postgres else "sqlite"
    if engine not in _SQL:
        agg, row = _AGG[engine]
        _SQL[engine] = (
            f"SELECT {_LIST_COLUMNS}, ami_project.description, ami_project.team, ami_project.declared_licence, "
            "ami_project.organisation_siren, ami_project.organisation_ror, ami_project.updated_at"
            f"{_NESTED_DETAIL.format(agg=agg, row=row)} FROM {_LIST_FROM} WHERE ami_project.slug = {{}}"
        )
    return _SQL[engine]


def _day(value: Any) -> date | None:
    if not value:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


@reading
async def project_detail(slug: str) -> dict[str, Any]:
    postgres = is_postgres(Project._meta.db)
    rows = await Project.raw(_project_sql(postgres), slug)
    if not rows:
        raise NotFound(f"Aucun projet « {slug[:80]} » dans le registre.")
    row = rows[0]
    project_id = row["id"]
    repositories = await Project.raw(_REPOSITORIES_SQL, project_id)
    releases = await Project.raw(_RELEASES_SQL, project_id)
    if isinstance(row["licence_compliant"], int) and not isinstance(row["licence_compliant"], bool):
        row["licence_compliant"] = bool(row["licence_compliant"])
    labels = sorted(_json(row["labels_json"]) or [], key=lambda label: (label[4], label[0]))
    detail = _summary(
        row,
        [{"slug": s, "category": category, "name_fr": fr, "name_en": en} for s, category, fr, en, _ in labels],
        [{"url": r["url"], "forge": r["forge"], "last_harvest_at": _aware(r["last_success_at"])} for r in repositories],
    )
    repo_ids = [r["id"] for r in repositories]
    releases_by_repo: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for release in releases:
        releases_by_repo[release["repository"]].append(_release(release))
    current = [
        {"id": i, "project": project_id, "repository": repository, "release": None, "source": source, "path": path,
         "expression": expression, "confidence": confidence, "detected_at": _when(detected_at)}
        for i, repository, source, path, expression, confidence, detected_at in sorted(
            _json(row["findings_json"]) or [], key=lambda f: f[0])
    ]
    licence = project_licence(current, repo_ids, row["declared_licence"])
    url_of = {r["id"]: r["url"] for r in repositories}
    per_repo = {r.repository_id: r.expression for r in licence.repositories}
    milestones = [
        (i, {"id": i, "title": title, "due_on": _day(due), "deliverable": deliverable, "expected_version": version,
             "status": status, "verified_at": _when(verified), "kind": kind, "min_version": min_version,
             "path": path, "since": _day(since), "evidence": (_json(evidence) if isinstance(evidence, str)
                                                             else evidence) or {},
             "met_at": _when(met_at), "note": note, "waived_reason": waived, "position": position,
             "tranche": None if amount is None else {"amount": amount, "state": tranche_state or "planned",
                                                     "approved_at": _when(approved_at), "paid_at": _when(paid_at)}})
        for (i, title, due, deliverable, version, status, verified, kind, min_version, path, since, evidence, met_at,
             note, waived, position, amount, tranche_state, approved_at, paid_at) in _json(row["milestones_json"]) or []
    ]
    # By position, then due date (a milestone without one last).
    milestones.sort(key=lambda m: (m[1]["position"] or 0, m[1]["due_on"] is None, m[1]["due_on"] or date.min, m[0]))
    tranches = [m["tranche"] for _, m in milestones if m["tranche"]]
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
                "detected_at": f["detected_at"],
            }
            for f in current
        ],
        repositories=[
            {**_repository(r, releases_by_repo[r["id"]]), "licence": per_repo.get(r["id"], "")} for r in repositories
        ],
        releases=[{**_release(r), "repository": url_of[r["repository"]]} for r in releases],
        milestones=[m for _, m in milestones],
        amount_paid=sum(t["amount"] for t in tranches if t["state"] == "paid"),
        amount_planned=sum(t["amount"] for t in tranches),
        results=[
            result_view({"id": i, "kind": kind, "title": title, "url": url, "identifier": identifier, "year": year})
            for i, kind, title, url, identifier, year in sorted(_json(row["results_json"]) or [], key=lambda r: r[0])
        ],
        # The team's accounts, public names only (registry.team).
        members=await public_members(project_id),
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
