"""Per-call transparency once decisions are released: counts, amounts, criteria, anonymised scores.

Applications and reviews live in other areas; when they are absent only the registry's own
figures (funded projects, amounts, criteria) are given, and the report says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from registry.calls.state import call_state
from registry.calls.tables import Call, Criterion
from registry.errors import NotFound
from registry.projects.tables import Project

PUBLISHED_STATES = ("decided", "archived")
RECEIVED_STATES = ("submitted", "under_review", "correction_requested", "funded", "rejected", "withdrawn")
SCORE_BUCKETS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))


async def _applications(call_id: int) -> dict[str, int] | None:
    try:
        from registry.applications.tables import Application
    except ImportError:
        return None
    counts: dict[str, int] = defaultdict(int)
    for row in await Application.select(Application.state).where(
        (Application.call == call_id) & Application.state.is_in(list(RECEIVED_STATES))
    ):
        counts[row["state"]] += 1
    return {
        "received": sum(counts.values()),
        "withdrawn": counts["withdrawn"],
        "funded": counts["funded"],
        "rejected": counts["rejected"],
    }


async def _decisions(call_id: int) -> dict[str, Any] | None:
    try:
        from registry.reviews.tables import Decision
    except ImportError:
        return None
    rows = await Decision.select(Decision.outcome, Decision.amount).where(
        (Decision.call == call_id) & (Decision.state == "released")
    )
    funded = [row["amount"] or 0 for row in rows if row["outcome"] == "funded"]
    return {"funded": len(funded), "rejected": sum(row["outcome"] == "rejected" for row in rows), "amount": sum(funded)}


async def _score_distribution(call_id: int) -> list[dict[str, Any]] | None:
    try:
        from registry.reviews.tables import Review
    except ImportError:
        return None
    per_application: dict[int, list[float]] = defaultdict(list)
    for row in await Review.select(Review.score, Review.assignment.application.as_alias("application")).where(
        (Review.assignment.call == call_id) & Review.state.is_in(["submitted", "locked"]) & Review.score.is_not_null()
    ):
        per_application[row["application"]].append(float(row["score"]))
    means = [sum(scores) / len(scores) for scores in per_application.values()]
    return [
        {"bucket": f"{low}–{min(high, 100)}", "count": sum(low <= m < high for m in means)}
        for low, high in SCORE_BUCKETS
    ]


async def call_transparency(slug: str) -> dict[str, Any]:
    """The report of a call; `state` is its public phase (upcoming … archived), `published` once decided.

    Projects funded before the platform recorded applications and decisions (imported into the
    registry, like the demo's AMI 2024) have no released decision: the counts of applications and
    decisions are then left out (`None`) and the report is `partial`, rather than showing zeros
    beside the funded projects, and `imported` says why.
    """
    call = await Call.select().where(Call.slug == slug).first()
    if call is None or call["status"] == "draft":
        raise NotFound(f"Aucun appel « {slug[:80]} ».")
    report: dict[str, Any] = {"call": call, "published": call["status"] in PUBLISHED_STATES,
                              "state": call_state(call)}
    if not report["published"]:
        report.update(
            criteria=[],
            projects=[],
            applications=None,
            decisions=None,
            score_distribution=None,
            partial=False,
            imported=False,
            amount_granted=0,
            amount_paid=0,
        )
        return report
    criteria = (
        await Criterion.select(
            Criterion.name, Criterion.description, Criterion.weight, Criterion.scale_max, Criterion.eliminatory_below
        )
        .where(Criterion.call == call["id"])
        .order_by(Criterion.position)
    )
    projects = (
        await Project.select(
            Project.id, Project.slug, Project.title, Project.public_title, Project.amount_granted, Project.decided_at
        )
        .where(Project.call == call["id"])
        .order_by(Project.amount_granted, ascending=False)
    )
    from registry.projects.milestones import funding_summary

    funding = await funding_summary([p["id"] for p in projects])
    for item in projects:
        figures = funding.get(item.pop("id"), {})
        item.update(amount_paid=figures.get("paid", 0), milestones_met=figures.get("met", 0),
                    milestones_total=figures.get("total", 0))
    applications = await _applications(call["id"])
    decisions = await _decisions(call["id"])
    distribution = await _score_distribution(call["id"])
    imported = bool(projects) and decisions is not None and not decisions["funded"]
    if imported:
        # Funded outside the platform: no application or decision of it is recorded here.
        applications = decisions = distribution = None
    report.update(
        criteria=criteria,
        projects=projects,
        applications=applications,
        decisions=decisions,
        score_distribution=distribution if distribution and any(b["count"] for b in distribution) else None,
        amount_granted=sum(p["amount_granted"] or 0 for p in projects),
        amount_paid=sum(p["amount_paid"] for p in projects),
        partial=applications is None or decisions is None or distribution is None,
        imported=imported,
    )
    return report
