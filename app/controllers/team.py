"""A funded project's team pages: the team (/projects/{slug}/team), invitations (/team/invitations/…),
public page edits (/projects/{slug}/edit), results (/projects/{slug}/results), the public history
(/projects/{slug}/history) and the member's list of funded projects (/account/projects)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.controllers.applications import url_policy
from app.i18n import gettext as _
from app.web import forms
from app.web.forms import confirmation_page, confirmed, field_errors, form_data, redirect_with_flash
from app.web.guards import requires_login
from app.web.templating import page
from registry.errors import Conflict, InvalidInput
from registry.team import edits, members

FLASH_MESSAGES = {
    "team_invited": ("success", "Invitation envoyée par courriel."),
    "team_removed": ("success", "La personne a été retirée de l’équipe."),
    "team_left": ("success", "Vous avez quitté l’équipe du projet."),
    "team_invitation_revoked": ("success", "Invitation annulée."),
    "team_joined": ("success", "Vous faites maintenant partie de l’équipe du projet."),
    "project_edited": ("success", "Page du projet mise à jour ; la modification figure dans son historique."),
    "project_unchanged": ("info", "Aucune modification à enregistrer."),
    "result_saved": ("success", "Résultat enregistré."),
    "result_deleted": ("success", "Résultat supprimé."),
}
forms.FLASH_MESSAGES.update(FLASH_MESSAGES)

FIELD_LABELS = {
    "public_title": "Titre en langage clair",
    "public_summary": "Résumé en langage clair",
    "description": "Description",
    "team": "Équipe affichée",
    "repositories": "Dépôts moissonnés",
}
KIND_LABELS = {"publication": "Publication", "dataset": "Jeu de données", "software": "Logiciel",
               "other": "Autre résultat", "doi": "Publication", "swh": "Logiciel"}
ROLE_LABELS = {"lead": "Responsable", "member": "Membre"}


async def _team_page(request: Request, slug: str, *, status_code: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, str] | None = None) -> Template:
    project = await members.project_by_slug(slug)
    await edits.ensure_editor(request.user, project.id)
    lead = await members.can_lead(request.user, project.id)
    return page("team/team.html", request, status_code=status_code, project=project,
                members=await members.members_of(project.id),
                invitations=await members.pending_invitations(project.id) if lead else [],
                lead=lead, errors=errors or {}, values=values or {"role": "member"}, role_labels=ROLE_LABELS)


async def _edit_page(request: Request, slug: str, *, status_code: int = 200, errors: dict[str, str] | None = None,
                     values: dict[str, str] | None = None) -> Template:
    project = await members.project_by_slug(slug)
    await edits.ensure_editor(request.user, project.id)
    if values is None:
        current = await edits.current_values(project)
        values = {**current, "team": edits.team_text(current["team"]),
                  "repositories": "\n".join(current["repositories"])}
    return page("team/edit.html", request, status_code=status_code, project=project, values=values,
                errors=errors or {})


async def _results_page(request: Request, slug: str, *, status_code: int = 200,
                        errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                        editing: int | None = None) -> Template:
    project = await members.project_by_slug(slug)
    await edits.ensure_editor(request.user, project.id)
    return page("team/results.html", request, status_code=status_code, project=project,
                results=await edits.results_of(project.id), errors=errors or {},
                values=values or {"kind": "publication"}, editing=editing, kind_labels=KIND_LABELS,
                kinds=edits.RESULT_KINDS)


class TeamPages(Controller):
    path = "/"
    guards = [requires_login]
    include_in_schema = False

    @get("/account/projects")
    async def my_projects(self, request: Request) -> Template:
        return page("team/my_projects.html", request, projects=await members.projects_of(request.user.id),
                    role_labels=ROLE_LABELS)

    @get("/projects/{slug:str}/team")
    async def team(self, request: Request, slug: FromPath[str]) -> Template:
        return await _team_page(request, slug)

    @post("/projects/{slug:str}/team/invite")
    async def invite(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        data = await form_data(request)
        values = {"email": data.get("email", ""), "role": data.get("role", "member")}
        try:
            await members.invite(slug, values["email"], values["role"], actor=request.user)
        except InvalidInput as error:
            return await _team_page(request, slug, status_code=422, errors=field_errors(error), values=values)
        return redirect_with_flash(f"/projects/{slug}/team", "team_invited")

    @post("/projects/{slug:str}/team/members/{user_id:int}/remove")
    async def remove(self, request: Request, slug: FromPath[str], user_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        project = await members.project_by_slug(slug)
        leaving = user_id == request.user.id
        if not confirmed(data):
            await edits.ensure_editor(request.user, project.id)
            people = {m["user_id"]: m["name"] for m in await members.members_of(project.id)}
            name = people.get(user_id, "")
            return confirmation_page(
                request, heading=_("Quitter l’équipe du projet") if leaving else _("Retirer de l’équipe"),
                message=(_("Vous ne pourrez plus modifier la page du projet ni ses résultats.") if leaving else
                         _("%(name)s ne pourra plus modifier la page du projet ni ses résultats.") % {"name": name}),
                action=f"/projects/{slug}/team/members/{user_id}/remove", fields={},
                cancel_url=f"/projects/{slug}/team",
                confirm_label=_("Quitter l’équipe") if leaving else _("Retirer"))
        try:
            await members.remove_member(slug, user_id, actor=request.user)
        except Conflict as error:
            return await _team_page(request, slug, status_code=409, errors={"form": _(error.detail)})
        if leaving:
            return redirect_with_flash("/account/projects", "team_left")
        return redirect_with_flash(f"/projects/{slug}/team", "team_removed")

    @post("/projects/{slug:str}/team/invitations/{invitation_id:int}/revoke")
    async def revoke(self, request: Request, slug: FromPath[str], invitation_id: FromPath[int]) -> Redirect:
        await members.revoke_invitation(slug, invitation_id, actor=request.user)
        return redirect_with_flash(f"/projects/{slug}/team", "team_invitation_revoked")

    @get("/projects/{slug:str}/edit")
    async def edit(self, request: Request, slug: FromPath[str]) -> Template:
        return await _edit_page(request, slug)

    @post("/projects/{slug:str}/edit")
    async def save(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        data = await form_data(request)
        values = {name: data.get(name, "") for name in edits.EDIT_FIELDS}
        settings = request.app.state.settings
        try:
            changed = await edits.edit_public(slug, values, actor=request.user, policy=url_policy(request),
                                              gitlab_hosts=tuple(settings.gitlab_hosts))
        except InvalidInput as error:
            return await _edit_page(request, slug, status_code=422, errors=field_errors(error), values=values)
        return redirect_with_flash(f"/projects/{slug}", "project_edited" if changed else "project_unchanged")

    @get("/projects/{slug:str}/results")
    async def results(self, request: Request, slug: FromPath[str]) -> Template:
        editing = request.query_params.get("edit")
        if editing and editing.isdigit():
            project = await members.project_by_slug(slug)
            for item in await edits.results_of(project.id):
                if item["id"] == int(editing):
                    values = {k: "" if item[k] is None else str(item[k]) for k in ("kind", "title", "url", "year")}
                    values["doi"] = item["identifier"]
                    return await _results_page(request, slug, values=values, editing=item["id"])
        return await _results_page(request, slug)

    @post("/projects/{slug:str}/results")
    async def add_result(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        data = await form_data(request)
        values = {k: data.get(k, "") for k in ("kind", "title", "doi", "url", "year")}
        editing = data.get("result_id", "")
        try:
            if editing.isdigit():
                await edits.update_result(slug, int(editing), values, actor=request.user)
            else:
                await edits.add_result(slug, values, actor=request.user)
        except InvalidInput as error:
            return await _results_page(request, slug, status_code=422, errors=field_errors(error), values=values,
                                       editing=int(editing) if editing.isdigit() else None)
        return redirect_with_flash(f"/projects/{slug}/results", "result_saved")

    @post("/projects/{slug:str}/results/{result_id:int}/delete")
    async def delete_result(self, request: Request, slug: FromPath[str],
                            result_id: FromPath[int]) -> Template | Redirect:
        data = await form_data(request)
        if not confirmed(data):
            project = await members.project_by_slug(slug)
            await edits.ensure_editor(request.user, project.id)
            return confirmation_page(
                request, heading=_("Supprimer le résultat"),
                message=_("Le résultat disparaîtra de la page publique du projet et de ses exports."),
                action=f"/projects/{slug}/results/{result_id}/delete", fields={},
                cancel_url=f"/projects/{slug}/results", confirm_label=_("Supprimer"))
        await edits.delete_result(slug, result_id, actor=request.user)
        return redirect_with_flash(f"/projects/{slug}/results", "result_deleted")


class TeamPublicPages(Controller):
    """Pages open to everyone: the public history, and an invitation's landing page."""

    path = "/"
    include_in_schema = False

    @get("/projects/{slug:str}/history")
    async def history(self, request: Request, slug: FromPath[str]) -> Template:
        project = await members.project_by_slug(slug)
        return page("team/history.html", request, project=project,
                    history=await edits.public_history(project.id), field_labels=FIELD_LABELS)

    @get("/team/invitations/{token:str}")
    async def invitation(self, request: Request, token: FromPath[str]) -> Template:
        try:
            row, project = await members.invitation_by_token(token)
        except Conflict as error:
            return page("team/invitation.html", request, status_code=410, problem=_(error.detail), project=None,
                        token=token, invitation=None)
        return page("team/invitation.html", request, project=project, invitation=row, token=token, problem="",
                    role_labels=ROLE_LABELS)

    @post("/team/invitations/{token:str}", guards=[requires_login])
    async def accept(self, request: Request, token: FromPath[str]) -> Redirect:
        project = await members.accept_invitation(token, actor=request.user)
        return redirect_with_flash(f"/projects/{project.slug}/team", "team_joined")

