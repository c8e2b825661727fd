"""The report builder on hand-made counts (no database): roll-ups over a tree of uneven depth,
health sections that add up to the index, n without empty responses, and the verdicts.

Every expected figure is worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collector.reports import build, cross, model
from collector.reports.data import ReportData
from collector.reports.loader import CROSS_COLUMNS
from collector.reports.periods import Period
from shared import scoring

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
    # D2 is one unit: its interval is its own, the Wilson interval of 8/10 on every criterion.
    assert rows["D2"].summary.ci95 == pytest.approx(scoring.wilson_interval(8, 10))


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
    # its respondent-clustered interval is their Wilson interval.
    assert admin.summary.ci95 == pytest.approx(scoring.wilson_interval(satisfied, n))


def test_the_figures_come_from_shared_scoring(monkeypatch):
    rows = count_rows("admin", 1, every(10, 9), respondents=(10, 9, 0))
    data = data_of(units((1, "X", None)), rows, 1)
    assert build.build_report(data, SETTINGS, TARGETS).kind("admin").summary.index == 90.0
    original = scoring.score_counts

    def shifted(layout, counts):
        scores = original(layout, counts)
        return scoring.Scores(**{**scores.__dict__, "index": scores.index - 1.0})

    monkeypatch.setattr(scoring, "score_counts", shifted)
    assert build.build_report(data, SETTINGS, TARGETS).kind("admin").summary.index == 89.0
