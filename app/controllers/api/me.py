from __future__ import annotations

import msgspec
from litestar import Request, get

from app.web.guards import requires_login


class Me(msgspec.Struct):
    email: str
    name: str
    roles: list[str]


@get("/api/v1/me", guards=[requires_login], tags=["comptes"], summary="Who am I")
async def me(request: Request) -> Me:
    """The authenticated user (API token or session) and their roles."""
    actor = request.user
    return Me(email=actor.email, name=actor.name, roles=sorted(actor.roles))
