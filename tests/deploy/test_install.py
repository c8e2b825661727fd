"""The scripted install, end to end on this machine: the collector from deploy/ (setup.sh, then
start.sh, the image's entry script: migrations as the owner, gunicorn as the app role) behind nginx
with TLS, on a scratch PostgreSQL database and Redis, with its worker (`sipas collector worker`, as
its unit starts it); a kiosk pointed at it over HTTPS; a rating tapped in Chromium reaches the
collector; an admin asks for the raw XLSX through nginx and the worker makes it (0600 on disk, the
rating in it); a backup restored into a new database holds it."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import signal
import stat
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urljoin

import psycopg
import pytest
import redis
import requests
import sqlalchemy as sa
from openpyxl import load_workbook

from collector.models import Response
from tests.browser.live import CHROMIUM
from tests.deploy.tools import (
    DEPLOY,
    REPO,
    VENV_BIN,
    in_ci,
    need,
    nginx_site,
    run,
    write_nginx_conf,
)
from tests.factories import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REDIS = "redis://127.0.0.1:6379/8"  # this test's own db: flushed before and after
ADMIN, PASSWORD = "admin@example.gov.vn", "mat-khau-quan-tri-1"


def wait_for(url: str, proc: subprocess.Popen, log, timeout: float = 180, **kw) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2, **kw).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} never became ready: {log.read_text()[-3000:]}")


def start(args, log, env) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def scratch():
    tag = uuid.uuid4().hex[:10]
    names = {
        "db": f"sipas_i_{tag}",
        "owner": f"sipas_io_{tag}",
        "app": f"sipas_ia_{tag}",
        "restored": f"sipas_ir_{tag}",
    }
    yield names
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        for db in (names["db"], names["restored"]):
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        for role in (names["owner"], names["app"]):
            c.execute(f'DROP ROLE IF EXISTS "{role}"')


def unit_command(unit: Path) -> list[str]:
    """The ExecStart of a systemd unit, with the installed program's folder made this checkout's."""
    line = next(x for x in unit.read_text("utf-8").splitlines() if x.startswith("ExecStart="))
    command = line.removeprefix("ExecStart=").replace("/opt/sipas/.venv/bin", str(VENV_BIN))
    return shlex.split(command.replace("/opt/sipas", str(REPO)))


@pytest.fixture
def queue_db():
    db = redis.Redis.from_url(REDIS)
    db.flushdb()
    yield
    db.flushdb()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match[1]


def export_through_the_web(base: str, cert: str, worker, worker_log) -> tuple[str, bytes]:
    """Log in through nginx, ask for the raw XLSX of this week, wait for the worker's file."""
    web = requests.Session()  # verify= on each call: REQUESTS_CA_BUNDLE overrides Session.verify
    web.headers["Referer"] = f"{base}/"  # as a browser sends it: CSRF checks it over HTTPS
    page = web.get(f"{base}/login", verify=cert)
    logged = web.post(
        f"{base}/login",
        data={"email": ADMIN, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
        allow_redirects=False,
        verify=cert,
    )
    assert logged.status_code == 302, logged.text
    weekly = web.get(f"{base}/reports/weekly", params={"unit": "C01", "week": "this"}, verify=cert)
    assert weekly.ok, weekly.text
    started = web.post(
        f"{base}/reports/raw.xlsx",
        params={"unit": "C01", "to": "this"},
        data={"csrf_token": csrf_token(weekly.text)},
        allow_redirects=False,
        verify=cert,
    )
    assert started.status_code == 302, started.text
    job_url = urljoin(base + "/", started.headers["Location"])
    deadline = time.monotonic() + 90
    state = None
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker_log.read_text()[-3000:]}")
        job_page = web.get(job_url, verify=cert)
        assert job_page.ok, job_page.text
        state = re.search(r'data-state="([a-z]+)"', job_page.text)[1]
        if state not in ("queued", "running"):
            break
        time.sleep(0.5)
    assert state == "done", worker_log.read_text()[-3000:]
    file = web.get(job_url, params={"download": "1"}, verify=cert)
    assert file.ok and file.content.startswith(b"PK"), file.status_code
    return job_url.rsplit("/", 1)[1].split("?")[0], file.content


