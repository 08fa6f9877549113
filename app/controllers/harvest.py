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


def error_text(reason: str) -> str:
    """A stored failure reason in the reader's language where the catalogue knows it; the retry time
    appended at failure ("; nouvel essai …") is dropped, the page shows the next attempt itself."""
    head = reason.split(" ; nouvel essai", 1)[0].strip()
    return _(head) if head else ""


def run_summary(run: object) -> str:
    """A run's figures in the reader's language, e.g. "12 dépôts : 10 à jour, 1 modifié, 1 en échec"."""
    from app.i18n import ngettext

    def count(n: int, one: str, many: str) -> str:
        return ngettext(one, many, n) % {"num": n}

    parts = [count(run.unchanged, "%(num)s à jour", "%(num)s à jour"),  # type: ignore[attr-defined]
             count(run.changed, "%(num)s modifié", "%(num)s modifiés"),  # type: ignore[attr-defined]
             count(run.failed, "%(num)s en échec", "%(num)s en échec")]  # type: ignore[attr-defined]
    if run.deferred:  # type: ignore[attr-defined]
        parts.append(count(run.deferred, "%(num)s reporté", "%(num)s reportés"))  # type: ignore[attr-defined]
    return _("{repositories} : {parts}").format(
        repositories=count(run.repositories, "%(num)s dépôt", "%(num)s dépôts"),  # type: ignore[attr-defined]
        parts=", ".join(parts))


async def dashboard_rows() -> list[dict]:
    """Every repository with its project's name; failing ones first (most recent failure first), then gone
    ones, then the rest by project name."""
    from registry.projects.tables import Project

    names = {row["slug"]: row["public_title"] or row["title"] for row in await Project.select(
        Project.slug, Project.title, Project.public_title)}
    rows = []
    for repo in await repository_statuses():
        failing = bool(repo.last_error) and not repo.gone
        rows.append({"repo": repo, "name": names.get(repo.project_slug) or repo.project_slug, "failing": failing,
                     "error": error_text(repo.last_error) if repo.last_error else ""})
    far_past = 0.0
    rows.sort(key=lambda row: (0 if row["failing"] else 1 if row["repo"].gone else 2,
                               -(row["repo"].last_error_at.timestamp() if row["failing"] and row["repo"].last_error_at
                                 else far_past),
                               row["name"].casefold(), row["repo"].url))
    return rows


async def dashboard_page(request: Request, *, status_code: int = 200, report: HarvestReport | None = None,
                         error: str = "") -> Template:
    rows = await dashboard_rows()
    return page("manage/harvest.html", request, status_code=status_code, rows=rows,
                failing=sum(1 for row in rows if row["failing"]), runs=await recent_runs(limit=20),
                report=report, error=error, names={row["repo"].project_slug: row["name"] for row in rows},
                triggers=TRIGGER_LABELS, summary=run_summary)


TRIGGER_LABELS = {"scheduler": "planificateur", "manager": "gestionnaire", "cli": "ligne de commande",
                  "api": "API"}


class HarvestPages(Controller):
    path = "/manage/harvest"
    guards = [requires_harvest_rights]  # the same guard as the API route below
    include_in_schema = False

    @get("/")
    async def dashboard(self, request: Request) -> Template:
        return await dashboard_page(request)

    @post("/{slug:str}")
    async def harvest_now(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        try:
            report = await harvest_project_now(request, slug)
        except TooManyAttempts as error:
            return await dashboard_page(request, status_code=429, error=_(error.detail))
        except HarvestAlreadyRunning as error:
            return await dashboard_page(request, status_code=409, error=_(error.detail))
        return await dashboard_page(request, report=report)


@post("/api/v1/projects/{slug:str}/harvest", guards=[requires_harvest_rights], tags=["registre"],
      summary="Harvest a project's repositories now", status_code=200)
async def api_harvest_now(request: Request, slug: FromPath[str]) -> HarvestReport:
    """Runs a full harvest of the project's repositories and returns the run's figures.

    409 while another harvest run is in progress (nothing harvested), 429 within a minute of the last one."""
    return await harvest_project_now(request, slug)
