"""`make run`'s demo, as a person meets it: both servers up, the kiosk taps in Chromium, the kiosk's
backlog reaches the collector, and a manager logs in to a weekly report with charts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from shared.demo import DEMO_PIN
from tests.browser.conftest import free_port
from tests.integration.conftest import staff_queue

pytestmark = pytest.mark.slow


def _wait_for_port(port: int, proc: subprocess.Popen, log, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"port {port} never opened: {log.read_text()[-3000:]}")


def test_demo_serves_a_kiosk_and_a_report(browser, tmp_path, screenshot_dir):
    kiosk_port, collector_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "shared.cli",
                "demo",
                "--dir",
                str(tmp_path / "demo"),
                "--kiosk-port",
                str(kiosk_port),
                "--collector-port",
                str(collector_port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            _wait_for_port(kiosk_port, proc, log)
            _wait_for_port(collector_port, proc, log)
            kiosk_url = f"http://127.0.0.1:{kiosk_port}"
            collector_url = f"http://127.0.0.1:{collector_port}"
            printed = log.read_text()
            assert f"{kiosk_url}/c/1" in printed and f"{collector_url}/reports\n" in printed

            deadline = time.monotonic() + 30
            while staff_queue(kiosk_url, DEMO_PIN) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert staff_queue(kiosk_url, DEMO_PIN) == 0

            context = browser.new_context(viewport={"width": 800, "height": 1280}, has_touch=True)
            page = context.new_page()
            page.goto(f"{kiosk_url}/c/2")
            with page.expect_navigation():
                page.get_by_role("link", name="Dịch vụ hành chính công").tap()
            with page.expect_navigation():
                page.get_by_role("button", name="Rất hài lòng", exact=True).tap()
            assert "/r/" in page.url
            context.close()

            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            page.goto(f"{collector_url}/reports")
            page.fill("input[name=email]", "admin@demo.local")
            page.fill("input[name=password]", "demo-password")
            with page.expect_navigation():
                page.locator("form button[type=submit], form input[type=submit]").first.click()
            page.goto(f"{collector_url}/reports")
            assert page.locator("svg").count() > 0
            assert "Thành phố Hà Nội" in page.content()
            page.screenshot(path=str(screenshot_dir / "demo-report-1366.png"), full_page=True)
            context.close()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
