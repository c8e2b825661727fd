"""The retention policy: old comments blanked, old responses deleted (when a period is set), old
export files deleted; `sipas collector retention apply [--dry-run]` and the job do the same."""

from __future__ import annotations

import datetime as dt
import os
import time

import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.models import Answer, ExportJob, ReportCount, Response
from collector.reports.exports import app_exports_dir, job_file
from collector.retention import months_before
from collector.tasks import run_refresh_counts, run_retention
from tests.factories import post_answers, register

ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def test_months_before_keeps_the_day_or_takes_the_month_s_last():
    assert months_before(dt.datetime(2026, 3, 31, 9, tzinfo=dt.UTC), 1) == dt.datetime(
        2026, 2, 28, 9, tzinfo=dt.UTC
    )
    assert months_before(dt.datetime(2026, 1, 15, tzinfo=dt.UTC), 24) == dt.datetime(
        2024, 1, 15, tzinfo=dt.UTC
    )


def _ratings(app, client):
    """Three ratings with comments: 26 months, 13 months and a week ago (times relative to today,
    so that they stay inside the ingest window, which starts at the product's epoch)."""
    kiosk = register(app, client, "C01")
    now = dt.datetime.now(dt.UTC).replace(hour=2, minute=0, second=0, microsecond=0)
    local = dt.timezone(dt.timedelta(hours=7))
    for when in (months_before(now, 26), months_before(now, 13), now - dt.timedelta(days=7)):
        sent = when.astimezone(local).isoformat()
        post_answers(kiosk, dict.fromkeys(ALL, 5), sent, unit="O01", comment=f"ý kiến {sent}")


def _comments(app) -> list[str | None]:
    with app.app_context():
        return list(
            get_session().scalars(sa.select(Response.comment).order_by(Response.submitted_at))
        )


def test_dry_run_changes_nothing_then_apply_blanks_old_comments(app, client, units, runner, count):
    _ratings(app, client)
    before = _comments(app)
    dry = runner.invoke(collector, ["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    # 24 months by default: the comment of 26 months ago goes, the other two stay.
    assert "Chạy thử" in dry.output and "Ý kiến đã xoá: 1" in dry.output
    assert _comments(app) == before
    done = runner.invoke(collector, ["retention", "apply"])
    assert done.exit_code == 0, done.output
    assert "Ý kiến đã xoá: 1" in done.output
    comments = _comments(app)
    assert comments == [None, *before[1:]] and before[0] is not None
    assert count(Response) == 3  # the ratings stay


def test_responses_past_the_legal_period_go_but_the_counts_stay(app, client, units, count):
    _ratings(app, client)
    run_refresh_counts(app)
    with app.app_context():
        counted = get_session().scalar(sa.select(sa.func.sum(ReportCount.answered)))
    app.config["RETENTION_RESPONSE_MONTHS"] = 25
    result = run_retention(app)
    assert result.responses_deleted == 1
    assert count(Response) == 2
    assert count(Answer) == 2 * len(ALL)
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.sum(ReportCount.answered))) == counted


def test_export_files_go_after_their_keeping_time(app, client, units, make):
    make.user("manager@example.org", "manager", "C01")
    directory = app_exports_dir(app)
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        session = get_session()
        user_id = session.scalar(sa.text("SELECT id FROM users"))
        unit_id = session.scalar(sa.text("SELECT id FROM units WHERE code = 'C01'"))
        for job_id, hours_ago in (("old-job-aaaaaaaa", 30), ("new-job-bbbbbbbb", 2)):
            session.add(
                ExportJob(
                    id=job_id,
                    user_id=user_id,
                    unit_id=unit_id,
                    unit_code="C01",
                    first_week="2026-W01",
                    last_week="2026-W10",
                    locale="vi",
                    state="done",
                    attempts=1,
                    rows=0,
                    finished_at=now - dt.timedelta(hours=hours_ago),
                )
            )
            job_file(directory, job_id).write_bytes(b"x")
        session.commit()
    # A file a crash left behind, two days old.
    stray = directory / "crashed-ccccccccc.part"
    stray.write_bytes(b"x")
    old = time.time() - 2 * 86400
    os.utime(stray, (old, old))
    result = run_retention(app, now=now)
    assert result.files_deleted == 2
    assert sorted(p.name for p in directory.iterdir()) == ["new-job-bbbbbbbb.xlsx"]
    with app.app_context():
        assert get_session().get(ExportJob, "old-job-aaaaaaaa").state == "expired"
        assert get_session().get(ExportJob, "new-job-bbbbbbbb").state == "done"
