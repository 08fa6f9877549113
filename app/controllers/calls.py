"""Public call pages: the list of every public call by phase, and one call with its criteria."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.controllers.api.calls import effective_policy
from app.i18n import current_language
from app.timefmt import format_duration
from app.web.templating import page
from registry.calls import queries
from registry.calls.service import call_by_slug
from registry.calls.state import STATE_LABELS, call_state
from registry.errors import NotFound

# The order of the sections of the public list of calls.
LIST_ORDER = ("open", "upcoming", "closed", "in_review", "decided", "archived")


def time_left(closes_at: datetime, now: datetime) -> str:
    """« 3 jours et 4 heures » / "3 days and 4 hours" — coarse on purpose; the exact Paris time is printed beside it."""
    return format_duration(closes_at - now, current_language.get())


class CallPages(Controller):
    include_in_schema = False

    @get("/calls")
    async def list_calls(self, request: Request) -> Template:
        """Every public call, grouped: open and upcoming first, then closed, in review, decided, archived."""
        rows, _ = await queries.list_calls(per_page=1000)
        groups = {state: [row for row in rows if row["state"] == state] for state in LIST_ORDER}
        return page("calls/list.html", request, groups=groups, labels=STATE_LABELS)

    @get("/calls/{slug:str}")
    async def detail(self, request: Request, slug: FromPath[str]) -> Template:
        call = await call_by_slug(slug)
        if call.status == "draft":
            raise NotFound("Appel introuvable.")
        return await detail_page(request, call)


async def detail_page(request: Request, call, **extra) -> Template:
    """The public call page; the FAQ and the viewer's own enquiries come from registry.enquiries."""
    from registry.enquiries.service import enquiries_of, faq_of

    now = datetime.now(UTC)
    # Only the viewer's own questions, managers included (they read them all on the manager page).
    mine = [e for e in await enquiries_of(call.id, actor=request.user) if e["author"] == request.user.id] \
        if request.user else []
    return page("calls/detail.html", request, call=call, state=call_state(call, now),
                criteria=await queries.criteria_rows(call.id), policy=effective_policy(call),
                time_left=time_left(call.closes_at, now), labels=STATE_LABELS,
                faq=await faq_of(call.id), my_enquiries=mine, **extra)
