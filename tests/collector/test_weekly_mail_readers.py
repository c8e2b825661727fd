"""The Monday report mail: besides REPORT_MAIL_TO, each active person who chose it on "My account"
gets the report of their own scope, through the local SMTP server."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from openpyxl import load_workbook

from collector.db import get_session
from collector.models import User
from collector.tasks import run_weekly_mail
from tests.factories import csrf_token, login, post_answers, register

ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def _opt_in(app, *emails: str, receive: bool = True) -> None:
    with app.app_context():
        session = get_session()
        session.execute(sa.update(User).where(User.email.in_(emails)).values(weekly_mail=receive))
        session.commit()


def _last_week(app, client) -> None:
    kiosk = register(app, client, "C01")
    last_week = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - dt.timedelta(days=7)
    monday = last_week - dt.timedelta(days=last_week.weekday())
    when = monday.replace(hour=9, minute=0, second=0, microsecond=0).isoformat()
    post_answers(kiosk, dict.fromkeys(ALL, 5), when, unit="O01")


def _inbox(inbox) -> dict[str, list[str]]:
    """Subjects received per address."""
    got: dict[str, list[str]] = {}
    for message in inbox.messages:
        for address in message["To"].split(","):
            got.setdefault(address.strip(), []).append(message["Subject"])
    return {k: sorted(v) for k, v in got.items()}


def test_each_opted_in_person_gets_the_report_of_their_own_scope(app, client, units, smtp, make):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, REPORT_MAIL_TO=["so@example.org"]
    )
    _last_week(app, client)
    make.user("m1@example.org", "manager", "C01")
    make.user("v2@example.org", "viewer", "C02")
    make.user("root@example.org", "admin", None)
    make.user("quiet@example.org", "manager", "C01")  # has not chosen the mail
    make.user("gone@example.org", "manager", "C01")  # chose it, then was disabled
    make.user("so@example.org", "manager", "P01")  # already in REPORT_MAIL_TO for P01
    # The manager chooses it on "My account", as people do.
    login(client, "m1@example.org")
    token = csrf_token(client.get("/account/").get_data(as_text=True))
    assert client.post(
        "/account/mail", data={"weekly_mail": "1", "csrf_token": token}
    ).status_code in (302, 303)
    _opt_in(app, "v2@example.org", "root@example.org", "gone@example.org", "so@example.org")
    with app.app_context():
        session = get_session()
        session.execute(
            sa.update(User).where(User.email == "gone@example.org").values(active=False)
        )
        session.commit()

    sent = run_weekly_mail(app)
    assert sorted(sent) == ["C01", "C02", "P01", "P01"]
    got = _inbox(inbox)
    assert set(got) == {"so@example.org", "m1@example.org", "v2@example.org", "root@example.org"}
    assert len(got["so@example.org"]) == 1 and "Tỉnh Thử" in got["so@example.org"][0]
    assert len(got["m1@example.org"]) == 1 and "Xã Một" in got["m1@example.org"][0]
    assert len(got["v2@example.org"]) == 1 and "Xã Hai" in got["v2@example.org"][0]
    assert len(got["root@example.org"]) == 1 and "Tỉnh Thử" in got["root@example.org"][0]
    # Each personal mail goes to that person alone, with their unit's report attached.
    mine = next(m for m in inbox.messages if m["To"] == "m1@example.org")
    attachment = next(mine.iter_attachments())
    assert attachment.get_filename().startswith("sipas-C01-")
    load_workbook(io.BytesIO(attachment.get_payload(decode=True)))

    # With no configured address the people who chose the mail still get it.
    inbox.messages.clear()
    app.config["REPORT_MAIL_TO"] = []
    _opt_in(app, "root@example.org", "so@example.org", receive=False)
    assert sorted(run_weekly_mail(app)) == ["C01", "C02"]
    assert set(_inbox(inbox)) == {"m1@example.org", "v2@example.org"}


def test_a_configured_unit_that_is_gone_does_not_stop_the_other_mails(
    app, client, units, smtp, make
):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        REPORT_MAIL_TO=["so@example.org"],
        REPORT_MAIL_UNITS=["KHONG-CO", "C02"],
    )
    make.user("m1@example.org", "manager", "C01")
    _opt_in(app, "m1@example.org")
    assert run_weekly_mail(app) == ["C02", "C01"]
    assert sorted(m["To"] for m in inbox.messages) == ["m1@example.org", "so@example.org"]
