"""Read side of the public registry: browse with facets, one project, releases, labels."""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from registry.db import is_postgres
from registry.errors import NotFound
from registry.labels.tables import Label
from registry.projects.browse import BrowseQuery, matching_ids, order_clause, where_clause
from registry.projects.tables import (
    Project,
    ProjectLabel,
    Release,
    Repository,
)

_LIST_COLUMNS = (
    ", ".join(
        f"ami_project.{name}"
        for name in (
            "id slug title public_title public_summary amount_granted call decided_at status latest_release_tag "
            "latest_release_at licence_expression licence_compliant organisation_name"
        ).split()
    )
    + ", ami_call.slug AS call_slug, ami_call.title_fr AS call_title_fr, ami_call.title_en AS call_title_en"
)
# The call comes with each row rather than from one more query.
_LIST_FROM = "ami_project LEFT JOIN ami_call ON ami_call.id = ami_project.call"
# Labels and repositories of each listed row, as JSON arrays from correlated subqueries (indexed on project):
# the page is one query instead of three.
_NESTED = {
    "sqlite": ("json_group_array", "json_array"),
    "postgres": ("json_agg", "json_build_array"),
}
_NESTED_SQL = (
    ", (SELECT {agg}({row}(ami_label.slug, ami_label.category, ami_label.name_fr, ami_label.name_en, "
    "ami_label.position)) FROM ami_project_label JOIN ami_label ON ami_label.id = ami_project_label.label "
    "WHERE ami_project_label.project = ami_project.id) AS labels_json"
    ", (SELECT {agg}({row}(ami_repository.id, ami_repository.url, ami_repository.forge, "
    "ami_repository.last_success_at)) FROM ami_repository WHERE ami_repository.project = ami_project.id) "
    "AS repositories_json"
)
P = ParamSpec("P")
T = TypeVar("T")
FACET_KINDS = ("label", "licence", "compliant", "language", "forge", "call", "status", "release")
FACET_LIMIT = 30


