"""The officer on duty at a counter: set on the staff page, carried by each response taken there
until it is changed or the local day ends, and sent to the collector inside the hash chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
import sqlalchemy as sa

from collector.responses.validate import validate_response
from kiosk import db
from kiosk.duty import BadOfficerCode, on_duty, set_duty
from kiosk.models import Duty
from kiosk.outbox import _payload
from shared.chain import CHAINED_FIELDS, response_hash
from tests.factories import STAFF_PASS, TOKEN, WITH_PIN, Tablet, staff_page

DUTY_TOKEN = re.compile(
    r'action="/staff/duty" class="duty-form">\s*<input id="csrf-duty-1" name="csrf_token" '
    r'type="hidden" value="([^"]+)"'
)


def duty_token(page: str) -> str:
    match = DUTY_TOKEN.search(page)
    assert match, "no duty form on the staff page"
    return match.group(1)


def put_on_duty(client, counter: str, officer: str, expect: int = 200, **extra) -> str:
    page = staff_page(client)
    form = {"csrf_token": duty_token(page), "staff_pass": STAFF_PASS.search(page).group(1)}
    reply = client.post(
        "/staff/duty", data={**form, "counter": counter, "officer": officer, **extra}
    )
    assert reply.status_code == expect, reply.get_data(as_text=True)[:500]
    return reply.get_data(as_text=True)


def answer_all(client, counter: str) -> None:
    tablet = Tablet(client, counter=counter)
    tablet.start()
    for code in ("Q0", "A0", "B0", "C0", "D0", "E0"):
        tablet.tap(code, 4)


def session_of(app):
    return sa.orm.Session(db.engine(app))


@WITH_PIN
def test_responses_carry_the_officer_on_duty_at_their_counter(app, client, stored):
    answer_all(client, "1")  # before anyone is on duty
    page = put_on_duty(client, "1", "CB-07")
    assert '<td id="duty-1">CB-07</td>' in page
    assert client.get_cookie("session") is None
    answer_all(client, "1")
    answer_all(client, "2")  # another counter: nobody on duty there
    before, during, elsewhere = stored()
    assert (before.officer, during.officer, elsewhere.officer) == (None, "CB-07", None)

    # Sent inside the chain: the payload carries it and the collector's checks accept it.
    payloads = [_payload(r) for r in (before, during, elsewhere)]
    assert "officer" not in payloads[0] and "officer" not in payloads[2]
    assert payloads[1]["officer"] == "CB-07"
    for payload in payloads:
        assert validate_response(json.loads(json.dumps(payload))).hash == payload["hash"]
    # The officer is hashed: changing it breaks the hash.
    assert (
        response_hash({**payloads[1], "officer": "CB-08"}, payloads[1]["prev_hash"])
        != (payloads[1]["hash"])
    )


@WITH_PIN
def test_a_response_without_an_officer_hashes_as_before(app, client, stored):
    answer_all(client, "1")
    [response] = stored()
    payload = _payload(response)
    assert payload.get("officer") is None
    # The fields every response has, and of the optional ones only those it carries (the
    # language heard and "listen", which today's kiosk records): no officer field at all.
    old_style = {name: payload.get(name) for name in CHAINED_FIELDS}
    old_style.update(
        {name: payload[name] for name in ("voice", "listened") if payload.get(name) is not None}
    )
    old_style["prev_hash"] = payload["prev_hash"]
    encoded = json.dumps(old_style, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(encoded.encode()).hexdigest() == payload["hash"]


@WITH_PIN
def test_changing_and_ending_the_duty(app, client, stored):
    put_on_duty(client, "1", "CB-07")
    page = put_on_duty(client, "1", "CB.09_b")
    assert '<td id="duty-1">CB.09_b</td>' in page
    answer_all(client, "1")
    page = put_on_duty(client, "1", "", end="1")
    assert '<td id="duty-1">chưa có ai</td>' in page
    answer_all(client, "1")
    assert [r.officer for r in stored()] == ["CB.09_b", None]


@WITH_PIN
@pytest.mark.parametrize("officer", ["Nguyễn Văn A", "CB 07", "x" * 65, "<script>", "cb/07", "a@b"])
def test_a_bad_officer_code_is_refused_and_nothing_changes(app, client, officer):
    put_on_duty(client, "1", "CB-07")
    page = put_on_duty(client, "1", officer, expect=400)
    assert 'id="duty-error"' in page and "Mã cán bộ gồm 1 đến 64" in page
    assert '<td id="duty-1">CB-07</td>' in page
    with session_of(app) as session:
        assert session.scalar(sa.select(Duty.officer)) == "CB-07"


@WITH_PIN
def test_duty_needs_the_form_from_a_pin_reply(app, client):
    # The PIN screen's own token (another scope) and a forged one do not open the duty form.
    login_token = TOKEN.search(client.get("/staff/").get_data(as_text=True)).group(1)
    for token in (login_token, "forged", ""):
        reply = client.post(
            "/staff/duty", data={"csrf_token": token, "counter": "1", "officer": "CB-07"}
        )
        assert reply.status_code == 403
    with session_of(app) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Duty)) == 0


@WITH_PIN
def test_an_unknown_counter_is_refused(app, client):
    token = duty_token(staff_page(client))
    reply = client.post("/staff/duty", data={"csrf_token": token, "counter": "9", "officer": "A"})
    assert reply.status_code == 400


def test_duty_page_closed_without_a_pin(client):
    assert client.post("/staff/duty", data={"counter": "1"}).status_code == 404


def test_a_duty_ends_with_the_local_day(app):
    # 23:30 in Hà Nội on 1 March is 16:30 UTC; 00:10 on 2 March is 17:10 UTC.
    evening = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    with session_of(app) as session:
        set_duty(session, "1", "CB-07", now=evening)
        session.commit()
        assert on_duty(session, "1", now=evening + dt.timedelta(minutes=29)) == "CB-07"
        assert on_duty(session, "1", now=evening + dt.timedelta(minutes=40)) is None
        assert on_duty(session, "2", now=evening) is None
        with pytest.raises(BadOfficerCode):
            set_duty(session, "1", "CB 07", now=evening)
