"""Open data: Atom feeds, CSV/JSON exports, CodeMeta and SPDX per project, sitemap."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from app.i18n import current_language, gettext
from app.web.files import file_response
from registry.calls import queries as call_queries
from registry.projects import detail as detail_queries
from registry.projects import exports, queries
from registry.projects.browse import BrowseQuery, parse_browse_query

ATOM_TYPE = "application/atom+xml; charset=utf-8"
LICENCE_LINK = f'<{exports.DATA_LICENCE_URL}>; rel="license"; title="{exports.DATA_LICENCE}"'


def base_url_of(request: Request) -> str:
    return str(request.app.state.settings.base_url).rstrip("/")


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


async def _all_matching(request: Request) -> list[dict[str, Any]]:
    query = parse_browse_query({k: v for k, v in _params(request).items() if k not in ("page", "per_page")})
    return await exports.add_funding(await queries.all_matching(query))  # amount paid, milestones met/total


def _json_response(
    document: Any, *, media_type: str = "application/json", status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return Response(body, media_type=media_type, status_code=status, headers=headers)


async def _atom(request: Request, query: BrowseQuery, *, title: str, page_url: str) -> Response:
    base = base_url_of(request)
    releases, _ = await queries.registry_releases(query=query, per_page=50, with_total=False)
    feed_url = f"{base}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
    body = exports.releases_atom(
        releases,
        feed_url=feed_url,
        page_url=page_url,
        title=title,
        base_url=base,
        updated=datetime.now(UTC),
        language=current_language.get(),
        t=gettext,
    )
    return Response(body, media_type=ATOM_TYPE)


def _in_language(url: str) -> str:
    """The page's address in the feed's language (French is the default, so it needs no parameter)."""
    if current_language.get() == "fr":
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={current_language.get()}"


class OpenDataRoutes(Controller):
    include_in_schema = True
    tags = ["données ouvertes"]

    @get("/feeds/releases.atom", summary="Flux Atom des versions (accepte les filtres du registre)")
    async def releases_feed(self, request: Request) -> Response:
        query = parse_browse_query(_params(request))
        base = base_url_of(request)
        return await _atom(
            request,
            query,
            title=gettext("Versions des projets financés par l'AMI"),
            page_url=_in_language(f"{base}{query.url('/releases')}"),
        )

    @get("/projects/{slug:str}/releases.atom", summary="Flux Atom des versions d'un projet")
    async def project_feed(self, request: Request, slug: FromPath[str]) -> Response:
        detail = await detail_queries.project_detail(slug)
        releases = [
            {**r, "project": {"slug": detail["slug"], "title": detail["title"], "public_title": detail["public_title"]}}
            for r in detail["releases"]
        ]
        base = base_url_of(request)
        body = exports.releases_atom(
            releases[:50],
            feed_url=_in_language(f"{base}/projects/{slug}/releases.atom"),
            page_url=_in_language(f"{base}/projects/{slug}"),
            title=gettext("Versions — %(title)s") % {"title": detail["public_title"] or detail["title"]},
            base_url=base,
            updated=datetime.now(UTC),
            language=current_language.get(),
            t=gettext,
        )
        return Response(body, media_type=ATOM_TYPE)

    @get("/exports/projects.csv", summary="Export CSV des projets (licence etalab-2.0, voir l'en-tête Link)")
    async def projects_csv(self, request: Request) -> Response:
        items = await _all_matching(request)
        return file_response(
            exports.projects_csv(items, base_url_of(request)).encode("utf-8"),
            "projets.csv",
            "text/csv",
            cache_control=None,
            headers={"Link": LICENCE_LINK},
        )

    @get("/exports/projects.json", summary="Export JSON des projets (clé licence : etalab-2.0)")
    async def projects_json(self, request: Request) -> Response:
        items = await _all_matching(request)
        return _json_response(
            exports.projects_json(items, base_url_of(request), datetime.now(UTC)), headers={"Link": LICENCE_LINK}
        )

    @get("/projects/{slug:str}/codemeta.json", summary="CodeMeta 3.0 du projet")
    async def codemeta(self, request: Request, slug: FromPath[str]) -> Response:
        detail = await detail_queries.project_detail(slug)
        document = exports.software_source_code(detail, base_url_of(request), context=exports.CODEMETA_CONTEXT)
        return _json_response(document, media_type="application/ld+json")

    @get("/projects/{slug:str}/spdx.json", summary="Document SPDX 2.3 du projet")
    async def spdx(self, request: Request, slug: FromPath[str]) -> Response:
        detail = await detail_queries.project_detail(slug)
        try:
            from registry.licences import (
                InvalidSpdxDocument,
                SpdxProjectInput,
                SpdxRepositoryInput,
                build_spdx_document,
            )
        except ImportError:
            return _json_response(
                {"detail": "Le générateur SPDX n'est pas encore disponible.", "errors": []}, status=503
            )
        repositories = tuple(
            SpdxRepositoryInput(
                url=repo["url"],
                latest_tag=repo["releases"][0]["tag"] if repo["releases"] else None,
                declared=detail["declared_licence"] or None,
                concluded=repo["licence"] or None,
                name=repo["full_name"].rsplit("/", 1)[-1] or None,
            )
            for repo in detail["repositories"]
        )
        homepage = next((r["homepage"] for r in detail["repositories"] if r["homepage"].startswith("https://")), None)
        base = base_url_of(request)
        # spdx-tools refuses some URLs (an IP address as host): fall back to no homepage rather than fail.
        for candidate in (f"{base}/projects/{slug}", homepage, None):
            try:
                document = build_spdx_document(
                    SpdxProjectInput(
                        slug=detail["slug"],
                        title=detail["title"],
                        organisation=detail["organisation"] or "Health Data Hub",
                        homepage=candidate,
                        repositories=repositories,
                    ),
                    base,
                )
            except InvalidSpdxDocument as error:
                failure = error
                continue
            return _json_response(document)
        return _json_response(
            {
                "detail": "Le document SPDX de ce projet n'a pas pu être produit.",
                "errors": [{"field": "spdx", "message": m} for m in failure.messages],
            },
            status=503,
        )

    @get("/sitemap.xml", include_in_schema=False)
    async def sitemap(self, request: Request) -> Response:
        static = [("/", None), ("/projects", None), ("/releases", None), ("/stats", None), ("/calls", None)]
        projects = [(f"/projects/{row['slug']}", row["updated_at"]) for row in await queries.project_slugs()]
        calls = []
        for call in (await call_queries.list_calls(per_page=1000))[0]:
            calls.append((f"/calls/{call['slug']}", None))
            if call["state"] in ("decided", "archived"):
                calls.append((f"/calls/{call['slug']}/transparency", None))
        return Response(
            exports.sitemap(static + calls + projects, base_url_of(request)),
            media_type="application/xml; charset=utf-8",
        )
