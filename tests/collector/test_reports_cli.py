"""`sipas collector report weekly`: all three formats, and mail to a real local SMTP server."""

from __future__ import annotations

import email
import email.policy
import io

import pytest
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from collector.cli import collector
from tests.browser.conftest import free_port
from tests.collector.conftest import register
from tests.collector.reports_helpers import post_answers

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def rated(app, client, units):
    kiosk = register(app, client, "C01")
    for minute, value in enumerate((5, 4, 2)):
        post_answers(
            kiosk, dict.fromkeys(ALL, value), f"2026-03-03T09:0{minute}:00+07:00", unit="O01"
        )


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".html"])
def test_weekly_report_in_each_format(runner, rated, tmp_path, suffix):
    out = tmp_path / f"report{suffix}"
    result = runner.invoke(
        collector, ["report", "weekly", "--week", WEEK, "--unit", "P01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if suffix == ".xlsx":
        summary = list(load_workbook(io.BytesIO(data))["Tóm tắt"].iter_rows(values_only=True))
        assert summary[1][0] == "Dịch vụ hành chính công"
        assert summary[1][3] == round(200 / 3, 2)  # A-E each 2 of 3 satisfied
    elif suffix == ".csv":
        assert data.startswith("\ufeff".encode())
        assert "66.67" in data.decode("utf-8-sig")
    else:
        html = data.decode()
        assert "<style>" in html and "/static/" not in html  # self-contained
        assert "66,67" in html and "<svg" in html


def test_unknown_unit_and_bad_week_fail(runner, rated, tmp_path):
    out = str(tmp_path / "r.xlsx")
    bad_unit = runner.invoke(collector, ["report", "weekly", "--unit", "NOPE", "--out", out])
    assert bad_unit.exit_code != 0
    bad_week = runner.invoke(
        collector, ["report", "weekly", "--unit", "P01", "--week", "2026-W99", "--out", out]
    )
    assert bad_week.exit_code != 0
    bad_format = runner.invoke(
        collector, ["report", "weekly", "--unit", "P01", "--out", str(tmp_path / "r.pdf")]
    )
    assert bad_format.exit_code != 0


def test_mail_reaches_the_smtp_server(app, runner, rated, tmp_path, smtp):
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_FROM="sipas@example.org",
        REPORT_MAIL_TO=["lanh.dao@example.org"],
    )
    out = tmp_path / "tuan.xlsx"
    result = runner.invoke(
        collector,
        ["report", "weekly", "--week", WEEK, "--unit", "P01", "--out", str(out), "--mail"],
    )
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.envelopes[0].rcpt_tos == ["lanh.dao@example.org"]
    assert WEEK in message["Subject"]
    parts = list(message.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain").get_content()
    assert "66.67" in body
    attachment = next(p for p in parts if p.get_filename() == "tuan.xlsx")
    book = load_workbook(io.BytesIO(attachment.get_payload(decode=True)))
    assert "Tóm tắt" in book.sheetnames


def test_mail_failure_is_reported(app, runner, rated, tmp_path):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    result = runner.invoke(
        collector,
        [
            "report",
            "weekly",
            "--week",
            WEEK,
            "--unit",
            "P01",
            "--out",
            str(tmp_path / "r.csv"),
            "--mail",
            "--to",
            "x@example.org",
        ],
    )
    assert result.exit_code != 0
    assert "cannot send mail" in result.output
