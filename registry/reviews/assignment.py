"""Automatic assignment of reviewers for a whole call (pure: plain dataclasses in and out).

Solved as one min-cost flow: source → application (capacity = reviews still needed) →
eligible reviewer (capacity 1) → sink through unit edges whose cost grows with the
reviewer's load. The load part is convex, so the optimum minimises the sum of squared
loads; on this kind of problem (the load vectors form an M-convex set) that optimum also
minimises the largest load and maximises the smallest one, hence loads differ by at most
one whenever any assignment achieves it. The expertise penalty (labels not covered) is
scaled below one load step, so it only breaks ties between equally balanced solutions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from registry.errors import FieldError, InvalidInput
from registry.reviews.flow import FlowNetwork


@dataclass(frozen=True)
class ReviewerInfo:
    id: int
    email: str
    name: str = ""
    organisation: str = ""
    expertise: frozenset[str] = frozenset()
    load: int = 0  # assignments already held in this call


@dataclass(frozen=True)
class ApplicationInfo:
    id: int
    title: str = ""
    applicant_id: int | None = None
    applicant_email: str = ""
    organisation: str = ""
    extra_organisations: frozenset[str] = frozenset()  # e.g. the account's own, when it differs
    co_applicant_emails: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    assigned: frozenset[int] = frozenset()  # reviewers holding a live assignment
    declared_conflicts: frozenset[int] = frozenset()  # reviewers who declared a conflict


@dataclass(frozen=True)
class Proposal:
    application_id: int
    reviewer_id: int
    reason: str


@dataclass
class NotEnoughReviewers(InvalidInput):
    uncovered: dict[int, int] = field(default_factory=dict)  # application id → reviews missing


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def conflict_of(reviewer: ReviewerInfo, application: ApplicationInfo) -> str | None:
    """Why this reviewer may not review this application, or None."""
    email = _norm(reviewer.email)
    if reviewer.id in application.declared_conflicts:
        return "conflit d'intérêts déclaré"
    if (application.applicant_id is not None and reviewer.id == application.applicant_id) or (
            email and email == _norm(application.applicant_email)):
        return "porteur de la candidature"
    if email and email in {_norm(e) for e in application.co_applicant_emails}:
        return "co-porteur de la candidature"
    theirs = {_norm(o) for o in (application.organisation, *application.extra_organisations)}
    if _norm(reviewer.organisation) and _norm(reviewer.organisation) in theirs:
        return "même organisation que le porteur"
    return None


def _reason(reviewer: ReviewerInfo, application: ApplicationInfo, load_after: int,
            label_names: Mapping[str, str]) -> str:
    covered = sorted(label_names.get(s, s) for s in application.labels & reviewer.expertise)
    expertise = (f"expertise couvrant {', '.join(covered)}" if covered
                 else "aucune expertise déclarée sur les thèmes de la candidature")
    return (f"Attribution automatique : {expertise} ; charge après attribution : {load_after} "
            "évaluation(s) ; aucun conflit connu (ni porteur, ni co-porteur, autre organisation, "
            "aucun conflit déclaré).")


def plan_assignments(applications: Sequence[ApplicationInfo], reviewers: Sequence[ReviewerInfo], *,
                     per_application: int, label_names: Mapping[str, str] | None = None) -> list[Proposal]:
    """New assignments so that each application holds `per_application` live ones.

    All or nothing: raises NotEnoughReviewers naming every application left short.
    """
    label_names = label_names or {}
    needs = {a.id: max(0, per_application - len(a.assigned)) for a in applications}
    eligible = {a.id: [r for r in reviewers if r.id not in a.assigned and conflict_of(r, a) is None]
                for a in applications}
    total = sum(needs.values())
    if total == 0:
        return []
    # Node layout: 0 source, 1 sink, then applications, then reviewers.
    app_node = {a.id: 2 + i for i, a in enumerate(applications)}
    reviewer_node = {r.id: 2 + len(applications) + i for i, r in enumerate(reviewers)}
    network = FlowNetwork(2 + len(applications) + len(reviewers))
    penalty_cap = sum(len(a.labels) for a in applications) * per_application
    step = penalty_cap + 1  # one unit of load costs more than every expertise penalty together
    for application in applications:
        if needs[application.id]:
            network.add_edge(0, app_node[application.id], needs[application.id], 0)
    pair_edges: dict[tuple[int, int], tuple[int, int]] = {}
    max_units: dict[int, int] = {r.id: 0 for r in reviewers}
    for application in applications:
        if not needs[application.id]:
            continue
        for reviewer in eligible[application.id]:
            missing = len(application.labels - reviewer.expertise)
            pair_edges[(application.id, reviewer.id)] = network.add_edge(
                app_node[application.id], reviewer_node[reviewer.id], 1, missing)
            max_units[reviewer.id] += 1
    for reviewer in reviewers:
        for unit in range(1, max_units[reviewer.id] + 1):
            network.add_edge(reviewer_node[reviewer.id], 1, 1, (reviewer.load + unit) * step)
    flow, _ = network.min_cost_flow(0, 1, total)
    received: dict[int, list[int]] = {a.id: [] for a in applications}
    for (application_id, reviewer_id), where in pair_edges.items():
        if network.flow_on(where, 1):
            received[application_id].append(reviewer_id)
    if flow < total:
        uncovered = {a.id: needs[a.id] - len(received[a.id]) for a in applications
                     if len(received[a.id]) < needs[a.id]}
        titles = ", ".join(f"n° {a.id}" + (f" « {a.title} »" if a.title else "")
                           + f" (il manque {uncovered[a.id]})" for a in applications if a.id in uncovered)
        detail = f"Pas assez d'évaluateurs éligibles (sans conflit) pour : {titles}."
        raise NotEnoughReviewers(detail, [FieldError("reviewers", detail)], uncovered=uncovered)
    loads = {r.id: r.load + sum(r.id in got for got in received.values()) for r in reviewers}
    by_id = {r.id: r for r in reviewers}
    return [Proposal(application.id, reviewer_id,
                     _reason(by_id[reviewer_id], application, loads[reviewer_id], label_names))
            for application in applications for reviewer_id in sorted(received[application.id])]
