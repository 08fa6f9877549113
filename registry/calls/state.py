"""A call's phase: a stored status moved by managers, with upcoming/open/closed read from the dates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Stored statuses and the manager actions allowed between them.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "published"): "publish",
    ("published", "in_review"): "start_review",
    ("in_review", "decided"): "decide",
    ("decided", "archived"): "archive",
}
STORED = ("draft", "published", "in_review", "decided", "archived")
PUBLIC_STATES = ("upcoming", "open", "closed", "in_review", "decided", "archived")
ALL_STATES = ("draft", *PUBLIC_STATES)

STATE_LABELS = {
    "draft": "brouillon",
    "upcoming": "à venir",
    "open": "ouvert",
    "closed": "clos",
    "in_review": "en évaluation",
    "decided": "décidé",
    "archived": "archivé",
}


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def call_state(call: Any, now: datetime | None = None) -> str:
    """`call` is a Call row or a dict with status, opens_at and closes_at."""
    get = call.get if isinstance(call, dict) else lambda key: getattr(call, key)
    status = get("status")
    if status != "published":
        return status
    now = now or datetime.now(UTC)
    if now < _aware(get("opens_at")):
        return "upcoming"
    if now < _aware(get("closes_at")):
        return "open"
    return "closed"


def can_move_call(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def accepts_submissions(call: Any, now: datetime) -> bool:
    return call_state(call, now) == "open"


def is_public(call: Any) -> bool:
    status = call.get("status") if isinstance(call, dict) else call.status
    return status != "draft"
