"""The transition tables, walked pair by pair: listed moves succeed, every other one is refused."""

from __future__ import annotations

import itertools

import pytest

from registry.errors import Conflict
from registry.reviews.states import (
    ASSIGNMENT_STATES,
    ASSIGNMENT_TRANSITIONS,
    DECISION_STATES,
    DECISION_TRANSITIONS,
    REVIEW_STATES,
    REVIEW_TRANSITIONS,
    advance,
)

TABLES = [
    ("assignment", ASSIGNMENT_STATES, ASSIGNMENT_TRANSITIONS),
    ("review", REVIEW_STATES, REVIEW_TRANSITIONS),
    ("decision", DECISION_STATES, DECISION_TRANSITIONS),
]


def _cases():
    for name, states, table in TABLES:
        events = sorted({event for _, event in table})
        for state, event in itertools.product(states, events):
            yield pytest.param(table, state, event, table.get((state, event)), id=f"{name}-{state}-{event}")


@pytest.mark.parametrize(("table", "state", "event", "expected"), list(_cases()))
def test_transition_pair(table, state: str, event: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(Conflict):
            advance(table, state, event)
    else:
        assert advance(table, state, event) == expected


def test_transition_tables_exact() -> None:
    assert dict(ASSIGNMENT_TRANSITIONS) == {
        ("assigned", "declare_no_conflict"): "no_conflict",
        ("assigned", "declare_conflict"): "conflict",
        ("no_conflict", "declare_conflict"): "conflict",
        ("no_conflict", "submit_review"): "reviewed",
        ("reviewed", "reopen"): "no_conflict",
        ("assigned", "cancel"): "cancelled",
        ("no_conflict", "cancel"): "cancelled",
    }
    assert dict(REVIEW_TRANSITIONS) == {
        ("draft", "submit"): "submitted", ("submitted", "reopen"): "reopened",
        ("reopened", "submit"): "submitted", ("draft", "lock"): "locked",
        ("submitted", "lock"): "locked", ("reopened", "lock"): "locked",
    }
    assert dict(DECISION_TRANSITIONS) == {("prepared", "release"): "released"}


def test_terminal_states_have_no_way_out() -> None:
    assert not [key for key in ASSIGNMENT_TRANSITIONS if key[0] in {"conflict", "cancelled"}]
    assert not [key for key in REVIEW_TRANSITIONS if key[0] == "locked"]
    assert not [key for key in DECISION_TRANSITIONS if key[0] == "released"]


def test_refusal_names_the_state() -> None:
    with pytest.raises(Conflict) as caught:
        advance(REVIEW_TRANSITIONS, "locked", "submit")
    assert caught.value.detail == "Action impossible dans l'état « verrouillée »."
