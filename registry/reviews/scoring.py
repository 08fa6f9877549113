"""The score formula and the per-application aggregates of the ranking (pure, no storage).

A review's score is the weighted mean of its applicable criteria, each normalised to 0–100
(score / scale_max × 100), the weights renormalised over the applicable criteria. "Not
applicable" (None) is excluded, never counted as zero.

The spread is the *population* standard deviation (statistics.pstdev): the reviews of an
application are the whole population we describe, not a sample of a larger one, and it stays
defined (0) for a single review.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from registry.errors import FieldError, InvalidInput

DISAGREEMENT_POINTS = 25.0

Scores = Mapping[str, float | int | None]


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    weight: float
    scale_max: int
    eliminatory_below: float | None = None
    # Guidance for the reviewer (not used by the formula).
    description: str = ""
    description_en: str = ""
    anchors: tuple[dict, ...] = ()  # ({"score", "label", "label_en"}, …)


@dataclass(frozen=True)
class Aggregate:
    application_id: int
    reviews: int
    review_scores: list[float] = field(default_factory=list)
    score_mean: float | None = None
    score_median: float | None = None
    score_stdev: float | None = None
    score_min: float | None = None
    score_max: float | None = None
    eliminated: bool = False
    eliminated_by: list[str] = field(default_factory=list)
    disagreement: bool = False


def review_score(scores: Scores, criteria: Sequence[CriterionSpec]) -> float | None:
    """None when no criterion with a weight applies (nothing to average)."""
    total_weight = 0.0
    weighted = 0.0
    for criterion in criteria:
        value = scores.get(criterion.name)
        if value is None or criterion.scale_max <= 0:
            continue
        total_weight += criterion.weight
        weighted += criterion.weight * (float(value) / criterion.scale_max * 100.0)
    if total_weight <= 0:
        return None
    return weighted / total_weight


def criterion_means(reviews: Sequence[Scores], criteria: Sequence[CriterionSpec]) -> dict[str, float | None]:
    """Mean raw score of each criterion over the reviews where it applies."""
    means: dict[str, float | None] = {}
    for criterion in criteria:
        values = [float(v) for r in reviews if (v := r.get(criterion.name)) is not None]
        means[criterion.name] = statistics.fmean(values) if values else None
    return means


def aggregate(application_id: int, reviews: Sequence[Scores],
              criteria: Sequence[CriterionSpec]) -> Aggregate:
    """The ranking line of one application from its submitted reviews' scores."""
    per_review = [s for r in reviews if (s := review_score(r, criteria)) is not None]
    means = criterion_means(reviews, criteria)
    eliminated_by = [c.name for c in criteria
                     if c.eliminatory_below is not None and means[c.name] is not None
                     and means[c.name] < c.eliminatory_below]  # type: ignore[operator]
    if not per_review:
        return Aggregate(application_id, len(reviews), eliminated=bool(eliminated_by),
                         eliminated_by=eliminated_by)
    low, high = min(per_review), max(per_review)
    return Aggregate(
        application_id=application_id,
        reviews=len(reviews),
        review_scores=per_review,
        score_mean=statistics.fmean(per_review),
        score_median=statistics.median(per_review),
        score_stdev=statistics.pstdev(per_review),
        score_min=low,
        score_max=high,
        eliminated=bool(eliminated_by),
        eliminated_by=eliminated_by,
        # A float epsilon so that 75 − 50 computed through divisions still counts as 25.
        disagreement=len(per_review) > 1 and high - low >= DISAGREEMENT_POINTS - 1e-9,
    )


def rank(aggregates: Sequence[Aggregate]) -> list[Aggregate]:
    """Highest mean first; unscored applications last; ties broken by id for a stable order."""
    return sorted(aggregates, key=lambda a: (a.score_mean is None, -(a.score_mean or 0.0),
                                             a.application_id))


def validate_scores(raw: object, criteria: Sequence[CriterionSpec], *, complete: bool) -> dict[str, float | None]:
    """Checked scores keyed by criterion name; `complete` (at submission) requires every
    criterion to be given a score or marked not applicable, and at least one score."""
    if not isinstance(raw, Mapping):
        raise InvalidInput("Les notes doivent être un objet {critère: note}.",
                           [FieldError("scores", "Les notes doivent être un objet {critère: note}.")])
    by_name = {c.name: c for c in criteria}
    errors: list[FieldError] = []
    clean: dict[str, float | None] = {}
    for name, value in raw.items():
        criterion = by_name.get(str(name))
        if criterion is None:
            errors.append(FieldError(f"scores.{name}", f"Critère inconnu : « {name} »."))
            continue
        if value is None:
            clean[criterion.name] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            errors.append(FieldError(f"scores.{name}", "La note doit être un nombre ou « non applicable »."))
            continue
        if not 0 <= value <= criterion.scale_max:
            errors.append(FieldError(f"scores.{name}",
                                     f"La note doit être comprise entre 0 et {criterion.scale_max}."))
            continue
        clean[criterion.name] = float(value)
    if complete and not errors:
        for criterion in criteria:
            if criterion.name not in raw:
                errors.append(FieldError(f"scores.{criterion.name}",
                                         f"Notez le critère « {criterion.name} » ou indiquez « non applicable »."))
        if not errors and review_score(clean, criteria) is None:
            errors.append(FieldError("scores", "Au moins un critère pondéré doit être noté."))
    if errors:
        raise InvalidInput("Les notes ne sont pas valides.", errors)
    return clean
