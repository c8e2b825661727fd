"""Silent kiosks: no contact for SILENT_AFTER_MINUTES of their unit's opening hours (local time),
listed on the kiosks page and in the weekly report, and mailed once per silence to the unit's
managers through a real local SMTP server."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from collector.cli import collector
from collector.db import get_session
from collector.fleet.opening import (
    DEFAULT_HOURS,
    OpeningHoursError,
    open_minutes,
    parse_hours_spec,
    silent_kiosks,
)
from collector.models import KioskChain, Unit
from collector.tasks import run_silent_check
from tests.factories import login

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ALWAYS = "mon-sun=00:00-24:00"
NEVER = "mon=00:00-00:01"  # one minute a week: never long enough to be silent


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZONE)


def test_open_minutes_count_only_opening_hours():
    friday_close = local(2026, 3, 6, 17, 0)  # a Friday
    monday = local(2026, 3, 9, 7, 45)
    assert open_minutes(DEFAULT_HOURS, friday_close, monday, ZONE) == 15
    # A working day: 4 h in the morning, 3.5 h in the afternoon.
    assert open_minutes(DEFAULT_HOURS, local(2026, 3, 9, 0), local(2026, 3, 10, 0), ZONE) == 450
    saturday = parse_hours_spec("mon-fri=07:30-11:30,13:30-17:00;sat=07:30-11:30")
    assert open_minutes(saturday, friday_close, monday, ZONE) == 240 + 15


@pytest.mark.parametrize(
    "spec", ["mon-fri=07:30-25:00", "mon=11:00-10:00", "xyz=07:00-08:00", "mon=7-8"]
)
def test_bad_hours_are_refused(spec):
    with pytest.raises(OpeningHoursError):
        parse_hours_spec(spec)


def _set(app, kiosk_id: int, last_contact: dt.datetime | None) -> None:
    with app.app_context():
        session = get_session()
        session.get(KioskChain, kiosk_id).last_contact_at = last_contact
        session.commit()


@pytest.fixture
def two_kiosks(app, client, units, runner, register):
    """Kiosk a at C01 (open around the clock), kiosk b at C02 (practically never open), both
    last heard from three days ago."""
    for code, spec in (("C01", ALWAYS), ("C02", NEVER)):
        result = runner.invoke(collector, ["units", "hours", code, spec])
        assert result.exit_code == 0, result.output
    a, b = register("C01"), register("C02")
    three_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    _set(app, a.id, three_days_ago)
    _set(app, b.id, three_days_ago)
    return a, b


def test_a_unit_s_hours_decide_and_a_contact_ends_the_silence(app, two_kiosks):
    a, b = two_kiosks
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        assert [k.id for k in silent_kiosks(get_session(), app.config, now)] == [a.id]
    assert a.heartbeat().status_code == 200
    with app.app_context():
        assert silent_kiosks(get_session(), app.config, dt.datetime.now(dt.UTC)) == []
        # Back to the collector's default hours: Monday 07:30 after a Friday-evening contact.
        session = get_session()
        session.get(Unit, session.get(KioskChain, a.id).kiosk.unit_id).opening_hours = None
        session.get(KioskChain, a.id).last_contact_at = local(2026, 3, 6, 17, 0)
        session.commit()
        assert silent_kiosks(session, app.config, local(2026, 3, 9, 8, 29)) == []
        assert [k.id for k in silent_kiosks(session, app.config, local(2026, 3, 9, 8, 31))] == [
            a.id
        ]


def test_the_kiosks_page_and_the_weekly_report_list_them(app, client, two_kiosks, make):
    a, b = two_kiosks
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")
    page = client.get("/kiosks/").get_data(as_text=True)
    section = page.split('id="silent-kiosks"')[1].split("</section>")[0]
    assert f'data-kiosk="{a.id}"' in section and f'data-kiosk="{b.id}"' not in section
    assert "Ki-ốt mất liên lạc" in page
    report = client.get("/reports/weekly?unit=P01").get_data(as_text=True)
    assert f'data-kiosk="{a.id}"' in report.split('id="silent-kiosks"')[1]
    only_c02 = client.get("/reports/weekly?unit=C02").get_data(as_text=True)
    assert "data-kiosk=" not in only_c02.split('id="silent-kiosks"')[1]


def test_the_unit_s_managers_are_mailed_once_per_silence(app, client, two_kiosks, smtp, make):  # noqa: F811
    controller, inbox = smtp
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    a, _b = two_kiosks
    make.user("province@example.org", "manager", "P01")
    make.user("commune@example.org", "manager", "C01")
    make.user("elsewhere@example.org", "manager", "C02")
    make.user("viewer@example.org", "viewer", "C01")
    assert run_silent_check(app) == [a.id]
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert sorted(message["To"].split(", ")) == ["commune@example.org", "province@example.org"]
    assert "mất liên lạc" in message["Subject"]
    assert "Quầy 1" in message.get_content()
    # Still silent: no second mail. Heard from, then silent again: a new mail.
    assert run_silent_check(app) == []
    assert len(inbox.messages) == 1
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert run_silent_check(app, now=later) == []
    _set(app, a.id, dt.datetime.now(dt.UTC))
    assert run_silent_check(app, now=later) == [a.id]
    assert len(inbox.messages) == 2
