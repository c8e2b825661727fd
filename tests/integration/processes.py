"""Real server processes on loopback: started with the `sipas` command, killed for real; a tablet
over real HTTP and a kiosk's staff page read over it. tests/integration/conftest.py holds the
fixture that kills what a test left running."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

SIPAS = [sys.executable, "-m", "sipas.cli"]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class ServerProcess:
    """`sipas ... run` in its own process group, with its output in a log file."""

    def __init__(self, args: list[str], port: int, log: Path, env: dict[str, str] | None = None):
        self.args, self.port, self.log_path = args, port, log
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 20) -> ServerProcess:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*SIPAS, *self.args, "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server did not listen: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, as when the power goes."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.log.close()


class HttpTablet:
    """A tablet over real HTTP: plain form posts, as with JavaScript off."""

    def __init__(self, base: str, counter: str = "1"):
        self.base, self.counter = base, counter
        self.http = requests.Session()
        self.url = ""
        self.page = ""

    def open(self, path: str) -> None:
        response = self.http.get(self.base + path, timeout=10)
        response.raise_for_status()
        self.url, self.page = response.url, response.text

    def start(self, kind: str = "admin") -> None:
        self.open(f"/c/{self.counter}/{kind}/new/0")

    def tap(self, code: str, value: int) -> requests.Response:
        token = TOKEN.search(self.page).group(1)
        response = self.http.post(
            self.url, data={code: str(value), "csrf_token": token}, timeout=10
        )
        if response.ok:
            self.url, self.page = response.url, response.text
        return response


def staff_queue(kiosk_url: str, pin: str = "246813") -> int:
    """The 'waiting to be sent' figure of a kiosk's staff page."""
    http = requests.Session()
    page = http.get(f"{kiosk_url}/staff/", timeout=10).text
    token = re.search(TOKEN, page).group(1)
    health = http.post(f"{kiosk_url}/staff/", data={"pin": pin, "csrf_token": token}, timeout=10)
    assert health.status_code == 200
    return int(re.search(r'<td id="queue">(\d+)</td>', health.text).group(1))
