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

from sipas.demo import DEMO_PIN
from tests.factories import free_port
from tests.integration.processes import staff_queue

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
                "sipas.cli",
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


def _network_addresses() -> set[str]:
    """This machine's IPv4 addresses other than loopback, as `ip` lists them."""
    import re

    listed = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", listed))


def test_the_demo_on_every_interface_gives_phones_its_network_address(
    browser, tmp_path, screenshot_dir
):
    """With --host 0.0.0.0 the printed links, PUBLIC_URL, the slip and its QR code carry the
    machine's network address (what a phone on the same Wi-Fi opens), never 127.0.0.1 or
    0.0.0.0. The test itself talks to the demo over loopback only."""
    import io
    import re

    import zxingcpp
    from PIL import Image

    from collector.demo import DEMO_ADMIN, DEMO_PASSWORD

    addresses = _network_addresses()
    if not addresses:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("this machine has no network address besides loopback")
        pytest.skip("this machine has no network address besides loopback")
    kiosk_port, collector_port = free_port(), free_port()
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sipas.cli", "demo", "--dir", str(tmp_path / "demo")]
            + ["--host", "0.0.0.0", "--kiosk-port", str(kiosk_port)]
            + ["--collector-port", str(collector_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            _wait_for_port(kiosk_port, proc, log)
            _wait_for_port(collector_port, proc, log)
            printed = log.read_text()
            link = re.search(r"(http://([\d.]+):(\d+))/r/([A-Za-z0-9_-]{19})", printed)
            assert link, printed[-2000:]
            public, host, port, token = link.groups()
            assert host in addresses and port == str(collector_port), (host, addresses)
            assert f"{public}/reports\n" in printed and f"http://{host}:{kiosk_port}/c/1" in printed
            # The block of links for people (the servers' own log lines name what they bind).
            block = printed[printed.index("Báo cáo:") : printed.index("Nhấn Ctrl-C")]
            assert "127.0.0.1" not in block and "0.0.0.0" not in block

            local = f"http://127.0.0.1:{collector_port}"
            context = browser.new_context(viewport={"width": 800, "height": 1000})
            page = context.new_page()
            page.goto(f"{local}/login")
            page.fill("input[name=email]", DEMO_ADMIN)
            page.fill("input[name=password]", DEMO_PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            page.goto(f"{local}/receipts/{token}/slip")
            page.emulate_media(media="print")
            shot = page.locator(".sheet").screenshot(
                path=str(screenshot_dir / "demo-lan-slip-80mm.png")
            )
            (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))
            assert found.text == f"{public}/r/{token}"
            assert page.locator(".url").inner_text().replace("\n", "") == found.text
            context.close()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