@dataclass(frozen=True)
class BrowseResult:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    facets: dict[str, list[dict[str, Any]]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def reading(function: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Runs the function's queries on one connection (one read transaction) instead of one each."""

    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        async with Project._meta.db.transaction():
            return await function(*args, **kwargs)

    return wrapper


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: Any) -> Any:
    from datetime import UTC

    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def _labels_of(project_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not project_ids:
        return found
    rows = await ProjectLabel.select(
        ProjectLabel.project,
        ProjectLabel.label.slug.as_alias("slug"),
        ProjectLabel.label.category.as_alias("category"),
        ProjectLabel.label.name_fr.as_alias("name_fr"),
        ProjectLabel.label.name_en.as_alias("name_en"),
        ProjectLabel.label.position.as_alias("position"),
    ).where(ProjectLabel.project.is_in(project_ids))
    for row in sorted(rows, key=lambda r: (r["position"], r["slug"])):
        found[row.pop("project")].append({k: row[k] for k in ("slug", "category", "name_fr", "name_en")})
    return found


async def _repositories_of(project_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not project_ids:
        return found
    rows = (
        await Repository.select(Repository.project, Repository.url, Repository.forge, Repository.last_success_at)
        .where(Repository.project.is_in(project_ids))
        .order_by(Repository.id)
    )
    for row in rows:
        found[row["project"]].append(
            {"url": row["url"], "forge": row["forge"], "last_harvest_at": _aware(row["last_success_at"])}
        )
    return found


def _summary(row: dict[str, Any], labels: list[dict[str, Any]], repositories: list[dict[str, Any]]) -> dict[str, Any]:
    call = (
        {"slug": row["call_slug"], "title_fr": row["call_title_fr"], "title_en": row["call_title_en"]}
        if row["call_slug"]
        else None
    )
    return {
        "id": row["id"],
        "slug": row["slug"],
        "title": row["title"],
        "public_title": row["public_title"],
        "public_summary": row["public_summary"],
        "labels": labels,
        "call": call,
        "amount": row["amount_granted"],
        "decided_at": _aware(row["decided_at"]),
        "status": row["status"],
        "organisation": row["organisation_name"],
        "licence": {"expression": row["licence_expression"], "compliant": row["licence_compliant"]},
        "latest_release": (
            {"tag": row["latest_release_tag"], "published_at": _aware(row["latest_release_at"])}
            if row["latest_release_at"]
            else None
        ),
        "repositories": repositories,
    }


async def summaries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    labels = await _labels_of(ids)
    repositories = await _repositories_of(ids)
    for row in rows:
        if isinstance(row["licence_compliant"], int) and not isinstance(row["licence_compliant"], bool):
            row["licence_compliant"] = bool(row["licence_compliant"])
    return [_summary(row, labels[row["id"]], repositories[row["id"]]) for row in rows]


def _nested_columns() -> str:
    agg, row = _NESTED["postgres" if is_postgres(Project._meta.db) else "sqlite"]
    return _NESTED_SQL.format(agg=agg, row=row)


def _when(value: Any) -> datetime | None:
    """A timestamp read back from JSON (text in both engines), in UTC."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _nested_summary(row: dict[str, Any]) -> dict[str, Any]:
    labels = sorted(_json(row["labels_json"]) or [], key=lambda label: (label[4], label[0]))
    repositories = sorted(_json(row["repositories_json"]) or [], key=lambda repo: repo[0])
    if isinstance(row["licence_compliant"], int) and not isinstance(row["licence_compliant"], bool):
        row["licence_compliant"] = bool(row["licence_compliant"])
    return _summary(
        row,
        [{"slug": slug, "category": category, "name_fr": fr, "name_en": en} for slug, category, fr, en, _ in labels],
        [{"url": url, "forge": forge, "last_harvest_at": _when(at)} for _, url, forge, at in repositories],
    )


# Label names and call titles come with the counts rather than from two more queries.
_FACET_SELECT = (
    "SELECT counted.kind, counted.value, counted.n, ami_label.category, ami_label.position, "
    "ami_label.name_fr AS label_fr, ami_label.name_en AS label_en, "
    "ami_call.slug AS call_slug, ami_call.title_fr AS call_fr, ami_call.title_en AS call_en "
    "FROM (SELECT kind, value, COUNT(*) AS n FROM ami_project_facet {where}GROUP BY kind, value) AS counted "
    "LEFT JOIN ami_label ON counted.kind = 'label' AND ami_label.slug = counted.value "
    "LEFT JOIN ami_call ON counted.kind = 'call' AND CAST(ami_call.id AS VARCHAR(20)) = counted.value"
)


async def facet_counts(restrict: str = "", args: list[Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Counts per (kind, value) over the projects whose id is in the SQL set `restrict` (empty: every project)."""
    where = f"WHERE project IN ({restrict}) " if restrict else ""
    rows = await Project.raw(_FACET_SELECT.format(where=where), *(args or []))
    facets: dict[str, list[dict[str, Any]]] = {kind: [] for kind in FACET_KINDS}
    for row in rows:
        item: dict[str, Any] = {"value": row["value"], "count": row["n"]}
        if row["kind"] == "label":
            item.update(
                name_fr=row["label_fr"] if row["label_fr"] is not None else row["value"],
                name_en=row["label_en"] if row["label_en"] is not None else row["value"],
                category=row["category"] if row["category"] is not None else "theme",
                position=row["position"] if row["position"] is not None else 0,
            )
        elif row["kind"] == "call":
            item.update(
                value=row["call_slug"] if row["call_slug"] is not None else row["value"],
                name_fr=row["call_fr"] or "",
                name_en=row["call_en"] or row["call_fr"] or "",
            )
        facets.setdefault(row["kind"], []).append(item)
    for kind, items in facets.items():
        key = (lambda i: (i["category"], i["position"])) if kind == "label" else (lambda i: (-i["count"], i["value"]))
        items.sort(key=key)
        del items[FACET_LIMIT if kind != "label" else 200 :]
    return facets


# Up to this many matches, the ids are fetched once and reused instead of re-running the search.
MATERIALISE_LIMIT = 2000


async def browse_projects(query: BrowseQuery, *, with_facets: bool = True) -> BrowseResult:
    matched = matching_ids(query)
    if matched is None and not with_facets:
        # One query: no transaction to open.
        return await _browse(query, matched, with_facets=False)
    async with Project._meta.db.transaction():
        return await _browse(query, matched, with_facets=with_facets)


async def _browse(query: BrowseQuery, matched: tuple[str, list[Any]] | None, *, with_facets: bool) -> BrowseResult:
    offset = (query.page - 1) * query.per_page
    ids: list[int] | None = None
    if matched is None:
        where, args, restrict = "1 = 1", [], ""
        count_sql = "SELECT COUNT(*) AS n FROM ami_project"
    else:
        found = [row["id"] for row in await Project.raw(f"{matched[0]} LIMIT {MATERIALISE_LIMIT + 1}", *matched[1])]
        if len(found) <= MATERIALISE_LIMIT:
            ids = found
            # Integers read back from the database: safe to inline.
            restrict, args = ", ".join(str(int(i)) for i in ids) or "NULL", []
            count_sql = ""
        else:
            restrict, args = matched
            count_sql = f"SELECT COUNT(*) AS n FROM ({restrict}) AS matched"
        where = f"ami_project.id IN ({restrict})"
    # The total rides on the page's rows as a scalar subquery (evaluated once): no round trip of its own.
    total_column = f", ({count_sql}) AS total_rows" if count_sql else ""
    rows = (
        await Project.raw(
            f"SELECT {_LIST_COLUMNS}{_nested_columns()}{total_column} FROM {_LIST_FROM} WHERE {where} "
            f"ORDER BY {order_clause(query)} LIMIT {int(query.per_page)} OFFSET {int(offset)}",
            *args,
            *args,
        )
        if ids is None or ids
        else []
    )
    if ids is not None:
        total = len(ids)
    elif rows:
        total = rows[0]["total_rows"]
    else:  # a page past the end
        total = (await Project.raw(count_sql, *args))[0]["n"]
    facets: dict[str, list[dict[str, Any]]] = {}
    if with_facets:
        facets = await facet_counts(restrict, args) if ids is None or ids else {kind: [] for kind in FACET_KINDS}
    return BrowseResult([_nested_summary(row) for row in rows], total, query.page, query.per_page, facets)


def _release(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "tag": row["tag"],
        "name": row["name"],
        "published_at": _aware(row["published_at"]),
        "url": row["url"],
        "notes_html": row["notes_html"],
        "licence": row["licence_expression"],
    }


@reading
async def project_releases(slug: str) -> list[dict[str, Any]]:
    project = await Project.select(Project.id).where(Project.slug == slug).first()
    if project is None:
        raise NotFound(f"Aucun projet « {slug[:80]} » dans le registre.")
    rows = (
        await Release.select(Release.all_columns(), Release.repository.url.as_alias("repository_url"))
        .where(Release.repository.project == project["id"])
        .order_by(Release.published_at, ascending=False)
    )
    return [{**_release(r), "repository": r["repository_url"]} for r in rows]


@reading
async def registry_releases(
    *,
    since: datetime | None = None,
    query: BrowseQuery | None = None,
    page: int = 1,
    per_page: int = 50,
    with_total: bool = True,
) -> tuple[list[dict[str, Any]], int]:
    """Releases of the projects matching `query`, newest first; (items, total or -1 without with_total)."""
    where, args = where_clause(query) if query else ("1 = 1", [])
    filtered = bool(args) or bool(query and query.call)
    conditions = ["ami_release.published_at IS NOT NULL"]
    if filtered:
        conditions.append(f"ami_repository.project IN (SELECT ami_project.id FROM ami_project WHERE {where})")
    else:
        args = []
    if since is not None:
        conditions.append("ami_release.published_at >= {}")
        args = [*args, since.astimezone(UTC)]
    condition = " AND ".join(conditions)
    base = (
        "FROM ami_release JOIN ami_repository ON ami_repository.id = ami_release.repository "
        "JOIN ami_project ON ami_project.id = ami_repository.project WHERE " + condition
    )
    total = -1
    if with_total:
        counted = base if filtered else f"FROM ami_release WHERE {condition}"
        total = (await Release.raw(f"SELECT COUNT(*) AS n {counted}", *args))[0]["n"]
    rows = await Release.raw(
        "SELECT ami_release.tag, ami_release.name, ami_release.published_at, ami_release.url, ami_release.notes_html, "
        "ami_release.licence_expression, ami_repository.url AS repository, ami_project.slug AS project_slug, "
        "ami_project.title AS project_title, ami_project.public_title AS project_public_title "
        f"{base} ORDER BY ami_release.published_at DESC, ami_release.id DESC "
        f"LIMIT {int(per_page)} OFFSET {int((page - 1) * per_page)}",
        *args,
    )
    return [
        {
            **_release(r),
            "repository": r["repository"],
            "project": {
                "slug": r["project_slug"],
                "title": r["project_title"],
                "public_title": r["project_public_title"],
            },
        }
        for r in rows
    ], total


@reading
async def list_labels() -> list[dict[str, Any]]:
    counts = {
        row["value"]: row["n"]
        for row in await Project.raw(
            "SELECT value, COUNT(*) AS n FROM ami_project_facet WHERE kind = 'label' GROUP BY value"
        )
    }
    rows = (
        await Label.select(
            Label.id, Label.slug, Label.category, Label.name_fr, Label.name_en, Label.description_fr,
            Label.description_en, Label.position, Label.retired_at
        )
        .order_by(Label.category)
        .order_by(Label.position)
    )
    from registry.labels.tables import LabelAlias

    aliases: dict[int, list[str]] = {}
    for alias in await LabelAlias.select(LabelAlias.old_slug, LabelAlias.label).order_by(LabelAlias.old_slug):
        aliases.setdefault(alias["label"], []).append(alias["old_slug"])
    return [{**row, "projects": counts.get(row["slug"], 0), "retired": row["retired_at"] is not None,
             "aliases": aliases.get(row["id"], [])} for row in rows]


async def project_slugs() -> list[dict[str, Any]]:
    return await Project.select(Project.slug, Project.updated_at).order_by(Project.slug)


EXPORT_LIMIT = 100_000


async def all_matching(query: BrowseQuery) -> list[dict[str, Any]]:
    """Every project matching the filters (pagination ignored), for exports."""
    from dataclasses import replace

    result = await browse_projects(replace(query, page=1, per_page=EXPORT_LIMIT), with_facets=False)
    return result.items
