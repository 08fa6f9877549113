"""Allowed state transitions, as explicit tables: (state, event) → next state.

Every state change in the review services goes through `advance`, so a change not listed
here cannot happen.
"""

from __future__ import annotations

from collections.abc import Mapping

from registry.errors import Conflict

# Assignment: the reviewer first declares; a conflict releases the assignment for good.
ASSIGNMENT_STATES = ("assigned", "no_conflict", "conflict", "reviewed", "cancelled")
ASSIGNMENT_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("assigned", "declare_no_conflict"): "no_conflict",
    ("assigned", "declare_conflict"): "conflict",
    # A conflict may come to light while reading, as long as no review was submitted.
    ("no_conflict", "declare_conflict"): "conflict",
    ("no_conflict", "submit_review"): "reviewed",
    ("reviewed", "reopen"): "no_conflict",
    ("assigned", "cancel"): "cancelled",
    ("no_conflict", "cancel"): "cancelled",
}

# Review: submission locks; a manager may reopen (logged); the batch release locks for good.
REVIEW_STATES = ("draft", "submitted", "reopened", "locked")
REVIEW_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("submitted", "reopen"): "reopened",
    ("reopened", "submit"): "submitted",
    ("draft", "lock"): "locked",
    ("submitted", "lock"): "locked",
    ("reopened", "lock"): "locked",
}

DECISION_STATES = ("prepared", "released")
DECISION_TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("prepared", "release"): "released",
}

EDITABLE_REVIEW_STATES = frozenset({"draft", "reopened"})
LIVE_ASSIGNMENT_STATES = frozenset({"assigned", "no_conflict", "reviewed"})

_LABELS = {
    "assigned": "en attente de déclaration", "no_conflict": "sans conflit déclaré",
    "conflict": "conflit déclaré (libérée)", "reviewed": "évaluation remise", "cancelled": "annulée",
    "draft": "brouillon", "submitted": "remise", "reopened": "rouverte", "locked": "verrouillée",
    "prepared": "préparée", "released": "publiée",
}


def state_label(state: str) -> str:
    return _LABELS.get(state, state)


def advance(table: Mapping[tuple[str, str], str], state: str, event: str) -> str:
    """The next state, or Conflict naming the current one."""
    target = table.get((state, event))
    if target is None:
        raise Conflict(f"Action impossible dans l'état « {state_label(state)} ».")
    return target


def can(table: Mapping[tuple[str, str], str], state: str, event: str) -> bool:
    return (state, event) in table
