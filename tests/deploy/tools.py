"""Helpers for the checks of deploy/: the repository's paths and the tools that check the files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
VENV_BIN = Path(os.sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(tool: str) -> str:
    """The path of `tool`; under CI a missing tool fails the test instead of skipping it."""
    found = shutil.which(tool) or (str(VENV_BIN / tool) if (VENV_BIN / tool).exists() else None)
    if found is None:
        if in_ci():
            pytest.fail(f"{tool} is required under CI (see .ci/run)")
        pytest.skip(f"{tool} is not installed")
    return found


def run(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, **kw)


def nginx_site(tmp_path) -> str:
    """The site file inside a minimal nginx.conf, with a throw-away certificate and log paths."""
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [
            need("openssl"),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "collector" / "nginx-sipas-collector.conf").read_text("utf-8")
    site = site.replace("/etc/ssl/sipas/", f"{tmp_path}/").replace(
        "/var/log/nginx/", f"{tmp_path}/"
    )
    return site


def write_nginx_conf(tmp_path, site: str) -> str:
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"""pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    access_log {tmp_path}/access.log;
{site}
}}
""",
        "utf-8",
    )
    return str(conf)
