"""The parts of the reports: weeks, formulas against shared.scoring, verdicts, targets, formula
injection, the demo data, the alert list and the methodology page."""

from __future__ import annotations

import datetime as dt
import os
import random
import time

import numpy as np
import pytest

from collector.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_demo
from collector.periods import Period
from collector.reports.render import neutralise
from collector.reports.service import DEFAULT_TARGETS
from shared import questionnaires, scoring
from shared.scoring import target_for, verdict
from tests import reference_scoring as reference
from tests.factories import login, post_answers


@pytest.fixture
def server_zone():
    """Run a test with the process in a zone far from Vietnam's."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_weeks_are_vietnamese_iso_weeks_whatever_the_server_zone(server_zone):
    week = Period.parse_week("2026-W10")
    assert week.start == dt.date(2026, 3, 2) and week.end == dt.date(2026, 3, 8)
    assert week.start_utc() == dt.datetime(2026, 3, 1, 17, tzinfo=dt.UTC)
    assert week.end_utc() == dt.datetime(2026, 3, 8, 17, tzinfo=dt.UTC)
    sunday_night = dt.datetime(2026, 3, 1, 16, 59, 59, tzinfo=dt.UTC)  # 23:59:59 in Hà Nội
    monday_midnight = dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)  # 00:00 in Hà Nội
    assert Period.of_moment("week", sunday_night) == Period.parse_week("2026-W09")
    assert Period.of_moment("week", monday_midnight) == week
    assert Period.parse_week("2026-W01").previous() == Period.parse_week("2025-W52")
    assert Period.parse_week("2021-W01").previous() == Period.parse_week("2020-W53")
    assert Period.parse_week("last", today=dt.date(2026, 3, 4)) == Period.parse_week("2026-W09")
    assert [str(w) for w in week.last(3)] == ["2026-W08", "2026-W09", "2026-W10"]
    for bad in ("2026-W54", "2026-10", "W10", ""):
        with pytest.raises(ValueError):
            Period.parse_week(bad)


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=x"])
def test_cells_that_look_like_formulas_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Chờ lâu", "", None, -3.5, 42, "a=b"])
def test_other_cells_pass_unchanged(value):
    assert neutralise(value) == value


@pytest.mark.parametrize("kind", ["admin", "health", "education"])
@pytest.mark.parametrize("version", ["short", "full"])
def test_vectorised_scores_equal_the_plain_python_reference(kind, version):
    """shared.scoring scores many units at once; tests/reference_scoring.py is the formulas
    written plainly, one unit at a time."""
    q = questionnaires.current(kind, version)
    rng = random.Random(f"{kind}{version}")  # noqa: S311
    layout, _ = scoring.layout_for(kind, [q.version])
    units = []
    for _ in range(7):
        responses = []
        for _ in range(rng.choice((0, 1, 5, 60))):
            answers = {}
            for item in q.questions:
                if rng.random() < 0.7:
                    answers[item.code] = rng.choice((0, 1, 2, 3, 4, 4, 5, 5, 5))
            responses.append(answers)
        units.append(responses)
    counts = [reference.count_answers(responses) for responses in units]
    # Each respondent's answers as 0/1 rows (satisfied, answered) for the cross-products.
    people = [(u, r) for u, responses in enumerate(units) for r in responses]
    rows_y = [[1.0 if r.get(c) in (4, 5) else 0.0 for c in layout.criteria] for _, r in people]
    rows_a = [
        [1.0 if r.get(c) in (1, 2, 3, 4, 5) else 0.0 for c in layout.criteria] for _, r in people
    ]
    cross = scoring.cross_of(
        np.array(rows_y).reshape(len(people), len(layout.criteria)),
        np.array(rows_a).reshape(len(people), len(layout.criteria)),
        np.array([u for u, _ in people], dtype=int),
        len(units),
    )
    respondents = np.array(
        [
            sum(1 for r in responses if any(r.get(c) in range(1, 6) for c in layout.criteria))
            for responses in units
        ],
        dtype=float,
    )
    arrays = scoring.Counts(
        *[
            np.array([scoring.counts_of(layout, c).__dict__[name] for c in counts])
            for name in ("satisfied", "answered", "no_opinion", "value_sum")
        ],
        respondents=respondents,
        all_satisfied=np.zeros(len(units)),
        responses=np.zeros(len(units)),
        cross=cross,
    )
    scores = scoring.score_counts(layout, arrays)
    for u, c in enumerate(counts):
        expected = reference.index(q, c)
        assert _none(scores.index[u]) == pytest.approx(expected)
        for f, factor in enumerate(layout.factors):
            mine = _none(scores.factor[u, f])
            if q.method == "pooled":
                assert mine == pytest.approx(reference.pooled_rate(q, c, factor))
            else:
                assert mine == pytest.approx(reference.factor_index(q, c, factor))
            assert _none(scores.factor_mean[u, f]) == pytest.approx(
                reference.mean_score(q, c, factor)
            )
        for j, code in enumerate(layout.criteria):
            assert _none(scores.share[u, j]) == pytest.approx(
                reference.criterion_share(c.get(code, {}))
            )
        # The index's interval: respondent-clustered, from the cross-products, equal to the one
        # worked out respondent by respondent.
        if expected is not None:
            _, (low, high) = reference.linearised_interval(q, units[u])
            assert tuple(scores.index_ci[u]) == pytest.approx((low, high))
            assert low <= expected <= high


def _none(value):
    return None if np.isnan(value) else float(value)


def test_verdicts():
    assert verdict(95.0, (92.0, 97.0), 100, 90, 30) == "meets"
    assert verdict(80.0, (75.0, 85.0), 100, 90, 30) == "misses"
    assert verdict(91.0, (88.0, 94.0), 100, 90, 30) == "too-close"
    assert verdict(99.0, (98.0, 100.0), 29, 90, 30) == "too-few"
    assert verdict(None, None, 0, 90, 30) == "no-data"


def test_targets_are_data_by_year():
    assert target_for(DEFAULT_TARGETS, "admin", 2025) == 90
    assert target_for(DEFAULT_TARGETS, "admin", 2027) == 90
    assert target_for(DEFAULT_TARGETS, "admin", 2030) == 95
    assert target_for(DEFAULT_TARGETS, "health", 2031) == 90
    assert target_for(DEFAULT_TARGETS, "education", 2024) == 85
    assert target_for({"admin": {"2026": 92}}, "admin", 2026) == 92


def test_targets_can_be_configured(app, client, units, register, make):
    app.config["REPORT_TARGETS"] = {**DEFAULT_TARGETS, "admin": {2026: 70.0}}
    kiosk = register("C01")
    post_answers(
        kiosk,
        dict.fromkeys(("Q0", "A0", "B0", "C0", "D0", "E0"), 5),
        "2026-03-03T09:00:00+07:00",
        unit="O01",
    )
    make.user("a@example.org", "admin", None)
    login(client, "a@example.org")
    page = client.get("/reports/weekly?week=2026-W10&unit=P01").get_data(as_text=True)
    assert 'data-fig="admin.target">70,00 %' in page


def test_alert_list_shows_units_below_target_and_sudden_drops(app, client, units, register, make):
    app.config["REPORT_MIN_RESPONSES"] = 5
    kiosk = register("C01")
    other = register("C02")
    codes = ("Q0", "A0", "B0", "C0", "D0", "E0")
    for i in range(8):
        # O01: all satisfied last week, half this week: a sudden drop, interval not below 90.
        post_answers(kiosk, dict.fromkeys(codes, 5), f"2026-02-24T09:0{i}:00+07:00", unit="O01")
        value = 5 if i % 2 else 4
        post_answers(
            kiosk,
            dict.fromkeys(codes, value if i < 6 else 1),
            f"2026-03-03T09:0{i}:00+07:00",
            unit="O01",
        )
        # O02: nobody satisfied this week: the whole interval is below target.
        post_answers(other, dict.fromkeys(codes, 2), f"2026-03-03T10:0{i}:00+07:00", unit="O02")
    make.user("a@example.org", "admin", None)
    login(client, "a@example.org")
    page = client.get("/reports/alerts?week=2026-W10&unit=P01").get_data(as_text=True)
    assert 'data-unit="O02" data-kind="admin"' in page
    assert 'data-unit="O01" data-kind="admin"' in page
    row_o01 = page.split('data-unit="O01"')[1].split("</tr>")[0]
    assert "giảm đột ngột" in row_o01
    row_o02 = page.split('data-unit="O02"')[1].split("</tr>")[0]
    assert "dưới chỉ tiêu" in row_o02


def test_methodology_page_in_both_languages(client):
    vi = client.get("/methodology").get_data(as_text=True)
    assert "Cách tính các con số" in vi and "QĐ 3869/QĐ-BYT" in vi and "86,50" in vi
    en = client.get("/methodology?lang=en").get_data(as_text=True)
    assert "How the figures are computed" in en and "Wilson" in en


def test_demo_data_makes_a_report_with_every_kind(app, client):
    from collector.db import get_session

    with app.app_context():
        session = get_session()
        seed_demo(session, weeks=3, seed=1)
        session.commit()
        seed_demo(session, weeks=3, seed=1)  # a second run adds nothing
        session.commit()
    login(client, DEMO_ADMIN, DEMO_PASSWORD)
    page = client.get("/reports/weekly?week=this&unit=01")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for kind in ("admin", "health", "education"):
        assert f'id="kpi-{kind}"' in html
    assert html.count("<svg") >= 6


def test_versions_mixed_over_the_weeks_leave_criteria_without_answers(
    app, client, units, register, make
):
    """A unit that moved from the full to the short form: last week's criteria have no answers
    this week; the page, the exports and the API show them empty, and the index uses the rest."""
    kiosk = register("C01")
    full = {code: 4 for code in ("Q0", "A1", "A2", "A3", "B1", "C1", "D1", "E1")}
    post_answers(kiosk, full, "2026-02-24T09:00:00+07:00", unit="O01", version="2026.1")
    short = dict.fromkeys(("Q0", "A0", "B0", "C0", "D0", "E0"), 5)
    post_answers(kiosk, short, "2026-03-03T09:00:00+07:00", unit="O01")
    make.user("a@example.org", "admin", None)
    login(client, "a@example.org")
    for path in ("/reports/weekly", "/reports/weekly.xlsx", "/reports/weekly.csv"):
        assert client.get(f"{path}?week=2026-W10&unit=P01").status_code == 200
    token = make.token("a@example.org")
    report = client.get(
        "/api/v1/reports/weekly?week=2026-W10&unit=P01",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    admin = next(k for k in report["kinds"] if k["kind"] == "admin")
    assert admin["summary"]["index"] == 100.0
    factor_a = next(f for f in admin["factors"] if f["code"] == "A")
    criteria = {c["code"]: c for c in factor_a["criteria"]}
    assert criteria["A1"]["share"] is None
    assert criteria["A0"]["share"] == 100.0
    assert admin["previous_index"] == 100.0  # last week, full form, all 4
