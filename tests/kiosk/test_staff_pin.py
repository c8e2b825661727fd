"""The staff PIN (issue 7, finding 9): six digits at least, and a lockout that slows a guesser
without keeping staff with the right PIN out for long."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from kiosk.cli import kiosk as kiosk_cli
from tests.factories import TOKEN

PIN = "246813"
WITH_PIN = pytest.mark.parametrize(
    "config_overrides", [{"STAFF_PIN_HASH": generate_password_hash(PIN)}]
)


def _pin_post(client, pin):
    token = TOKEN.search(client.get("/staff/").get_data(as_text=True)).group(1)
    return client.post("/staff/", data={"pin": pin, "csrf_token": token})


@pytest.mark.parametrize("pin", ["1234", "12345", "12a456", "١٢٣٤٥٦x", ""])
def test_init_refuses_a_short_or_odd_pin(tmp_path, pin):
    result = CliRunner().invoke(
        kiosk_cli,
        ["init", "--instance", str(tmp_path), "--office", "X", "--counter", "1:U", "--pin", pin],
    )
    assert result.exit_code == 2
    assert "ít nhất 6 chữ số" in result.output
    assert not (tmp_path / "kiosk.toml").exists()


@WITH_PIN
def test_wrong_pins_are_slowed_down_in_vietnamese(app, client):
    for _ in range(5):
        assert _pin_post(client, "000000").status_code == 403
    refused = _pin_post(client, PIN)
    assert refused.status_code == 429
    assert "Vui lòng đợi một phút" in refused.get_data(as_text=True)


@WITH_PIN
def test_the_right_pin_works_again_once_the_short_window_ends(app, client):
    app.config["STAFF_PIN_LIMIT"] = "3 per 8 seconds"
    for _ in range(3):
        assert _pin_post(client, "999999").status_code == 403
    assert _pin_post(client, PIN).status_code == 429
    time.sleep(8.2)  # a whole window after the last failure: it has ended, whenever it began
    assert _pin_post(client, PIN).status_code == 200


@WITH_PIN
def test_right_pins_never_count_towards_the_lockout(app, client):
    for _ in range(8):
        assert _pin_post(client, PIN).status_code == 200
    assert _pin_post(client, "000000").status_code == 403
    assert _pin_post(client, PIN).status_code == 200


@WITH_PIN
def test_the_staff_page_says_when_the_collector_refused_ratings_for_their_time(app, client):
    import sqlalchemy as sa

    from kiosk import db
    from kiosk.models import Response
    from tests.factories import Tablet

    tablet = Tablet(client)
    tablet.start()
    for code in ("Q0", "A0", "B0", "C0", "D0", "E0"):
        tablet.tap(code, 4)
    assert 'id="clock-wrong"' not in _pin_post(client, PIN).get_data(as_text=True)
    with db.engine(app).begin() as conn:
        conn.execute(
            sa.update(Response).values(
                rejected_code="implausible-time", rejected_message="submitted_at is outside"
            )
        )
    page = _pin_post(client, PIN).get_data(as_text=True)
    assert 'id="clock-wrong"' in page
    assert '<code class="detail">implausible-time</code>' in page  # for whoever supports it
    assert "đồng hồ của máy này có lẽ bị sai" in page  # the reason in words for the officer
    assert "submitted_at is outside" not in page  # the collector's English message is not shown
