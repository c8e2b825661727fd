"""Export files and lost jobs, with the jobs run in the asking process (QUEUE_URL=immediate): the
bound of files per user, the queueing again of a job whose worker died, the schedule in local
time, and the periodic jobs run once through `sipas collector worker --once`."""

from __future__ import annotations

import datetime as dt
import io
import stat
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from collector.cli import collector
from collector.db import get_session
from collector.models import ExportJob, ReportCount
from collector.reports.exports import app_exports_dir, job_file
from collector.tasks import local_crontab, run_retention, run_weekly_mail
from tests import factories
from tests.factories import csrf_token, login, make_user, post_answers

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def _rated(app, client):
    kiosk = factories.register(app, client, "C01")
    for minute in range(2):
        post_answers(kiosk, dict.fromkeys(ALL, 4), f"2026-03-03T09:0{minute}:00+07:00", unit="O01")
    make_user(app, "manager@example.org", "manager", "C01")
    login(client, "manager@example.org")


def _export(client) -> str:
    token = csrf_token(client.get("/reports/weekly", query_string={"week": WEEK}).get_data(True))
    started = client.post("/reports/raw.xlsx?unit=C01&to=" + WEEK, data={"csrf_token": token})
    assert started.status_code == 302
    return started.headers["Location"].rsplit("/", 1)[1]


def test_a_user_keeps_a_bounded_number_of_files(app, client, units):
    app.config["EXPORT_MAX_FILES_PER_USER"] = 2
    _rated(app, client)
    jobs = [_export(client) for _ in range(3)]
    directory = app_exports_dir(app)
    with app.app_context():
        states = {j: get_session().get(ExportJob, j).state for j in jobs}
    assert states == {jobs[0]: "expired", jobs[1]: "done", jobs[2]: "done"}
    assert not job_file(directory, jobs[0]).exists()
    assert all(stat.S_IMODE(job_file(directory, j).stat().st_mode) == 0o600 for j in jobs[1:])
    assert 'data-state="expired"' in client.get(f"/reports/exports/{jobs[0]}").get_data(True)
    assert client.get(f"/reports/exports/{jobs[0]}?download=1").status_code == 200  # the page
    assert sorted(p.name for p in directory.iterdir()) == sorted(f"{j}.xlsx" for j in jobs[1:])


def test_a_job_whose_worker_died_is_done_again(app, client, units):
    _rated(app, client)
    job_id = _export(client)
    with app.app_context():
        session = get_session()
        job = session.get(ExportJob, job_id)
        # As a worker killed mid-way leaves it: running, no file.
        job.state, job.started_at, job.attempts = "running", job.started_at, 1
        session.commit()
    job_file(app_exports_dir(app), job_id).unlink()
    now = dt.datetime.now(dt.UTC)
    run_retention(app, now=now + dt.timedelta(minutes=10))
    with app.app_context():
        assert get_session().get(ExportJob, job_id).state == "running"  # not stale yet
    run_retention(app, now=now + dt.timedelta(minutes=31))
    with app.app_context():
        job = get_session().get(ExportJob, job_id)
        assert (job.state, job.attempts) == ("done", 2)
    download = client.get(f"/reports/exports/{job_id}?download=1")
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    download.close()
    assert len(rows) == 3


def test_a_job_failing_every_time_ends_failed(app, client, units):
    _rated(app, client)
    job_id = _export(client)
    with app.app_context():
        session = get_session()
        job = session.get(ExportJob, job_id)
        job.state, job.attempts = "running", app.config["EXPORT_MAX_ATTEMPTS"]
        session.commit()
    run_retention(app, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    with app.app_context():
        assert get_session().get(ExportJob, job_id).state == "failed"
    assert 'data-state="failed"' in client.get(f"/reports/exports/{job_id}").get_data(True)


def test_schedules_are_read_in_local_time():
    monday_7_local = local_crontab("0 7 * * 1", ZoneInfo("Asia/Ho_Chi_Minh"))
    assert monday_7_local(dt.datetime(2026, 3, 2, 0, 0))  # Monday 00:00 UTC = 07:00 local
    assert not monday_7_local(dt.datetime(2026, 3, 2, 7, 0))
    assert not monday_7_local(dt.datetime(2026, 3, 1, 0, 0))  # a Sunday


def test_the_counts_job_runs_once_from_the_cli(
    app, client, units, runner, quiet_writes, count, register
):
    kiosk = register("C01")
    post_answers(kiosk, dict.fromkeys(ALL, 5), "2026-03-03T09:00:00+07:00", unit="O01")
    assert count(ReportCount) == 0
    result = runner.invoke(collector, ["worker", "--once", "refresh-counts"])
    assert result.exit_code == 0, result.output
    assert count(ReportCount) > 0


def test_the_monday_job_mails_last_week_s_report(app, client, units, smtp, register):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, REPORT_MAIL_TO=["so@example.org"]
    )
    kiosk = register("C01")
    last_week = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) - dt.timedelta(days=7)
    monday = last_week - dt.timedelta(days=last_week.weekday())
    when = monday.replace(hour=9, minute=0, second=0, microsecond=0).isoformat()
    post_answers(kiosk, dict.fromkeys(ALL, 5), when, unit="O01")
    assert run_weekly_mail(app) == ["P01"]  # the top unit, as REPORT_MAIL_UNITS is empty
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "so@example.org"
    assert "Tỉnh Thử" in message["Subject"]
    attachment = next(message.iter_attachments())
    assert attachment.get_filename().endswith(".xlsx")
    app.config["REPORT_MAIL_TO"] = []
    assert run_weekly_mail(app) == []  # nobody to send it to: nothing is sent
    assert len(inbox.messages) == 1
