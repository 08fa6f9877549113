"""The application state machine: one explicit table of allowed moves, walked pair by pair in tests."""

from __future__ import annotations

from registry.errors import Conflict

STATES = ("draft", "submitted", "withdrawn", "under_review", "funded", "rejected")

# (from, to) -> action name, as written to the audit log.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submitted"): "submit",
    ("draft", "withdrawn"): "withdraw",
    ("submitted", "draft"): "reopen",
    ("submitted", "withdrawn"): "withdraw",
    ("withdrawn", "draft"): "reopen",
    ("submitted", "under_review"): "start_review",
    ("under_review", "funded"): "fund",
    ("under_review", "rejected"): "reject",
}

# Moves the applicant makes; they also need the call to be open (before closes_at).
APPLICANT_ACTIONS = frozenset({"submit", "withdraw", "reopen"})

STATE_LABELS = {
    "draft": "brouillon (non soumis)",
    "submitted": "soumis",
    "withdrawn": "retiré",
    "under_review": "en évaluation",
    "funded": "financé",
    "rejected": "non retenu",
}


def can_transition(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def action_for(current: str, target: str) -> str:
    action = TRANSITIONS.get((current, target))
    if action is None:
        raise Conflict(f"Impossible de passer une candidature de l'état « {STATE_LABELS.get(current, current)} » "
                       f"à l'état « {STATE_LABELS.get(target, target)} ».")
    return action


def can_be_withdrawn(state: str) -> bool:
    return can_transition(state, "withdrawn")


def can_be_reopened(state: str) -> bool:
    return can_transition(state, "draft")


def is_editable(state: str) -> bool:
    return state == "draft"
