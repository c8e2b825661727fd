"""The oracle: responses with known answers, the figures worked out by hand below, and every
figure compared in the JSON API, the HTML page, the CSV and the XLSX export, on SQLite and
PostgreSQL, for a week, a month, a quarter, a year and a date range.

The tree (tests/collector/conftest.py): P01 province -> C01 commune -> O01 one-stop centre, and
P01 -> C02 -> O02. Week 2026-W10 runs from Monday 2 March to Sunday 8 March 2026, Vietnam time.

Administrative services (short form: Q0 overall, then A0..E0, one criterion per factor):

    O01  r1 Mon 00:00:00 (17:00Z Sunday)  Q0=5 A0=5 B0=4 C0=3 D0=0 E0=5
         r2                               Q0=4 A0=2 B0=5 C0=4 D0=4 E0=1   reasons waiting, attitude
         r3 partial                       Q0=3 A0=4
    O02  r4                               Q0=5 A0=5 B0=5 C0=5 D0=5 E0=5
         r5                               Q0=1 A0=1 B0=2 C0=0 D0=3 E0=4   reason waiting
         r6 flagged suspect-burst         all 5          (left out)
         r7 broken hash chain             all 1          (left out)
    O01  r0 Sun 1 March 23:59:59, week 2026-W09: Q0=5, A0..E0 all 1

    O01 criteria: A 2/3, B 2/2, C 1/2, D 1/1 (the 0 is no opinion), E 1/2
        index = (66.667 + 100 + 50 + 100 + 50) / 5 = 73.333
    O02 criteria: A 1/2, B 1/2, C 1/1, D 1/2, E 2/2 -> index = 350 / 5 = 70
    C01 = O01 (3 responses) and C02 = O02 (2): both below the minimum of 30, so P01 does not
        take the mean of two parts of 3 and 2 responses: they are pooled into one part, their
        responses scored together, and P01 is that part (parts 1; methodology section 5):
    criteria pooled over P01: A 3/5 = 60, B 3/4 = 75, C 2/3, D 2/3, E 3/4; the index
        (60 + 75 + 66.667 + 66.667 + 75) / 5 = 68.667, the factors those shares (one criterion
        each), the pooled secondary figure the same 68.667
    its interval: the respondent-clustered one of r1-r5 as a sample stratified by unit (C01:
        r1-r3, C02: r4-r5; tests/reference_scoring.py works it out respondent by respondent);
        C01's of r1-r3, C02's of r4-r5
    n = 5 responses with a valid item answer (r3's A0 counts); answers 1-5 on A0..E0: 19;
        overall question Q0: 3 of 5 = 60
    last week (W09): O01 only, every item 1 -> 0; change +68.667
    n = 5 < 30 -> too few responses
    With REPORT_MIN_RESPONSES = 1 every unit is a part of its own: P01 = (73.333 + 70) / 2 =
        71.667, parts 2, factors A (66.667 + 50) / 2 = 58.333, B, C, D, E = 75
    reasons: 2 responses gave one; waiting 2 (100 %), attitude 1 (50 %)

Health (short form, pooled), at C01 itself:
    h1 Q0=5 A0=5 B0=4 C0=3 D0=0 E0=5; h2 all 4; h3 partial A0=2
    sections pooled: A 2/3, B 2/2, C 1/2, D 1/1, E 2/2; index = (2 + 2 + 1 + 1 + 2) / 10 = 80,
        the answer-weighted mean of the sections: (3 x 66.667 + 2 x 100 + 2 x 50 + 100 + 200) / 10
    comprehensive: h2 only of 3 respondents = 33.333; mean score of A (5 + 4 + 2) / 3 = 3.667

Education (short form, SIPAS chain), at O02: 40 responses answering 2 everywhere -> index 0,
every criterion 0/40 with the Wilson interval 0-8.76, below 85 -> misses. At O01 one suspicious
all-5.

With the switch on, O02 admin becomes A 2/4, B 2/4, C 2/3, D 2/4, E 3/4 -> 58.333; P01 pools
all seven: A 4/7, B 4/6, C 3/5, D 3/5, E 4/6 -> (57.143 + 66.667 + 60 + 60 + 66.667) / 5 =
62.095; education becomes the mean of C02 (40 responses, 0) and the pooled part of C01 (its one
response, 100), which weighs 1/30 while below the minimum: 100 / 31 = 3.226. The channel
comparison still counts official responses only: kiosk n = 5.

Other periods:
    March 2026 (and Q1, and the year 2026: nothing else): r0 joins the pool: A 3/6, B 3/5,
        C 2/4, D 2/4, E 3/5 -> (50 + 60 + 50 + 50 + 60) / 5 = 54, n = 6
    2026-03-01..2026-03-02: r0 and r1 at O01 only: A 1/2, B 1/2, C 0/2, D 0/1, E 1/2 -> 30, n = 2
"""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from collector.models import AuditEntry
from shared import questionnaires, scoring
from tests import reference_scoring as reference
from tests.collector.report_figures import (
    figures_from_json,
    figures_from_model,
    figures_from_page,
    figures_from_tables,
    tables_from_csv,
    tables_from_xlsx,
)
from tests.factories import login, post_answers

