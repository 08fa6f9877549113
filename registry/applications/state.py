"""The application state machine: one explicit table of allowed moves, walked pair by pair in tests."""

from __future__ import annotations

from registry.errors import Conflict

STATES = ("draft", "submitted", "withdrawn", "under_review", "correction_requested", "funded", "rejected")

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
    # A manager's request for changes (registry/enquiries/corrections.py): the applicants edit until the
    # due date, then resubmit (a new version) or the last submitted version stands (expiry).
    ("submitted", "correction_requested"): "request_correction",
    ("under_review", "correction_requested"): "request_correction",
    ("correction_requested", "submitted"): "resubmit",
    ("correction_requested", "under_review"): "resubmit",
}

# Moves the applicant makes; they also need the call to be open (before closes_at).
APPLICANT_ACTIONS = frozenset({"submit", "withdraw", "reopen"})

STATE_LABELS = {
    "draft": "brouillon (non soumis)",
    "submitted": "soumis",
    "withdrawn": "retiré",
    "under_review": "en évaluation",
    "correction_requested": "correction demandée",
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
    """Draft, or reopened by a correction request (whose due date is checked by the service)."""
    return state in ("draft", "correction_requested")
