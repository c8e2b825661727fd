"""`sipas collector report show --period ...` (and `report weekly --week ...`): every format, bad
periods, and mail to a real local SMTP server. The service that builds the report is replaced by
one returning the hand-built report (its own tests build reports from the database)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from collector.cli import collector
from collector.reports import service
from collector.reports.labels import period_label
from collector.reports.render import report_json
from tests.factories import free_port, sample_report


@pytest.fixture
def calls(units, monkeypatch):
    """What the replaced service was asked for."""
    asked = []

    def build_report_for(session, config, *, user, unit_code, period, via, **_):
        asked.append({"user": user, "unit": unit_code, "period": period, "via": via})
        if unit_code == "NOPE":
            raise service.ReportNotFound(unit_code)
        return sample_report()

    monkeypatch.setattr(service, "build_report_for", build_report_for, raising=False)
    return asked


def show(runner, *args):
    return runner.invoke(collector, ["report", "show", *args])


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".json", ".html"])
def test_report_in_each_format(app, runner, calls, tmp_path, suffix):
    if suffix == ".html":
        pytest.importorskip("collector.reports.page")
    out = tmp_path / f"report{suffix}"
    result = show(runner, "--period", "2026-Q3", "--unit", "P01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert calls[-1]["period"].key == "2026-Q3" and calls[-1]["unit"] == "P01"
    assert calls[-1]["user"] is None and calls[-1]["via"] == "cli"
    assert f"Đã ghi {out}" in result.output
    data = out.read_bytes()
    if suffix == ".xlsx":
        summary = list(load_workbook(io.BytesIO(data))["Tóm tắt"].iter_rows(values_only=True))
        assert summary[1][0] == "Dịch vụ hành chính công"
        assert summary[1][2] == "2026-Q3" and summary[1][4] == 71.4
    elif suffix == ".csv":
        assert data.startswith("\ufeff".encode())
        assert "71.4" in data.decode("utf-8-sig")
    elif suffix == ".json":
        with app.test_request_context("/"):
            assert json.loads(data) == json.loads(json.dumps(report_json(sample_report())))
    else:
        html = data.decode()
        assert "<style>" in html and "/static/" not in html  # self-contained
        assert "71,4" in html


def test_weekly_is_the_same_command_with_week(runner, calls, tmp_path):
    out = tmp_path / "r.csv"
    result = runner.invoke(
        collector, ["report", "weekly", "--week", "2026-W10", "--unit", "P01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert calls[-1]["period"].key == "2026-W10" and out.exists()
    result = show(runner, "--unit", "P01", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert calls[-1]["period"].kind == "week"  # default: the last complete week


NEXT_YEAR = str(dt.date.today().year + 1)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-W99", "không phải một kỳ báo cáo: 2026-W99"),
        ("quý ba", "không phải một kỳ báo cáo"),
        ("0001-W01", "nằm ngoài lịch"),
        ("2026-10-01..2026-09-01", "kết thúc trước khi bắt đầu"),
        (NEXT_YEAR, f"kỳ {NEXT_YEAR} chưa bắt đầu"),
    ],
)
def test_bad_periods_fail_clearly_and_write_nothing(runner, calls, tmp_path, period, message):
    out = tmp_path / "r.xlsx"
    result = show(runner, "--period", period, "--unit", "P01", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "--period" in result.output
    assert not out.exists() and calls == []
    weekly = runner.invoke(
        collector, ["report", "weekly", "--week", period, "--unit", "P01", "--out", str(out)]
    )
    assert weekly.exit_code == 2 and "--week" in weekly.output and not out.exists()


def test_unknown_unit_and_bad_format_fail(runner, calls, tmp_path):
    out = tmp_path / "r.xlsx"
    bad_unit = show(runner, "--unit", "NOPE", "--out", str(out))
    assert bad_unit.exit_code == 1 and "không có đơn vị NOPE" in bad_unit.output
    assert not out.exists()
    bad_format = show(runner, "--unit", "P01", "--out", str(tmp_path / "r.pdf"))
    assert bad_format.exit_code == 2 and ".json" in bad_format.output
    assert len(calls) == 1  # the bad format is refused before any report is built


def test_mail_reaches_the_smtp_server(app, runner, calls, tmp_path, smtp):
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=controller.port,
        MAIL_FROM="sipas@example.org",
        REPORT_MAIL_TO=["lanh.dao@example.org"],
    )
    out = tmp_path / "quy.xlsx"
    result = show(runner, "--period", "2026-Q3", "--unit", "P01", "--out", str(out), "--mail")
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert inbox.envelopes[0].rcpt_tos == ["lanh.dao@example.org"]
    with app.test_request_context("/"):
        label = period_label(sample_report().period)
    assert label in message["Subject"] and "Tỉnh Một" in message["Subject"]
    parts = list(message.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain").get_content()
    assert label in body
    # Per kind: index (Vietnamese decimals), verdict, target and n.
    assert "Dịch vụ hành chính công: 71,40 % (chưa kết luận được, chỉ tiêu 80 %, 78 phiếu)" in body
    assert "Dịch vụ y tế: 87,50 % (đạt chỉ tiêu, chỉ tiêu 85 %, 200 phiếu)" in body
    attachment = next(p for p in parts if p.get_filename() == "quy.xlsx")
    book = load_workbook(io.BytesIO(attachment.get_payload(decode=True)))
    assert "Tóm tắt" in book.sheetnames


def test_mail_failure_is_reported(app, runner, calls, tmp_path):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2)
    out = str(tmp_path / "r.csv")
    result = show(runner, "--unit", "P01", "--out", out, "--mail", "--to", "x@example.org")
    assert result.exit_code != 0
    assert "cannot send mail" in result.output


def test_the_monday_job_mails_the_typed_report(app, calls, smtp):
    from collector.tasks import run_weekly_mail

    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, REPORT_MAIL_TO=["so@example.org"]
    )
    assert run_weekly_mail(app) == ["P01"]
    assert calls[-1]["period"].kind == "week" and calls[-1]["via"] == "job"
    message = inbox.messages[0]
    body = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Dịch vụ hành chính công: 71,40 % (chưa kết luận được" in body
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "sipas-P01-2026-Q3.xlsx"  # the report's unit and period
