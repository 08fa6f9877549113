"""Domain errors: each carries a human `detail` and, where it applies, the fields at fault.

`app/errors.py` maps them to HTTP statuses, API bodies and form messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def N_(message: str) -> str:  # noqa: N802 (the usual name of a gettext marker)
    """Marks a message for extraction; it is translated where it is shown (stored reasons included)."""
    return message


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class DomainError(Exception):
    detail: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.detail


class InvalidInput(DomainError):
    """The input breaks a rule (422)."""


class NotFound(DomainError):
    """Absent, or private enough that its existence is not admitted (404)."""


class Forbidden(DomainError):
    """Known, but not for this actor (403)."""


class Conflict(DomainError):
    """Not possible in the object's current state (409)."""


class TooManyAttempts(DomainError):
    """A rate limit was reached (429)."""

    retry_after: int = 60


def invalid(field_name: str, message: str, detail: str | None = None) -> InvalidInput:
    return InvalidInput(detail or message, [FieldError(field_name, message)])