WEEK = "2026-W10"
DAY = "2026-03-03T09:{minute:02d}:00+07:00"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def every(value: int) -> dict[str, int]:
    return {code: value for code in ALL}


@pytest.fixture
def oracle(app, client, units, register, make):
    c01 = register("C01")
    c02 = register("C02")
    broken = register("C02")
    broken.prev_hash = "ab" * 32  # its first response does not start from GENESIS
    post_answers(
        c01,
        dict(zip(ALL, (5, 1, 1, 1, 1, 1), strict=True)),
        "2026-03-01T23:59:59+07:00",
        unit="O01",
    )
    post_answers(
        c01,
        dict(zip(ALL, (5, 5, 4, 3, 0, 5), strict=True)),
        "2026-03-01T17:00:00Z",
        unit="O01",
        comment='=HYPERLINK("http://x") <b>hi</b>',
    )
    post_answers(
        c01,
        dict(zip(ALL, (4, 2, 5, 4, 4, 1), strict=True)),
        DAY.format(minute=1),
        unit="O01",
        reasons=["waiting", "attitude"],
    )
    post_answers(c01, {"Q0": 3, "A0": 4}, DAY.format(minute=2), unit="O01", complete=False)
    post_answers(c02, every(5), DAY.format(minute=3), unit="O02")
    post_answers(
        c02,
        dict(zip(ALL, (1, 1, 2, 0, 3, 4), strict=True)),
        DAY.format(minute=4),
        unit="O02",
        reasons=["waiting"],
    )
    post_answers(c02, every(5), DAY.format(minute=5), unit="O02", flags=["suspect-burst"])
    post_answers(broken, every(1), DAY.format(minute=6), unit="O02")
    post_answers(
        c01,
        dict(zip(ALL, (5, 5, 4, 3, 0, 5), strict=True)),
        DAY.format(minute=7),
        kind="health",
        unit="C01",
    )
    post_answers(c01, every(4), DAY.format(minute=8), kind="health", unit="C01")
    post_answers(c01, {"A0": 2}, DAY.format(minute=9), kind="health", unit="C01", complete=False)
    for i in range(40):
        post_answers(c02, every(2), f"2026-03-04T10:{i:02d}:00+07:00", kind="education", unit="O02")
    post_answers(
        c01, every(5), DAY.format(minute=10), kind="education", unit="O01", flags=["suspect-burst"]
    )
    make.user("admin@example.org", "admin", None)
    return make.token("admin@example.org")


ADMIN = questionnaires.get("admin", "2026.1-short")
R1 = dict(zip(ALL, (5, 5, 4, 3, 0, 5), strict=True))
R2 = dict(zip(ALL, (4, 2, 5, 4, 4, 1), strict=True))
R3 = {"Q0": 3, "A0": 4}
R4 = every(5)
R5 = dict(zip(ALL, (1, 1, 2, 0, 3, 4), strict=True))


def clustered(*responses, strata=None) -> tuple[float, float]:
    """The respondent-clustered interval, worked out respondent by respondent (with `strata`,
    each response's unit: the pooled part is a sample stratified by unit)."""
    return reference.linearised_interval(ADMIN, responses, strata)[1]


