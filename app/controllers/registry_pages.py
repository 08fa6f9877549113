"""Public registry pages: browse, project, releases, statistics, transparency of a call."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import nh3
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import current_language, gettext
from app.web.templating import page
from registry import stats
from registry.labels.tables import Label
from registry.projects import charts, exports, queries, transparency
from registry.projects import detail as detail_queries
from registry.projects.browse import parse_browse_query
from registry.projects.charts import N_

FACET_TITLES = {
    "label": "Étiquettes",
    "licence": "Licence",
    "compliant": "Licence autorisée",
    "language": "Langage",
    "forge": "Forge",
    "call": "Appel",
    "status": "Statut",
    "release": "Version publiée",
}
# Shown instead of the stored values (forge names are proper names; statuses go through gettext).
FORGE_NAMES = {"github": "GitHub", "gitlab": "GitLab", "git": "Git"}
STATUS_LABELS = {
    "active": N_("Actif"),
    "completed": N_("Terminé"),
    "suspended": N_("Suspendu"),
    "abandoned": N_("Abandonné"),
}
LABEL_CATEGORIES = {
    "theme": "Thèmes",
    "data_source": "Sources de données",
    "standard": "Standards",
    "therapeutic_area": "Domaines thérapeutiques",
}


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


def _clean(html: str) -> str:
    # Harvested HTML is untrusted even though the harvester sanitised it once.
    return nh3.clean(html or "", link_rel="nofollow noopener noreferrer")


def _base(request: Request) -> str:
    return str(request.app.state.settings.base_url).rstrip("/")


async def _label_names(slugs: tuple[str, ...], facet: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The name of each selected label in the reader's language, for the filter chips.

    A selected label is in the label facet whenever a project matches (the facet carries its names, or the
    slug itself for an unknown label, which is what the chip shows then): only the others are looked up.
    """
    if not slugs:
        return {}
    english = current_language.get() == "en"
    names: dict[str, str] = {}
    for item in facet or []:
        if item["value"] in slugs:
            names[item["value"]] = item["name_en"] if english and item["name_en"] else item["name_fr"]
    missing = [slug for slug in slugs if slug not in names]
    if missing:
        rows = await Label.select(Label.slug, Label.name_fr, Label.name_en).where(Label.slug.is_in(missing))
        names.update(
            {row["slug"]: (row["name_en"] if english and row["name_en"] else row["name_fr"]) for row in rows}
        )
    return names


async def _alias_redirect(request: Request, labels: tuple[str, ...]) -> Redirect | None:
    """A page filtered by a merged label's old slug moves for good (301) to the same filters with the new one."""
    from urllib.parse import urlencode

    from registry.labels.service import resolve_slugs

    resolved = await resolve_slugs(labels)
    if resolved == labels:
        return None
    pairs = [("label", slug) for slug in resolved] + [
        (key, value) for key in request.query_params if key != "label" for value in request.query_params.getall(key)]
    return Redirect(f"{request.url.path}?{urlencode(pairs)}", status_code=301)


class RegistryPages(Controller):
    include_in_schema = False

    @get("/projects")
    async def browse(self, request: Request) -> Template | Redirect:
        query = parse_browse_query(_params(request))
        result = await queries.browse_projects(query)
        # A slug in the label facet is a current label: only the others can be a merged label's alias.
        faceted = {item["value"] for item in result.facets.get("label", [])}
        if any(slug not in faceted for slug in query.labels) and (
                moved := await _alias_redirect(request, query.labels)):
            return moved
        return page(
            "public/projects.html",
            request,
            query=query,
            result=result,
            facet_titles=FACET_TITLES,
            label_categories=LABEL_CATEGORIES,
            label_names=await _label_names(query.labels, result.facets.get("label")),
            forge_names=FORGE_NAMES,
            status_labels=STATUS_LABELS,
        )

    @get("/projects/{slug:str}")
    async def project(self, request: Request, slug: FromPath[str]) -> Template:
        detail = await detail_queries.project_detail(slug)
        for repo in detail["repositories"]:
            repo["readme_html"] = _clean(repo["readme_html"])
        for release in detail["releases"]:
            release["notes_html"] = _clean(release["notes_html"])
        for milestone in detail["milestones"]:
            # Noon UTC is the same day in Paris, so the `when` filter prints the due date itself.
            due = milestone["due_on"]
            milestone["due_at"] = datetime.combine(due, time(12), UTC) if due else None
        json_ld = exports.json_ld_script(
            exports.software_source_code(detail, _base(request), context=exports.SCHEMA_CONTEXT)
        )
        from app.controllers.reports import public_block  # progress reports received (templates/reports)
        from registry.projects import milestones
        from registry.team import members as team_members  # the team's links (templates/team)

        return page("public/project.html", request, project=detail, json_ld=json_ld,
                    forge_names=FORGE_NAMES, status_labels=STATUS_LABELS, **await public_block(request, detail["id"]),
                    can_edit_project=await team_members.can_edit(request.user, detail["id"]),
                    **milestones.LABELS)

    @get("/releases")
    async def releases(self, request: Request) -> Template | Redirect:
        query = parse_browse_query(_params(request), per_page=30)
        if moved := await _alias_redirect(request, query.labels):
            return moved
        items, total = await queries.registry_releases(query=query, page=query.page, per_page=query.per_page)
        for release in items:
            release["notes_html"] = _clean(release["notes_html"])
        return page(
            "public/releases.html",
            request,
            releases=items,
            total=total,
            query=query,
            pages=max(1, -(-total // query.per_page)),
        )

    @get("/stats")
    async def statistics(self, request: Request) -> Template:
        figures = await stats.registry_statistics()
        chart_list = charts.statistics_charts(figures, gettext, current_language.get())
        return page("public/stats.html", request, figures=figures, charts=chart_list)

    @get("/calls/{slug:str}/transparency")
    async def transparency(self, request: Request, slug: FromPath[str]) -> Template:
        report: dict[str, Any] = await transparency.call_transparency(slug)
        chart = (
            charts.score_distribution_chart(report["score_distribution"], gettext)
            if report["score_distribution"]
            else None
        )
        return page("public/transparency.html", request, report=report, chart=chart)
