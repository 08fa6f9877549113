"""The ranking of a call's applications, and its CSV export."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from registry.applications.tables import Application
from registry.calls.service import call_by_slug
from registry.files import csv_writer
from registry.reviews.access import as_json
from registry.reviews.reviewing import criteria_specs
from registry.reviews.scoring import Aggregate, aggregate, rank
from registry.reviews.tables import Decision, Review

RANKED_STATES = ("submitted", "under_review", "correction_requested", "funded", "rejected")
SORT_KEYS = ("score_mean", "score_median", "score_stdev", "score_min", "score_max", "reviews", "application_id",
             "requested_amount")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def call_ranking(call_slug: str, *, sort: str = "score_mean", descending: bool = True) -> list[dict[str, Any]]:
    """One line per reviewable application, from submitted reviews only; rounded to 2 decimals."""
    call = await call_by_slug(call_slug)
    criteria = await criteria_specs(call.id)
    applications = await Application.select(
        Application.id, Application.title, Application.public_title, Application.requested_amount,
        Application.state).where((Application.call == call.id) & Application.state.is_in(list(RANKED_STATES)))
    scores: dict[int, list[dict]] = defaultdict(list)
    for row in await Review.select(Review.scores, Review.assignment.application).where(
            (Review.assignment.call == call.id) & Review.state.is_in(["submitted", "locked"])):
        scores[row["assignment.application"]].append(as_json(row["scores"], {}))
    decisions = {row["application"]: row for row in await Decision.select(
        Decision.application, Decision.outcome, Decision.amount, Decision.state).where(Decision.call == call.id)}
    by_id = {row["id"]: row for row in applications}
    ranked: list[Aggregate] = rank([aggregate(a["id"], scores[a["id"]], criteria) for a in applications])
    lines = []
    for position, item in enumerate(ranked, start=1):
        application = by_id[item.application_id]
        lines.append({
            "rank": position, "application_id": item.application_id, "title": application["title"],
            "public_title": application["public_title"], "requested_amount": application["requested_amount"],
            "state": application["state"], "reviews": item.reviews,
            "review_scores": [_round(s) for s in item.review_scores],
            "score_mean": _round(item.score_mean), "score_median": _round(item.score_median),
            "score_stdev": _round(item.score_stdev), "score_min": _round(item.score_min),
            "score_max": _round(item.score_max), "eliminated": item.eliminated,
            "eliminated_by": item.eliminated_by, "disagreement": item.disagreement,
            "decision": decisions.get(item.application_id),
        })
    if sort != "score_mean" or not descending:
        key = sort if sort in SORT_KEYS else "score_mean"
        present = [line for line in lines if line[key] is not None]
        missing = [line for line in lines if line[key] is None]
        lines = sorted(present, key=lambda line: line[key], reverse=descending) + missing
    return lines


CSV_HEADER = ["rang", "candidature", "titre", "titre grand public", "montant demandé", "évaluations",
              "moyenne", "médiane", "écart-type", "minimum", "maximum", "éliminée", "critères éliminatoires",
              "désaccord", "décision"]


def ranking_csv(lines: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a BOM, semicolons and decimal commas, as French spreadsheets expect."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")  # formulas neutralised cell by cell
    writer.writerow(CSV_HEADER)

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:.2f}".replace(".", ",")

    for line in lines:
        decision = line["decision"]
        writer.writerow([
            line["rank"], line["application_id"], line["title"], line["public_title"],
            line["requested_amount"] if line["requested_amount"] is not None else "", line["reviews"],
            number(line["score_mean"]), number(line["score_median"]), number(line["score_stdev"]),
            number(line["score_min"]), number(line["score_max"]), "oui" if line["eliminated"] else "non",
            ", ".join(line["eliminated_by"]), "oui" if line["disagreement"] else "non",
            {"funded": "financée", "rejected": "non retenue"}.get(decision["outcome"], "") if decision else "",
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
