"""A channel is a fact of the route, not of the payload: the kiosk ingest stores kiosk responses
only; receipt and poster responses come only through their own pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from collector.db import get_session
from collector.models import Response


@pytest.mark.parametrize("channel", ["receipt", "poster"])
def test_a_kiosk_cannot_file_its_responses_as_another_channel(app, client, kiosk, channel, count):
    claimed = kiosk.batch(30, channel=channel)
    reply = kiosk.post(claimed)
    assert reply.status_code == 200
    results = reply.get_json()["results"]
    assert {r["status"] for r in results} == {"rejected"}
    assert {r["error"]["code"] for r in results} == {"invalid-value"}
    assert "channel" in results[0]["error"]["message"]
    assert count(Response) == 0
    # The kiosk's own channel is stored, and the responses of the report keep their channel.
    kiosk.seq, kiosk.prev_hash = 0, kiosk.made[0]["prev_hash"]
    assert set(kiosk.statuses(kiosk.batch(3))) == {"accepted"}
    with app.app_context():
        assert set(get_session().scalars(sa.select(Response.channel))) == {"kiosk"}


def test_the_contract_says_kiosk_is_the_only_channel(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["Response"]["properties"]["channel"]
    assert schema["enum"] == ["kiosk"]
