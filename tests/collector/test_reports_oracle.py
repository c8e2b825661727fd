"""The oracle: responses with known answers, the figures worked out by hand below, and every
figure compared in the JSON API, the HTML page and the XLSX export, on SQLite and PostgreSQL.

The tree (tests/collector/conftest.py): P01 province -> C01 commune -> O01 one-stop centre, and
P01 -> C02 -> O02. Week 2026-W10 runs from Monday 2 March to Sunday 8 March 2026, Vietnam time.

Administrative services (short form: Q0 overall, then A0..E0, one criterion per factor):

    O01  r1 Mon 00:00:00 (17:00Z Sunday)  Q0=5 A0=5 B0=4 C0=3 D0=0 E0=5
         r2                               Q0=4 A0=2 B0=5 C0=4 D0=4 E0=1
         r3 partial                       Q0=3 A0=4
    O02  r4                               Q0=5 A0=5 B0=5 C0=5 D0=5 E0=5
         r5                               Q0=1 A0=1 B0=2 C0=0 D0=3 E0=4
         r6 flagged suspect-burst         all 5          (left out)
         r7 broken hash chain             all 1          (left out)
    O01  r0 Sun 1 March 23:59:59, week 2026-W09: A0..E0 all 1

    O01 criteria: A 2/3, B 2/2, C 1/2, D 1/1 (the 0 is no opinion), E 1/2
        index = (66.667 + 100 + 50 + 100 + 50) / 5 = 73.333
    O02 criteria: A 1/2, B 1/2, C 1/1, D 1/2, E 2/2 -> index = 350 / 5 = 70
    P01 = mean of the two units = 71.667 (not a pool of answers)
    factors of P01 (mean of units): A (66.667 + 50) / 2 = 58.333, B, C, D, E = 75
    criteria pooled over P01: A 3/5 = 60, B 3/4 = 75, C 2/3, D 2/3, E 3/4
    answers 1-5 on A0..E0: 4 + 5 + 1 + 5 + 4 = 19; overall question Q0: 3 of 5 = 60
    last week (W09): O01 only, every answer 1 -> 0; change +71.667
    5 responses < 30 -> not enough data

Health (short form, pooled), at C01 itself:
    h1 Q0=5 A0=5 B0=4 C0=3 D0=0 E0=5; h2 all 4; h3 partial A0=2
    index = answers 4-5 / answers 1-5 over A0..E0 = (3 + 5 + 0) / (4 + 5 + 1) = 80
    comprehensive: h2 only of 3 respondents = 33.333

Education (short form, SIPAS chain), at O02: 40 responses answering 2 everywhere -> index 0,
every bootstrap resample 0, interval [0, 0] below 85 -> misses. At O01 one suspicious all-5.

With the switch on, O02 admin becomes A 2/4, B 2/4, C 2/3, D 2/4, E 3/4 -> 58.333, P01 65.833;
education becomes mean(0, 100) = 50.
"""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from collector.models import AuditEntry
from shared.scoring import wilson_interval
from tests.collector.conftest import count, register
from tests.collector.reports_helpers import login, make_token, make_user, post_answers

WEEK = "2026-W10"
DAY = "2026-03-03T09:{minute:02d}:00+07:00"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def every(value: int) -> dict[str, int]:
    return {code: value for code in ALL}


@pytest.fixture
def oracle(app, client, units):
    c01 = register(app, client, "C01")
    c02 = register(app, client, "C02")
    broken = register(app, client, "C02")
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
    make_user(app, "admin@example.org", "admin", None)
    return make_token(app, "admin@example.org")


