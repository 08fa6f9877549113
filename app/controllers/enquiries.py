"""Enquiry form on the public call page and the manager's FAQ page (/manage/calls/{slug}/faq)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.controllers.calls import detail_page
from app.i18n import gettext as _
from app.web.forms import confirmation_page, confirmed, field_errors, form_lists
from app.web.guards import requires_login, requires_staff
from app.web.templating import page
from registry.calls.service import call_by_slug
from registry.enquiries import service
from registry.errors import Conflict, InvalidInput


def _first(data: dict[str, list[str]], key: str) -> str:
    return (data.get(key) or [""])[0]


class EnquiryPages(Controller):
    include_in_schema = False

    @post("/calls/{slug:str}/enquiries", guards=[requires_login])
    async def ask(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        data = await form_lists(request)
        question = _first(data, "question")
        try:
            await service.ask(slug, actor=request.user, question=question)
        except InvalidInput as error:
            call = await service.public_call(slug)
            return await detail_page(request, call, status_code=422, enquiry_errors=field_errors(error),
                                     enquiry_question=question)
        return Redirect(f"/calls/{slug}?asked=1#enquiries", status_code=303)


async def _manage_page(request: Request, slug: str, *, status_code: int = 200, errors: dict | None = None,
                       values: dict | None = None) -> Template:
    call = await call_by_slug(slug)
    enquiries = await service.enquiries_of(call.id, actor=request.user)
    return page("enquiries/manage_faq.html", request, status_code=status_code, call=call,
                open_enquiries=[e for e in enquiries if e["state"] == "open"],
                answered=[e for e in enquiries if e["state"] != "open"], faq=await service.faq_of(call.id),
                errors=errors or {}, values=values or {})


class ManageFaqPages(Controller):
    path = "/manage"
    guards = [requires_staff]
    include_in_schema = False

    @get("/calls/{slug:str}/faq")
    async def faq(self, request: Request, slug: FromPath[str]) -> Template:
        return await _manage_page(request, slug)

    @post("/calls/{slug:str}/faq")
    async def publish(self, request: Request, slug: FromPath[str]) -> Template | Redirect:
        data = await form_lists(request)
        values = {"question": _first(data, "question"), "answer": _first(data, "answer"),
                  "enquiries": data.get("enquiries", []), "notify_submitted": _first(data, "notify_submitted")}
        try:
            ids = [int(i) for i in values["enquiries"]]
        except ValueError:
            ids = [-1]
        try:
            await service.publish_faq(slug, actor=request.user, question=values["question"],
                                      answer=values["answer"], enquiry_ids=ids,
                                      notify_submitted=values["notify_submitted"] == "1",
                                      base_url=request.app.state.settings.base_url)
        except InvalidInput as error:
            return await _manage_page(request, slug, status_code=422, errors=field_errors(error), values=values)
        return Redirect(f"/manage/calls/{slug}/faq?published=1", status_code=303)

    @post("/faq/{entry_id:int}/edit")
    async def edit(self, request: Request, entry_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        entry = await service.entry_by_id(entry_id)
        call = await call_by_slug_id(entry.call)
        try:
            await service.edit_faq(entry_id, actor=request.user, question=_first(data, "question"),
                                   answer=_first(data, "answer"))
        except (InvalidInput, Conflict) as error:
            return await _manage_page(request, call.slug, status_code=422 if isinstance(error, InvalidInput) else 409,
                                      errors={f"{k}-{entry_id}": v for k, v in field_errors(error).items()})
        return Redirect(f"/manage/calls/{call.slug}/faq?edited=1", status_code=303)

    @post("/faq/{entry_id:int}/withdraw")
    async def withdraw(self, request: Request, entry_id: FromPath[int]) -> Template | Redirect:
        data = await form_lists(request)
        entry = await service.entry_by_id(entry_id)
        call = await call_by_slug_id(entry.call)
        if not confirmed({k: _first(data, k) for k in data}):
            return confirmation_page(
                request, heading=_("Retirer l’entrée de la FAQ"),
                message=_("L’entrée « %(question)s » ne sera plus affichée sur la page de l’appel.")
                % {"question": entry.question},
                action=f"/manage/faq/{entry_id}/withdraw", cancel_url=f"/manage/calls/{call.slug}/faq",
                confirm_label=_("Retirer l’entrée"))
        try:
            await service.withdraw_faq(entry_id, actor=request.user)
        except Conflict:
            pass
        return Redirect(f"/manage/calls/{call.slug}/faq?withdrawn=1", status_code=303)


async def call_by_slug_id(call_id: int):
    from registry.calls.tables import Call

    return await Call.objects().where(Call.id == call_id).first()