POOLED = (60 + 75 + 200 / 3 + 200 / 3 + 75) / 5

# The hand-worked figures: kind -> what the report must say (percent, unrounded).
EXPECTED = {
    "admin": {
        "index": POOLED,
        "ci95": clustered(R1, R2, R3, R4, R5, strata=["C01"] * 3 + ["C02"] * 2),
        "target": 90.0,
        "verdict": "too-few",
        "n": 5,
        "responses": 5,
        "answers": 19,
        "parts": 1,
        "pooled": POOLED,
        "change": POOLED - 0.0,
        "factors": {"A": 60.0, "B": 75.0, "C": 200 / 3, "D": 200 / 3, "E": 75.0},
        "criteria": {
            "A0": (60.0, 5),
            "B0": (75.0, 4),
            "C0": (200 / 3, 3),
            "D0": (200 / 3, 3),
            "E0": (75.0, 4),
        },
        "children": {
            "C01": (73 + 1 / 3, 3, clustered(R1, R2, R3)),
            "C02": (70.0, 2, clustered(R4, R5)),
        },
    },
    "health": {
        "index": 80.0,
        "target": 85.0,
        "verdict": "too-few",
        "n": 3,
        "responses": 3,
        "answers": 10,
        "parts": 1,
        "pooled": 80.0,
        "change": None,
        "factors": {"A": 200 / 3, "B": 100.0, "C": 50.0, "D": 100.0, "E": 100.0},
        "criteria": {
            "A0": (200 / 3, 3),
            "B0": (100.0, 2),
            "C0": (50.0, 2),
            "D0": (100.0, 1),
            "E0": (100.0, 2),
        },
        "children": {"C01": (80.0, 3, None)},
    },
    "education": {
        "index": 0.0,
        "ci95": scoring.wilson_interval(0, 40),
        "target": 85.0,
        "verdict": "misses",
        "n": 40,
        "responses": 40,
        "answers": 200,
        "parts": 1,
        "pooled": 0.0,
        "change": None,
        "factors": {code: 0.0 for code in "ABCDE"},
        "criteria": {f"{code}0": (0.0, 40) for code in "ABCDE"},
        "children": {"C02": (0.0, 40, scoring.wilson_interval(0, 40))},
    },
}


def r2(value):
    return None if value is None else round(value, 2)


