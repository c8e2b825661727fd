"""`sipas demo` as a real process: it speaks Vietnamese, starts the kiosk once the collector is
ready, and SIGTERM stops all three processes and frees both ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.factories import free_port

pytestmark = pytest.mark.slow


def port_free(port: int) -> bool:
    with socket.socket() as s:
        # Connections left in TIME_WAIT do not hold the port; only a listening server does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_sigterm_stops_the_demo_and_its_servers(tmp_path):
    collector_port, kiosk_port = free_port(), free_port()
    log = (tmp_path / "demo.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sipas.cli",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--collector-port",
            str(collector_port),
            "--kiosk-port",
            str(kiosk_port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and demo.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{kiosk_port}/readyz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        assert requests.get(f"http://127.0.0.1:{collector_port}/readyz", timeout=5).ok
        demo.send_signal(signal.SIGTERM)
        # Each of its three children gets ten seconds before a kill (sipas.demo._stop).
        assert demo.wait(timeout=60) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        log.close()
    output = (tmp_path / "demo.log").read_text("utf-8")
    assert "Báo cáo:" in output and "Nhấn Ctrl-C để dừng." in output
    assert "send failed" not in output  # the kiosk started after the collector was ready
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (port_free(collector_port) and port_free(kiosk_port)):
        time.sleep(0.2)
    assert port_free(collector_port) and port_free(kiosk_port)
