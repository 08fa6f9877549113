"""Public pages that need no account: home, accessibility statement, legal notice, health."""

from __future__ import annotations

from litestar import Controller, MediaType, Request, Response, get
from litestar.response import Template

from app.web.templating import page
from registry import stats


class PublicPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request) -> Template:
        return page("public/home.html", request, figures=await stats.key_figures(),
                    open_calls=await stats.open_calls())

    @get("/accessibilite")
    async def accessibility(self, request: Request) -> Template:
        return page("public/accessibility.html", request)

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
