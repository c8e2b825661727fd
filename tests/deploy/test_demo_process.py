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


def _state(pid: int) -> str | None:
    """A process's state letter (Z: ended, not yet reaped), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_stopping_kills_a_server_that_ignores_ctrl_c_with_what_it_forked(tmp_path):
    """The demo's stop (sipas.demo._stop): a server that ends on SIGINT ends; one that ignores
    it is killed after its grace time with the worker it forked, which would otherwise keep the
    port (a gunicorn worker whose master was killed)."""
    from sipas import demo

    child_file = tmp_path / "child.pid"
    stubborn = tmp_path / "stubborn.py"
    stubborn.write_text(
        "import os, signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    time.sleep(120)\n"
        "    os._exit(0)\n"
        f"open({str(child_file)!r}, 'w').write(str(child))\n"
        "time.sleep(120)\n"
    )
    polite = demo._spawn([sys.executable, "-c", "import time; time.sleep(120)"], dict(os.environ))
    server = demo._spawn([sys.executable, str(stubborn)], dict(os.environ))
    deadline = time.monotonic() + 30
    while not child_file.exists() or not child_file.read_text():
        assert time.monotonic() < deadline, "the stubborn server did not fork"
        time.sleep(0.05)
    child = int(child_file.read_text())
    assert _state(child) not in (None, "Z")
    time.sleep(0.3)  # both have started and set their handlers
    demo._stop([polite, server], grace=1.0)
    assert polite.returncode == -signal.SIGINT  # ended by the Ctrl-C it was sent
    assert server.returncode == -signal.SIGKILL  # killed after its grace time
    deadline = time.monotonic() + 10
    while _state(child) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _state(child) in (None, "Z")  # the forked worker went with its group
