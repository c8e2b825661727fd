"""POST /api/v1/responses: exactly once, one result per response, bad input rejected alone."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from collector.api import views
from collector.db import get_session
from collector.fleet.kiosks import revoke_kiosk
from collector.ingest import ingest_batch
from collector.models import Answer, Kiosk, KioskChain, Response
from shared.chain import response_hash
from shared.db import utcnow
from tests.factories import ANSWERS, rehash

URL = "/api/v1/responses"


def stored_ids(app) -> set[str]:
    with app.app_context():
        return {str(u) for u in get_session().scalars(sa.select(Response.uuid))}


def test_a_batch_is_accepted_and_stored_with_its_answers(app, kiosk, count):
    batch = kiosk.batch(3)
    reply = kiosk.post(batch)
    assert reply.status_code == 200
    assert reply.get_json() == {"results": [{"id": r["id"], "status": "accepted"} for r in batch]}
    assert stored_ids(app) == {r["id"] for r in batch}
    assert count(Answer) == 3 * len(ANSWERS)
    with app.app_context():
        first = get_session().scalar(sa.select(Response).where(Response.kiosk_seq == 1))
        assert first.unit.code == "C01"
        assert first.chain_ok is True
        assert first.submitted_at_sent == batch[0]["submitted_at"]
        codes = dict(
            get_session()
            .execute(sa.select(Answer.code, Answer.value).where(Answer.response_id == first.id))
            .all()
        )
        assert codes == ANSWERS


def test_the_stored_row_reproduces_the_hash(app, kiosk):
    kiosk.post(kiosk.batch(2, comment="Nhân viên nhiệt tình 👍"))
    kiosk.post([kiosk.next(comment=None), kiosk.next(answers={"Q0": 1}, reasons=[])])
    with app.app_context():
        rows = get_session().scalars(sa.select(Response).order_by(Response.kiosk_seq)).all()
        assert len(rows) == 4
        for row in rows:
            assert response_hash(row.as_sent(), row.prev_hash) == row.hash


def test_a_resend_is_a_duplicate_and_stores_nothing(app, kiosk, count, scalar):
    batch = kiosk.batch(4)
    assert kiosk.statuses(batch[:2]) == ["accepted"] * 2
    # The reply to the first upload was lost: the kiosk sends everything again.
    assert kiosk.statuses(batch) == ["duplicate", "duplicate", "accepted", "accepted"]
    assert kiosk.statuses(batch) == ["duplicate"] * 4
    assert count(Response) == 4
    assert count(Answer) == 4 * len(ANSWERS)
    assert scalar(sa.select(KioskChain.received)) == 4


def test_a_replayed_id_with_altered_content_is_a_conflict(app, kiosk):
    original = kiosk.next()
    assert kiosk.statuses([original]) == ["accepted"]
    altered = rehash({**original, "answers": {"Q0": 5, "A0": 5}})
    reply = kiosk.post([altered])
    [result] = reply.get_json()["results"]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "conflict"
    with app.app_context():
        stored = get_session().scalar(sa.select(Response))
        assert stored.answers == original["answers"]
        assert stored.hash == original["hash"]


def test_the_same_id_twice_in_one_batch(app, kiosk, count):
    response = kiosk.next()
    other = rehash({**response, "comment": "khác"})
    assert kiosk.statuses([response, response, other]) == ["accepted", "duplicate", "rejected"]
    assert count(Response) == 1


def test_one_bad_response_does_not_reject_the_others(app, kiosk, count):
    batch = kiosk.batch(3)
    batch[1]["answers"]["Q0"] = 9  # and the hash no longer matches either
    reply = kiosk.post(batch)
    results = reply.get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["id"] == batch[1]["id"]
    assert results[1]["error"]["code"] == "answer-out-of-range"
    assert stored_ids(app) == {batch[0]["id"], batch[2]["id"]}
    assert count(Answer) == 2 * len(ANSWERS)


BAD_ITEMS = {
    "wrong types": lambda r: {**r, "kiosk_seq": "7"},
    "unknown field": lambda r: {**r, "ip_address": "10.0.0.7"},
    "answer out of range": lambda r: rehash({**r, "answers": {"Q0": 6}}),
    "unknown question code": lambda r: rehash({**r, "answers": {"Q0": 4, "H9": 2}}),
    "unknown questionnaire version": lambda r: rehash({**r, "questionnaire_version": "0.1"}),
    "altered after hashing": lambda r: {**r, "answers": {"Q0": 5}},
    "not an object": lambda r: "a string",
    "null": lambda r: None,
    "missing id": lambda r: {k: v for k, v in r.items() if k != "id"},
}


@pytest.mark.parametrize("bad", BAD_ITEMS)
def test_every_bad_item_is_rejected_alone_and_nothing_of_it_is_stored(
    app, kiosk, bad, count, scalar
):
    good_before, victim, good_after = kiosk.batch(3)
    reply = kiosk.post([good_before, BAD_ITEMS[bad](victim), good_after])
    assert reply.status_code == 200
    results = reply.get_json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["error"]["code"] and results[1]["error"]["message"]
    assert stored_ids(app) == {good_before["id"], good_after["id"]}
    assert count(Answer) == 2 * len(ANSWERS)
    # The hole it left is visible until a correct copy arrives.
    assert scalar(sa.select(KioskChain.gaps)) == [[2, 2]]


def test_a_kiosk_may_post_only_for_its_unit_and_below(app, kiosk):
    own, below, sibling, above, unknown = (
        kiosk.next(unit="C01"),
        kiosk.next(unit="O01"),
        kiosk.next(unit="O02"),
        kiosk.next(unit="P01"),
        kiosk.next(unit="NOPE"),
    )
    results = kiosk.post([own, below, sibling, above, unknown]).get_json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 2 + ["rejected"] * 3
    assert [r["error"]["code"] for r in results[2:]] == [
        "unit-not-allowed",
        "unit-not-allowed",
        "unknown-unit",
    ]
    assert stored_ids(app) == {own["id"], below["id"]}


def test_a_response_from_another_kiosk_with_an_existing_id_is_classified_by_content(
    app, client, kiosk, count, register
):
    other = register(unit="C01")
    response = kiosk.next()
    assert kiosk.statuses([response]) == ["accepted"]
    assert other.statuses([response]) == ["duplicate"]
    assert other.statuses([rehash({**response, "counter": "quay-9"})]) == ["rejected"]
    assert count(Response) == 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing-token"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "missing-token"),
        ({"Authorization": "Bearer "}, "missing-token"),
        ({"Authorization": "Bearer not-a-token"}, "invalid-token"),
    ],
)
def test_no_or_a_wrong_token_is_401(app, kiosk, headers, code, count):
    reply = kiosk.client.post(URL, json={"responses": kiosk.batch(1)}, headers=headers)
    assert reply.status_code == 401
    assert reply.get_json() == {
        "error": {"code": code, "message": reply.get_json()["error"]["message"]}
    }
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(Response) == 0


def test_a_revoked_token_is_401(app, kiosk, count):
    assert kiosk.statuses(kiosk.batch(1)) == ["accepted"]
    with app.app_context():
        revoke_kiosk(get_session(), kiosk.id)
        get_session().commit()
    reply = kiosk.post(kiosk.batch(1))
    assert reply.status_code == 401
    assert reply.get_json()["error"]["code"] == "revoked-token"
    assert count(Response) == 1


def post_raw(kiosk, data, content_type="application/json"):
    return kiosk.client.post(URL, data=data, content_type=content_type, headers=kiosk.headers)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"responses": [', 400, "malformed-json"),
        (b"\xff\xfe\x00garbage", 400, "malformed-json"),
        (b'{"responses": [], "responses": []}', 400, "malformed-json"),
        (b'{"responses": [NaN]}', 400, "malformed-json"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "malformed-json"),
        (b"[]", 400, "invalid-request"),
        (b'{"responses": {}}', 400, "invalid-request"),
        (b'{"responses": [], "kiosk": 1}', 400, "invalid-request"),
        (b'"responses"', 400, "invalid-request"),
    ],
)
def test_whole_request_errors_share_one_shape(app, kiosk, body, status, code, count):
    reply = post_raw(kiosk, body)
    assert reply.status_code == status
    payload = reply.get_json()
    assert set(payload) == {"error"}
    assert set(payload["error"]) == {"code", "message"}
    assert payload["error"]["code"] == code
    assert count(Response) == 0


def test_an_empty_batch_is_fine(kiosk):
    assert kiosk.post([]).get_json() == {"results": []}


def test_not_json_is_415(app, kiosk, count):
    reply = post_raw(kiosk, json.dumps({"responses": kiosk.batch(1)}), "text/plain")
    assert reply.status_code == 415
    assert reply.get_json()["error"]["code"] == "unsupported-media-type"
    assert count(Response) == 0


def test_a_body_over_one_mebibyte_is_413(app, kiosk, count):
    batch = kiosk.batch(2)
    body = json.dumps({"responses": batch, "padding": "x" * (1024 * 1024)})
    reply = post_raw(kiosk, body)
    assert reply.status_code == 413
    assert reply.get_json()["error"]["code"] == "payload-too-large"
    assert count(Response) == 0


def test_more_than_500_responses_is_refused_whole(app, kiosk, count):
    batch = [kiosk.next(comment=None, reasons=[], answers={"Q0": 5}) for _ in range(501)]
    reply = kiosk.post(batch)
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "too-many-responses"
    assert count(Response) == 0
    assert kiosk.statuses(batch[:500]) == ["accepted"] * 500


def test_unknown_api_paths_and_methods_answer_in_the_error_shape(client):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not-found"
    wrong = client.get(URL)
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method-not-allowed"
    assert "POST" in wrong.headers["Allow"]


def test_no_ip_address_or_person_is_stored(app, kiosk):
    kiosk.client.post(
        URL,
        json={"responses": kiosk.batch(1)},
        headers={**kiosk.headers, "X-Forwarded-For": "203.0.113.9"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    with app.app_context():
        for table in Response.metadata.sorted_tables:
            for column in table.columns:
                assert not {"ip", "addr", "address", "remote", "agent", "person"} & set(
                    column.name.split("_")
                ), f"{table.name}.{column.name}"
            for row in get_session().execute(sa.select(table)):
                assert "203.0.113.9" not in repr(row) and "198.51.100.4" not in repr(row)


def test_the_id_is_echoed_only_when_it_is_a_string(kiosk):
    response = kiosk.next()
    response["id"] = 12
    [result] = kiosk.post([response]).get_json()["results"]
    assert result == {
        "id": None,
        "status": "rejected",
        "error": {"code": "invalid-value", "message": result["error"]["message"]},
    }
    assert uuid.UUID(kiosk.next()["id"]).version == 7


def test_two_batches_in_one_transaction_are_each_stored_once(app, kiosk, count):
    first, second = kiosk.batch(3), kiosk.batch(2)
    with app.app_context():
        session = get_session()
        row = session.get(Kiosk, kiosk.id)
        assert {r.status for r in ingest_batch(session, row, {"responses": first}, utcnow())} == {
            "accepted"
        }
        results = ingest_batch(session, row, {"responses": first + second}, utcnow())
        assert [r.status for r in results] == ["duplicate"] * 3 + ["accepted"] * 2
        session.commit()
    assert count(Response) == 5
    assert count(Answer) == 5 * len(ANSWERS)


def test_a_busy_database_is_503_with_retry_after(app, kiosk, monkeypatch):
    def locked(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(views, "store_batch", locked)
    reply = kiosk.post(kiosk.batch(1))
    assert reply.status_code == 503
    assert reply.get_json()["error"]["code"] == "unavailable"
    assert reply.headers["Retry-After"] == "5"
