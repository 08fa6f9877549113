"""Staff pages: the management index, roles (admins) and the mail outbox."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.controllers.accounts import mailer_of
from app.web.forms import form_lists, redirect_with_flash
from app.web.guards import requires_admin, requires_staff
from app.web.templating import page
from registry.accounts import service as accounts
from registry.accounts.tables import ROLES


class ManagePages(Controller):
    path = "/manage"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return page("manage/index.html", request)

    @get("/outbox")
    async def outbox(self, request: Request) -> Template:
        return page("manage/outbox.html", request, entries=mailer_of(request).outbox(),
                    smtp=bool(mailer_of(request).smtp_url))

    @get("/outbox/{name:str}")
    async def outbox_entry(self, request: Request, name: FromPath[str]) -> Template:
        entry = mailer_of(request).outbox_entry(name)
        if entry is None:
            raise NotFoundException()
        return page("manage/outbox_entry.html", request, entry=entry)


class AdminPages(Controller):
    path = "/manage/users"
    guards = [requires_admin]
    include_in_schema = False

    @get("/")
    async def users(self, request: Request) -> Template:
        return page("manage/users.html", request, users=await accounts.list_users(), roles=ROLES)

    @post("/{user_id:int}/roles")
    async def save_roles(self, request: Request, user_id: FromPath[int]) -> Redirect:
        data = await form_lists(request)
        await accounts.set_roles(user_id, data.get("roles", []), actor=request.user)
        return redirect_with_flash("/manage/users", "roles_saved")
