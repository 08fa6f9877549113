"""Automatic assignment: balanced, conflict-free, complete, or a clear error (property-tested)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.reviews.assignment import (
    ApplicationInfo,
    NotEnoughReviewers,
    ReviewerInfo,
    conflict_of,
    plan_assignments,
)

LABELS = ["fhir", "omop", "nlp", "synth"]
ORGS = ["CHU Lille", "Inserm", "AP-HP", ""]


def _reviewers(count: int, draw_org=None, draw_exp=None, loads=None) -> list[ReviewerInfo]:
    return [ReviewerInfo(id=100 + i, email=f"r{i}@exemple.fr", organisation=(draw_org or (lambda i: ""))(i),
                         expertise=frozenset((draw_exp or (lambda i: ()))(i)),
                         load=(loads or (lambda i: 0))(i)) for i in range(count)]


def _loads(proposals, reviewers) -> dict[int, int]:
    loads = {r.id: r.load for r in reviewers}
    for p in proposals:
        loads[p.reviewer_id] += 1
    return loads


def _check_valid(proposals, applications, reviewers, k) -> None:
    by_app: dict[int, list[int]] = {a.id: sorted(a.assigned) for a in applications}
    for p in proposals:
        by_app[p.application_id].append(p.reviewer_id)
    reviewer = {r.id: r for r in reviewers}
    for application in applications:
        got = by_app[application.id]
        assert len(got) == len(set(got)) == max(k, len(application.assigned))
        for rid in got:
            if rid not in application.assigned:
                assert conflict_of(reviewer[rid], application) is None
    assert all(p.reason.startswith("Attribution automatique") for p in proposals)


@st.composite
def free_instances(draw):
    """No conflicts: a balanced assignment always exists when there are ≥ k reviewers."""
    k = draw(st.integers(1, 3))
    n_reviewers = draw(st.integers(k, 12))
    n_apps = draw(st.integers(0, 25))
    expertise = draw(st.lists(st.sets(st.sampled_from(LABELS)), min_size=n_reviewers, max_size=n_reviewers))
    reviewers = _reviewers(n_reviewers, draw_exp=lambda i: expertise[i])
    applications = [ApplicationInfo(id=i + 1, applicant_email=f"a{i}@exemple.fr", organisation="Porteur",
                                    labels=frozenset(draw(st.sets(st.sampled_from(LABELS), max_size=2))))
                    for i in range(n_apps)]
    return applications, reviewers, k


@given(free_instances())
@settings(max_examples=200, deadline=None)
def test_balanced_without_conflicts(instance) -> None:
    applications, reviewers, k = instance
    proposals = plan_assignments(applications, reviewers, per_application=k)
    _check_valid(proposals, applications, reviewers, k)
    loads = _loads(proposals, reviewers).values()
    assert max(loads) - min(loads) <= 1


@st.composite
def tiny_instances(draw):
    """Small enough to enumerate every assignment: conflicts, existing loads and assignments."""
    k = draw(st.integers(1, 2))
    n_reviewers = draw(st.integers(1, 4))
    n_apps = draw(st.integers(1, 4))
    reviewers = [ReviewerInfo(id=100 + i, email=f"r{i}@exemple.fr", organisation=draw(st.sampled_from(ORGS)),
                              expertise=frozenset(draw(st.sets(st.sampled_from(LABELS)))),
                              load=draw(st.integers(0, 2))) for i in range(n_reviewers)]
    ids = [r.id for r in reviewers]
    applications = []
    for i in range(n_apps):
        declared = frozenset(draw(st.sets(st.sampled_from(ids), max_size=2)))
        co = frozenset(draw(st.sets(st.sampled_from([r.email for r in reviewers]), max_size=1)))
        already = frozenset(draw(st.sets(st.sampled_from(ids), max_size=1))) - declared
        applications.append(ApplicationInfo(
            id=i + 1, applicant_id=draw(st.sampled_from([None, *ids])), applicant_email=f"a{i}@exemple.fr",
            organisation=draw(st.sampled_from(ORGS)), co_applicant_emails=co,
            labels=frozenset(draw(st.sets(st.sampled_from(LABELS), max_size=2))),
            assigned=already, declared_conflicts=declared))
    return applications, reviewers, k


def _brute_force(applications, reviewers, k):
    """(a complete assignment exists, a balanced complete assignment exists)."""
    options = []
    for application in applications:
        eligible = [r.id for r in reviewers
                    if r.id not in application.assigned and conflict_of(r, application) is None]
        need = max(0, k - len(application.assigned))
        options.append(list(itertools.combinations(eligible, need)))
    feasible = balanced = False
    # Existing assignments are already counted in each reviewer's `load`.
    base = {r.id: r.load for r in reviewers}
    for choice in itertools.product(*options):
        feasible = True
        loads = dict(base)
        for chosen in choice:
            for rid in chosen:
                loads[rid] += 1
        if max(loads.values()) - min(loads.values()) <= 1:
            balanced = True
            break
    return feasible, balanced


@given(tiny_instances())
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_matches_exhaustive_search(instance) -> None:
    applications, reviewers, k = instance
    feasible, balanced = _brute_force(applications, reviewers, k)
    if not feasible:
        with pytest.raises(NotEnoughReviewers) as caught:
            plan_assignments(applications, reviewers, per_application=k)
        assert caught.value.uncovered
        assert caught.value.detail.startswith("Pas assez d'évaluateurs éligibles (sans conflit) pour : n° ")
        for application_id in caught.value.uncovered:
            assert f"n° {application_id}" in caught.value.detail
        return
    proposals = plan_assignments(applications, reviewers, per_application=k)
    _check_valid(proposals, applications, reviewers, k)
    if balanced:
        loads = _loads(proposals, reviewers).values()
        assert max(loads) - min(loads) <= 1


def test_conflict_kinds() -> None:
    reviewer = ReviewerInfo(id=5, email="Marie.Curie@Exemple.fr", organisation=" CHU  de Lille ")
    base = ApplicationInfo(id=1, applicant_id=9, applicant_email="porteur@exemple.fr", organisation="Inserm")
    assert conflict_of(reviewer, base) is None
    assert conflict_of(reviewer, ApplicationInfo(id=1, applicant_id=5)) == "porteur de la candidature"
    assert conflict_of(reviewer, ApplicationInfo(id=1, applicant_email="marie.curie@exemple.fr")) == (
        "porteur de la candidature")
    assert conflict_of(reviewer, ApplicationInfo(id=1, co_applicant_emails=frozenset({"MARIE.CURIE@exemple.fr"}))) == (
        "co-porteur de la candidature")
    assert conflict_of(reviewer, ApplicationInfo(id=1, organisation="chu de lille")) == (
        "même organisation que le porteur")
    assert conflict_of(reviewer, ApplicationInfo(id=1, declared_conflicts=frozenset({5}))) == (
        "conflit d'intérêts déclaré")
    # Two people without an organisation do not share one.
    assert conflict_of(ReviewerInfo(id=6, email="x@y.fr"), ApplicationInfo(id=1)) is None


def test_prefers_expertise_at_equal_balance() -> None:
    reviewers = [ReviewerInfo(id=1, email="a@x.fr", expertise=frozenset({"nlp"})),
                 ReviewerInfo(id=2, email="b@x.fr", expertise=frozenset({"fhir"}))]
    applications = [ApplicationInfo(id=10, labels=frozenset({"fhir"})),
                    ApplicationInfo(id=11, labels=frozenset({"nlp"}))]
    proposals = plan_assignments(applications, reviewers, per_application=1, label_names={"fhir": "FHIR"})
    assert [(p.application_id, p.reviewer_id) for p in proposals] == [(10, 2), (11, 1)]
    assert proposals[0].reason == (
        "Attribution automatique : expertise couvrant FHIR ; charge après attribution : 1 évaluation(s) ; "
        "aucun conflit connu (ni porteur, ni co-porteur, autre organisation, aucun conflit déclaré).")


def test_balance_beats_expertise() -> None:
    # Reviewer 1 covers both applications, but giving both to them would unbalance loads (2/0).
    reviewers = [ReviewerInfo(id=1, email="a@x.fr", expertise=frozenset({"nlp"})),
                 ReviewerInfo(id=2, email="b@x.fr")]
    applications = [ApplicationInfo(id=10, labels=frozenset({"nlp"})),
                    ApplicationInfo(id=11, labels=frozenset({"nlp"}))]
    proposals = plan_assignments(applications, reviewers, per_application=1)
    assert sorted(p.reviewer_id for p in proposals) == [1, 2]


def test_existing_load_and_assignments_count() -> None:
    reviewers = [ReviewerInfo(id=1, email="a@x.fr", load=2), ReviewerInfo(id=2, email="b@x.fr"),
                 ReviewerInfo(id=3, email="c@x.fr")]
    applications = [ApplicationInfo(id=10, assigned=frozenset({1})), ApplicationInfo(id=11)]
    proposals = plan_assignments(applications, reviewers, per_application=2)
    assert sorted((p.application_id, p.reviewer_id) for p in proposals) == [(10, 2), (11, 2), (11, 3)]


def test_error_names_uncovered_applications() -> None:
    reviewers = [ReviewerInfo(id=1, email="a@x.fr", organisation="Inserm"), ReviewerInfo(id=2, email="b@x.fr")]
    applications = [ApplicationInfo(id=10, title="Pseudonymiser le PMSI", organisation="Inserm"),
                    ApplicationInfo(id=11, title="FHIR pour tous")]
    with pytest.raises(NotEnoughReviewers) as caught:
        plan_assignments(applications, reviewers, per_application=2)
    assert caught.value.uncovered == {10: 1}
    assert caught.value.detail == ("Pas assez d'évaluateurs éligibles (sans conflit) pour : "
                                   "n° 10 « Pseudonymiser le PMSI » (il manque 1).")
    assert [e.field for e in caught.value.errors] == ["reviewers"]


def test_nothing_to_do() -> None:
    assert plan_assignments([], [ReviewerInfo(id=1, email="a@x.fr")], per_application=2) == []
    assert plan_assignments([ApplicationInfo(id=1, assigned=frozenset({1, 2}))], [], per_application=2) == []


def test_large_call_is_balanced() -> None:
    reviewers = _reviewers(23, draw_org=lambda i: ORGS[i % 3], draw_exp=lambda i: LABELS[i % 4:i % 4 + 2])
    applications = [ApplicationInfo(id=i, organisation=ORGS[i % 4], labels=frozenset({LABELS[i % 4]}))
                     for i in range(1, 201)]
    proposals = plan_assignments(applications, reviewers, per_application=3)
    _check_valid(proposals, applications, reviewers, 3)
    loads = _loads(proposals, reviewers).values()
    assert len(proposals) == 600 and max(loads) - min(loads) <= 1
