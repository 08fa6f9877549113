"""Public call pages: the list (upcoming, open, closed) and one call with its criteria."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.controllers.api.calls import effective_policy
from app.web.templating import page
from registry.calls import queries
from registry.calls.service import call_by_slug
from registry.calls.state import STATE_LABELS, call_state
from registry.errors import NotFound


def time_left(closes_at: datetime, now: datetime) -> str:
    """« 3 jours et 4 heures » — coarse on purpose; the exact Paris time is printed beside it."""
    seconds = int((closes_at - now).total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} jour{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} heure{'s' if hours > 1 else ''}")
    if not days and minutes:
        parts.append(f"{minutes} minute{'s' if minutes > 1 else ''}")
    return " et ".join(parts) or "moins d'une minute"


class CallPages(Controller):
    include_in_schema = False

    @get("/calls")
    async def list_calls(self, request: Request) -> Template:
        rows, _ = await queries.list_calls(states=("upcoming", "open", "closed"), per_page=100)
        groups = {state: [row for row in rows if row["state"] == state] for state in ("open", "upcoming", "closed")}
        return page("calls/list.html", request, groups=groups, labels=STATE_LABELS)

    @get("/calls/{slug:str}")
    async def detail(self, request: Request, slug: FromPath[str]) -> Template:
        call = await call_by_slug(slug)
        if call.status == "draft":
            raise NotFound("Appel introuvable.")
        now = datetime.now(UTC)
        return page("calls/detail.html", request, call=call, state=call_state(call, now),
                    criteria=await queries.criteria_rows(call.id), policy=effective_policy(call),
                    time_left=time_left(call.closes_at, now), labels=STATE_LABELS)
