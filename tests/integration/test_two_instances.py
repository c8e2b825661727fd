"""Two collector instances under gunicorn, behind a round-robin loopback proxy, on one PostgreSQL
database, one Redis (db 5: rate limits and the job queue) and one worker, as a province scales
out: a login on one is valid on the other; an export started through one is fetched through the
other; a rate limit counts across both; a report reflects a response ingested through the other.

The rate limit under test is the one on starting an export (EXPORT_RATE_LIMIT), per user.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from collector import create_app
from collector.accounts.service import add_user, create_token
from collector.db import get_db, get_session
from collector.fleet.kiosks import register_kiosk
from collector.migrate import upgrade
from collector.units import add_unit
from shared.chain import GENESIS
from tests.factories import PG_ENV, PostgresServer, free_port, make_response
from tests.integration.proxy import FaultyProxy

REDIS_URL = "redis://127.0.0.1:6379/5"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "two instances, one province"  # noqa: S105 - a test account
WEEK = "2026-W10"


def _need(what: str, reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{what} is required under CI: {reason}")
    pytest.skip(reason)


class RoundRobinProxy(FaultyProxy):
    """Sends each new connection to the next backend in turn."""

    def __init__(self, ports: list[int]):
        self.ports = ports
        self._turn = itertools.count()
        self.served: list[int] = []
        super().__init__(ports[0])

    @property
    def target_port(self) -> int:
        port = self.ports[next(self._turn) % len(self.ports)]
        self.served.append(port)
        return port

    @target_port.setter
    def target_port(self, _value: int) -> None:
        pass


class Proc:
    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.out = log.open("ab")
        self.log = log
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.out.close()


def _wait_listening(url: str, proc: Proc, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise RuntimeError(proc.log.read_text()[-3000:])
        try:
            requests.get(url + "/methodology", timeout=10)
            return
        except requests.RequestException:  # not listening yet, or its workers still loading
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer: {proc.log.read_text()[-3000:]}")


@pytest.fixture
def province(tmp_path):
    """A migrated PostgreSQL database with units, a kiosk, a manager and an API token."""
    url = os.environ.get(PG_ENV)
    if not url:
        _need("PostgreSQL", f"{PG_ENV} is not set")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.exceptions.ConnectionError as exc:
        _need("Redis", str(exc))
    server = PostgresServer(url)
    name = server.create()
    db_url = server.url_for(name)
    upgrade(db_url)
    instance = tmp_path / "instance"
    settings = {
        "SECRET_KEY": "one-secret-for-every-instance",
        "DATABASE_URL": db_url,
        "QUEUE_URL": REDIS_URL,
        "QUEUE_NAME": f"two-{uuid.uuid4().hex[:8]}",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "EXPORT_RATE_LIMIT": "3 per hour",
        "EXPORT_MAX_ACTIVE_PER_USER": 10,
        "EXPORTS_PATH": str(tmp_path / "exports"),
        # Plain HTTP on loopback: the session cookie must not be Secure-only here.
        "SESSION_COOKIE_SECURE_AUTO": False,
    }
    app = create_app({"INSTANCE_PATH": str(instance), **settings})
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        add_unit(session, "C01", "Xã Một", "commune", "P01")
        _kiosk, kiosk_token = register_kiosk(session, "C01", "Quầy 1")
        add_user(session, "manager@example.org", PASSWORD, "manager", "P01")
        _t, api_token = create_token(session, "manager@example.org")
        session.commit()
    get_db(app).dispose()
    yield {
        "settings": settings,
        "instance": instance,
        "kiosk_token": kiosk_token,
        "api_token": api_token,
        "db_url": db_url,
    }
    redis.Redis.from_url(REDIS_URL).flushdb()  # db 5 is this test area's own
    server.drop(name)
    server.admin.dispose()


@pytest.fixture
def cluster(province, tmp_path):
    env = {
        **os.environ,
        "SIPAS_COLLECTOR_INSTANCE_PATH": str(province["instance"]),
        **{f"SIPAS_COLLECTOR_{k}": _env_value(v) for k, v in province["settings"].items()},
    }
    procs: list[Proc] = []
    ports = [free_port(), free_port()]
    try:
        for n, port in enumerate(ports):
            procs.append(
                Proc(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "--workers",
                        "2",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "collector:create_app()",
                    ],
                    env,
                    tmp_path / f"gunicorn-{n}.log",
                )
            )
        procs.append(
            Proc(
                [sys.executable, "-m", "sipas.cli", "collector", "worker", "--workers", "1"],
                env,
                tmp_path / "worker.log",
            )
        )
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, proc in zip(urls, procs, strict=False):
            _wait_listening(url, proc)
        proxy = RoundRobinProxy(ports)
        yield {"a": urls[0], "b": urls[1], "proxy": proxy, **province}
        proxy.close()
    finally:
        for proc in procs:
            proc.stop()


def _env_value(value) -> str:
    """A setting as the environment carries it (`from_prefixed_env` reads JSON literals)."""
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _login(http: requests.Session, base: str) -> None:
    page = http.get(base + "/login")
    token = TOKEN.search(page.text)[1]
    done = http.post(
        base + "/login",
        data={"email": "manager@example.org", "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text


def _csrf(http: requests.Session, base: str) -> str:
    return TOKEN.search(http.get(base + "/reports", params={"period": WEEK}).text)[1]


def _start_export(http: requests.Session, base: str, token: str) -> requests.Response:
    return http.post(
        base + "/reports/raw.xlsx",
        params={"unit": "C01", "to": WEEK},
        data={"csrf_token": token},
        allow_redirects=False,
    )


def _responses(base: str, api_token: str) -> int:
    reply = requests.get(
        base + "/api/v1/reports",
        params={"unit": "P01", "period": WEEK},
        headers={"Authorization": f"Bearer {api_token}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    kinds = {k["kind"]: k for k in reply.json()["kinds"]}
    return kinds["admin"]["summary"]["responses"] if "admin" in kinds else 0


def test_two_instances_behave_as_one(cluster):
    a, b, proxy = cluster["a"], cluster["b"], cluster["proxy"]

    # A report on B reflects responses ingested through A (B computed it once before them).
    assert _responses(b, cluster["api_token"]) == 0
    prev, batch = GENESIS, []
    for seq in range(1, 4):
        r = make_response(seq, prev, unit="C01", submitted_at=f"2026-03-03T09:0{seq}:00+07:00")
        prev = r["hash"]
        batch.append(r)
    posted = requests.post(
        a + "/api/v1/responses",
        json={"responses": batch},
        headers={"Authorization": f"Bearer {cluster['kiosk_token']}"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    # A's commit asks the worker to refresh the counts (reports only read them): B shows the
    # new responses as soon as the worker has run.
    deadline = time.monotonic() + 60
    while _responses(b, cluster["api_token"]) != 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _responses(b, cluster["api_token"]) == 3

    # A login on A is valid on B (and the CSRF token made on B is accepted by A).
    http = requests.Session()
    _login(http, a)
    assert http.get(b + "/reports", allow_redirects=False).status_code == 200
    token = _csrf(http, b)

    # An export started through A is made by the worker and fetched through B.
    started = _start_export(http, a, token)
    assert started.status_code == 302, started.text
    job_path = started.headers["Location"].split("127.0.0.1:", 1)[-1].split("/", 1)[-1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page = http.get(f"{b}/{job_path}").text
        if 'data-state="done"' in page or 'data-state="failed"' in page:
            break
        time.sleep(0.3)
    assert 'data-state="done"' in page
    download = http.get(f"{b}/{job_path}", params={"download": "1"})
    assert download.status_code == 200
    assert download.content[:2] == b"PK"  # an XLSX is a zip file

    # The export limit (3 an hour per user) counts across both: B, A, then B refuses.
    assert _start_export(http, b, token).status_code == 302
    assert _start_export(http, a, token).status_code == 302
    refused = _start_export(http, b, token)
    assert refused.status_code == 429
    assert refused.headers.get("X-RateLimit-Limit") == "3"
    with sa.create_engine(cluster["db_url"], poolclass=sa.NullPool).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM export_jobs").scalar() == 3

    # Through the proxy, requests alternate between the instances and the session holds.
    for _ in range(4):
        with requests.Session() as fresh:
            fresh.cookies.update(http.cookies)
            fresh.headers["Connection"] = "close"
            assert fresh.get(proxy.url + "/reports", allow_redirects=False).status_code == 200
    assert set(proxy.served[-4:]) == set(proxy.ports)
