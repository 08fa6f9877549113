"""Public pages that need no account: home, accessibility statement, legal notice, favicon, health."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, MediaType, Request, Response, get
from litestar.response import Template

from app.web.templating import page
from registry import stats

FAVICON = (Path(__file__).resolve().parent.parent / "static" / "favicon.svg").read_bytes()


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return page("public/home.html", request, figures=await stats.key_figures(),
                    open_calls=await stats.open_calls())

    @get("/accessibilite")
    async def accessibility(self, request: Request) -> Template:
        return page("public/accessibility.html", request)

    @get("/favicon.ico", media_type="image/svg+xml")
    async def favicon(self) -> Response:
        """Browsers ask for /favicon.ico whatever the page links: answer with the SVG icon itself."""
        return Response(FAVICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    @get("/mentions-legales")
    async def legal(self, request: Request) -> Template:
        return page("public/legal.html", request)


@get("/healthz", include_in_schema=False, media_type=MediaType.JSON)
async def healthz() -> Response:
    try:
        ok = await stats.database_answers()
    except Exception as error:  # any failure to reach the database means unhealthy
        return Response({"status": "error", "database": str(error)[:200]}, status_code=503)
    return Response({"status": "ok", "database": "ok" if ok else "error"},
                    status_code=200 if ok else 503)