# The hand-worked figures: kind -> what the report must say (percent, unrounded).
EXPECTED = {
    "admin": {
        "index": (73 + 1 / 3 + 70) / 2,
        "target": 90.0,
        "verdict": "not-enough-data",
        "responses": 5,
        "answers": 19,
        "change": (73 + 1 / 3 + 70) / 2 - 0.0,
        "factors": {"A": (200 / 3 + 50) / 2, "B": 75.0, "C": 75.0, "D": 75.0, "E": 75.0},
        "criteria": {
            "A0": (60.0, 5),
            "B0": (75.0, 4),
            "C0": (200 / 3, 3),
            "D0": (200 / 3, 3),
            "E0": (75.0, 4),
        },
        "children": {"C01": (73 + 1 / 3, 3), "C02": (70.0, 2)},
    },
    "health": {
        "index": 80.0,
        "target": 85.0,
        "verdict": "not-enough-data",
        "responses": 3,
        "answers": 10,
        "change": None,
        "factors": {"A": 200 / 3, "B": 100.0, "C": 50.0, "D": 100.0, "E": 100.0},
        "criteria": {
            "A0": (200 / 3, 3),
            "B0": (100.0, 2),
            "C0": (50.0, 2),
            "D0": (100.0, 1),
            "E0": (100.0, 2),
        },
        "children": {"C01": (80.0, 3)},
    },
    "education": {
        "index": 0.0,
        "target": 85.0,
        "verdict": "misses",
        "responses": 40,
        "answers": 200,
        "change": None,
        "factors": {code: 0.0 for code in "ABCDE"},
        "criteria": {f"{code}0": (0.0, 40) for code in "ABCDE"},
        "children": {"C02": (0.0, 40)},
    },
}


def r2(value):
    return None if value is None else round(value, 2)


