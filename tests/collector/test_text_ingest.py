"""Text from any kiosk, ours or another vendor's (issue 7, findings 3, 6 and 10): the collector
cleans it with shared.text on arrival, so a NUL no longer loses a rating, a control character no
longer breaks an export, and personal data is never stored."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from collector.db import get_session
from collector.models import Response
from shared.chain import response_hash
from tests.factories import login


def _stored(app) -> list[Response]:
    with app.app_context():
        session = get_session()
        rows = list(session.scalars(sa.select(Response).order_by(Response.kiosk_seq)))
        for row in rows:
            row.as_sent()  # loads what as_sent needs before the session ends
        session.expunge_all()
        return rows


def test_a_nul_in_a_comment_is_cleaned_not_rejected(app, kiosk):
    assert kiosk.statuses([kiosk.next(comment="xấu\x00quá\x1b")]) == ["accepted"]
    [row] = _stored(app)
    assert row.comment == "xấuquá"


def test_personal_data_from_a_third_party_kiosk_is_replaced(app, kiosk):
    comment = "Liên hệ +84 912 345 678 hoặc x.y@yahoo.com, CMND 123456789"
    assert kiosk.statuses([kiosk.next(comment=comment)]) == ["accepted"]
    [row] = _stored(app)
    assert row.comment == "Liên hệ [số điện thoại] hoặc [email], CMND [số giấy tờ]"
    assert "912" not in row.comment and "@" not in row.comment


def test_a_clean_comment_is_stored_as_sent_and_its_hash_reproduces(app, kiosk):
    assert kiosk.statuses([kiosk.next(comment="Nhân viên nhiệt tình\nCảm ơn")]) == ["accepted"]
    [row] = _stored(app)
    assert row.comment == "Nhân viên nhiệt tình\nCảm ơn"
    assert response_hash(row.as_sent(), row.prev_hash) == row.hash


def test_a_control_character_in_a_counter_label_cannot_break_the_xlsx(app, client, kiosk, make):
    sent = kiosk.next(
        counter="quầy\x03-1", comment="tốt\x0b", submitted_at="2026-03-03T09:00:00+07:00"
    )
    assert kiosk.statuses([sent]) == ["accepted"]
    [row] = _stored(app)
    assert row.counter == "quầy-1" and row.comment == "tốt"
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")
    reply = client.get("/reports/weekly.xlsx?week=2026-W10&unit=C01")
    assert reply.status_code == 200
    load_workbook(io.BytesIO(reply.data))
