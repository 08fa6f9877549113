"""Staff pages: the management index, roles (admins) and the mail outbox."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.controllers.accounts import mailer_of
from app.web.forms import form_lists, redirect_with_flash
from app.web.guards import requires_admin, requires_staff
from app.web.templating import page
from registry.accounts import service as accounts
from registry.accounts.permissions import is_admin
from registry.accounts.tables import ROLES
from registry.errors import Conflict
from registry.outbox import queries as outbox_queries
from registry.outbox.delivery import retry_message


class ManagePages(Controller):
    path = "/manage"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return page("manage/index.html", request)

    @get("/outbox")
    async def outbox(self, request: Request, show: FromQuery[str] = "") -> Template:
        return page("manage/outbox.html", request, counts=await outbox_queries.state_counts(),
                    entries=await outbox_queries.list_messages(state=show or None), show=show,
                    smtp=mailer_of(request).smtp, personal=is_admin(request.user))

    @get("/outbox/{message_id:int}")
    async def outbox_entry(self, request: Request, message_id: FromPath[int]) -> Template:
        found = await outbox_queries.message_body(message_id)
        if found is None:
            raise NotFoundException()
        entry, body = found
        # Recipients and contents are personal: admins only; a body with a secret link: nobody.
        return page("manage/outbox_entry.html", request, entry=entry, personal=is_admin(request.user),
                    body=body if is_admin(request.user) else "")

    @post("/outbox/{message_id:int}/retry")
    async def outbox_retry(self, request: Request, message_id: FromPath[int]) -> Redirect:
        try:
            await retry_message(message_id, actor=request.user)
        except Conflict:
            return redirect_with_flash(f"/manage/outbox/{message_id}", "outbox_not_retried")
        await mailer_of(request).deliver_now([message_id])
        return redirect_with_flash(f"/manage/outbox/{message_id}", "outbox_retried")


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
