"""The report builder on hand-made counts (no database): roll-ups over a tree of uneven depth,
health sections that add up to the index, n without empty responses, and the verdicts.

Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collector.counts import cross
from collector.periods import Period
from collector.reports import build, model
from collector.reports.data import ReportData
from collector.reports.loader import CROSS_COLUMNS
from shared import scoring
from tests import reference_scoring as reference

SETTINGS = model.Settings(min_responses=30, include_unofficial=False, drop_points=10.0)
#: Every part counts on its own, however small (no pooling of parts below the minimum).
EVERY_PART = model.Settings(min_responses=1, include_unofficial=False, drop_points=10.0)
TARGETS = {"admin": {2025: 90.0}, "health": {2025: 85.0}, "education": {2025: 85.0}}
SHORT = ("A0", "B0", "C0", "D0", "E0")


WEEK = Period.parse("2026-W10")


def units(*rows: tuple[int, str, int | None]) -> pd.DataFrame:
    return pd.DataFrame(
        [(uid, code, f"Unit {code}", "commune", parent) for uid, code, parent in rows],
        columns=["id", "code", "name", "kind", "parent_id"],
    )


def count_rows(kind: str, unit_id: int, per_code: dict, respondents=(0, 0, 0), bucket=0):
    """Rows of `data.counts`: per_code = code -> (answered, satisfied, no_opinion[, value_sum]);
    respondents = (with a valid answer, all satisfied, without a valid answer)."""
    out = []
    for code, figures in per_code.items():
        answered, satisfied, no_opinion, *rest = figures
        value_sum = rest[0] if rest else 4 * satisfied + 2 * (answered - satisfied)
        out.append((bucket, kind, unit_id, code, answered, satisfied, no_opinion, value_sum))
    n, all_sat, empty = respondents
    out.append((bucket, kind, unit_id, "*", n, all_sat, empty, 0))
    return out


def alike(kind: str, unit_id: int, n: int, satisfied: int, bucket: int = 0) -> tuple:
    """A row of `data.cross` for n respondents who answered every short-form item alike, all
    satisfied (`satisfied` of them) or none: each pair of items moves together."""
    size = len(SHORT)
    yy = np.full((size, size), float(satisfied))
    aa = np.full((size, size), float(n))
    data = cross.pack(yy, yy.copy(), aa)
    return (bucket, kind, "2026.1-short", "kiosk", unit_id, False, ",".join(SHORT), data)


def data_of(units_frame, rows, root_id, kind_versions=None, cross_rows=()) -> ReportData:
    columns = ["bucket", "kind", "unit_id", "code", *["answered", "satisfied", "no_opinion"]]
    counts = pd.DataFrame(rows, columns=[*columns, "value_sum"])
    versions = kind_versions or {"admin": ["2026.1-short"], "health": ["2019.1-short"]}
    return ReportData(
        period=WEEK,
        root_id=root_id,
        units=units_frame,
        versions=versions,
        period_versions=versions,
        buckets=[WEEK, WEEK.previous(), *WEEK.trend_buckets()],
        counts=counts,
        channel_counts=pd.DataFrame(columns=["channel", *columns[1:], "value_sum"]),
        cross=pd.DataFrame(list(cross_rows), columns=CROSS_COLUMNS),
        groups=pd.DataFrame(
            columns=[
                "kind",
                "dimension",
                "value",
                "unit_id",
                "responses",
                "answered",
                "satisfied",
                "low",
            ]
        ),
        left_out=pd.DataFrame(
            columns=["local_time", "unit_id", "kind", "channel", "counter", "suspect", "broken"]
        ),
    )


def alike_interval(satisfied: int, n: int) -> tuple[float, float]:
    """The interval of an index whose respondents answer every item alike: a share of people,
    variance n / (n - 1) p (1 - p) / n, worked out by the reference."""
    p = satisfied / n
    return reference.design_interval(100 * p, p * (1 - p) / (n - 1), n)


def every(answered: int, satisfied: int) -> dict:
    return {code: (answered, satisfied, 0) for code in SHORT}


# P (province, own responses) -> D1 (no own) -> C1, C2; P -> D2 (leaf); P -> C3 (leaf).
TREE = units((1, "P", None), (2, "D1", 1), (3, "C1", 2), (4, "C2", 2), (5, "D2", 1), (6, "C3", 1))


def uneven_tree_report(settings=EVERY_PART) -> model.Report:
    rows, crosses = [], []
    # Every criterion of a unit alike, so each unit's index is its share:
    # C1 9/10 = 90, C2 6/10 = 60, D2 8/10 = 80, C3 5/10 = 50, P's own 7/10 = 70.
    for uid, sat in ((3, 9), (4, 6), (5, 8), (6, 5), (1, 7)):
        rows += count_rows("admin", uid, every(10, sat), respondents=(10, sat, 0))
        crosses.append(alike("admin", uid, 10, sat))
    return build.build_report(data_of(TREE, rows, 1, cross_rows=crosses), settings, TARGETS)


def test_a_parent_is_the_mean_of_its_direct_parts_on_an_uneven_tree():
    report = uneven_tree_report()
    admin = report.kind("admin")
    # D1 = (90 + 60) / 2 = 75; P = (D1 75 + D2 80 + C3 50 + own 70) / 4 = 275 / 4 = 68.75
    assert admin.summary.index == pytest.approx(68.75)
    assert admin.summary.parts == 4
    # Pooled over every answer: (9 + 6 + 8 + 5 + 7) / 50 = 70
    assert admin.summary.pooled == pytest.approx(70.0)
    assert admin.summary.n == 50
    rows = {row.code: row for row in admin.children}
    assert set(rows) == {"P", "D1", "D2", "C3"}
    assert rows["P"].own and rows["P"].summary.index == pytest.approx(70.0)
    assert rows["D1"].summary.index == pytest.approx(75.0)
    assert rows["D1"].summary.parts == 2 and rows["D1"].summary.n == 20
    assert rows["D1"].summary.pooled == pytest.approx(75.0)  # 15 / 20
    # A manager checks the parent from the rows under it.
    assert np.mean([r.summary.index for r in admin.children]) == pytest.approx(68.75)
    # Factors roll up the same way: every factor is the unit's share here.
    assert all(f.index == pytest.approx(68.75) and f.parts == 4 for f in admin.factors)
    # The criteria table pools every answer in scope: 35 / 50.
    assert all(c.share == pytest.approx(70.0) and c.answers == 50 for c in admin.criteria)
    # Worst first.
    assert [r.code for r in admin.children] == ["C3", "P", "D1", "D2"]


def test_the_mean_of_parts_has_an_interval_around_it_and_single_parts_keep_their_own():
    admin = uneven_tree_report().kind("admin")
    low, high = admin.summary.ci95
    assert low < 68.75 < high
    rows = {row.code: row for row in admin.children}
    # D2 is one unit: its interval is its own. Each of its respondents answers every criterion
    # alike, so the index is a share of respondents, 8/10, with variance n / (n - 1) p (1 - p) / n
    # = 0.8 x 0.2 / 9 = 0.01778: on the logit scale log(4) +- t(9) sqrt(0.01778) / 0.16 =
    # 1.386 +- 2.262 x 0.833, back to 37.8-96.3 (methodology section 7).
    assert rows["D2"].summary.ci95 == pytest.approx(alike_interval(8, 10))
    assert rows["D2"].summary.ci95 == pytest.approx((37.79, 96.34), abs=0.01)


def health_unit_report(per_code, respondents) -> model.KindReport:
    rows = count_rows("health", 1, per_code, respondents=respondents)
    report = build.build_report(data_of(units((1, "H", None)), rows, 1), SETTINGS, TARGETS)
    return report.kind("health")


def test_health_sections_are_pooled_and_add_up_to_the_index():
    # A 8/10, B 3/4, C nobody, D 5/5, E 1/2: index = 17 / 21 = 80.952
    health = health_unit_report(
        {"A0": (10, 8, 0), "B0": (4, 3, 1), "C0": (0, 0, 2), "D0": (5, 5, 0), "E0": (2, 1, 0)},
        (10, 4, 0),
    )
    assert health.method == "pooled"
    assert health.summary.index == pytest.approx(100 * 17 / 21)
    by_code = {f.code: f.index for f in health.factors}
    answers = {f.code: f.answers for f in health.factors}
    shown = [(by_code[c], answers[c]) for c in by_code if by_code[c] is not None]
    # (10 x 80 + 4 x 75 + 5 x 100 + 2 x 50) / 21 = 1700 / 21 = the index
    weighted = sum(v * a for v, a in shown) / sum(a for _, a in shown)
    assert weighted == pytest.approx(health.summary.index)
    assert sorted(v for v, _ in shown) == pytest.approx([50.0, 75.0, 80.0, 100.0])
    # Comprehensive: 4 of the 10 respondents satisfied with everything they answered.
    assert health.comprehensive.share == pytest.approx(40.0)
    assert health.comprehensive.respondents == 10


def test_health_mean_score_per_section():
    # A: 10 answers summing to 42 -> 4.2
    health = health_unit_report({"A0": (10, 8, 0, 42)}, (10, 8, 0))
    assert {f.code: f.mean for f in health.factors}["A"] == pytest.approx(4.2)


def test_n_leaves_out_responses_without_a_valid_answer():
    # 12 responses: 9 answered an item, 3 only "no opinion" or the overall question.
    rows = count_rows("admin", 1, every(9, 9), respondents=(9, 9, 3))
    admin = build.build_report(data_of(units((1, "X", None)), rows, 1), SETTINGS, TARGETS).kind(
        "admin"
    )
    assert (admin.summary.n, admin.summary.responses) == (9, 12)


@pytest.mark.parametrize(
    ("n", "satisfied", "verdict"),
    [
        (12, 12, model.TOO_FEW),  # 12 < 30 whatever the interval
        (157, 141, model.TOO_CLOSE),  # 89.8 %, Wilson 84.1-93.6 contains 90
        (400, 390, model.MEETS),  # 97.5 %, Wilson 95.5-98.6 above 90
        (400, 300, model.MISSES),  # 75 %, Wilson 70.5-79.0 below 90
    ],
)
def test_verdicts(n, satisfied, verdict):
    rows = count_rows("admin", 1, every(n, satisfied), respondents=(n, satisfied, 0))
    data = data_of(units((1, "X", None)), rows, 1, cross_rows=[alike("admin", 1, n, satisfied)])
    admin = build.build_report(data, SETTINGS, TARGETS).kind("admin")
    assert admin.summary.verdict == verdict
    # Every respondent answers all the items alike: the index is a share of respondents, and
    # its respondent-clustered interval that of a share of n people with n - 1 degrees of freedom.
    assert admin.summary.ci95 == pytest.approx(alike_interval(satisfied, n))


def test_the_figures_come_from_shared_scoring(monkeypatch):
    rows = count_rows("admin", 1, every(10, 9), respondents=(10, 9, 0))
    data = data_of(units((1, "X", None)), rows, 1)
    assert build.build_report(data, SETTINGS, TARGETS).kind("admin").summary.index == 90.0
    original = scoring.score_counts

    def shifted(layout, counts, *args, **kwargs):
        scores = original(layout, counts, *args, **kwargs)
        return scoring.Scores(**{**scores.__dict__, "index": scores.index - 1.0})

    monkeypatch.setattr(scoring, "score_counts", shifted)
    assert build.build_report(data, SETTINGS, TARGETS).kind("admin").summary.index == 89.0


def alike_report(tree, units_and_shares, settings=SETTINGS) -> model.KindReport:
    """A report whose units' respondents answer every item alike: (unit id, n, satisfied)."""
    rows, crosses = [], []
    for uid, n, sat in units_and_shares:
        rows += count_rows("admin", uid, every(n, sat), respondents=(n, sat, 0))
        crosses.append(alike("admin", uid, n, sat))
    return build.build_report(data_of(tree, rows, 1, cross_rows=crosses), settings, TARGETS).kind(
        "admin"
    )


