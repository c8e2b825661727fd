"""Times a kiosk sends must be plausible (issue 7, finding 1): a broken or hostile clock is refused
with its own error code, and nothing of that response is stored."""

from __future__ import annotations

import datetime as dt

import pytest

from collector.models import Response
from collector.responses.validate import PRODUCT_EPOCH, time_window


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rejection(kiosk, **times):
    reply = kiosk.post([kiosk.next(**times)])
    assert reply.status_code == 200
    (result,) = reply.get_json()["results"]
    return result


@pytest.mark.parametrize(
    "times",
    [
        {"submitted_at": "9999-12-31T23:59:59Z"},
        {"submitted_at": "2026-03-02T08:00:00+07:00", "started_at": "9999-01-01T00:00:00Z"},
        {"submitted_at": "0001-01-01T00:00:00Z", "started_at": "0001-01-01T00:00:00Z"},
        {"submitted_at": "2023-12-31T23:59:59Z", "started_at": "2023-12-31T23:59:00Z"},
    ],
)
def test_implausible_times_are_refused_with_their_own_code(app, kiosk, times, count):
    result = _rejection(kiosk, **times)
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "implausible-time"
    assert "clock" in result["error"]["message"]
    assert count(Response) == 0


def test_a_clock_a_little_ahead_is_accepted_one_far_ahead_is_not(app, kiosk, count):
    now = dt.datetime.now(dt.UTC)
    ahead = _z(now + dt.timedelta(hours=2))
    assert _rejection(kiosk, started_at=ahead, submitted_at=ahead)["status"] == "accepted"
    far = _z(now + dt.timedelta(days=3))
    result = _rejection(kiosk, started_at=far, submitted_at=far)
    assert result["error"]["code"] == "implausible-time"
    app.config["INGEST_FUTURE_TOLERANCE_MINUTES"] = 5 * 24 * 60
    assert _rejection(kiosk, started_at=far, submitted_at=far)["status"] == "accepted"
    assert count(Response) == 2


def test_times_long_before_the_kiosk_was_registered_are_refused(app, kiosk):
    app.config["INGEST_PAST_TOLERANCE_DAYS"] = 30
    long_ago = _z(dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    result = _rejection(kiosk, started_at=long_ago, submitted_at=long_ago)
    assert result["error"]["code"] == "implausible-time"
    recent = _z(dt.datetime.now(dt.UTC) - dt.timedelta(days=20))
    assert _rejection(kiosk, started_at=recent, submitted_at=recent)["status"] == "accepted"


def test_the_window_bounds():
    received = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    registered = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    window = time_window({"INGEST_PAST_TOLERANCE_DAYS": 10}, received, registered)
    assert window.earliest == registered - dt.timedelta(days=10)
    assert window.latest == received + dt.timedelta(days=1)
    assert time_window({"INGEST_PAST_TOLERANCE_DAYS": None}, received, registered).earliest == (
        PRODUCT_EPOCH
    )


def test_the_code_is_in_the_catalogue_and_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_data(as_text=True)
    assert "implausible-time" in doc
