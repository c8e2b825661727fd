"""The files of deploy/ checked by the tools that run them: systemd, nginx, hadolint, gunicorn."""

from __future__ import annotations

import re
import shutil
import sys

import pytest

from collector.config import DEFAULTS
from tests.deploy.tools import DEPLOY, REPO, VENV_BIN, need, nginx_site, run, write_nginx_conf

UNITS = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".service", ".timer") and p.is_file())
SCRIPTS = sorted(DEPLOY.rglob("*.sh"))


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    """Paths of the installed system (/opt/sipas) point at this checkout for the check."""
    tool = need("systemd-analyze")
    assert len(UNITS) >= 8
    cage = shutil.which("cage") or "/bin/true"  # the screen's compositor, not on this server
    for unit in UNITS:
        text = unit.read_text("utf-8")
        text = text.replace("/opt/sipas/.venv/bin", str(VENV_BIN)).replace("/opt/sipas", str(REPO))
        text = text.replace("/usr/bin/cage", cage)
        (tmp_path / unit.name).write_text(text, "utf-8")
    done = run(tool, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir()))
    assert done.returncode == 0, done.stderr
    assert not re.search(r"Unknown|ignoring|Failed|not executable", done.stderr), done.stderr


def test_the_worker_unit_runs_the_worker_command_with_the_collector_settings():
    unit = (DEPLOY / "collector" / "sipas-collector-worker.service").read_text("utf-8")
    assert "ExecStart=/opt/sipas/.venv/bin/sipas collector worker" in unit
    assert "EnvironmentFile=/etc/sipas/collector.env" in unit


def test_the_timers_start_their_backup_services():
    for timer, schedule in [
        (DEPLOY / "postgres" / "sipas-collector-backup.timer", "OnCalendar=*-*-* 02:30:00"),
        (DEPLOY / "kiosk" / "sipas-kiosk-backup.timer", "OnCalendar=hourly"),
    ]:
        assert schedule in timer.read_text("utf-8")
        assert timer.with_suffix(".service").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_parse_and_are_executable(script):
    assert script.stat().st_mode & 0o111
    done = run("sh", "-n", str(script))
    assert done.returncode == 0, done.stderr


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = need("nginx")
    conf = write_nginx_conf(tmp_path, nginx_site(tmp_path))
    done = run(nginx, "-t", "-p", str(tmp_path), "-c", conf)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_nginx_body_limit_matches_the_api_limit():
    site = (DEPLOY / "collector" / "nginx-sipas-collector.conf").read_text("utf-8")
    size = re.search(r"client_max_body_size (\d+)([km]?);", site)
    assert size is not None
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[size.group(2)]
    assert int(size.group(1)) * factor == DEFAULTS["API_MAX_BODY_BYTES"]
    assert "gzip on;" in site and "ssl_certificate " in site and "location /static/" in site


def test_the_dockerfile_passes_hadolint():
    done = run(need("hadolint"), str(DEPLOY / "docker" / "Dockerfile"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_file_has_the_database_the_queue_the_web_and_the_worker():
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DEPLOY / "docker" / "compose.yaml").read_text("utf-8"))
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker"}
    web = compose["services"]["web"]
    assert web["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert web["environment"]["SIPAS_COLLECTOR_QUEUE_URL"].startswith("redis://redis:")
    assert compose["services"]["worker"]["entrypoint"] == ["sipas", "collector", "worker"]
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text("utf-8")
    assert 'ENTRYPOINT ["/opt/sipas/deploy/collector/start.sh"]' in dockerfile


def test_the_gunicorn_config_loads_and_names_the_app_factory(monkeypatch):
    monkeypatch.setenv("SIPAS_GUNICORN_WORKERS", "3")
    done = run(
        sys.executable,
        "-c",
        "from gunicorn.config import Config\n"
        "c = Config(); import runpy\n"
        f"ns = runpy.run_path({str(DEPLOY / 'collector' / 'gunicorn.conf.py')!r})\n"
        "[c.set(k, v) for k, v in ns.items() if k in c.settings]\n"
        "print(c.workers, c.timeout, c.wsgi_app, c.accesslog, c.worker_class.__name__)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "3",
        "60",
        "collector:create_app()",
        "None",
        "BoundedThreadWorker",
    ]


def test_the_nginx_site_bounds_what_a_client_can_hold():
    """Issue 20, finding 4: body size, head and body time, head size, whole bodies buffered."""
    site = (DEPLOY / "collector" / "nginx-sipas-collector.conf").read_text("utf-8")
    for directive in (
        r"client_header_timeout (\d+)s;",
        r"client_body_timeout (\d+)s;",
        r"large_client_header_buffers 4 8k;",
        r"proxy_request_buffering on;",
        r"reset_timedout_connection on;",
        r"limit_conn sipas_per_address \d+;",
    ):
        found = re.search(directive, site)
        assert found, directive
        if found.groups():
            assert 0 < int(found.group(1)) <= 30
