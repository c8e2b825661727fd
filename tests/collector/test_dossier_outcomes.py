"""The report's outcomes section from real data on SQLite and PostgreSQL: receipts issued and
answered, status events sent by the one-stop software, then the index and the response rate by
outcome and the national index beside SIPAS, worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from collector.cli import collector
from collector.db import get_session
from collector.demo import RECEIPTS_PER_UNIT, UNITS, UNRATED_PER_UNIT, seed_demo, seed_receipts
from collector.models import Dossier
from collector.periods import ZONE, Period
from collector.reports.cli import mail_body
from collector.reports.service import build_report_for
from tests.factories import answer_all, issue


def _events(client, token, *events):
    reply = client.post(
        "/api/v1/dossier-events",
        json={"events": list(events)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200
    assert {r["status"] for r in reply.get_json()["results"]} == {"accepted"}


@pytest.fixture
def outcomes(app, client, units, make):
    """Five dossiers of O01, received this week:

    1 rated 5 everywhere, settled on time;   2 rated 2 everywhere, settled late (a "dislike");
    3 rated 4 everywhere, refused;           4 receipt never answered, not yet settled;
    5 no receipt, settled on time (by dossier code).
    """
    token = make.integration("C01")
    now = dt.datetime.now(ZONE).replace(microsecond=0)
    today = now.date()
    tokens = {}
    for n, value in ((1, 5), (2, 2), (3, 4), (4, None)):
        body = issue(client, token, f"000.00.12.H40-260302-{n:04d}").get_json()
        tokens[n] = body["token"]
        if value is not None:
            assert answer_all(client, "/r/" + body["token"], value=value).status_code == 303
    at = (now - dt.timedelta(minutes=10)).isoformat()
    received = (now - dt.timedelta(minutes=30)).isoformat()
    due_ok, due_passed = today.isoformat(), (today - dt.timedelta(days=1)).isoformat()
    _events(
        client,
        token,
        *(
            {"id": f"r{n}", "kind": "received", "at": received, "receipt": tokens[n]}
            for n in tokens
        ),
        {"id": "s1", "kind": "settled", "at": at, "receipt": tokens[1], "due_date": due_ok},
        {"id": "s2", "kind": "settled", "at": at, "receipt": tokens[2], "due_date": due_passed},
        {"id": "x3", "kind": "refused", "at": at, "receipt": tokens[3]},
        {
            "id": "s5",
            "kind": "settled",
            "at": at,
            "dossier": "000.00.12.H40-260302-0005",
            "unit": "O01",
            "due_date": due_ok,
        },
    )
    make.user("m@example.org", "manager", "C01")
    return make.token("m@example.org")


def test_outcomes_and_the_national_index_worked_by_hand(client, outcomes):
    reply = client.get(
        "/api/v1/reports?period=this&unit=C01", headers={"Authorization": f"Bearer {outcomes}"}
    )
    assert reply.status_code == 200, reply.get_json()
    doc = reply.get_json()
    section = doc["outcomes"]
    ratings = {r["outcome"]: r for r in section["ratings"] if r["kind"] == "admin"}
    # One respondent each: every answer 5 (100 %), every answer 2 (0 %), every answer 4 (100 %).
    assert set(ratings) == {"on-time", "late", "refused"}
    assert (ratings["on-time"]["index"], ratings["on-time"]["n"]) == (100.0, 1)
    assert (ratings["late"]["index"], ratings["late"]["n"]) == (0.0, 1)
    assert ratings["refused"]["index"] == 100.0
    rates = {r["outcome"]: (r["issued"], r["answered"]) for r in section["response_rates"]}
    assert rates == {"on-time": (1, 1), "late": (1, 1), "refused": (1, 1), "pending": (1, 0)}
    total, *children = section["national"]
    # Settled: 1 and 5 on time, 2 late; 3 refused is not in the rate. On-time rate 2 / 3:
    # 20 x 2/3 = 13.33 points. Item 5.4: 100 % - (1/3 late + 1/3 disliked) = 33.33 %,
    # 6 x 0.3333 / 0.9 = 2.22 points.
    national = total["national"]
    assert (national["settled"], national["on_time"], national["late"]) == (3, 2, 1)
    assert (national["disliked"], total["refused"]) == (1, 1)
    assert national["on_time_points"] == pytest.approx(13.33)
    assert national["late_share"] == pytest.approx(33.33)
    assert national["item_54_rate"] == pytest.approx(33.33)
    assert national["item_54_points"] == pytest.approx(2.22)
    # SIPAS beside it: the report's admin index (3 respondents: 100, 0, 100 per criterion).
    admin = next(k for k in doc["kinds"] if k["kind"] == "admin")
    assert total["sipas_index"] == admin["summary"]["index"]
    assert [c["code"] for c in children] == ["O01"]
    assert set(section["not_computed"]) == {"portal-complaints", "online-payment", "digitisation"}


def test_the_section_is_in_the_page_the_csv_and_the_mail(app, runner, outcomes, tmp_path):
    for suffix, figure in (("html", "2,22"), ("csv", "2.22")):
        out = tmp_path / f"report.{suffix}"
        result = runner.invoke(
            collector, ["report", "show", "--period", "this", "--unit", "C01", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8-sig")
        assert figure in text and "000.00.12" not in text
        if suffix == "html":
            assert 'data-fig="national.total.item_54_points">2,22' in text
            assert 'data-fig="outcome.admin.late">0,00' in text
    with app.test_request_context("/"):
        report = build_report_for(
            get_session(), app.config, user=None, unit_code="C01", period=Period.parse("this")
        )
        body = mail_body(report)
    assert "5.4" in body and "2,22" in body


def test_without_status_events_there_is_no_section(app, client, units, make):
    token = make.integration("C01")
    body = issue(client, token, "000.00.12.H40-260302-0001").get_json()
    assert answer_all(client, "/r/" + body["token"], value=5).status_code == 303
    make.user("m@example.org", "manager", "C01")
    api = make.token("m@example.org")
    doc = client.get(
        "/api/v1/reports?period=this&unit=C01", headers={"Authorization": f"Bearer {api}"}
    ).get_json()
    assert doc["outcomes"] is None


def test_the_demo_shows_outcomes_and_the_national_index(app, count):
    app.config["PHONE_RATE_LIMIT"] = "10000 per hour"
    with app.app_context():
        seed_demo(get_session(), weeks=1, seed=2)
        get_session().commit()
    seed_receipts(app)
    centres = [code for code, *_, kind, _base in UNITS if kind == "admin"]
    per_centre = RECEIPTS_PER_UNIT + UNRATED_PER_UNIT
    assert count(Dossier) == len(centres) * per_centre
    with app.test_request_context("/"):
        report = build_report_for(
            get_session(), app.config, user=None, unit_code="01", period=Period.parse("this")
        )
    o = report.outcomes
    assert o is not None
    outcomes = {r.outcome for r in o.ratings}
    assert {"on-time", "late"} <= outcomes
    total = o.national[0].national
    assert total.late > 0 and total.on_time > total.late
    assert total.settled + o.national[0].refused < count(Dossier)  # some not settled yet
    assert o.national[0].sipas_index is not None
    assert [row.code for row in o.national[1:]] == ["00001", "00007", "00010"]
