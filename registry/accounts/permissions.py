"""Who may do what: small predicates named like sentences, called by guards and domain code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The authenticated person behind a request (a browser session or an API token)."""

    id: int
    email: str
    name: str
    roles: frozenset[str]
    locale: str = "fr"
    via_token: bool = False
    token_id: int | None = None  # the API token the request came with, if any


def has_role(actor: Actor | None, role: str) -> bool:
    return actor is not None and role in actor.roles


def is_staff(actor: Actor | None) -> bool:
    return has_role(actor, "manager") or has_role(actor, "admin")


def is_admin(actor: Actor | None) -> bool:
    return has_role(actor, "admin")


def can_manage_roles(actor: Actor | None) -> bool:
    return has_role(actor, "admin")


def can_read_outbox(actor: Actor | None) -> bool:
    return is_staff(actor)


def can_run_harvest(actor: Actor | None) -> bool:
    """The harvest dashboard and "harvest now", on the page and through the API: programme staff
    (managers, and admins, who may do whatever managers may)."""
    return is_staff(actor)
