"""Harvest dashboard for managers, and "harvest now" (page button and API), rate-limited per project.

Harvest now is refused (409) while another run holds the harvest lock (registry.harvest.lock).
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.scheduler import harvest_config
from app.web.guards import requires_harvest_rights
from app.web.templating import page
from harvesters.run import run_harvest
from registry.accounts import ratelimit
from registry.audit.log import record_event
from registry.errors import TooManyAttempts
from registry.harvest.lock import HarvestAlreadyRunning
from registry.harvest.queries import project_exists, recent_runs, repository_statuses

HARVEST_NOW_SECONDS = 60


class HarvestReport(msgspec.Struct):
    project: str
    run_id: int
    summary: str
    repositories: int
    unchanged: int
    changed: int
    failed: int
    deferred: int
    requests: int
    not_modified: int


async def harvest_project_now(request: Request, slug: str) -> HarvestReport:
    if not await project_exists(slug):
        raise NotFoundException("Projet introuvable.")
    key = f"harvest-now:{slug}"
    try:  # counted and checked in one step, as logins are: two clicks at once start one run
        hits = await ratelimit.reserve([ratelimit.Limit(key, 1)], window_seconds=HARVEST_NOW_SECONDS)
    except ratelimit.LimitReached as reached:
        error = TooManyAttempts(f"Une collecte de ce projet vient d'être lancée ; réessayez dans "
                                f"{HARVEST_NOW_SECONDS} secondes.")
        error.retry_after = reached.retry_after
        raise error from None
    try:
        report = await run_harvest(harvest_config(request.app.state.settings), full=True, project_slug=slug,
                                   everything=True, trigger="manager")
    except BaseException:
        # A run refused because another one held the lock (or that failed) may be retried at once.
        await ratelimit.release(hits)
        raise
    await record_event("harvest.requested", actor_id=request.user.id, actor=request.user.email,
                       object_type="project", object_id=slug, data={"run_id": report.run_id})
    totals = report.totals
    return HarvestReport(project=slug, run_id=report.run_id, summary=report.summary,
                         repositories=totals.repositories, unchanged=totals.unchanged, changed=totals.changed,
                         failed=totals.failed, deferred=totals.deferred, requests=totals.requests,
                         not_modified=totals.not_modified)


class HarvestPages(Controller):
    path = "/manage/harvest"
    guards = [requires_harvest_rights]  # the same guard as the API route below
    include_in_schema = False

    @get("/")
    async def dashboard(self, request: Request) -> Template:
        return page("manage/harvest.html", request, repositories=await repository_statuses(),
                    runs=await recent_runs(limit=20), report=None)

    @post("/{slug:str}")
    async def harvest_now(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        try:
            report = await harvest_project_now(request, slug)
        except TooManyAttempts as error:
            return page("manage/harvest.html", request, status_code=429,
                        repositories=await repository_statuses(), runs=await recent_runs(limit=20),
                        report=None, error=error.detail)
        except HarvestAlreadyRunning as error:
            return page("manage/harvest.html", request, status_code=409,
                        repositories=await repository_statuses(), runs=await recent_runs(limit=20),
                        report=None, error=_(error.detail))
        return page("manage/harvest.html", request, repositories=await repository_statuses(),
                    runs=await recent_runs(limit=20), report=report)


@post("/api/v1/projects/{slug:str}/harvest", guards=[requires_harvest_rights], tags=["registre"],
      summary="Harvest a project's repositories now", status_code=200)
async def api_harvest_now(request: Request, slug: FromPath[str]) -> HarvestReport:
    """Runs a full harvest of the project's repositories and returns the run's figures.

    409 while another harvest run is in progress (nothing harvested), 429 within a minute of the last one."""
    return await harvest_project_now(request, slug)
