"""The caller's own account: identity and personal API tokens."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.params import FromPath, JSONBody

from app.web.guards import requires_login
from registry.accounts import service as accounts


class Me(msgspec.Struct):
    email: str
    name: str
    roles: list[str]


class TokenIn(msgspec.Struct):
    name: str = msgspec.field(default="")


class TokenOut(msgspec.Struct):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewToken(msgspec.Struct):
    name: str
    token: str


class MeController(Controller):
    path = "/api/v1/me"
    guards = [requires_login]
    tags = ["comptes"]

    @get("/", summary="Who am I")
    async def me(self, request: Request) -> Me:
        """The authenticated user (API token or session) and their roles."""
        actor = request.user
        return Me(email=actor.email, name=actor.name, roles=sorted(actor.roles))

    @get("/tokens", summary="My API tokens")
    async def tokens(self, request: Request) -> list[TokenOut]:
        rows = await accounts.list_api_tokens(request.user.id)
        return [TokenOut(**row) for row in rows]

    @post("/tokens", summary="Create an API token (shown once)")
    async def create_token(self, request: Request, data: JSONBody[TokenIn]) -> NewToken:
        # A token made with a token is revoked with it.
        token = await accounts.create_api_token(request.user.id, name=data.name, actor=request.user,
                                                parent_id=request.user.token_id)
        return NewToken(name=data.name.strip() or "jeton", token=token)

    @delete("/tokens/{token_id:int}", summary="Revoke an API token", status_code=204)
    async def revoke_token(self, request: Request, token_id: FromPath[int]) -> None:
        await accounts.revoke_api_token(request.user.id, token_id, actor=request.user)
