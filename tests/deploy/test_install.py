"""The scripted install, end to end on this machine: the collector from deploy/ (setup.sh, then
start.sh, the image's entry script: migrations as the owner, gunicorn as the app role) behind nginx
with TLS, on a scratch PostgreSQL database and Redis; a kiosk pointed at it over HTTPS; a rating
tapped in Chromium reaches the collector; a backup restored into a new database holds it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import psycopg
import pytest
import requests
import sqlalchemy as sa

from collector.models import Response
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.deploy.conftest import DEPLOY, REPO, VENV_BIN, in_ci, need, run
from tests.deploy.test_files import _nginx_config, write_nginx_conf
from tests.integration.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.browser]
REDIS = "redis://127.0.0.1:6379/4"


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


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
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


def test_install_rate_in_chromium_back_up_and_restore(tmp_path, scratch):
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
        site = _nginx_config(tmp_path)
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

        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(java_script_enabled=False).new_page()
            page.goto(f"http://127.0.0.1:{kiosk_port}/c/1")
            with page.expect_navigation():
                page.get_by_role("link", name="Bắt đầu đánh giá").click()
            for _ in range(6):
                with page.expect_navigation():
                    page.get_by_role("button", name="Hài lòng", exact=True).click()
            assert page.url.endswith("/c/1/thanks")
            browser.close()

        engine = sa.create_engine(db_url(scratch["db"], scratch["app"]), poolclass=sa.NullPool)
        deadline = time.monotonic() + 60
        stored = []
        while time.monotonic() < deadline and not stored:
            with engine.connect() as conn:
                stored = conn.execute(sa.select(Response.uuid, Response.complete)).all()
            time.sleep(0.5)
        engine.dispose()
        assert len(stored) == 1 and stored[0].complete, kiosk_log.read_text()[-2000:]
        # Here the worker (`sipas collector worker`) makes the XLSX export of this rating.

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