def fetch_json(client, token, **params):
    params = {"period": WEEK, "unit": "P01", **params}
    reply = client.get(
        "/api/v1/reports", query_string=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def kinds(report: dict) -> dict[str, dict]:
    return {k["kind"]: k for k in report["kinds"]}


def by_code(rows: list[dict]) -> dict[str, dict]:
    return {row["code"]: row for row in rows}


def test_json_figures_are_the_hand_worked_ones(client, oracle):
    report = fetch_json(client, oracle)
    assert report["period"]["key"] == WEEK
    assert report["period"]["start"] == "2026-03-02" and report["period"]["end"] == "2026-03-08"
    left = report["left_out"]
    assert (left["suspect"], left["broken"], left["total"]) == (2, 1, 3)
    got_kinds = kinds(report)
    assert set(got_kinds) == set(EXPECTED)
    for kind, want in EXPECTED.items():
        got = got_kinds[kind]
        s = got["summary"]
        for name in ("index", "pooled"):
            assert s[name] == r2(want[name]), (kind, name)
        for name in ("target", "verdict", "n", "responses", "answers", "parts"):
            assert s[name] == want[name], (kind, name)
        assert got["change"] == r2(want["change"]), kind
        assert got["method"] == ("pooled" if kind == "health" else "sipas")
        low, high = s["ci95"]
        assert low <= s["index"] <= high
        if "ci95" in want:
            assert s["ci95"] == [r2(v) for v in want["ci95"]], kind
        factors = by_code(got["factors"])
        for code, value in want["factors"].items():
            assert factors[code]["index"] == r2(value), (kind, code)
        criteria = by_code(got["criteria"])
        for code, (share, answers) in want["criteria"].items():
            assert criteria[code]["share"] == r2(share), (kind, code)
            assert criteria[code]["answers"] == answers, (kind, code)
        children = by_code(got["children"])
        assert set(children) == set(want["children"])
        for code, (index, n, interval) in want["children"].items():
            assert children[code]["summary"]["index"] == r2(index), (kind, code)
            assert children[code]["summary"]["n"] == n, (kind, code)
            if interval is not None:
                assert children[code]["summary"]["ci95"] == [r2(v) for v in interval]
    admin = got_kinds["admin"]
    # Both units below are under the minimum: pooled into one part, which is the figure.
    assert all(c["pooled"] for c in admin["children"])
    pool = admin["pooled_part"]
    assert (pool["units"], pool["own"], pool["n"]) == (["C01", "C02"], False, 5)
    assert (pool["index"], pool["ci95"]) == (admin["summary"]["index"], admin["summary"]["ci95"])
    # The pooled figures add up like the main ones: the index is the mean of the factors'.
    factor_pooled = [f["pooled"] for f in admin["factors"]]
    assert sum(factor_pooled) / len(factor_pooled) == pytest.approx(
        admin["summary"]["pooled"], abs=0.01
    )
    assert admin["versions"] == ["2026.1-short"]
    assert admin["overall"]["share"] == 60.0 and admin["overall"]["answers"] == 5
    assert admin["previous_index"] == 0.0
    assert [t["index"] for t in admin["trend"][-2:]] == [0.0, r2(EXPECTED["admin"]["index"])]
    assert [t["partial"] for t in admin["trend"][-2:]] == [False, False]  # whole weeks, over
    assert [t["n"] for t in admin["trend"][-2:]] == [1, 5]
    health = got_kinds["health"]
    assert health["comprehensive"]["share"] == r2(100 / 3)
    assert health["comprehensive"]["respondents"] == 3
    assert health["comprehensive"]["ci95"] == [r2(v) for v in scoring.wilson_interval(1, 3)]
    sections = by_code(health["factors"])
    assert sections["A"]["mean"] == r2(11 / 3)
    weighted = sum(f["index"] * f["answers"] for f in sections.values()) / sum(
        f["answers"] for f in sections.values()
    )
    assert weighted == pytest.approx(health["summary"]["index"], abs=0.01)
    assert report["reasons_responses"] == 2
    assert {r["code"]: (r["count"], r["share"]) for r in report["reasons"]} == {
        "waiting": (2, 100.0),
        "attitude": (1, 50.0),
    }


@pytest.mark.parametrize(
    ("period", "index", "n"),
    [
        ("2026-03", 54.0, 6),
        ("2026-Q1", 54.0, 6),
        ("2026", 54.0, 6),
        ("2026-03-02..2026-03-08", POOLED, 5),
        ("2026-03-01..2026-03-02", 30.0, 2),
    ],
)
def test_a_month_a_quarter_a_year_and_a_range(client, oracle, period, index, n):
    report = fetch_json(client, oracle, period=period)
    admin = kinds(report)["admin"]
    assert report["period"]["key"] == period
    assert admin["summary"]["index"] == r2(index)
    assert admin["summary"]["n"] == n


def test_the_trend_has_the_grain_of_the_period(client, oracle):
    year = kinds(fetch_json(client, oracle, period="2026"))["admin"]["trend"]
    assert [t["key"] for t in year] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert {t["key"]: t["index"] for t in year if t["index"] is not None} == {"2026-03": 54.0}
    quarter = kinds(fetch_json(client, oracle, period="2026-Q1"))["admin"]["trend"]
    points = {t["key"]: (t["index"], t["n"], t["start"]) for t in quarter if t["n"]}
    # W09 ends on Sunday 1 March: only r0; W10 is the week above.
    assert points == {
        "2026-W09": (0.0, 1, "2026-02-23"),
        "2026-W10": (r2(EXPECTED["admin"]["index"]), 5, "2026-03-02"),
    }
    assert quarter[0]["start"] == "2026-01-01"  # the first week is clipped to the quarter
    # ... and so drawn as partial, never as a full point; W09 and W10 are whole weeks.
    partial = {t["key"]: t["partial"] for t in quarter}
    assert partial["2026-W01"] is True and partial["2026-W09"] is partial["2026-W10"] is False
    march = kinds(fetch_json(client, oracle, period="2026-03"))["admin"]["trend"]
    # March 2026 begins on a Sunday: its first week is that one day.
    assert (march[0]["key"], march[0]["start"], march[0]["end"]) == (
        "2026-W09",
        "2026-03-01",
        "2026-03-01",
    )
    assert march[0]["partial"] is True and march[0]["n"] == 1
    assert march[0]["ci95"] == [r2(v) for v in scoring.wilson_interval(0, 1)]


def test_sunday_2359_and_monday_0000_fall_in_different_weeks(client, oracle):
    report = fetch_json(client, oracle, period="2026-W09")
    assert kinds(report)["admin"]["summary"]["responses"] == 1
    assert kinds(report)["admin"]["summary"]["index"] == 0.0


def test_the_switch_includes_left_out_responses_and_is_audited(app, client, oracle, count):
    assert count(AuditEntry, AuditEntry.action == "report-included-unofficial") == 0
    report = fetch_json(client, oracle, include="1")
    assert report["settings"]["include_unofficial"] is True
    admin = kinds(report)["admin"]
    assert admin["summary"]["index"] == r2((400 / 7 + 200 / 3 + 60 + 60 + 200 / 3) / 5)
    assert by_code(admin["children"])["C02"]["summary"]["index"] == r2(58 + 1 / 3)
    assert admin["summary"]["responses"] == 7
    # C02's 40 responses (0) and the pooled part of C01's one response (100), which weighs
    # 1/30 while below the minimum: (0 + 100 / 30) / (1 + 1 / 30) = 100 / 31.
    assert kinds(report)["education"]["summary"]["index"] == r2(100 / 31)
    # The channel comparison leaves the suspicious and broken-chain responses out even so.
    channels = {(c["kind"], c["channel"]): c["summary"] for c in report["channel_comparison"]}
    official = {
        (c["kind"], c["channel"]): c["summary"]
        for c in fetch_json(client, oracle)["channel_comparison"]
    }
    assert channels[("admin", "kiosk")]["n"] == 5 and channels[("admin", "kiosk")]["responses"] == 5
    assert channels == official
    assert count(AuditEntry, AuditEntry.action == "report-included-unofficial") == 1


def _typed_report(app, period: str):
    """The same report as the readers get it, straight from the service (a manager reads all)."""
    from collector.db import get_session
    from collector.periods import Period
    from collector.reports.service import build_report_for

    with app.test_request_context("/"):
        session = get_session()
        report = build_report_for(
            session, app.config, user=None, unit_code="P01", period=Period.parse(period)
        )
        session.commit()
        return report, figures_from_model(report)


@pytest.mark.parametrize("period", [WEEK, "2026-Q1", "2026"])
def test_every_format_shows_the_same_figures(app, client, oracle, period):
    report, expected = _typed_report(app, period)
    assert expected["admin.index"] == r2(EXPECTED["admin"]["index"] if period == WEEK else 54.0)
    with app.test_request_context("/"):
        assert figures_from_json(fetch_json(client, oracle, period=period)) == expected
    login(client, "admin@example.org")
    query = {"period": period, "unit": "P01"}
    csv_data = client.get("/reports/report.csv", query_string=query).data
    xlsx_data = client.get("/reports/report.xlsx", query_string=query).data
    page = client.get("/reports", query_string=query)
    assert page.status_code == 200
    with app.test_request_context("/"):
        assert figures_from_tables(tables_from_csv(csv_data)) == expected
        assert figures_from_tables(tables_from_xlsx(xlsx_data)) == expected
        found = figures_from_page(page.get_data(as_text=True))
    for key in ("admin.index", "admin.ci95", "admin.n", "health.index", "education.index"):
        assert found[key] == expected[key], key
    assert {k: v for k, v in found.items() if k in expected and v != expected[k]} == {
        k: v for k, v in found.items() if k.startswith("heat.") and v != expected.get(k)
    }


def test_the_page_escapes_comments_and_says_what_is_a_mean(client, oracle):
    login(client, "admin@example.org")
    page = client.get("/reports", query_string={"period": WEEK, "unit": "P01"})
    html = page.get_data(as_text=True)
    # The comment is shown as text, never as markup.
    assert "&lt;b&gt;hi&lt;/b&gt;" in html and "<b>hi</b>" not in html
    # Both units below have too few responses: marked, and pooled into one part.
    assert 'data-fig="admin.child.C01.pooled"' in html and 'data-fig="admin.pool"' in html
    assert html.count("<svg") >= 6  # a trend and a factor chart per kind


def test_exports_neutralise_formulas(client, oracle):
    login(client, "admin@example.org")
    reply = client.get("/reports/report.csv", query_string={"period": WEEK, "unit": "P01"})
    assert reply.data.startswith("\ufeff".encode())
    assert "'=HYPERLINK" in reply.data.decode("utf-8-sig")
    from openpyxl import load_workbook

    reply = client.get("/reports/report.xlsx", query_string={"period": WEEK, "unit": "P01"})
    book = load_workbook(io.BytesIO(reply.data))
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("http://x") <b>hi</b>' in cells


def test_published_roll_up_check():
    """Hà Nội 2024: policy 86.51 and service 86.49 give a SIPAS of 86.50 (methodology 5)."""
    assert round(scoring.rollup_mean([86.51, 86.49]), 2) == 86.50
    assert scoring.rollup_mean([86.51, None, 86.49]) == pytest.approx(86.50)


def test_counts_follow_new_responses(app, client, oracle, register):
    """The counts catch up with responses stored after a report was built."""
    first = fetch_json(client, oracle, period="2026-W09")
    assert kinds(first)["admin"]["summary"]["responses"] == 1
    kiosk = register("C01")
    post_answers(kiosk, every(5), "2026-02-25T09:00:00+07:00", unit="O01")
    again = fetch_json(client, oracle, period="2026-W09")
    assert kinds(again)["admin"]["summary"]["responses"] == 2
    assert kinds(again)["admin"]["summary"]["index"] == 50.0
    later = fetch_json(client, oracle)
    assert kinds(later)["admin"]["previous_index"] == 50.0


def test_a_late_predecessor_that_breaks_the_chain_is_taken_out_of_the_counts(
    app, client, units, register, make
):
    kiosk = register("C01")
    first = kiosk.next(
        questionnaire="admin",
        questionnaire_version="2026.1-short",
        answers=every(5),
        submitted_at="2026-02-24T09:00:00+07:00",
        started_at="2026-02-24T09:00:00+07:00",
        unit="O01",
    )
    second = kiosk.next(
        questionnaire="admin",
        questionnaire_version="2026.1-short",
        answers=every(1),
        submitted_at="2026-02-24T09:05:00+07:00",
        started_at="2026-02-24T09:05:00+07:00",
        unit="O01",
    )
    assert kiosk.statuses([second]) == ["accepted"]  # its predecessor has not arrived
    make.user("a@example.org", "admin", None)
    token = make.token("a@example.org")
    before = fetch_json(client, token, period="2026-W10")
    assert kinds(before)["admin"]["trend"][-2]["index"] == 0.0  # the second, all 1
    tampered = dict(first, comment="changed after the next one was chained")
    from tests.factories import rehash

    assert kiosk.statuses([rehash(tampered)]) == ["accepted"]
    after = fetch_json(client, token, period="2026-W10")
    week9 = fetch_json(client, token, period="2026-W09")
    assert week9["left_out"]["broken"] == 1
    assert kinds(after)["admin"]["trend"][-2]["index"] == 100.0  # only the first, all 5
    with app.app_context():
        from collector.db import get_session

        total = get_session().scalar(
            sa.text("SELECT SUM(answered) FROM report_counts WHERE code = '*' AND grain = 'day'")
        )
    assert total == 2


def test_with_every_unit_a_part_the_parent_is_the_mean_of_its_parts(app, client, oracle):
    """REPORT_MIN_RESPONSES = 1: no unit is below the minimum, each is a part of its own."""
    app.config["REPORT_MIN_RESPONSES"] = 1
    admin = kinds(fetch_json(client, oracle))["admin"]
    assert admin["summary"]["index"] == r2((73 + 1 / 3 + 70) / 2)
    assert admin["summary"]["parts"] == 2 and admin["pooled_part"] is None
    assert by_code(admin["factors"])["A"]["index"] == r2((200 / 3 + 50) / 2)
    parts = [c["summary"]["index"] for c in admin["children"]]
    assert sum(parts) / len(parts) == pytest.approx(admin["summary"]["index"], abs=0.01)
    assert not any(c["pooled"] for c in admin["children"])


def test_a_parent_on_the_page_is_the_mean_of_the_rows_under_it_on_an_uneven_tree(
    app, client, units, register, make
):
    """Every unit a part of its own (REPORT_MIN_RESPONSES = 1). P01 has responses of its own,
    C02 has its own and O02's below it, C01 only O01's two levels down; the units have 3, 1, 6
    and 2 (+1 empty) responses. Every criterion of a response gets the same answer, so each
    unit's index is its share of satisfied responses:

        O01: all 5, all 1 (and one with only the overall question, not in n) -> 50
        C02 own: all 5 -> 100; O02: 4 x all 4, 2 x all 3 -> 66.667
        P01 own: all 5, all 2, all 2 -> 33.333
        C01 = O01 = 50 (1 part); C02 = (100 + 66.667) / 2 = 83.333 (2 parts)
        P01 = (33.333 + 50 + 83.333) / 3 = 55.556 (3 parts), n = 3 + 2 + 1 + 6 = 12 of 13
    """
    app.config["REPORT_MIN_RESPONSES"] = 1
    top, c01, c02 = (register(unit) for unit in ("P01", "C01", "C02"))
    at = iter(f"2026-03-03T{h:02d}:{m:02d}:00+07:00" for h in range(8, 12) for m in range(0, 60, 5))
    items = ("A0", "B0", "C0", "D0", "E0")

    def rate(kiosk, unit, value):
        post_answers(kiosk, dict.fromkeys(items, value), next(at), unit=unit)

    for value in (5, 1):
        rate(c01, "O01", value)
    post_answers(c01, {"Q0": 4}, next(at), unit="O01", complete=False)
    rate(c02, "C02", 5)
    for value in (4, 4, 4, 4, 3, 3):
        rate(c02, "O02", value)
    for value in (5, 2, 2):
        rate(top, "P01", value)
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")

    def page(unit):
        reply = client.get("/reports", query_string={"period": WEEK, "unit": unit})
        assert reply.status_code == 200
        with app.test_request_context("/"):
            return figures_from_page(reply.get_data(as_text=True))

    province = page("P01")
    rows = {code: province[f"admin.child.{code}"] for code in ("P01", "C01", "C02")}
    assert rows == {"P01": r2(100 / 3), "C01": 50.0, "C02": r2(250 / 3)}
    assert province["admin.index"] == r2((100 / 3 + 50 + 250 / 3) / 3)
    assert province["admin.index"] == pytest.approx(sum(rows.values()) / 3, abs=0.01)
    assert (province["admin.n"], province["admin.responses"]) == (12, 13)
    assert province["admin.child.C01.n"] == 2  # the overall question alone is not in n
    commune = page("C02")
    assert commune["admin.index"] == r2(250 / 3)
    assert (commune["admin.child.C02"], commune["admin.child.O02"]) == (100.0, r2(200 / 3))


def test_the_heatmap_by_hand(client, oracle):
    """Official responses by local weekday and hour; dissatisfied = answers 1-2 / answers 1-5 of
    every question (the overall one too):

        Mon 00h  r1: 5 answers, none low                          -> 1 rating, 0 %
        Tue 09h  r2 (6 answers, 2 low), r3 (2, 0), r4 (6, 0), r5 (5, 3), h1 (5, 0), h2 (6, 0),
                 h3 (1, 1): 31 answers, 6 low                     -> 7 ratings, 19.35 %
        Wed 10h  40 education responses, all 2: 240 answers, all low -> 40 ratings, 100 %
    """
    heat = fetch_json(client, oracle)["heatmap"]
    assert heat["hours"] == list(range(11)) and heat["peak"] == 40
    cells = {
        (day, heat["hours"][h]): (cell["ratings"], cell["dissatisfied"])
        for day, row in enumerate(heat["grid"])
        for h, cell in enumerate(row)
        if cell["ratings"]
    }
    assert cells == {(0, 0): (1, 0.0), (1, 9): (7, r2(600 / 31)), (2, 10): (40, 100.0)}
