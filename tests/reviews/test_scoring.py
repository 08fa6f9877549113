"""The score formula of API.md, checked against values computed by hand."""

from __future__ import annotations

import math

import pytest

from registry.errors import InvalidInput
from registry.reviews.scoring import Aggregate, CriterionSpec, aggregate, rank, review_score, validate_scores

QS, IMPACT, OPEN, FEAS = "Qualité scientifique", "Impact", "Ouverture", "Faisabilité"
CRITERIA = [
    CriterionSpec(QS, 40, 4, eliminatory_below=2.0),
    CriterionSpec(IMPACT, 30, 4),
    CriterionSpec(OPEN, 20, 5),
    CriterionSpec(FEAS, 10, 10),
]
# A: QS 3/4=75, Impact 2/4=50, Ouverture 5/5=100, Faisabilité n/a → weights 40+30+20 = 90
#    (40×75 + 30×50 + 20×100) / 90 = (3000 + 1500 + 2000) / 90 = 6500/90 = 650/9 = 72.222…
REVIEW_A = {QS: 3, IMPACT: 2, OPEN: 5, FEAS: None}
# B: QS 1/4=25, Impact 4/4=100, Ouverture n/a, Faisabilité 5/10=50 → weights 40+30+10 = 80
#    (40×25 + 30×100 + 10×50) / 80 = (1000 + 3000 + 500) / 80 = 4500/80 = 56.25
REVIEW_B = {QS: 1, IMPACT: 4, OPEN: None, FEAS: 5}
# C: 2/4=50, 3/4=75, 4/5=80, 10/10=100 → (2000 + 2250 + 1600 + 1000) / 100 = 68.5
REVIEW_C = {QS: 2, IMPACT: 3, OPEN: 4, FEAS: 10}


def test_review_score_weighted_mean_of_normalised_criteria() -> None:
    assert review_score(REVIEW_A, CRITERIA) == pytest.approx(650 / 9)
    assert review_score(REVIEW_B, CRITERIA) == pytest.approx(56.25)
    assert review_score(REVIEW_C, CRITERIA) == pytest.approx(68.5)


def test_review_score_not_applicable_is_never_zero() -> None:
    # Only QS applies: 4/4 = 100 with its weight renormalised to 100 %. Counted as zeros the
    # other criteria would give (40×100)/100 = 40.
    assert review_score({QS: 4, IMPACT: None, OPEN: None, FEAS: None}, CRITERIA) == pytest.approx(100.0)
    # A missing key is treated like "not applicable" too.
    assert review_score({IMPACT: 1}, CRITERIA) == pytest.approx(25.0)


def test_review_score_none_when_nothing_applies() -> None:
    assert review_score({QS: None}, CRITERIA) is None
    assert review_score({}, CRITERIA) is None


def test_aggregate_three_reviews() -> None:
    result = aggregate(7, [REVIEW_A, REVIEW_B, REVIEW_C], CRITERIA)
    # mean = (650/9 + 56.25 + 68.5) / 3 = (650/9 + 124.75) / 3 = (1772.75/9) / 3 = 7091/108 = 65.657…
    assert result.score_mean == pytest.approx(7091 / 108)
    # median of 56.25, 68.5, 72.22 = 68.5
    assert result.score_median == pytest.approx(68.5)
    # population variance = Σ(x − 7091/108)² / 3 = 271531/5832 → stdev = √46.5588… = 6.8234…
    assert result.score_stdev == pytest.approx(math.sqrt(271531 / 5832))
    assert result.score_min == pytest.approx(56.25)
    assert result.score_max == pytest.approx(650 / 9)
    assert result.reviews == 3
    # QS mean = (3 + 1 + 2) / 3 = 2.0, not strictly below 2.0
    assert (result.eliminated, result.eliminated_by) == (False, [])
    # spread = 72.22 − 56.25 = 15.97 < 25
    assert result.disagreement is False


