"""Route guards: each calls a named predicate from registry.accounts.permissions."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from registry.accounts.permissions import (
    Actor,
    can_manage_roles,
    can_read_outbox,
    can_run_harvest,
    has_role,
)

Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


def current_actor(connection: ASGIConnection) -> Actor | None:
    return connection.scope.get("user")  # type: ignore[return-value]


def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if current_actor(connection) is None:
        raise NotAuthorizedException("Authentification requise.")


def _requires(predicate: Callable[[Actor | None], bool], message: str) -> Guard:
    def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        requires_login(connection, handler)
        if not predicate(current_actor(connection)):
            raise PermissionDeniedException(message)

    guard.__name__ = f"requires_{predicate.__name__}"
    return guard


def requires_role(role: str) -> Guard:
    return _requires(lambda actor: has_role(actor, role), f"Réservé au rôle « {role} ».")


requires_admin = _requires(can_manage_roles, "Réservé aux administrateurs.")
requires_staff = _requires(can_read_outbox, "Réservé à l'équipe du programme.")
requires_harvest_rights = _requires(can_run_harvest, "Réservé à l'équipe du programme.")
