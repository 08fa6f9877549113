"""Staff pages: the management index, roles (admins) and the mail outbox."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.controllers.accounts import mailer_of
from app.i18n import gettext
from app.web.forms import form_lists, redirect_with_flash
from app.web.guards import requires_admin, requires_staff
from app.web.templating import page
from registry.accounts import service as accounts
from registry.accounts.permissions import is_admin
from registry.accounts.tables import ROLES
from registry.errors import Conflict
from registry.outbox import queries as outbox_queries
from registry.outbox.delivery import retry_message


async def dashboard() -> dict:
    """The management index: per call its applications by true state, and what needs action."""
    from registry.calls import queries as call_queries
    from registry.calls.queries import true_counts
    from registry.calls.state import STATE_LABELS
    from registry.projects.tables import Repository
    from registry.reviews.tables import Decision
    from registry.reviews.views import review_progress

    calls, _total = await call_queries.list_calls(include_drafts=True, per_page=100)
    counts = await true_counts([row["id"] for row in calls])
    rows = []
    for call in calls:
        c, slug, actions = counts[call["id"]], call["slug"], []
        state = call["state"]
        if state == "draft":
            actions.append(("publish", f"/manage/calls/{slug}", c))
        elif state == "closed":
            actions.append(("start_review", f"/manage/calls/{slug}", c))
        elif state == "in_review":
            reviewable = c["submitted"] - c["decided"]
            progress = await review_progress(call["id"])
            unassigned = max(reviewable - sum(1 for p in progress.values() if p["assigned"]), 0)
            awaiting = sum(p["assigned"] - p["submitted"] for p in progress.values())
            handed_in = sum(p["submitted"] for p in progress.values())
            prepared = await Decision.count().where((Decision.call == call["id"]) & (Decision.state == "prepared"))
            if unassigned:
                actions.append(("assign", f"/manage/reviews/calls/{slug}", unassigned))
            if awaiting:
                actions.append(("reviews", f"/manage/reviews/calls/{slug}", awaiting))
            if handed_in and reviewable > prepared:
                actions.append(("decide", f"/manage/reviews/calls/{slug}/decisions", reviewable - prepared))
            if prepared and prepared >= reviewable:
                actions.append(("release", f"/manage/reviews/calls/{slug}/decisions", prepared))
        rows.append({**call, "counts": c, "actions": actions})
    outbox = await outbox_queries.state_counts()
    failing = await Repository.count().where((Repository.last_error != "") & (Repository.gone == False))  # noqa: E712
    return {"calls": rows, "call_labels": STATE_LABELS, "outbox_failed": outbox.get("failed", 0),
            "harvest_failing": failing}


class ManagePages(Controller):
    path = "/manage"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def index(self, request: Request) -> Template:
        return page("manage/index.html", request, **await dashboard())

    @get("/outbox")
    async def outbox(self, request: Request, show: FromQuery[str] = "") -> Template:
        return page("manage/outbox.html", request, counts=await outbox_queries.state_counts(),
                    entries=await outbox_queries.list_messages(state=show or None), show=show,
                    smtp=mailer_of(request).smtp, personal=is_admin(request.user), plain_gettext=gettext)

    @get("/outbox/{message_id:int}")
    async def outbox_entry(self, request: Request, message_id: FromPath[int]) -> Template:
        found = await outbox_queries.message_body(message_id)
        if found is None:
            raise NotFoundException()
        entry, body = found
        # Recipients and contents are personal: admins only; a body with a secret link: nobody.
        return page("manage/outbox_entry.html", request, entry=entry, personal=is_admin(request.user),
                    plain_gettext=gettext,
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