def test_aggregate_eliminated_when_criterion_mean_below_threshold() -> None:
    criteria = [CriterionSpec(QS, 40, 4, eliminatory_below=2.5), *CRITERIA[1:]]
    # QS mean 2.0 < 2.5, even though review A alone (3) is above it
    result = aggregate(1, [REVIEW_A, REVIEW_B, REVIEW_C], criteria)
    assert (result.eliminated, result.eliminated_by) == (True, [QS])


def test_aggregate_eliminatory_mean_ignores_not_applicable() -> None:
    criteria = [CriterionSpec(QS, 50, 4, eliminatory_below=2.0), CriterionSpec(IMPACT, 50, 4)]
    # QS mean over applicable reviews only = (3) / 1 = 3 ≥ 2; counting n/a as 0 would give 1.5
    result = aggregate(1, [{QS: 3, IMPACT: 1}, {QS: None, IMPACT: 4}], criteria)
    assert result.eliminated is False


def test_aggregate_disagreement_at_25_points() -> None:
    criteria = [CriterionSpec(IMPACT, 100, 4)]
    # 3/4 = 75 and 2/4 = 50: 75 − 50 = 25 ≥ 25
    flagged = aggregate(1, [{IMPACT: 3}, {IMPACT: 2}], criteria)
    assert (flagged.disagreement, flagged.score_mean, flagged.score_stdev) == (True, 62.5, 12.5)
    criteria = [CriterionSpec(IMPACT, 100, 100)]
    # 74 − 50 = 24 < 25
    assert aggregate(1, [{IMPACT: 74}, {IMPACT: 50}], criteria).disagreement is False


def test_aggregate_single_review_has_zero_spread() -> None:
    result = aggregate(3, [REVIEW_C], CRITERIA)
    assert (result.score_mean, result.score_median, result.score_stdev, result.disagreement) == (
        pytest.approx(68.5), pytest.approx(68.5), 0.0, False)


def test_aggregate_without_reviews() -> None:
    assert aggregate(4, [], CRITERIA) == Aggregate(4, 0)


def test_rank_highest_mean_first_unscored_last() -> None:
    items = [Aggregate(1, 0), Aggregate(2, 1, [50.0], 50.0), Aggregate(3, 1, [80.0], 80.0),
             Aggregate(4, 1, [50.0], 50.0)]
    assert [a.application_id for a in rank(items)] == [3, 2, 4, 1]


def test_validate_scores_accepts_numbers_and_not_applicable() -> None:
    assert validate_scores({QS: 4, IMPACT: None, OPEN: 2.5, FEAS: 0}, CRITERIA, complete=True) == {
        QS: 4.0, IMPACT: None, OPEN: 2.5, FEAS: 0.0}


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({QS: 5}, f"scores.{QS}", "La note doit être comprise entre 0 et 4."),
    ({QS: -1}, f"scores.{QS}", "La note doit être comprise entre 0 et 4."),
    ({QS: "3"}, f"scores.{QS}", "La note doit être un nombre ou « non applicable »."),
    ({QS: True}, f"scores.{QS}", "La note doit être un nombre ou « non applicable »."),
    ({"Inconnu": 1}, "scores.Inconnu", "Critère inconnu : « Inconnu »."),
])
def test_validate_scores_rejects_bad_values(raw: dict, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_scores(raw, CRITERIA, complete=False)
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, message)]


def test_validate_scores_complete_requires_every_criterion() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_scores({QS: 2, IMPACT: 1}, CRITERIA, complete=True)
    assert [e.field for e in caught.value.errors] == [f"scores.{OPEN}", f"scores.{FEAS}"]
    assert validate_scores({QS: 2, IMPACT: 1}, CRITERIA, complete=False) == {QS: 2.0, IMPACT: 1.0}


def test_validate_scores_complete_needs_one_applicable() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_scores(dict.fromkeys((QS, IMPACT, OPEN, FEAS)), CRITERIA, complete=True)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("scores", "Au moins un critère pondéré doit être noté.")]