def fetch_json(client, token, **params):
    reply = client.get(
        "/api/v1/reports/weekly",
        query_string={"week": WEEK, "unit": "P01", **params},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()


def html_figures(html: str) -> dict[str, str]:
    found = {}
    for key, body in re.findall(r'data-fig="([^"]+)">(.*?)</(?:dd|td|p|strong)>', html, re.S):
        found[key] = re.sub(r"<[^>]+>", "", body).replace("%", "").strip()
    return found


def vi_number(text: str) -> float | None:
    text = text.strip().replace("+", "")
    if text in ("–", ""):
        return None
    return float(text.replace(".", "").replace(",", "."))


def test_json_figures_are_the_hand_worked_ones(client, oracle):
    report = fetch_json(client, oracle)
    assert report["week"] == WEEK
    assert report["week_start"] == "2026-03-02" and report["week_end"] == "2026-03-08"
    assert report["unofficial"] == {"suspect": 2, "broken": 1, "total": 3}
    assert set(report["kinds"]) == set(EXPECTED)
    for kind, want in EXPECTED.items():
        got = report["kinds"][kind]
        assert got["index"] == r2(want["index"]), kind
        assert got["target"] == want["target"]
        assert got["verdict"] == want["verdict"], kind
        assert got["responses"] == want["responses"], kind
        assert got["answers"] == want["answers"], kind
        assert got["change"] == r2(want["change"]), kind
        assert got["method"] == ("pooled" if kind == "health" else "sipas")
        low, high = got["ci95"]
        assert low <= got["index"] <= high
        for code, value in want["factors"].items():
            assert got["factors"][code]["index"] == r2(value), (kind, code)
        for code, (share, answers) in want["criteria"].items():
            factor = got["factors"][code[0]]["criteria"][code]
            assert factor["satisfied_share"] == r2(share), (kind, code)
            assert factor["answers"] == answers, (kind, code)
        assert {code: (c["index"], c["responses"]) for code, c in got["children"].items()} == {
            code: (r2(index), n) for code, (index, n) in want["children"].items()
        }
    admin = report["kinds"]["admin"]
    assert admin["rollup"] == "mean-of-units"
    assert admin["overall_question"]["satisfied_share"] == 60.0
    assert admin["overall_question"]["answers"] == 5
    assert admin["previous_index"] == 0.0
    assert [t["index"] for t in admin["trend"][-2:]] == [0.0, r2(EXPECTED["admin"]["index"])]
    assert [t["responses"] for t in admin["trend"][-2:]] == [1, 5]
    health = report["kinds"]["health"]
    assert health["rollup"] == "single-unit"
    assert health["comprehensive"]["share"] == r2(100 / 3)
    assert health["comprehensive"]["respondents"] == 3
    assert health["comprehensive"]["ci95"] == [r2(v) for v in wilson_interval(1, 3)]
    assert report["kinds"]["education"]["ci95"] == [0.0, 0.0]


def test_sunday_2359_and_monday_0000_fall_in_different_weeks(client, oracle):
    report = fetch_json(client, oracle, week="2026-W09")
    assert report["kinds"]["admin"]["responses"] == 1
    assert report["kinds"]["admin"]["index"] == 0.0


def test_the_switch_includes_left_out_responses_and_is_audited(app, client, oracle):
    assert count(app, AuditEntry, AuditEntry.action == "report-included-unofficial") == 0
    report = fetch_json(client, oracle, include="1")
    assert report["includes_unofficial"] is True
    assert report["kinds"]["admin"]["index"] == r2((73 + 1 / 3 + 58 + 1 / 3) / 2)
    assert report["kinds"]["admin"]["children"]["C02"]["index"] == r2(58 + 1 / 3)
    assert report["kinds"]["admin"]["responses"] == 7
    assert report["kinds"]["education"]["index"] == 50.0
    assert count(app, AuditEntry, AuditEntry.action == "report-included-unofficial") == 1


def test_html_shows_the_same_figures(client, oracle):
    token_report = fetch_json(client, oracle)
    login(client, "admin@example.org")
    page = client.get("/reports/weekly", query_string={"week": WEEK, "unit": "P01"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    figures = html_figures(html)
    for kind, got in token_report["kinds"].items():
        want = EXPECTED[kind]
        assert vi_number(figures[f"{kind}.index"]) == r2(want["index"]), kind
        assert vi_number(figures[f"{kind}.target"]) == want["target"]
        assert int(figures[f"{kind}.responses"]) == want["responses"]
        assert int(figures[f"{kind}.answers"]) == want["answers"]
        assert vi_number(figures[f"{kind}.change"]) == r2(want["change"])
        low, high = figures[f"{kind}.ci95"].split("–")
        assert [vi_number(low), vi_number(high)] == got["ci95"]
        for code, value in want["factors"].items():
            assert vi_number(figures[f"{kind}.factor.{code}"]) == r2(value), (kind, code)
        for code, (share, answers) in want["criteria"].items():
            assert vi_number(figures[f"{kind}.criterion.{code}"]) == r2(share), (kind, code)
            assert int(figures[f"{kind}.criterion.{code}.answers"]) == answers
        for code, (index, n) in want["children"].items():
            assert vi_number(figures[f"{kind}.child.{code}"]) == r2(index)
            assert int(figures[f"{kind}.child.{code}.responses"]) == n
    assert vi_number(figures["health.comprehensive"]) == r2(100 / 3)
    assert vi_number(figures["admin.overall"]) == 60.0
    # The comment is shown as text, never as markup.
    assert "&lt;b&gt;hi&lt;/b&gt;" in html and "<b>hi</b>" not in html
    assert "trung bình chỉ số" in html  # the page says the province figure is a mean of units
    assert html.count("<svg") >= 6  # a trend and a factor chart per kind


def test_xlsx_holds_the_same_figures(client, oracle):
    json_report = fetch_json(client, oracle)
    login(client, "admin@example.org")
    reply = client.get("/reports/weekly.xlsx", query_string={"week": WEEK, "unit": "P01"})
    assert reply.status_code == 200
    book = load_workbook(io.BytesIO(reply.data))
    summary = list(book["Tóm tắt"].iter_rows(values_only=True))
    assert summary[0][:4] == ("Loại dịch vụ", "Đơn vị", "Tuần", "Chỉ số (%)")
    by_kind = {row[0]: row for row in summary[1:]}
    labels = {
        "admin": "Dịch vụ hành chính công",
        "health": "Dịch vụ y tế",
        "education": "Dịch vụ giáo dục",
    }
    for kind, want in EXPECTED.items():
        row = by_kind[labels[kind]]
        assert row[2] == WEEK
        assert row[3] == r2(want["index"])
        assert [row[4], row[5]] == json_report["kinds"][kind]["ci95"]
        assert row[6] == want["target"]
        assert row[8] == want["responses"] and row[9] == want["answers"]
        assert row[10] == r2(want["change"])
    criteria = {(r[0], r[1]): r for r in book["Tiêu chí"].iter_rows(min_row=2, values_only=True)}
    factors = {(r[0], r[1]): r for r in book["Yếu tố"].iter_rows(min_row=2, values_only=True)}
    children = {
        (r[0], r[1]): r for r in book["Đơn vị trực thuộc"].iter_rows(min_row=2, values_only=True)
    }
    for kind, want in EXPECTED.items():
        for code, (share, answers) in want["criteria"].items():
            row = criteria[(labels[kind], code)]
            assert (row[3], row[6]) == (r2(share), answers)
        for code, value in want["factors"].items():
            assert factors[(labels[kind], code)][3] == r2(value)
        for code, (index, n) in want["children"].items():
            row = children[(labels[kind], code)]
            assert (row[3], row[6]) == (r2(index), n)
    comments = [r[3] for r in book["Góp ý"].iter_rows(min_row=2, values_only=True)]
    assert comments == ['\'=HYPERLINK("http://x") <b>hi</b>']  # neutralised, not a formula


def test_csv_has_a_bom_and_the_same_index(client, oracle):
    login(client, "admin@example.org")
    reply = client.get("/reports/weekly.csv", query_string={"week": WEEK, "unit": "P01"})
    assert reply.data.startswith("\ufeff".encode())
    text = reply.data.decode("utf-8-sig")
    assert f"Dịch vụ hành chính công,P01 Tỉnh Thử,{WEEK},71.67," in text
    assert "'=HYPERLINK" in text


def test_published_roll_up_check():
    """Hà Nội 2024: policy 86.51 and service 86.49 give a SIPAS of 86.50 (methodology 3.4)."""
    from collector.reports.stats import roll_up

    assert round(roll_up([86.51, 86.49]), 2) == 86.50
    assert roll_up([86.51, None, float("nan"), 86.49]) == pytest.approx(86.50)


def test_counts_follow_new_responses(app, client, oracle):
    """The weekly counts catch up with responses stored after a report was built."""
    first = fetch_json(client, oracle, week="2026-W09")
    assert first["kinds"]["admin"]["responses"] == 1
    kiosk = register(app, client, "C01")
    post_answers(kiosk, every(5), "2026-02-25T09:00:00+07:00", unit="O01")
    again = fetch_json(client, oracle, week="2026-W09")
    assert again["kinds"]["admin"]["responses"] == 2
    assert again["kinds"]["admin"]["index"] == 50.0
    later = fetch_json(client, oracle)
    assert later["kinds"]["admin"]["previous_index"] == 50.0


def test_a_late_predecessor_that_breaks_the_chain_is_taken_out_of_the_counts(app, client, units):
    kiosk = register(app, client, "C01")
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
    make_user(app, "a@example.org", "admin", None)
    token = make_token(app, "a@example.org")
    before = fetch_json(client, token, week="2026-W10")
    assert before["kinds"]["admin"]["trend"][-2]["index"] == 0.0  # the second, all 1
    tampered = dict(first, comment="changed after the next one was chained")
    from tests.collector.conftest import rehash

    assert kiosk.statuses([rehash(tampered)]) == ["accepted"]
    after = fetch_json(client, token, week="2026-W10")
    week9 = fetch_json(client, token, week="2026-W09")
    assert week9["unofficial"]["broken"] == 1
    assert after["kinds"]["admin"]["trend"][-2]["index"] == 100.0  # only the first, all 5
    with app.app_context():
        from collector.db import get_session

        total = get_session().scalar(
            sa.text("SELECT SUM(answered) FROM report_counts WHERE code = '*' AND grain = 'day'")
        )
    assert total == 2