def test_parts_below_the_minimum_are_pooled_into_one_part():
    """P has its own 5 responses (all satisfied); below it A 36 of 40, B 8 of 10, C 6 of 12.
    With a minimum of 30, A is a part of its own (90 %); B, C and P's own responses are pooled
    into one part: 19 of 27 = 70.370 %. That part is still below the minimum, so it weighs
    27 / 30 = 0.9: P = (1 x 90 + 0.9 x 70.370) / 1.9 = 80.702 %, 2 parts, n = 67.

    Variances (each unit's respondents answer alike, so each is a share of people):
        A: 40/39 x 0.9 x 0.1 / 40 = 0.0023077
        the pool, a sample stratified by unit: 27/26 x (10 x 0.8 x 0.2 + 12 x 0.5 x 0.5
            + 5 x 1 x 0) / 27^2 = 0.0065527, interval 51.67-84.06 % (logit, t(26))
        P: (1^2 x 0.0023077 + 0.9^2 x 0.0065527) / 1.9^2 = 0.0021095; logit(0.80702) = 1.4307
            +- t(66) sqrt(0.0021095) / (0.80702 x 0.19298) = 1.9966 x 0.29491 = 0.5888:
            69.89-88.28 %.
    """
    tree = units((1, "P", None), (2, "A", 1), (3, "B", 1), (4, "C", 1))
    admin = alike_report(tree, [(1, 5, 5), (2, 40, 36), (3, 10, 8), (4, 12, 6)])
    assert admin.summary.index == pytest.approx((90 + 0.9 * 100 * 19 / 27) / 1.9)
    assert (admin.summary.parts, admin.summary.n) == (2, 67)
    assert admin.summary.ci95 == pytest.approx((69.89, 88.28), abs=0.01)
    pool = admin.pooled_part
    assert (pool.units, pool.own, pool.n) == (("B", "C"), True, 27)
    assert pool.weight == pytest.approx(0.9)
    assert pool.index == pytest.approx(100 * 19 / 27)
    assert pool.ci95 == pytest.approx((51.67, 84.06), abs=0.01)
    rows = {row.code: row for row in admin.children}
    assert rows["B"].pooled and rows["C"].pooled and rows["P"].pooled and not rows["A"].pooled
    assert rows["B"].summary.verdict == model.TOO_FEW  # still listed, with its own figure
    assert rows["B"].summary.index == pytest.approx(80.0)
    # No response is dropped: every one is in a part.
    assert rows["A"].summary.n + pool.n == admin.summary.n
    # Without pooling, a unit of 5 would weigh as much as one of 40.
    every_part = alike_report(tree, [(1, 5, 5), (2, 40, 36), (3, 10, 8), (4, 12, 6)], EVERY_PART)
    assert every_part.summary.index == pytest.approx((100 + 90 + 80 + 50) / 4)