def test_install_rate_in_chromium_back_up_and_restore(tmp_path, scratch, queue_db, browser):
    if not os.path.exists(CHROMIUM):
        (pytest.fail if in_ci() else pytest.skip)(f"no Chromium at {CHROMIUM}")
    nginx = need("nginx")
    pg = {
        **os.environ,
        "PGHOST": "127.0.0.1",
        "PGPORT": "5432",
        "PGUSER": "postgres",
        "SIPAS_DB": scratch["db"],
        "SIPAS_OWNER": scratch["owner"],
        "SIPAS_APP_ROLE": scratch["app"],
    }
    done = run(str(DEPLOY / "postgres" / "setup.sh"), env=pg)
    assert done.returncode == 0, done.stderr

    def db_url(db, role):
        return f"postgresql+psycopg://{role}@127.0.0.1:5432/{db}"

    web_port, http_port, https_port, kiosk_port = (free_port() for _ in range(4))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    env.update(
        {
            "PATH": f"{VENV_BIN}:{env['PATH']}",
            "SIPAS_COLLECTOR_INSTANCE_PATH": str(tmp_path / "collector"),
            "SIPAS_COLLECTOR_SECRET_KEY": uuid.uuid4().hex,
            "SIPAS_COLLECTOR_DATABASE_URL": db_url(scratch["db"], scratch["app"]),
            "SIPAS_COLLECTOR_MIGRATE_DATABASE_URL": db_url(scratch["db"], scratch["owner"]),
            "SIPAS_COLLECTOR_QUEUE_URL": REDIS,
            "SIPAS_COLLECTOR_RATELIMIT_STORAGE_URI": REDIS,
            "SIPAS_GUNICORN_BIND": f"127.0.0.1:{web_port}",
            "SIPAS_GUNICORN_WORKERS": "2",
        }
    )
    (tmp_path / "collector").mkdir()
    procs = []
    try:
        web_log = tmp_path / "web.log"
        procs.append(start([str(DEPLOY / "collector" / "start.sh")], web_log, env))
        wait_for(f"http://127.0.0.1:{web_port}/readyz", procs[-1], web_log)

        # nginx in front, with the site file of deploy/ on ports of its own.
        site = nginx_site(tmp_path)
        site = site.replace("listen 80;", f"listen {http_port};").replace("listen [::]:80;", "")
        site = site.replace("listen 443 ssl http2;", f"listen {https_port} ssl http2;")
        site = site.replace("listen [::]:443 ssl http2;", "")
        site = site.replace("server 127.0.0.1:8000", f"server 127.0.0.1:{web_port}")
        site = site.replace("/opt/sipas/collector/static/", f"{REPO}/collector/static/")
        site = site.replace("khaosat.example.gov.vn", "localhost")
        conf = write_nginx_conf(tmp_path, site)
        nginx_log = tmp_path / "nginx.log"
        procs.append(
            start([nginx, "-p", str(tmp_path), "-c", conf, "-g", "daemon off;"], nginx_log, env)
        )
        cert = str(tmp_path / "fullchain.pem")
        base = f"https://localhost:{https_port}"
        wait_for(f"{base}/readyz", procs[-1], nginx_log, verify=cert)
        css = requests.get(
            f"{base}/static/collector.css", verify=cert, headers={"Accept-Encoding": "gzip"}
        )
        assert css.ok and css.headers["Cache-Control"] == "max-age=604800, public"  # from nginx
        big = requests.post(f"{base}/api/v1/responses", data=b"x" * (1024 * 1024 + 1), verify=cert)
        assert big.status_code == 413  # stopped by nginx: client_max_body_size
        assert (
            requests.get(f"http://localhost:{http_port}/", allow_redirects=False).status_code == 301
        )

        sipas = [str(VENV_BIN / "sipas")]
        for args in (
            ["units", "add", "P01", "Tỉnh", "--kind", "province"],
            ["units", "add", "C01", "Xã", "--parent", "P01", "--kind", "commune"],
        ):
            done = run(*sipas, "collector", *args, env=env)
            assert done.returncode == 0, done.stdout + done.stderr
        done = run(*sipas, "collector", "kiosks", "register", "--unit", "C01", env=env)
        assert done.returncode == 0, done.stderr
        token = done.stdout.split()[-1]

        kiosk_env = {**env, "REQUESTS_CA_BUNDLE": cert, "SIPAS_KIOSK_SYNC_INTERVAL": "1"}
        instance = str(tmp_path / "kiosk")
        done = run(
            *sipas,
            "kiosk",
            "init",
            "--instance",
            instance,
            "--office",
            "Một cửa",
            "--counter",
            "1:C01:admin",
            "--pin",
            "246813",
            "--collector-url",
            base,
            "--collector-token",
            token,
            env=kiosk_env,
        )
        assert done.returncode == 0, done.stderr
        done = run(*sipas, "kiosk", "check", "--instance", instance, env=kiosk_env)
        assert done.returncode == 0 and "Cảnh báo" not in done.stderr, done.stderr
        kiosk_log = tmp_path / "kiosk.log"
        procs.append(
            start(
                [*sipas, "kiosk", "run", "--instance", instance, "--port", str(kiosk_port)],
                kiosk_log,
                kiosk_env,
            )
        )
        wait_for(f"http://127.0.0.1:{kiosk_port}/readyz", procs[-1], kiosk_log)

        context = browser.new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{kiosk_port}/c/1")
        with page.expect_navigation():
            page.get_by_role("link", name="Bắt đầu đánh giá").click()
        for _ in range(6):
            with page.expect_navigation():
                page.get_by_role("button", name="Hài lòng", exact=True).click()
        assert page.url.endswith("/c/1/thanks")
        context.close()

        engine = sa.create_engine(db_url(scratch["db"], scratch["app"]), poolclass=sa.NullPool)
        deadline = time.monotonic() + 60
        stored = []
        while time.monotonic() < deadline and not stored:
            with engine.connect() as conn:
                stored = conn.execute(sa.select(Response.uuid, Response.complete)).all()
            time.sleep(0.5)
        engine.dispose()
        assert len(stored) == 1 and stored[0].complete, kiosk_log.read_text()[-2000:]

        # The worker as its unit starts it (ExecStart, the same environment file as the web
        # unit), and an account made the way docs/deploy.md says; the XLSX is made by the worker.
        done = run(
            *sipas, "collector", "users", "add", ADMIN, "--role", "admin",
            "--password", PASSWORD, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        worker_log = tmp_path / "worker.log"
        worker = start(
            unit_command(DEPLOY / "collector" / "sipas-collector-worker.service"), worker_log, env
        )
        procs.append(worker)
        job_id, content = export_through_the_web(base, cert, worker, worker_log)
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert [str(row[0]) for row in rows[1:]] == [str(stored[0].uuid)]
        on_disk = tmp_path / "collector" / "exports" / f"{job_id}.xlsx"
        assert on_disk.read_bytes() == content
        assert stat.S_IMODE(on_disk.stat().st_mode) == 0o600  # every comment of a province
        assert stat.S_IMODE(on_disk.parent.stat().st_mode) == 0o700
        stop(worker, signal.SIGINT)  # the unit's KillSignal: the job in hand is finished first
        assert worker.returncode == 0, worker_log.read_text()[-3000:]

        backups = tmp_path / "backups"
        backup_env = {**pg, "PGUSER": scratch["owner"], "SIPAS_BACKUP_DIR": str(backups)}
        done = run(str(DEPLOY / "postgres" / "backup.sh"), scratch["db"], env=backup_env)
        assert done.returncode == 0, done.stderr
        done = run(
            str(DEPLOY / "postgres" / "restore.sh"),
            done.stdout.strip(),
            scratch["restored"],
            env=pg,
        )
        assert done.returncode == 0, done.stderr
        restored = sa.create_engine(
            db_url(scratch["restored"], scratch["app"]), poolclass=sa.NullPool
        )
        with restored.connect() as conn:
            assert conn.execute(sa.select(Response.uuid)).scalars().all() == [stored[0].uuid]
        restored.dispose()
    finally:
        for proc in reversed(procs):
            stop(proc)
    access = [
        line
        for line in web_log.read_text("utf-8").splitlines()
        if '"logger": "collector.access"' in line
    ]
    assert access and all(json.loads(line)["request_id"] for line in access)
    assert not any("127.0.0.1" in line or "localhost" in line for line in access)  # no addresses
