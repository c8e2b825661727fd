"""POST /api/v1/heartbeat: the latest state per kiosk and its clock offset."""

from __future__ import annotations

import datetime as dt

import pytest

from collector.db import get_session
from collector.models import KioskChain


def test_a_heartbeat_is_kept_with_the_clock_offset(app, kiosk):
    kiosk_clock = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    reply = kiosk.heartbeat(
        kiosk_version="sipas-kiosk/0.1",
        queue_length=42,
        last_seq=57,
        clock=kiosk_clock.astimezone(dt.timezone(dt.timedelta(hours=7))).isoformat(),
    )
    assert reply.status_code == 200
    offset = reply.get_json()["clock_offset_s"]
    assert 600 <= offset < 660  # the kiosk is ten minutes slow
    with app.app_context():
        chain = get_session().get(KioskChain, kiosk.id)
        assert (chain.kiosk_version, chain.queue_length, chain.last_seq) == (
            "sipas-kiosk/0.1",
            42,
            57,
        )
        assert chain.clock_offset_s == pytest.approx(offset)
        assert chain.kiosk_clock.endswith("+07:00")
        assert chain.last_contact_at == chain.heartbeat_at
        assert chain.pending == 57


def test_the_latest_heartbeat_wins(app, kiosk):
    kiosk.heartbeat(queue_length=9)
    kiosk.heartbeat(queue_length=0, clock=dt.datetime.now(dt.UTC).isoformat())
    with app.app_context():
        chain = get_session().get(KioskChain, kiosk.id)
        assert chain.queue_length == 0
        assert abs(chain.clock_offset_s) < 60


@pytest.mark.parametrize(
    "change",
    [
        {"queue_length": -1},
        {"queue_length": "3"},
        {"clock": "2026-03-02T08:00:00"},
        {"kiosk_version": ""},
        {"extra": 1},
    ],
)
def test_a_bad_heartbeat_is_400_and_changes_nothing(app, kiosk, change):
    reply = kiosk.heartbeat(**change)
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "invalid-request"
    with app.app_context():
        assert get_session().get(KioskChain, kiosk.id).heartbeat_at is None


def test_a_heartbeat_needs_a_token(kiosk):
    kiosk.token = "wrong"
    assert kiosk.heartbeat().status_code == 401
