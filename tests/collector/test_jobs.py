"""Background jobs on a real queue with a real worker process (`sipas collector worker`): the
production configuration on the real Redis (db 5) and the SQLite default, each on SQLite and
PostgreSQL databases."""

from __future__ import annotations

import io
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from openpyxl import load_workbook

from collector import create_app
from collector.db import get_db, get_session
from collector.models import ExportJob
from collector.reports.exports import app_exports_dir, job_file
from tests.factories import csrf_token, login, post_answers

REDIS_URL = "redis://127.0.0.1:6379/5"
WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Redis is required under CI: {exc}")
        pytest.skip(f"no Redis at {REDIS_URL}")


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_url(request, tmp_path):
    if request.param == "sqlite-queue":
        yield ""  # the default: queue.sqlite in the instance folder
        return
    _redis_or_skip()
    yield REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()  # db 5 is this test area's own


@pytest.fixture
def settings(db_url, tmp_path, queue_url):
    return {
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": db_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SQLITE_SYNCHRONOUS": "NORMAL",
        "QUEUE_URL": queue_url,
        "QUEUE_NAME": f"test-{uuid.uuid4().hex[:8]}",
    }


@pytest.fixture
def app(settings):
    app = create_app({"TESTING": True, **settings})
    yield app
    get_db(app).dispose()


class Worker:
    """`sipas collector worker` in its own process, configured through the environment."""

    def __init__(self, settings: dict, log: Path):
        self.env = {
            **os.environ,
            "SIPAS_COLLECTOR_INSTANCE_PATH": settings["INSTANCE_PATH"],
            **{f"SIPAS_COLLECTOR_{k}": str(v) for k, v in settings.items() if k != "INSTANCE_PATH"},
        }
        # from_prefixed_env reads values as JSON; an empty QUEUE_URL must stay a string.
        self.env["SIPAS_COLLECTOR_QUEUE_URL"] = settings["QUEUE_URL"] or '""'
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        self.out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sipas.cli", "collector", "worker", "--workers", "1"],
            env=self.env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.out.close()


@pytest.fixture
def worker(settings, tmp_path):
    started: list[Worker] = []

    def start() -> Worker:
        w = Worker(settings, tmp_path / "worker.log").start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


@pytest.fixture
def rated(app, units, register, make):
    kiosk = register("C01", client=app.test_client())
    for minute in range(3):
        post_answers(kiosk, dict.fromkeys(ALL, 5), f"2026-03-03T09:0{minute}:00+07:00", unit="O01")
    make.user("manager@example.org", "manager", "C01")
    make.user("other@example.org", "manager", "C01")


def start_export(client) -> str:
    token = csrf_token(client.get("/reports/weekly", query_string={"week": WEEK}).get_data(True))
    started = client.post("/reports/raw.xlsx?unit=C01&to=" + WEEK, data={"csrf_token": token})
    assert started.status_code == 302, started.get_data(as_text=True)
    return started.headers["Location"]


def state_of(app, job_url: str) -> str:
    with app.app_context():
        job = get_session().get(ExportJob, job_url.rsplit("/", 1)[1])
        return job.state


def wait_done(app, job_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if state_of(app, job_url) in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state_of(app, job_url) == "done"


def test_an_export_waits_for_the_worker_and_survives_restarts(app, settings, rated, worker):
    client = app.test_client()
    login(client, "manager@example.org")
    job_url = start_export(client)
    # No worker yet: the job waits in the queue and its page says so.
    page = client.get(job_url).get_data(as_text=True)
    assert 'data-state="queued"' in page
    first = worker()
    wait_done(app, job_url)

    # A restarted web process (a new app, a new session) reports the job and serves its file.
    get_db(app).dispose()
    again = create_app({"TESTING": True, **settings})
    fresh = again.test_client()
    login(fresh, "manager@example.org")
    assert 'data-state="done"' in fresh.get(job_url).get_data(as_text=True)
    download = fresh.get(job_url + "?download=1")
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    download.close()
    assert len(rows) == 1 + 3 and {r[2] for r in rows[1:]} == {"O01"}
    path = job_file(app_exports_dir(again), job_url.rsplit("/", 1)[1])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    # The worker stops; a job asked for meanwhile is done by the next worker.
    first.stop()
    second_url = start_export(fresh)
    time.sleep(1)
    assert state_of(again, second_url) == "queued"
    worker()
    wait_done(again, second_url)
    # Another user cannot see it.
    other = again.test_client()
    login(other, "other@example.org")
    assert other.get(second_url).status_code == 404
    get_db(again).dispose()


def test_exports_are_bounded_per_user(app, rated):
    """Without a worker jobs stay queued: the third is refused with a clear message, in
    Vietnamese; another user is not held back."""
    client = app.test_client()
    login(client, "manager@example.org")
    start_export(client)
    start_export(client)
    token = csrf_token(client.get("/reports/weekly", query_string={"week": WEEK}).get_data(True))
    refused = client.post("/reports/raw.xlsx?unit=C01&to=" + WEEK, data={"csrf_token": token})
    assert refused.status_code == 429
    assert "Bạn đang có 2 tệp xuất đang được chuẩn bị" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(ExportJob).count() == 2
    other = app.test_client()
    login(other, "other@example.org")
    start_export(other)