def test_an_interval_near_100_stays_inside_0_100():
    """A: 40 of 40 satisfied, B: 49 of 50. P = (100 + 98) / 2 = 99 %.

    A is 100 %: its variance says nothing (every answer alike), so it brings the variance its
    Wilson interval of 40/40 stands for: ((100 - 91.238) / 2 / 1.96 / 100)^2 = 0.00049967.
    B: 50/49 x 0.98 x 0.02 / 50 = 0.0004. P: (0.00049967 + 0.0004) / 4 = 0.00022492; on the
    logit scale log(99) +- t(89) sqrt(0.00022492) / (0.99 x 0.01) = 4.595 +- 3.012: 82.99 % to
    99.95 %, not cut at 100 and not symmetric."""
    tree = units((1, "P", None), (2, "A", 1), (3, "B", 1))
    admin = alike_report(tree, [(2, 40, 40), (3, 50, 49)])
    low, high = admin.summary.ci95
    assert admin.summary.index == pytest.approx(99.0)
    assert (low, high) == pytest.approx((82.99, 99.95), abs=0.01)
    assert 0 < low < 99.0 < high < 100
    rows = {row.code: row for row in admin.children}
    # A unit at 100 % keeps Wilson's interval of its respondents: (91.24, 100).
    assert rows["A"].summary.ci95 == pytest.approx(scoring.wilson_interval(40, 40))
