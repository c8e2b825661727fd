"""Dossier status events on SQLite and PostgreSQL: through the API with an integration token (by
receipt token and by dossier code), scoped like receipts, idempotent by event id, folded in the
order of event time whatever the order of arrival; the CSV import; no dossier code in clear."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.dossiers.state import Event, fold
from collector.models import Dossier, DossierEvent, Receipt, Unit, metadata
from tests.factories import issue

DOSSIER = "000.00.12.H40-260302-0001"


def post(client, token: str, *events: dict):
    reply = client.post(
        "/api/v1/dossier-events",
        json={"events": list(events)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["results"]


def by_code(event_id: str, kind: str, at: str, dossier: str = DOSSIER, unit: str = "O01", **more):
    return {"id": event_id, "kind": kind, "at": at, "dossier": dossier, "unit": unit, **more}


#: A dossier received on 2 March, asked for more papers, settled a day after its due date,
#: its result returned: late, whatever the order the events arrive in.
LATE = [
    ("e1", "received", "2026-03-02T08:00:00+07:00", {"due_date": "2026-03-09"}),
    ("e2", "more-papers", "2026-03-03T09:00:00+07:00", {}),
    ("e3", "settled", "2026-03-10T15:00:00+07:00", {"due_date": "2026-03-09"}),
    ("e4", "returned", "2026-03-11T10:00:00+07:00", {}),
]


def dossier_state(app, **where) -> dict:
    with app.app_context():
        row = get_session().scalars(sa.select(Dossier).filter_by(**where)).one()
        return {
            c: getattr(row, c)
            for c in (
                "state",
                "outcome",
                "received_at",
                "due_date",
                "settled_at",
                "settling_unit_id",
                "more_papers",
                "last_event_at",
            )
        }


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def test_events_in_any_order_give_the_same_state(app, client, itoken, count):
    states = []
    for n, order in enumerate(itertools.permutations(LATE)):
        dossier = f"000.00.12.H40-260302-{n + 1:04d}"
        results = post(client, itoken, *(by_code(i, k, at, dossier, **m) for i, k, at, m in order))
        assert [r["status"] for r in results] == ["accepted"] * 4
        assert [r["id"] for r in results] == [e[0] for e in order]
        states.append(dossier_state(app, id=n + 1))
    assert len(states) == 24
    assert all(state == states[0] for state in states)
    first = states[0]
    assert (first["state"], first["outcome"], first["more_papers"]) == ("returned", "late", 1)
    assert first["due_date"] == dt.date(2026, 3, 9)
    assert first["received_at"] == dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)
    assert first["settled_at"] == dt.datetime(2026, 3, 10, 8, tzinfo=dt.UTC)
    assert count(Dossier) == 24 and count(DossierEvent) == 96


def test_a_replayed_event_changes_nothing_and_another_content_is_a_conflict(
    app, client, itoken, count
):
    events = [by_code(i, k, at, **m) for i, k, at, m in LATE]
    post(client, itoken, *events[:3])
    before = dossier_state(app, id=1)
    assert before["outcome"] == "late" and before["state"] == "settled"
    again = post(client, itoken, *events[:3])
    assert [r["status"] for r in again] == ["duplicate"] * 3
    assert dossier_state(app, id=1) == before
    assert count(DossierEvent) == 3
    changed = dict(events[2], at="2026-03-08T15:00:00+07:00")
    (result,) = post(client, itoken, changed)
    assert (result["status"], result["code"]) == ("rejected", "conflict")
    assert dossier_state(app, id=1) == before
    # The last event arriving last moves the state on.
    assert post(client, itoken, events[3])[0]["status"] == "accepted"
    assert dossier_state(app, id=1)["state"] == "returned"


def test_on_time_is_read_in_vietnam_s_calendar():
    due = dt.date(2026, 3, 5)

    def outcome(at: str) -> str:
        settled = Event("s", "settled", dt.datetime.fromisoformat(at), due_date=due)
        return fold([settled]).outcome

    # 23:30 in Hà Nội on the due date is 16:30 UTC: on time; half past midnight the next day is
    # still the 5th in UTC, but late.
    assert outcome("2026-03-05T23:30:00+07:00") == "on-time"
    assert outcome("2026-03-06T00:30:00+07:00") == "late"
    assert fold([]).outcome == "pending"
    refused = Event("r", "refused", dt.datetime(2026, 3, 4, tzinfo=dt.UTC), settling_unit_id=7)
    assert (fold([refused]).outcome, fold([refused]).settling_unit_id) == ("refused", 7)


def test_receipt_token_and_dossier_code_reach_one_dossier_keyed_by_the_receipt_hmac(
    app, client, itoken
):
    receipt = issue(client, itoken, DOSSIER).get_json()["token"]
    results = post(
        client,
        itoken,
        by_code("a", "received", "2026-03-02T08:00:00+07:00"),
        {
            "id": "b",
            "kind": "settled",
            "at": "2026-03-04T08:00:00+07:00",
            "receipt": receipt,
            "due_date": "2026-03-05",
        },
    )
    assert [r["status"] for r in results] == ["accepted", "accepted"]
    with app.app_context():
        session = get_session()
        dossier = session.scalars(sa.select(Dossier)).one()
        assert dossier.dossier_hmac == session.scalar(sa.select(Receipt.dossier_hmac))
        assert dossier.outcome == "on-time"
    # A receipt's unit is its own: another unit code with its token is refused.
    (wrong,) = post(
        client,
        itoken,
        {
            "id": "c",
            "kind": "returned",
            "at": "2026-03-05T08:00:00+07:00",
            "receipt": receipt,
            "unit": "C01",
        },
    )
    assert (wrong["status"], wrong["code"]) == ("rejected", "invalid-value")


def test_receiving_and_settling_units_may_differ(app, client, units, make):
    province = make.integration("P01")
    post(
        client,
        province,
        by_code("a", "received", "2026-03-02T08:00:00+07:00", unit="O01"),
        by_code(
            "b",
            "settled",
            "2026-03-04T08:00:00+07:00",
            unit="O01",
            settling_unit="O02",
            due_date="2026-03-04",
        ),
    )
    with app.app_context():
        session = get_session()
        ids = dict(session.execute(sa.select(Unit.code, Unit.id)).all())
        dossier = session.scalars(sa.select(Dossier)).one()
        assert (dossier.receiving_unit_id, dossier.settling_unit_id) == (ids["O01"], ids["O02"])
        event = session.scalars(sa.select(DossierEvent).filter_by(event_id="b")).one()
        assert event.settling_unit_id == ids["O02"]


def test_an_event_outside_the_token_s_units_is_refused_like_a_receipt(
    app, client, itoken, count, make
):
    refused_receipt = issue(client, itoken, DOSSIER, unit="O02").get_json()
    other = make.integration("C02")
    receipt = issue(client, other, DOSSIER, unit="O02").get_json()["token"]
    results = post(
        client,
        itoken,
        by_code("a", "received", "2026-03-02T08:00:00+07:00", unit="O02"),
        {"id": "b", "kind": "received", "at": "2026-03-02T08:00:00+07:00", "receipt": receipt},
        by_code("c", "refused", "2026-03-02T08:00:00+07:00", settling_unit="O02"),
    )
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "forbidden"),
        ("rejected", "unknown-receipt"),
        ("rejected", "forbidden"),
    ]
    # The same words as a receipt refused for that unit.
    assert results[0]["message"] == refused_receipt["error"]["message"]
    assert count(Dossier) == 0 and count(DossierEvent) == 0


def test_a_bad_batch_or_token_is_refused_whole(app, client, itoken, count):
    headers = {"Authorization": f"Bearer {itoken}"}
    assert (
        client.post("/api/v1/dossier-events", json={"events": []}, headers=headers).status_code
        == 400
    )
    assert client.post("/api/v1/dossier-events", json=[], headers=headers).status_code == 400
    reply = client.post(
        "/api/v1/dossier-events",
        json={"events": [by_code("a", "received", "2026-03-02T08:00:00+07:00")]},
        headers={"Authorization": "Bearer int_nope"},
    )
    assert reply.status_code == 401 and reply.get_json()["error"]["code"] == "invalid-token"
    assert count(DossierEvent) == 0


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ({"kind": "received", "at": "2026-03-02T08:00:00+07:00"}, "missing-field"),
        ({"id": "x", "kind": "opened", "at": "2026-03-02T08:00:00+07:00"}, "invalid-value"),
        ({"id": "x", "kind": "received", "at": "2026-03-02 08:00"}, "invalid-value"),
        ({"id": "x", "kind": "settled", "at": "2026-03-02T08:00:00+07:00"}, "missing-field"),
        ({"id": DOSSIER, "kind": "received", "at": "2026-03-02T08:00:00+07:00"}, "invalid-value"),
        ({"id": "x", "kind": "received", "at": "2099-03-02T08:00:00+07:00"}, "implausible-time"),
        (
            {"id": "x", "kind": "received", "at": "2026-03-02T08:00:00+07:00", "unit": "ZZ"},
            "unknown-unit",
        ),
        (
            {"id": "x", "kind": "received", "at": "2026-03-02T08:00:00+07:00", "dossier": "12-3"},
            "invalid-dossier",
        ),
        (
            {"id": "x", "kind": "received", "at": "2026-03-02T08:00:00+07:00", "colour": 1},
            "unknown-field",
        ),
    ],
)
def test_a_bad_event_is_rejected_with_its_code_and_nothing_stored(
    app, client, itoken, event, code, count
):
    body = {"dossier": DOSSIER, "unit": "O01", **event}
    (result,) = post(client, itoken, body)
    assert (result["status"], result["code"]) == ("rejected", code), result
    assert count(Dossier) == 0 and count(DossierEvent) == 0


def test_csv_import_reports_a_bad_row_and_stores_the_others(app, runner, units, tmp_path, count):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,kind,at,dossier,unit,settling_unit,due_date\n"
        f"a,received,2026-03-02T08:00:00+07:00,{DOSSIER},O01,,2026-03-09\n"
        f"b,settled,2026-03-05T08:00:00+07:00,000.00.12.H40-260302-0002,O01,O02,\n"
        f"c,settled,2026-03-05T08:00:00+07:00,{DOSSIER},O01,O02,2026-03-09\n",
        encoding="utf-8",
    )
    result = runner.invoke(collector, ["dossiers", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "Sự kiện đã ghi: 2, đã có từ trước: 0, bị từ chối: 1." in result.output
    assert "Dòng 3: sự kiện giải quyết xong cần có due_date" in result.output
    assert count(DossierEvent) == 2 and count(Dossier) == 1
    assert dossier_state(app, id=1)["outcome"] == "on-time"
    # Importing the file again changes nothing; the bad row is reported again.
    again = runner.invoke(collector, ["dossiers", "import", str(path)])
    assert again.exit_code == 1 and count(DossierEvent) == 2


def test_csv_import_with_a_bad_header_stores_nothing(app, runner, units, tmp_path, count):
    path = tmp_path / "events.csv"
    path.write_text(f"id,kind,when,dossier,unit\na,received,x,{DOSSIER},O01\n", encoding="utf-8")
    result = runner.invoke(collector, ["dossiers", "import", str(path)])
    assert result.exit_code == 1 and count(DossierEvent) == 0


def test_no_dossier_code_in_clear(app, client, runner, itoken, tmp_path, count):
    codes = [DOSSIER, "H40.22-260303-0042"]
    post(client, itoken, by_code("a", "received", "2026-03-02T08:00:00+07:00", codes[0]))
    path = tmp_path / "events.csv"
    path.write_text(
        f"id,kind,at,dossier,unit,due_date\nz,settled,2026-03-04T08:00:00+07:00,{codes[1]},O01,"
        "2026-03-05\n",
        encoding="utf-8",
    )
    assert runner.invoke(collector, ["dossiers", "import", str(path)]).exit_code == 0
    assert count(DossierEvent) == 2
    with app.app_context():
        session = get_session()
        text = "\n".join(
            " ".join(str(v) for v in row)
            for table in metadata.sorted_tables
            for row in session.execute(sa.select(table)).all()
        ).upper()
    for code in codes:
        assert code not in text
        assert code.rsplit("-", 2)[1] + "-" + code.rsplit("-", 1)[1] not in text


def test_the_same_event_twice_in_one_batch(app, client, itoken, count):
    first = by_code("a", "received", "2026-03-02T08:00:00+07:00")
    other = dict(first, at="2026-03-02T09:00:00+07:00")
    results = post(client, itoken, first, first, other)
    assert [(r["status"], r.get("code")) for r in results] == [
        ("accepted", None),
        ("duplicate", None),
        ("rejected", "conflict"),
    ]
    assert count(DossierEvent) == 1
    assert dossier_state(app, id=1)["received_at"] == dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC)
