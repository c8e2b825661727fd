"""The refresh of the report counts a commit of responses asks for: counted right after the commit
with QUEUE_URL=immediate, never by reading a report, and at most one waiting in a real queue."""

from __future__ import annotations

import time

from collector import create_app, tasks
from collector.db import get_db
from collector.models import ReportCount
from tests.factories import login, post_answers

ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def test_an_upload_is_counted_after_its_commit(app, client, units, count, register):
    kiosk = register("C01")
    post_answers(kiosk, dict.fromkeys(ALL, 4), "2026-03-03T09:00:00+07:00", unit="O01")
    assert count(ReportCount) > 0


def test_a_report_only_reads_the_counts(app, client, units, quiet_writes, count, register, make):
    kiosk = register("C01")
    post_answers(kiosk, dict.fromkeys(ALL, 4), "2026-03-03T09:00:00+07:00", unit="O01")
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")
    assert client.get("/reports/weekly?week=2026-W10").status_code == 200
    assert count(ReportCount) == 0
    assert tasks.run_refresh_counts(app) == 1  # the explicit call
    assert count(ReportCount) > 0


def test_at_most_one_refresh_waits_in_the_queue(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    huey = tasks.get_queue(app)
    assert [tasks.request_refresh(app) for _ in range(3)] == [True, False, False]
    assert len(huey) == 1
    # Once the worker starts it, a new commit asks again.
    huey.delete(tasks.REFRESH_ASKED)
    assert tasks.request_refresh(app) is True and len(huey) == 2
    # A request lost long ago (a queue emptied by hand) does not block the next one.
    huey.flush()
    huey.put(tasks.REFRESH_ASKED, time.time() - tasks.REFRESH_LOST_SECONDS - 1)
    assert tasks.request_refresh(app) is True and len(huey) == 1
    get_db(app).dispose()


def test_a_request_that_cannot_reach_the_queue_fails_nothing(app, monkeypatch, caplog):
    """The responses are stored whatever the queue does: a request that cannot be made is logged
    and reported as not queued, never raised."""

    def unreachable(_app):
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(tasks, "get_queue", unreachable)
    assert tasks.request_refresh(app) is False
    assert "could not ask for a refresh" in caplog.text


def test_a_request_made_at_the_same_moment_elsewhere_is_not_made_twice(app, monkeypatch):
    """Another process put the key between this one's read and its write: nothing is queued."""

    class Raced:
        enqueued = 0

        def get(self, key, peek=False):
            return None  # not asked for yet, as this process reads it

        def put_if_empty(self, key, value):
            return False  # ... but another process asked meanwhile

        def refresh_counts_asked(self):
            Raced.enqueued += 1

    monkeypatch.setattr(tasks, "get_queue", lambda _app: Raced())
    assert tasks.request_refresh(app) is False
    assert Raced.enqueued == 0
