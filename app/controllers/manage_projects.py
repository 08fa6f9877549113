"""Manager follow-up of funded projects: milestones, deliverables checked against the harvest, payment tranches.

/manage/projects lists the funded projects (granted, paid, milestones met/late); /manage/projects/{slug} shows
and edits the milestones. Irreversible steps (delete, missed, approve, pay) go through the confirmation page.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import gettext as _
from app.web import forms
from app.web.forms import confirmation_page, confirmed, field_errors, form_data, redirect_with_flash
from app.web.guards import requires_staff
from app.web.templating import page
from registry.errors import N_, Conflict, InvalidInput, NotFound
from registry.projects import milestones as service
from registry.projects.tables import Project

FLASH_MESSAGES = {
    "milestone_created": ("success", N_("Le jalon a été ajouté.")),
    "milestone_saved": ("success", N_("Le jalon a été enregistré.")),
    "milestone_deleted": ("success", N_("Le jalon a été supprimé.")),
    "milestone_ticked": ("success", N_("Le jalon a été validé.")),
    "milestone_waived": ("success", N_("Le jalon a été levé.")),
    "milestone_missed": ("success", N_("Le jalon a été déclaré manqué.")),
    "tranche_approved": ("success", N_("La tranche a été approuvée.")),
    "tranche_paid": ("success", N_("Le paiement de la tranche a été enregistré.")),
    "milestones_evaluated": ("success", N_("Les jalons ont été réévalués d’après les données collectées.")),
}
forms.FLASH_MESSAGES.update(FLASH_MESSAGES)

FORM_FIELDS = ("title", "due_on", "deliverable.kind", "deliverable.min_version", "deliverable.path",
               "deliverable.since", "deliverable.text", "tranche_amount")


async def funded_projects() -> list[dict[str, Any]]:
    rows = await Project.select(Project.id, Project.slug, Project.title, Project.public_title,
                                Project.amount_granted, Project.call.slug.as_alias("call_slug"),
                                Project.call.title_fr.as_alias("call_title_fr"),
                                Project.call.title_en.as_alias("call_title_en")).order_by(Project.title)
    summary = await service.funding_summary([r["id"] for r in rows])
    empty = {"paid": 0, "met": 0, "total": 0, "late": 0, "missed": 0, "tranches": 0}
    return [{**row, **summary.get(row["id"], empty)} for row in rows]


async def _project(slug: str) -> dict[str, Any]:
    row = await Project.select(Project.id, Project.slug, Project.title, Project.public_title,
                               Project.amount_granted, Project.licence_expression, Project.licence_compliant).where(
        Project.slug == slug).first()
    if row is None:
        raise NotFoundException(_("Projet introuvable."))
    return row


async def _milestone(slug: str, milestone_id: int) -> dict[str, Any]:
    try:
        row = await service.get_milestone(milestone_id)
    except NotFound:
        raise NotFoundException(_("Jalon introuvable.")) from None
    if row["project_slug"] != slug:
        raise NotFoundException(_("Jalon introuvable."))
    return row


def _as_input(data: dict[str, str]) -> dict[str, Any]:
    return {"title": data.get("title", ""), "due_on": data.get("due_on", ""),
            "deliverable": {"kind": data.get("deliverable.kind", ""),
                            "min_version": data.get("deliverable.min_version", ""),
                            "path": data.get("deliverable.path", ""), "since": data.get("deliverable.since", ""),
                            "text": data.get("deliverable.text", "")},
            "tranche_amount": data.get("tranche_amount", "")}


def _values_of(row: dict[str, Any]) -> dict[str, str]:
    return {"title": row["title"], "due_on": str(row["due_on"] or "")[:10], "deliverable.kind": row["kind"],
            "deliverable.min_version": row["min_version"], "deliverable.path": row["path"],
            "deliverable.since": str(row["since"] or "")[:10], "deliverable.text": row["deliverable"],
            "tranche_amount": "" if row["tranche_amount"] is None else str(row["tranche_amount"])}


def _kind_options() -> list[tuple[str, str]]:
    return [(kind, _(service.KIND_LABELS[kind])) for kind in service.KINDS]


async def project_page(request: Request, slug: str, *, status_code: int = 200, errors: dict[str, str] | None = None,
                       values: dict[str, str] | None = None, error_for: int | None = None,
                       action_errors: dict[str, str] | None = None) -> Template:
    project = await _project(slug)
    rows = await service.project_milestones(project["id"])
    summary = (await service.funding_summary([project["id"]])).get(project["id"], {})
    return page("manage/projects_detail.html", request, status_code=status_code, project=project, milestones=rows,
                summary=summary, errors=errors or {}, values=values or {}, kinds=_kind_options(),
                kind_labels=service.KIND_LABELS, status_labels=service.STATUS_LABELS,
                tranche_labels=service.TRANCHE_LABELS, error_for=error_for, action_errors=action_errors or {})


class ManageProjectPages(Controller):
    path = "/manage/projects"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        rows = await funded_projects()
        totals = {"granted": sum(r["amount_granted"] or 0 for r in rows), "paid": sum(r["paid"] for r in rows)}
        return page("manage/projects.html", request, projects=rows, totals=totals)

    @get("/{slug:str}")
    async def detail(self, request: Request, slug: FromPath[str]) -> Template:
        return await project_page(request, slug)

    @post("/{slug:str}/milestones")
    async def create(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        await _project(slug)
        data = await form_data(request)
        try:
            await service.create_milestone(slug, _as_input(data), request.user)
        except InvalidInput as error:
            return await project_page(request, slug, status_code=422, errors=field_errors(error),
                                      values={k: data.get(k, "") for k in FORM_FIELDS})
        return redirect_with_flash(f"/manage/projects/{slug}", "milestone_created")

    @get("/{slug:str}/milestones/{milestone_id:int}/edit")
    async def edit(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template:
        row = await _milestone(slug, milestone_id)
        return page("manage/projects_milestone.html", request, project=await _project(slug), milestone=row,
                    values=_values_of(row), errors={}, kinds=_kind_options())

    @post("/{slug:str}/milestones/{milestone_id:int}/edit")
    async def save(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        row = await _milestone(slug, milestone_id)
        data = await form_data(request)
        try:
            await service.update_milestone(milestone_id, _as_input(data), request.user)
        except (InvalidInput, Conflict) as error:
            return page("manage/projects_milestone.html", request, status_code=422 if isinstance(
                error, InvalidInput) else 409, project=await _project(slug), milestone=row,
                values={k: data.get(k, "") for k in FORM_FIELDS}, errors=field_errors(error), kinds=_kind_options())
        return redirect_with_flash(f"/manage/projects/{slug}", "milestone_saved")

    @post("/{slug:str}/milestones/{milestone_id:int}/delete")
    async def remove(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        row = await _milestone(slug, milestone_id)
        data = await form_data(request)
        back = f"/manage/projects/{slug}"
        if not confirmed(data):
            return confirmation_page(request, heading=_("Supprimer le jalon"),
                                     message=_("Le jalon « %(title)s » et sa tranche seront supprimés.")
                                     % {"title": row["title"]},
                                     action=f"{back}/milestones/{milestone_id}/delete", cancel_url=back,
                                     confirm_label=_("Supprimer le jalon"))
        return await self._act(request, slug, milestone_id, service.delete_milestone(milestone_id, request.user),
                               "milestone_deleted")

    @post("/{slug:str}/milestones/{milestone_id:int}/tick")
    async def tick(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        await _milestone(slug, milestone_id)
        data = await form_data(request)
        return await self._act(request, slug, milestone_id,
                               service.tick_manual(milestone_id, data.get("note", ""), request.user),
                               "milestone_ticked")

    @post("/{slug:str}/milestones/{milestone_id:int}/waive")
    async def waive(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        await _milestone(slug, milestone_id)
        data = await form_data(request)
        return await self._act(request, slug, milestone_id,
                               service.waive(milestone_id, data.get("reason", ""), request.user), "milestone_waived")

    @post("/{slug:str}/milestones/{milestone_id:int}/missed")
    async def missed(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        row = await _milestone(slug, milestone_id)
        data = await form_data(request)
        back = f"/manage/projects/{slug}"
        if not confirmed(data):
            return confirmation_page(request, heading=_("Déclarer le jalon manqué"),
                                     message=_("Le jalon « %(title)s » sera clos comme manqué ; sa tranche ne sera "
                                               "pas versée.") % {"title": row["title"]},
                                     action=f"{back}/milestones/{milestone_id}/missed", cancel_url=back,
                                     confirm_label=_("Déclarer manqué"))
        return await self._act(request, slug, milestone_id, service.mark_missed(milestone_id, request.user),
                               "milestone_missed")

    @post("/{slug:str}/milestones/{milestone_id:int}/approve")
    async def approve(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        row = await _milestone(slug, milestone_id)
        data = await form_data(request)
        back = f"/manage/projects/{slug}"
        if not confirmed(data):
            return confirmation_page(request, heading=_("Approuver la tranche"),
                                     message=_("La tranche du jalon « %(title)s » sera approuvée pour paiement.")
                                     % {"title": row["title"]},
                                     consequences=[_("Montant : %(amount)s €") % {"amount": row["tranche_amount"]}],
                                     action=f"{back}/milestones/{milestone_id}/approve", cancel_url=back,
                                     confirm_label=_("Approuver la tranche"))
        return await self._act(request, slug, milestone_id, service.approve_tranche(milestone_id, request.user),
                               "tranche_approved")

    @post("/{slug:str}/milestones/{milestone_id:int}/pay")
    async def pay(self, request: Request, slug: FromPath[str], milestone_id: FromPath[int]) -> Template | Redirect:
        row = await _milestone(slug, milestone_id)
        data = await form_data(request)
        back = f"/manage/projects/{slug}"
        if not confirmed(data):
            return confirmation_page(request, heading=_("Enregistrer le paiement"),
                                     message=_("Le paiement de la tranche du jalon « %(title)s » sera enregistré ; "
                                               "il sera public.") % {"title": row["title"]},
                                     consequences=[_("Montant : %(amount)s €") % {"amount": row["tranche_amount"]}],
                                     action=f"{back}/milestones/{milestone_id}/pay", cancel_url=back,
                                     confirm_label=_("Enregistrer le paiement"))
        return await self._act(request, slug, milestone_id, service.pay_tranche(milestone_id, request.user),
                               "tranche_paid")

    @post("/{slug:str}/evaluate")
    async def evaluate(self, request: Request, slug: FromPath[str]) -> Redirect:
        await _project(slug)
        await service.evaluate_slug(slug)
        return redirect_with_flash(f"/manage/projects/{slug}", "milestones_evaluated")

    async def _act(self, request: Request, slug: str, milestone_id: int, action: Any, flash: str
                   ) -> Template | Redirect:
        try:
            await action
        except InvalidInput as error:
            return await project_page(request, slug, status_code=422, error_for=milestone_id,
                                      action_errors={f"{e.field}-{milestone_id}": _(e.message) for e in error.errors})
        except Conflict as error:
            return await project_page(request, slug, status_code=409, error_for=milestone_id,
                                      action_errors={f"action-{milestone_id}": _(error.detail)})
        return redirect_with_flash(f"/manage/projects/{slug}", flash)
