"""Progress reports API: managers request, members write and submit, managers decide and publish."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from app.controllers.api.calls import check_paging
from app.web.guards import requires_login, requires_staff
from registry.calls.paris import iso
from registry.errors import N_, NotFound
from registry.reports import service, views
from registry.reports.access import ensure_reader, project_by_slug


class ReportRequestIn(msgspec.Struct):
    due_on: str | None = None
    period: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    note: str = ""


class ReportIn(msgspec.Struct):
    summary: Any = None
    achievements: Any = None
    difficulties: Any = None
    next_steps: Any = None
    data_ethics: Any = None
    submit: bool = False


class DecisionIn(msgspec.Struct):
    accept: bool
    message: str = ""


class ReportOut(msgspec.Struct):
    id: int
    project: str
    state: str
    due_on: str | None
    period: str
    period_start: str | None
    period_end: str | None
    late: bool
    summary: str
    achievements: str
    difficulties: str
    next_steps: str
    data_ethics: str
    request_note: str
    feedback: str
    published: bool
    requested_at: str | None
    submitted_at: str | None
    decided_at: str | None
    published_at: str | None
    revision: int


class ReportPage(msgspec.Struct):
    items: list[ReportOut]
    total: int
    page: int
    per_page: int


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _iso(value: datetime | None) -> str | None:
    return iso(value) if value else None


def report_out(item: dict[str, Any]) -> ReportOut:
    return ReportOut(
        id=item["id"], project=item["project_slug"], state=item["state"], due_on=_day(item["due_on"]),
        period=item["period"], period_start=_day(item["period_start"]), period_end=_day(item["period_end"]),
        late=item["late"], summary=item["summary"], achievements=item["achievements"],
        difficulties=item["difficulties"], next_steps=item["next_steps"], data_ethics=item["data_ethics"],
        request_note=item["request_note"], feedback=item["feedback"], published=item["published"],
        requested_at=_iso(item["requested_at"]), submitted_at=_iso(item["submitted_at"]),
        decided_at=_iso(item["decided_at"]), published_at=_iso(item["published_at"]), revision=item["revision"])


async def _out(report_id: int) -> ReportOut:
    item = await views.report_view(report_id)
    if item is None:
        raise NotFound(N_("Rapport introuvable."))
    return report_out(item)


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


class ReportsApi(Controller):
    path = "/api/v1"
    tags = ["suivi des projets"]

    @post("/projects/{slug:str}/reports", guards=[requires_staff], status_code=201)
    async def request_report(self, request: Request, slug: FromPath[str], data: JSONBody[ReportRequestIn]
                             ) -> ReportOut:
        """Demande un rapport d'avancement au projet (gestionnaire) ; l'équipe est prévenue par courriel."""
        report = await service.request_report(slug, actor=request.user, due_on=data.due_on, period=data.period or "",
                                              period_start=data.period_start, period_end=data.period_end,
                                              note=data.note, base_url=_base(request))
        return await _out(report.id)

    @get("/projects/{slug:str}/reports", guards=[requires_login])
    async def list_reports(self, request: Request, slug: FromPath[str], page: FromQuery[int] = 1,
                           per_page: FromQuery[int] = 20) -> ReportPage:
        """Les rapports du projet (membres de l'équipe et gestionnaires)."""
        check_paging(page, per_page)
        project = await project_by_slug(slug)
        await ensure_reader(request.user, project.id)
        items = await views.project_reports(project.id)
        chunk = items[(page - 1) * per_page: page * per_page]
        return ReportPage(items=[report_out(i) for i in chunk], total=len(items), page=page, per_page=per_page)

    @get("/reports/{report_id:int}", guards=[requires_login])
    async def read(self, request: Request, report_id: FromPath[int]) -> ReportOut:
        """Un rapport (membres de l'équipe et gestionnaires)."""
        report = await service.report_by_id(report_id)
        await ensure_reader(request.user, int(report.project))
        return await _out(report_id)

    @put("/reports/{report_id:int}", guards=[requires_login])
    async def write(self, request: Request, report_id: FromPath[int], data: JSONBody[ReportIn]) -> ReportOut:
        """Enregistre le brouillon (membre de l'équipe) ; `submit: true` le remet aux gestionnaires."""
        values = {name: getattr(data, name) for name in ("summary", "achievements", "difficulties", "next_steps",
                                                          "data_ethics")}
        await service.save_report(report_id, actor=request.user, values=values, submit=data.submit,
                                  base_url=_base(request))
        return await _out(report_id)

    @post("/reports/{report_id:int}/decision", guards=[requires_staff], status_code=200)
    async def decide(self, request: Request, report_id: FromPath[int], data: JSONBody[DecisionIn]) -> ReportOut:
        """Accepte le rapport remis, ou demande des compléments (`message` requis) ; l'équipe est prévenue."""
        await service.decide_report(report_id, actor=request.user, accept=data.accept, message=data.message,
                                    base_url=_base(request))
        return await _out(report_id)

    @post("/reports/{report_id:int}/publish", guards=[requires_staff], status_code=200)
    async def publish(self, request: Request, report_id: FromPath[int]) -> ReportOut:
        """Publie un rapport accepté : son contenu devient public sur la page du projet."""
        await service.publish_report(report_id, actor=request.user)
        return await _out(report_id)
