"""Requests for changes after submission: the manager's request form (on the application's page,
confirmed) and the thread's reply form (applicants and managers). Domain: registry/enquiries/corrections.py."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.i18n import current_language
from app.i18n import gettext as _
from app.timefmt import format_when
from app.web.forms import confirmation_page, confirmed, field_errors, form_lists, redirect_with_flash
from app.web.guards import requires_login, requires_staff
from registry.applications.permissions import application_for
from registry.enquiries import corrections
from registry.errors import Conflict, InvalidInput


def _first(data: dict[str, list[str]], key: str) -> str:
    return (data.get(key) or [""])[0]


async def _page_with_errors(request: Request, application_id: int, *, status_code: int, errors: dict[str, str],
                            values: dict[str, str], form: str, notice: str = "") -> Template:
    from app.controllers.applications import ApplicationPages

    return await ApplicationPages._show(None, request, application_id, status_code=status_code,  # type: ignore[arg-type]
                                        correction_form={"form": form, "errors": errors, "values": values,
                                                         "notice": notice})


class CorrectionPages(Controller):
    include_in_schema = False

    @post("/manage/applications/{application_id:int}/corrections", guards=[requires_staff])
    async def request_correction(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        values = {"message": _first(data, "message"), "due_on": _first(data, "due_on"),
                  "visible_to_reviewers": _first(data, "visible_to_reviewers")}
        application = await application_for(request.user, application_id)
        errors: dict[str, str] = {}
        try:  # check first, so the confirmation step only shows a request that will be accepted
            corrections._raise_if_invalid(values["message"], values["due_on"])
        except InvalidInput as error:
            errors = field_errors(error)
        if errors:
            return await _page_with_errors(request, application_id, status_code=422, errors=errors, values=values,
                                           form="request")
        if not confirmed({k: _first(data, k) for k in data}):
            return confirmation_page(
                request, heading=_("Demander une correction"),
                message=_("La candidature « %(title)s » sera rouverte pour ses porteurs jusqu’au %(due)s inclus ; "
                          "ils seront prévenus par courriel.")
                % {"title": application.title or _("(sans titre)"),
                   "due": format_when(corrections.parse_due(values["due_on"]), current_language.get())},
                consequences=[values["message"]],
                action=f"/manage/applications/{application_id}/corrections", fields=values,
                cancel_url=f"/applications/{application_id}", confirm_label=_("Demander la correction"))
        try:
            await corrections.request_correction(
                application_id, actor=request.user, message=values["message"], due_on=values["due_on"],
                visible_to_reviewers=values["visible_to_reviewers"] == "1",
                base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await _page_with_errors(request, application_id, status_code=422, errors=field_errors(error),
                                           values=values, form="request")
        except Conflict as error:
            return await _page_with_errors(request, application_id, status_code=409, errors={}, values=values,
                                           form="request", notice=_(error.detail))
        return redirect_with_flash(f"/applications/{application_id}#corrections", "correction_requested")

    @post("/corrections/{correction_id:int}/replies", guards=[requires_login])
    async def reply(self, request: Request, correction_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        message = _first(data, "message")
        correction = await corrections.correction_by_id(correction_id)
        try:
            await corrections.reply(correction_id, actor=request.user, message=message,
                                    base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await _page_with_errors(request, correction.application, status_code=422,
                                           errors=field_errors(error), values={"message": message}, form="reply")
        except Conflict as error:
            return await _page_with_errors(request, correction.application, status_code=409, errors={},
                                           values={"message": message}, form="reply", notice=_(error.detail))
        return redirect_with_flash(f"/applications/{correction.application}#corrections", "correction_replied")
