"""Scoring against small tables worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from shared import questionnaires, scoring
from shared.scoring import (
    comprehensive_share,
    count_answers,
    criterion_share,
    factor_index,
    index,
    mean_score,
    pooled_rate,
    rollup_mean,
    score,
    sipas_index,
    wilson_interval,
)

ADMIN = questionnaires.get("admin", "2026.1")  # A1-A3, B1-B4, C1-C3, D1-D3, E1-E3
ADMIN_SHORT = questionnaires.get("admin", "2026.1-short")  # Q0, A0-E0
HEALTH_SHORT = questionnaires.get("health", "2019.1-short")  # Q0, A0-E0, pooled


def tally(*answers: int) -> dict[int, int]:
    """Answer values -> counts, e.g. tally(5, 5, 0) == {5: 2, 0: 1}."""
    return count_answers({"X": value} for value in answers).get("X", {})


# A hand table on the full admin form. Per criterion: satisfied (4-5) / answered (1-5), 0 left out.
ADMIN_COUNTS = {
    "Q0": {5: 6, 4: 2, 3: 1, 2: 1},  # 8 / 10 = 80.0
    "A1": {5: 2, 4: 1, 3: 1},  # 3 / 4 = 75.0
    "A2": {4: 1, 2: 1, 0: 3},  # 1 / 2 = 50.0 (the three "no opinion" are left out)
    # A3: nobody answered -> None, left out of A = (75 + 50) / 2 = 62.5
    "B1": {5: 4},  # 4 / 4 = 100.0
    "B2": {1: 1, 4: 3},  # 3 / 4 = 75.0
    "B3": {3: 2, 4: 2},  # 2 / 4 = 50.0
    "B4": {0: 5},  # only "no opinion" -> None; B = (100 + 75 + 50) / 3 = 75.0
    # C1-C3: no answers at all -> factor C is None, left out of the index
    "D1": {5: 1},  # 1 / 1 = 100.0
    "D2": {4: 1, 3: 1},  # 1 / 2 = 50.0
    "D3": {2: 1, 4: 3},  # 3 / 4 = 75.0; D = (100 + 50 + 75) / 3 = 75.0
    "E1": {1: 2, 5: 2},  # 2 / 4 = 50.0
    "E2": {4: 1, 1: 3},  # 1 / 4 = 25.0
    "E3": {5: 3, 3: 1},  # 3 / 4 = 75.0; E = (50 + 25 + 75) / 3 = 50.0
}
# Index = mean of the factors with data: (62.5 + 75 + 75 + 50) / 4 = 262.5 / 4 = 65.625


def test_criterion_share_excludes_no_opinion():
    # satisfied 5 + 5 + 5 + 4 + 4 = 5 answers; answered 1-5: 8 (the two 0s are left out)
    assert criterion_share(tally(5, 5, 5, 4, 4, 3, 2, 1, 0, 0)) == pytest.approx(62.5)
    assert criterion_share({4: 1}) == 100.0
    assert criterion_share({3: 7}) == 0.0  # neutral is not satisfied


def test_criterion_share_is_none_without_answers_on_the_scale():
    assert criterion_share({}) is None
    assert criterion_share({0: 4}) is None


def test_count_answers_keeps_partial_responses():
    responses = [
        {"A1": 5, "A2": 4},
        {"A1": 0},  # no opinion is an answer, counted as 0
        {"A1": 3, "B1": None},  # B1 skipped
        {},  # abandoned before the first question
    ]
    assert count_answers(responses) == {"A1": {5: 1, 0: 1, 3: 1}, "A2": {4: 1}}


def test_count_answers_refuses_values_off_the_scale():
    with pytest.raises(ValueError, match="answer 6 to A1"):
        count_answers([{"A1": 6}])


def test_factor_indices_by_hand():
    assert factor_index(ADMIN, ADMIN_COUNTS, "A") == pytest.approx(62.5)
    assert factor_index(ADMIN, ADMIN_COUNTS, "B") == pytest.approx(75.0)
    assert factor_index(ADMIN, ADMIN_COUNTS, "C") is None
    assert factor_index(ADMIN, ADMIN_COUNTS, "D") == pytest.approx(75.0)
    assert factor_index(ADMIN, ADMIN_COUNTS, "E") == pytest.approx(50.0)


def test_sipas_index_skips_the_factor_with_no_answers():
    assert sipas_index(ADMIN, ADMIN_COUNTS) == pytest.approx(65.625)
    assert index(ADMIN, ADMIN_COUNTS) == pytest.approx(65.625)
    assert sipas_index(ADMIN, {}) is None


def test_sipas_index_is_a_mean_of_factors_not_of_criteria():
    # A has 3 criteria at 100, B one criterion at 0 (others unanswered):
    # mean of factors (100 + 0) / 2 = 50; a mean of criteria would give 300 / 4 = 75.
    counts = {"A1": {5: 1}, "A2": {5: 1}, "A3": {4: 1}, "B1": {1: 1}}
    assert sipas_index(ADMIN, counts) == pytest.approx(50.0)


def test_the_2018_oracle():
    # Factor shares as criterion counts out of 10 000 (every criterion of a factor alike):
    # (80.62 + 86.40 + 85.10 + 88.13 + 74.70) / 5 = 414.95 / 5 = 82.99
    shares = {"A": 8062, "B": 8640, "C": 8510, "D": 8813, "E": 7470}
    counts = {
        item.code: {5: shares[f.code], 2: 10_000 - shares[f.code]}
        for f in ADMIN.factors
        for item in f.items
    }
    assert [factor_index(ADMIN, counts, f) for f in "ABCDE"] == pytest.approx(
        [80.62, 86.40, 85.10, 88.13, 74.70]
    )
    assert sipas_index(ADMIN, counts) == pytest.approx(82.99)


def test_score_by_hand():
    s = score(ADMIN, ADMIN_COUNTS, responses=12)
    assert (s.kind, s.version, s.method, s.responses) == ("admin", "2026.1", "sipas", 12)
    assert s.index == pytest.approx(65.625)
    assert s.overall.share == pytest.approx(80.0) and s.overall.n == 10
    assert list(s.criteria) == [item.code for item in ADMIN.items]
    assert s.criteria["A2"].share == pytest.approx(50.0)
    assert (s.criteria["A2"].n, s.criteria["A2"].no_opinion) == (2, 3)
    assert s.criteria["A3"].share is None and s.criteria["A3"].n == 0
    assert s.criteria["B4"].share is None and s.criteria["B4"].no_opinion == 5
    assert {code: f.index for code, f in s.factors.items()} == pytest.approx(
        {"A": 62.5, "B": 75.0, "C": None, "D": 75.0, "E": 50.0}
    )
    # A: values 5 + 5 + 4 + 3 (A1) + 4 + 2 (A2) = 23 over 6 answers
    assert s.factors["A"].mean == pytest.approx(23 / 6)
    assert s.factors["A"].n == 6
    # answers 1-5: Q0 10, A 4 + 2, B 4 + 4 + 4, D 1 + 2 + 4, E 4 + 4 + 4 = 47; no opinion 3 + 5
    assert (s.answers, s.no_opinion) == (47, 8)


def test_score_is_frozen():
    s = score(ADMIN_SHORT, {"A0": {5: 1}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.index = 0.0
    with pytest.raises(TypeError):
        s.criteria["A0"] = None
    assert s.responses is None and s.overall.share is None


def test_score_ignores_codes_the_questionnaire_does_not_have():
    assert score(ADMIN_SHORT, {"A0": {4: 2}, "Z9": {1: 50}}).answers == 2


def test_index_refuses_an_unknown_method():
    with pytest.raises(ValueError, match="unknown scoring method 'median'"):
        index(dataclasses.replace(ADMIN_SHORT, method="median"), {})


def test_education_uses_the_sipas_chain():
    q = questionnaires.current("education")
    # A0 1 / 2 = 50, B0 2 / 2 = 100, others unanswered: (50 + 100) / 2 = 75; pooled would be 3 / 4
    counts = {"A0": {5: 1, 3: 1}, "B0": {4: 2}}
    assert index(q, counts) == pytest.approx(75.0)


def test_rollup_of_hanoi_2024():
    # (86.51 + 86.49) / 2 = 173.00 / 2 = 86.50
    assert rollup_mean([86.51, 86.49]) == pytest.approx(86.50)
    assert rollup_mean([86.51, None, 86.49]) == pytest.approx(86.50)
    assert rollup_mean([]) is None and rollup_mean([None]) is None


def test_rollup_is_a_mean_of_units_not_of_pooled_answers():
    # Unit X: 90 of 100 satisfied (90.0); unit Y: 720 of 900 (80.0).
    # Mean of units: (90 + 80) / 2 = 85.0; pooled answers would be 810 / 1000 = 81.0.
    x = sipas_index(ADMIN_SHORT, {"A0": {5: 90, 1: 10}})
    y = sipas_index(ADMIN_SHORT, {"A0": {5: 720, 1: 180}})
    assert rollup_mean([x, y]) == pytest.approx(85.0)


@pytest.mark.parametrize(
    ("n", "low", "high", "about"),
    [
        # p = 0.9, z = 1.96, z^2 = 3.8416; d = 1 + z^2 / n; centre = (p + z^2 / 2n) / d;
        # margin = z * sqrt(p (1 - p) / n + z^2 / 4n^2) / d
        # n = 30: d = 1.128053, centre = 0.854593, margin = 0.110808
        (30, 74.379, 96.540, (74, 97)),
        # n = 100: d = 1.038416, centre = 0.885202, margin = 0.059569
        (100, 82.563, 94.477, (83, 95)),
        # n = 400: d = 1.009604, centre = 0.896195, margin = 0.029506
        (400, 86.669, 92.570, (87, 93)),
    ],
)
def test_wilson_at_90_percent(n, low, high, about):
    interval = wilson_interval(9 * n // 10, n)
    assert interval == pytest.approx((low, high), abs=0.001)
    # the methodology's rounded figures ("about 74-97 %", ...)
    assert interval == pytest.approx(about, abs=0.6)


def test_wilson_edges():
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(30, 30)
    assert high == 100.0 and 85 < low < 100
    assert wilson_interval(0, 10)[0] == 0.0
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


# A hand table for health's two rates (short outpatient form: one item per section, A0-E0).
HEALTH_RESPONSES = [
    {"A0": 5, "B0": 4, "C0": 5, "D0": 4, "E0": 5},  # all 4-5: satisfied with everything
    {"A0": 5, "B0": 3, "C0": 5, "D0": 5, "E0": 5},  # one 3: not comprehensively satisfied
    {"A0": 4, "B0": 0, "C0": 4},  # 0 and missing ignored: 4, 4 -> satisfied with everything
    {"A0": 2, "B0": 4, "C0": 4, "D0": 4, "E0": 4},  # one 2: not
    {"A0": 0, "B0": 0},  # no item answered on the scale: left out
    {"Q0": 5},  # only the overall question, not an item: left out
]


def test_health_pooled_rate_by_hand():
    counts = count_answers(HEALTH_RESPONSES)
    # answered 1-5 items: 5 + 5 + 2 + 5 = 17; of them 4-5: 5 + 4 + 2 + 4 = 15 -> 15 / 17
    assert pooled_rate(HEALTH_SHORT, counts) == pytest.approx(100 * 15 / 17)  # 88.235
    assert index(HEALTH_SHORT, counts) == pytest.approx(88.235, abs=0.001)
    # Not the mean of section rates: A 3/4 = 75, B 2/3 = 66.667, C 4/4, D 3/3, E 3/3 = 100
    # -> (75 + 66.667 + 100 + 100 + 100) / 5 = 88.333
    assert pooled_rate(HEALTH_SHORT, counts, "B") == pytest.approx(100 * 2 / 3)
    assert sipas_index(HEALTH_SHORT, counts) == pytest.approx(88.333, abs=0.001)


def test_health_comprehensive_share_by_hand():
    # respondents with an answered item: the first four; satisfied with everything: 1st and 3rd
    assert comprehensive_share(HEALTH_SHORT, HEALTH_RESPONSES) == pytest.approx(50.0)
    assert comprehensive_share(HEALTH_SHORT, HEALTH_RESPONSES[4:]) is None


def test_health_mean_scores_by_hand():
    counts = count_answers(HEALTH_RESPONSES)
    # all items: 23 + 23 + 8 + 18 = 72 over 17 answers = 4.235
    assert mean_score(HEALTH_SHORT, counts) == pytest.approx(72 / 17)
    # section A: (5 + 5 + 4 + 2) / 4 = 4.0; B: (4 + 3 + 4) / 3 = 3.667 (the 0 left out)
    assert mean_score(HEALTH_SHORT, counts, "A") == pytest.approx(4.0)
    assert mean_score(HEALTH_SHORT, counts, "B") == pytest.approx(11 / 3)
    assert mean_score(HEALTH_SHORT, {}) is None


def test_health_score_uses_pooled_section_rates():
    s = score(HEALTH_SHORT, count_answers(HEALTH_RESPONSES), responses=len(HEALTH_RESPONSES))
    assert s.method == "pooled" and s.index == pytest.approx(100 * 15 / 17)
    assert s.factors["A"].index == pytest.approx(75.0)
    assert s.factors["A"].mean == pytest.approx(4.0)
    assert s.mean == pytest.approx(72 / 17)
    assert s.overall.share == 100.0 and s.overall.n == 1


# -- the respondent-clustered interval, by hand (methodology section 7) -------------------------


def test_a_respondent_clustered_interval_by_hand():
    """Two factors of one criterion each (a, b); four respondents:

        r1 a=5 b=5   r2 a=5 b=2   r3 a=2 b=0 (no opinion)   r4 a=4 b=4

    a: 3 of 4 satisfied, p_a = 0.75; b: 2 of 3, p_b = 2/3; index = (75 + 66.667) / 2 = 70.833.
    Each share weighs 1/2, so d_a = 0.5 / 4 = 0.125 and d_b = 0.5 / 3 = 0.1667. Each
    respondent's z_i = d_a (y_a - p_a a_a) + d_b (y_b - p_b a_b):

        r1: 0.125 x 0.25 + 0.1667 x 0.3333 =  0.08681
        r2: 0.125 x 0.25 - 0.1667 x 0.6667 = -0.07986
        r3: 0.125 x -0.75 (b not answered) = -0.09375
        r4: as r1                          =  0.08681      (they sum to 0)

    sum z^2 = 0.030237; times n / (n - 1) = 4/3: variance 0.040316, SE 0.2008. On the logit
    scale: log(0.70833 / 0.29167) = 0.8873, +- t(3) x SE / (p (1 - p)) = 3.182 x 0.2008 /
    0.2066 = 3.0925, so -2.2052 to 3.9798: back to 9.93 % - 98.17 %.
    """
    layout = scoring.Layout("sipas", ("a", "b"), ("F1", "F2"), ("F1", "F2"))
    satisfied = np.array([[1, 1], [1, 0], [0, 0], [1, 1]], dtype=float)
    answered = np.array([[1, 1], [1, 1], [1, 0], [1, 1]], dtype=float)
    counts = scoring.Counts(
        satisfied=satisfied.sum(axis=0)[None],
        answered=answered.sum(axis=0)[None],
        no_opinion=(1 - answered).sum(axis=0)[None],
        value_sum=np.zeros((1, 2)),
        respondents=np.array([4.0]),
        all_satisfied=np.zeros(1),
        responses=np.array([4.0]),
        cross=scoring.cross_of(satisfied, answered, np.zeros(4, dtype=int), 1),
    )
    scores = scoring.score_counts(layout, counts)
    assert scores.index[0] == pytest.approx(70.8333, abs=1e-4)
    assert scores.index_variance[0] == pytest.approx(0.040316, abs=1e-6)
    assert tuple(scores.index_ci[0]) == pytest.approx((9.93, 98.17), abs=0.01)
    # Treating the seven answers as seven people would give a much narrower interval.
    naive = scoring.wilson_interval(5, 7)
    assert naive[1] - naive[0] < scores.index_ci[0][1] - scores.index_ci[0][0]


def test_the_cross_products_are_sums_over_respondents():
    """yy = sum y_k y_l, ya = sum y_k a_l, aa = sum a_k a_l, per group."""
    satisfied = np.array([[1, 0], [1, 1], [0, 0]], dtype=float)
    answered = np.array([[1, 1], [1, 1], [1, 0]], dtype=float)
    made = scoring.cross_of(satisfied, answered, np.array([0, 0, 1]), 2)
    assert made.yy[0].tolist() == [[2, 1], [1, 1]]
    assert made.ya[0].tolist() == [[2, 2], [1, 1]]
    assert made.aa[0].tolist() == [[2, 2], [2, 2]]
    assert made.aa[1].tolist() == [[1, 0], [0, 0]] and not made.yy[1].any()


def test_more_responses_needed_by_hand():
    """89.8 % with a variance of 0.000582 from 157 responses, target 90. On the logit scale the
    gap is logit(0.898) - logit(0.9) = -0.022027, and the variance there is 0.000582 /
    (0.898 x 0.102)^2 = 0.069370; times t(156)^2 = 1.9753^2: 0.27067. The interval leaves the
    target once 0.27067 x 157 / (157 + more) < 0.022027^2, i.e. 157 + more > 87,584: 87,427
    more."""
    assert scoring.more_responses_needed(89.8, 0.000582, 157, 90.0) == 87427
    assert scoring.more_responses_needed(90.0, 0.000582, 157, 90.0) is None
    assert scoring.more_responses_needed(None, None, 0, 90.0) is None
    assert scoring.more_responses_needed(100.0, 0.0, 30, 90.0) is None


def test_respondent_counts_from_answers_give_the_hand_worked_interval():
    """The four respondents of the hand-worked interval above, as answers, in group 1; group 0
    holds one respondent who answered only the overall question (not a criterion: no n)."""
    layout = scoring.Layout("sipas", ("a", "b"), ("F1", "F2"), ("F1", "F2"))
    answers = [
        {"a": 5, "b": 5},
        {"Q0": 3},
        {"a": 5, "b": 2},
        {"a": 2, "b": 0},
        {"a": 4, "b": 4, "Q0": 1},
    ]
    counts = scoring.respondent_counts(layout, answers, [1, 0, 1, 1, 1], 2)
    assert counts.respondents.tolist() == [0.0, 4.0]
    assert counts.responses.tolist() == [1.0, 4.0]
    assert counts.satisfied[1].tolist() == [3.0, 2.0]
    assert counts.answered[1].tolist() == [4.0, 3.0]
    assert counts.no_opinion[1].tolist() == [0.0, 1.0]
    assert counts.value_sum[1].tolist() == [16.0, 11.0]
    assert counts.all_satisfied.tolist() == [0.0, 2.0]
    scores = scoring.score_counts(layout, counts)
    assert np.isnan(scores.index[0])
    assert scores.index[1] == pytest.approx(70.8333, abs=1e-4)
    assert tuple(scores.index_ci[1]) == pytest.approx((9.93, 98.17), abs=0.01)
