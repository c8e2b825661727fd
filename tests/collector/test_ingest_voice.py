"""A kiosk response carries the language it was heard in and whether "listen" was pressed: both
optional, covered by the hash when given, stored as sent, refused when malformed."""

from __future__ import annotations

import sqlalchemy as sa

from collector.db import get_session
from collector.models import Response
from shared.chain import response_hash
from tests.collector.conftest import count


def test_voice_and_listened_are_stored_and_keep_the_hash(app, kiosk):
    sent = [
        kiosk.next(voice="bru", listened=True),
        kiosk.next(voice="vi", listened=False),
        kiosk.next(),  # a kiosk that does not read aloud
    ]
    assert kiosk.statuses(sent) == ["accepted"] * 3
    with app.app_context():
        rows = get_session().scalars(sa.select(Response).order_by(Response.kiosk_seq)).all()
        assert [(r.voice, r.listened) for r in rows] == [("bru", True), ("vi", False), (None, None)]
        for row, original in zip(rows, sent, strict=True):
            assert response_hash(row.as_sent(), row.prev_hash) == original["hash"]
            assert row.chain_ok is True


def test_a_malformed_voice_or_listened_is_refused_with_its_field_named(app, kiosk):
    for field, value in (("voice", "Tiếng Việt"), ("voice", "x"), ("listened", "yes")):
        bad = kiosk.next(**{field: value})
        reply = kiosk.post([bad]).get_json()["results"][0]
        assert reply["status"] == "rejected"
        assert reply["error"]["code"] == "invalid-value"
        assert reply["error"]["message"].startswith(field)
        kiosk.seq, kiosk.prev_hash = bad["kiosk_seq"] - 1, bad["prev_hash"]
    assert count(app, Response) == 0


def test_the_contract_lists_both_optional_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    response = doc["components"]["schemas"]["Response"]
    assert response["properties"]["voice"]["type"] == ["string", "null"]
    assert response["properties"]["listened"]["type"] == ["boolean", "null"]
    assert "voice" not in response["required"] and "listened" not in response["required"]
