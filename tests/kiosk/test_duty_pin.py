"""The duty form of the staff page needs a fresh PIN session: each form is good for one change, and
no change is taken more than DUTY_FORM_SECONDS after the PIN was entered."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from kiosk import staff
from kiosk.models import Duty
from tests.factories import WITH_PIN, staff_page

FIELD = re.compile(r'name="(csrf_token|staff_pass)"[^>]*value="([^"]+)"')


def duty_fields(page: str) -> dict[str, str]:
    """The hidden fields of counter 1's duty form."""
    form = page[page.index('class="duty-form"') :]
    form = form[: form.index("</form>")]
    return dict(FIELD.findall(form))


def officer_on_duty(app) -> str | None:
    with sa.orm.Session(staff.db.engine(app)) as session:
        return session.scalar(sa.select(Duty.officer).where(Duty.counter == "1"))


@WITH_PIN
def test_a_duty_form_is_good_for_one_change(app, client):
    sent = {**duty_fields(staff_page(client)), "counter": "1", "officer": "CB-07"}
    first = client.post("/staff/duty", data=sent)
    assert first.status_code == 200 and officer_on_duty(app) == "CB-07"
    # The same post again, or with another code: refused, nothing changes.
    for officer in ("CB-07", "CB-99"):
        assert client.post("/staff/duty", data={**sent, "officer": officer}).status_code == 403
    assert officer_on_duty(app) == "CB-07"
    # The page that answered carries a new form, for one more change in the same PIN session.
    again = {**duty_fields(first.get_data(as_text=True)), "counter": "1", "officer": "CB-08"}
    assert again["staff_pass"] != sent["staff_pass"]
    assert client.post("/staff/duty", data=again).status_code == 200
    assert officer_on_duty(app) == "CB-08"


@WITH_PIN
def test_a_refused_code_keeps_the_pin_session_but_not_the_form(app, client):
    sent = {**duty_fields(staff_page(client)), "counter": "1", "officer": "bad code"}
    refused = client.post("/staff/duty", data=sent)
    assert refused.status_code == 400
    assert client.post("/staff/duty", data={**sent, "officer": "CB-07"}).status_code == 403
    fixed = {**duty_fields(refused.get_data(as_text=True)), "counter": "1", "officer": "CB-07"}
    assert client.post("/staff/duty", data=fixed).status_code == 200
    assert officer_on_duty(app) == "CB-07"


@WITH_PIN
def test_the_pin_session_ends_after_ten_minutes_whatever_was_done_since(app, client, monkeypatch):
    first = client.post(
        "/staff/duty",
        data={**duty_fields(staff_page(client)), "counter": "1", "officer": "CB-07"},
    )
    chained = {**duty_fields(first.get_data(as_text=True)), "counter": "1", "officer": "CB-09"}
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=staff.DUTY_FORM_SECONDS + 5)
    monkeypatch.setattr(staff, "utcnow", lambda: later)
    assert client.post("/staff/duty", data=chained).status_code == 403
    assert officer_on_duty(app) == "CB-07"


@WITH_PIN
def test_a_duty_form_without_its_pass_is_refused(app, client):
    fields = duty_fields(staff_page(client))
    fields.pop("staff_pass", None)
    reply = client.post("/staff/duty", data={**fields, "counter": "1", "officer": "CB-07"})
    assert reply.status_code == 403 and officer_on_duty(app) is None
