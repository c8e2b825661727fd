"""A kiosk response carries the language it was heard in and whether "listen" was pressed: both
optional, covered by the hash when given, stored as sent, refused when malformed."""

from __future__ import annotations

import sqlalchemy as sa

from collector.db import get_session
from collector.models import Response
from shared.chain import response_hash


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


def test_a_malformed_voice_or_listened_is_refused_with_its_field_named(app, kiosk, count):
    for field, value in (("voice", "Tiếng Việt"), ("voice", "x"), ("listened", "yes")):
        bad = kiosk.next(**{field: value})
        reply = kiosk.post([bad]).get_json()["results"][0]
        assert reply["status"] == "rejected"
        assert reply["error"]["code"] == "invalid-value"
        assert reply["error"]["message"].startswith(field)
        kiosk.seq, kiosk.prev_hash = bad["kiosk_seq"] - 1, bad["prev_hash"]
    assert count(Response) == 0


def test_the_contract_lists_both_optional_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    response = doc["components"]["schemas"]["Response"]
    assert response["properties"]["voice"]["type"] == ["string", "null"]
    assert response["properties"]["listened"]["type"] == ["boolean", "null"]
    assert "voice" not in response["required"] and "listened" not in response["required"]


def test_the_report_counts_responses_by_language_and_listen_use_per_unit(app, client, kiosk):
    from collector.periods import Period
    from collector.reports.service import build_report_for
    from tests.factories import login, make_user

    sent = [
        kiosk.next(voice="bru", listened=True),
        kiosk.next(voice="bru", listened=False),
        kiosk.next(voice="vi", listened=True),
        kiosk.next(voice="vi", listened=False),
        kiosk.next(voice="vi", listened=False),
        kiosk.next(),  # an older kiosk: not recorded
        kiosk.next(voice="bru", listened=True, flags=["suspect-burst"]),  # left out
    ]
    assert kiosk.statuses(sent) == ["accepted"] * 7
    with app.test_request_context("/"):
        session = get_session()
        report = build_report_for(
            session, app.config, user=None, unit_code="C01", period=Period.parse("2026-W10")
        )
        session.commit()
    got = [(v.unit_code, v.voice, v.responses, v.listened) for v in report.voices]
    assert got == [("C01", "bru", 2, 1), ("C01", "vi", 3, 1), ("C01", None, 1, 0)]
    make_user(app, "m@example.org", "manager", "C01")
    login(client, "m@example.org")
    page = client.get("/reports/weekly?unit=C01&week=2026-W10").get_data(as_text=True)
    assert "Số phiếu theo ngôn ngữ và việc nghe đọc" in page
    assert "<code>bru</code>" in page and "không ghi nhận" in page
