"""Public registry pages: browse, project, releases, statistics, transparency of a call."""

from __future__ import annotations

from typing import Any

import nh3
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.i18n import gettext
from app.web.templating import page
from registry import stats
from registry.projects import charts, exports, queries, transparency
from registry.projects import detail as detail_queries
from registry.projects.browse import parse_browse_query

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


class RegistryPages(Controller):
    include_in_schema = False

    @get("/projects")
    async def browse(self, request: Request) -> Template:
        query = parse_browse_query(_params(request))
        result = await queries.browse_projects(query)
        return page(
            "public/projects.html",
            request,
            query=query,
            result=result,
            facet_titles=FACET_TITLES,
            label_categories=LABEL_CATEGORIES,
        )

    @get("/projects/{slug:str}")
    async def project(self, request: Request, slug: FromPath[str]) -> Template:
        detail = await detail_queries.project_detail(slug)
        for repo in detail["repositories"]:
            repo["readme_html"] = _clean(repo["readme_html"])
        for release in detail["releases"]:
            release["notes_html"] = _clean(release["notes_html"])
        json_ld = exports.json_ld_script(
            exports.software_source_code(detail, _base(request), context=exports.SCHEMA_CONTEXT)
        )
        return page("public/project.html", request, project=detail, json_ld=json_ld)

    @get("/releases")
    async def releases(self, request: Request) -> Template:
        query = parse_browse_query(_params(request), per_page=30)
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
        return page("public/stats.html", request, figures=figures, charts=charts.statistics_charts(figures, gettext))

    @get("/calls/{slug:str}/transparency")
    async def transparency(self, request: Request, slug: FromPath[str]) -> Template:
        report: dict[str, Any] = await transparency.call_transparency(slug)
        chart = (
            charts.score_distribution_chart(report["score_distribution"], gettext)
            if report["score_distribution"]
            else None
        )
        return page("public/transparency.html", request, report=report, chart=chart)
