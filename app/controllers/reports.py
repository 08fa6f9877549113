"""Progress report pages: the project team writes (/projects/{slug}/reports, /reports/{id}); programme
staff request, read, accept, ask for more and publish (/manage/reports…), and set a call's schedule."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.web import forms
from app.web.forms import confirmation_page, confirmed, field_errors, form_data, redirect_with_flash
from app.web.guards import requires_login, requires_staff
from app.web.templating import page
from registry.accounts.permissions import is_staff
from registry.errors import N_, FieldError, InvalidInput, NotFound
from registry.projects.tables import Project
from registry.reports import service, views
from registry.reports.access import ensure_reader, is_member, project_by_slug
from registry.reports.tables import CONTENT_FIELDS, ReportSchedule

# Flash codes of this area (app.web.forms reads them; the extractor reads this table too).
FLASH_MESSAGES = {
    "report_requested": ("success", "Le rapport est demandé ; l’équipe du projet est prévenue par courriel."),
    "report_saved": ("success", "Brouillon du rapport enregistré. Il n’est pas encore remis."),
    "report_submitted": ("success", "Rapport remis : les gestionnaires du programme sont prévenus."),
    "report_accepted": ("success", "Rapport accepté ; l’équipe du projet est prévenue."),
    "report_more_requested": ("success", "Compléments demandés : le rapport est rouvert pour l’équipe, prévenue "
                                         "par courriel."),
    "report_published": ("success", "Le rapport est publié sur la page du projet."),
    "report_schedule_saved": ("success", "Le calendrier des rapports de l’appel est enregistré."),
}
forms.FLASH_MESSAGES.update(FLASH_MESSAGES)

FIELD_LABELS = {
    "summary": "Synthèse",
    "achievements": "Réalisations de la période",
    "difficulties": "Difficultés rencontrées",
    "next_steps": "Prochaines étapes",
    "data_ethics": "Données, éthique et conformité",
}


def _base(request: Request) -> str:
    return request.app.state.settings.base_url


async def _report_page(request: Request, report_id: int, *, status_code: int = 200,
                       errors: dict[str, str] | None = None, values: dict[str, str] | None = None) -> Template:
    report = await service.report_by_id(report_id)
    await ensure_reader(request.user, int(report.project))
    view = await views.report_view(report_id)
    assert view is not None
    member = await is_member(int(report.project), request.user.id)
    if values is None:
        values = {name: view[name] for name in CONTENT_FIELDS}
    return page("reports/report.html", request, status_code=status_code, report=view, member=member,
                errors=errors or {}, values=values, field_labels=FIELD_LABELS, state_labels=service.STATE_LABELS)


class ReportPages(Controller):
    """The project team's pages (staff may read them)."""

    path = "/"
    guards = [requires_login]
    include_in_schema = False

    @get("/projects/{slug:str}/reports")
    async def project_reports(self, request: Request, slug: FromPath[str]) -> Template:
        project = await project_by_slug(slug)
        await ensure_reader(request.user, project.id)
        return page("reports/project_reports.html", request, project=project,
                    reports=await views.project_reports(project.id), state_labels=service.STATE_LABELS,
                    staff=is_staff(request.user))

    @get("/reports/{report_id:int}")
    async def report(self, request: Request, report_id: FromPath[int]) -> Template:
        return await _report_page(request, report_id)

    @post("/reports/{report_id:int}")
    async def save(self, request: Request, report_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        action = data.get("action", "save")
        values = {name: data.get(name, "") for name in CONTENT_FIELDS}
        if action == "edit":  # back from the confirmation page: the form as it was, nothing saved
            return await _report_page(request, report_id, values=values)
        submit = action == "submit"
        try:
            if submit and not confirmed(data):
                report, _clean = await service.check_report(report_id, actor=request.user, values=values, submit=True)
                return confirmation_page(
                    request, heading=_("Remettre le rapport d’avancement"),
                    message=_("Une fois remis, le rapport ne peut plus être modifié, sauf si l’équipe du programme "
                              "demande des compléments."),
                    consequences=[_("Période : %(period)s") % {"period": report.period_label},
                                  _("Chaque gestionnaire du programme reçoit un courriel."),
                                  _("La page publique du projet indique que le rapport a été reçu ; son contenu "
                                    "n’y paraît que si l’équipe du programme le publie.")],
                    action=f"/reports/{report_id}", fields={**values, "action": "submit"},
                    confirm_label=_("Confirmer la remise"), cancel_url=f"/reports/{report_id}")
            await service.save_report(report_id, actor=request.user, values=values, submit=submit,
                                      base_url=_base(request))
        except InvalidInput as error:
            return await _report_page(request, report_id, status_code=422, errors=field_errors(error), values=values)
        return redirect_with_flash(f"/reports/{report_id}", "report_submitted" if submit else "report_saved")


async def _manage_page(request: Request, report_id: int, *, status_code: int = 200,
                       errors: dict[str, str] | None = None, message: str = "") -> Template:
    view = await views.report_view(report_id)
    if view is None:
        raise NotFound(N_("Rapport introuvable."))
    return page("reports/manage_report.html", request, status_code=status_code, report=view, errors=errors or {},
                message=message, field_labels=FIELD_LABELS, state_labels=service.STATE_LABELS)


class ManageReportPages(Controller):
    path = "/manage/reports"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        state = request.query_params.get("state")
        state = state if state in service.STATE_LABELS else None
        groups = await views.all_reports(state)
        projects = await Project.select(Project.slug, Project.title, Project.public_title).order_by(Project.title)
        return page("reports/manage_index.html", request, groups=groups, state=state,
                    state_labels=service.STATE_LABELS, projects=projects)

    @get("/new")
    async def new(self, request: Request, project: FromQuery[str | None] = None) -> Template:
        return await self._request_form(request, values={"project": project or ""})

    async def _request_form(self, request: Request, *, values: dict[str, str], errors: dict[str, str] | None = None,
                            status_code: int = 200) -> Template:
        projects = await Project.select(Project.slug, Project.title, Project.public_title).order_by(Project.title)
        return page("reports/request_form.html", request, values=values, errors=errors or {}, projects=projects,
                    status_code=status_code)

    @post("/new")
    async def create(self, request: Request) -> Template | Redirect:
        data = await form_data(request)
        slug = data.get("project", "")
        try:
            if not slug:
                raise InvalidInput("Choisissez le projet.", [FieldError("project", "Choisissez le projet.")])
            report = await service.request_report(
                slug, actor=request.user, due_on=data.get("due_on", ""), period=data.get("period", ""),
                period_start=data.get("period_start", ""), period_end=data.get("period_end", ""),
                note=data.get("note", ""), base_url=_base(request))
        except InvalidInput as error:
            return await self._request_form(request, values=data, errors=field_errors(error), status_code=422)
        except NotFound:
            return await self._request_form(request, values=data, status_code=422,
                                            errors={"project": _("Choisissez le projet.")})
        return redirect_with_flash(f"/manage/reports/{report.id}", "report_requested")

    @get("/{report_id:int}")
    async def report(self, request: Request, report_id: FromPath[int]) -> Template:
        return await _manage_page(request, report_id)

    @post("/{report_id:int}/accept")
    async def accept(self, request: Request, report_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        view = await views.report_view(report_id)
        if view is None:
            raise NotFound(N_("Rapport introuvable."))
        if not confirmed(data):
            return confirmation_page(
                request, heading=_("Accepter le rapport"),
                message=_("Le rapport « %(period)s » du projet « %(title)s » sera accepté.")
                % {"period": view["period"], "title": view["project_title"]},
                consequences=[_("L’équipe du projet reçoit un courriel avec votre message."),
                              _("La page publique indique que le rapport est accepté.")],
                action=f"/manage/reports/{report_id}/accept", fields={"message": data.get("message", "")},
                confirm_label=_("Accepter le rapport"), cancel_url=f"/manage/reports/{report_id}")
        try:
            await service.decide_report(report_id, actor=request.user, accept=True, message=data.get("message", ""),
                                        base_url=_base(request))
        except InvalidInput as error:
            return await _manage_page(request, report_id, status_code=422, errors=field_errors(error),
                                      message=data.get("message", ""))
        return redirect_with_flash(f"/manage/reports/{report_id}", "report_accepted")

    @post("/{report_id:int}/more")
    async def more(self, request: Request, report_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        message = data.get("message", "")
        view = await views.report_view(report_id)
        if view is None:
            raise NotFound(N_("Rapport introuvable."))
        try:
            if not message.strip():
                raise InvalidInput("Dites à l’équipe ce qu’il faut compléter.",
                                   [FieldError("message", "Dites à l’équipe ce qu’il faut compléter.")])
            if not confirmed(data):
                return confirmation_page(
                    request, heading=_("Demander des compléments"),
                    message=_("Le rapport « %(period)s » du projet « %(title)s » sera rouvert pour l’équipe.")
                    % {"period": view["period"], "title": view["project_title"]},
                    consequences=[_("L’équipe du projet reçoit un courriel avec votre message."),
                                  _("Elle pourra compléter le rapport puis le remettre à nouveau.")],
                    action=f"/manage/reports/{report_id}/more", fields={"message": message},
                    confirm_label=_("Demander des compléments"), cancel_url=f"/manage/reports/{report_id}")
            await service.decide_report(report_id, actor=request.user, accept=False, message=message,
                                        base_url=_base(request))
        except InvalidInput as error:
            return await _manage_page(request, report_id, status_code=422, errors=field_errors(error), message=message)
        return redirect_with_flash(f"/manage/reports/{report_id}", "report_more_requested")

    @post("/{report_id:int}/publish")
    async def publish(self, request: Request, report_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        view = await views.report_view(report_id)
        if view is None:
            raise NotFound(N_("Rapport introuvable."))
        if not confirmed(data):
            return confirmation_page(
                request, heading=_("Publier le rapport"),
                message=_("Le contenu du rapport « %(period)s » paraîtra sur la page publique du projet « %(title)s ».")
                % {"period": view["period"], "title": view["project_title"]},
                consequences=[_("Tout le monde pourra le lire, et la publication ne peut pas être retirée ici.")],
                action=f"/manage/reports/{report_id}/publish", confirm_label=_("Publier le rapport"),
                cancel_url=f"/manage/reports/{report_id}")
        await service.publish_report(report_id, actor=request.user)
        return redirect_with_flash(f"/manage/reports/{report_id}", "report_published")

    @get("/schedules/{call_slug:str}")
    async def schedule(self, request: Request, call_slug: FromPath[str]) -> Template:
        return await self._schedule_form(request, call_slug)

    async def _schedule_form(self, request: Request, call_slug: str, *, values: dict[str, str] | None = None,
                             errors: dict[str, str] | None = None, status_code: int = 200) -> Template:
        from registry.calls.tables import Call

        call = await Call.objects().where(Call.slug == call_slug).first()
        if call is None:
            raise NotFound(N_("Appel introuvable."))
        current = await ReportSchedule.objects().where(ReportSchedule.call == call.id).first()
        if values is None:
            values = {"every_months": str(current.every_months if current else 6),
                      "lead_days": str(current.lead_days if current else 30),
                      "active": "on" if (current is None or current.active) else ""}
        return page("reports/schedule_form.html", request, call=call, schedule=current, values=values,
                    errors=errors or {}, status_code=status_code)

    @post("/schedules/{call_slug:str}")
    async def save_schedule(self, request: Request, call_slug: FromPath[str]) -> Template | Redirect:
        data = await form_data(request)
        try:
            await service.save_schedule(call_slug, actor=request.user, every_months=data.get("every_months", ""),
                                        lead_days=data.get("lead_days", ""), active=data.get("active") == "on")
        except InvalidInput as error:
            return await self._schedule_form(request, call_slug, values=data, errors=field_errors(error),
                                             status_code=422)
        return redirect_with_flash(f"/manage/reports/schedules/{call_slug}", "report_schedule_saved")


__all__ = ["ManageReportPages", "ReportPages"]


async def public_block(request: Request, project_id: int) -> dict:
    """The context of templates/reports/_public_block.html on the public project page: the reports
    received (content only once published), and the link to the team's reports for members and staff."""
    actor = request.scope.get("user")
    link = actor is not None and (is_staff(actor) or await is_member(project_id, actor.id))
    return {"public_reports": await views.public_reports(project_id), "reports_link": link}
