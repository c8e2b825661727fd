"""One unauthenticated client cannot hold `sipas collector run` or `sipas kiosk run` (issue 20,
finding 4): a chunked body whose size line never ends, Content-Length with chunked, and a header
sent a byte at a time, each to a real server process. Meanwhile `/healthz` keeps answering on
new connections (a server held by the attack leaves them waiting past the client's timeout), and
the hostile connection is cut."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.factories import free_port
from tests.integration.processes import SIPAS, ServerProcess

pytestmark = pytest.mark.slow

#: Bytes of chunk-size line sent without its end: waitress 3.0.2 spent seconds of CPU on 8 MB.
SIZE_LINE_BYTES = 6 * 1024 * 1024
#: The servers' read timeout in these tests (the default is longer): a slow header is cut after it.
READ_TIMEOUT = 3
#: How long a `/healthz` may wait before the server counts as held (the attacks held waitress
#: for minutes; a served request takes milliseconds): a bound on liveness, not a speed goal.
HEALTH_TIMEOUT = 5


@pytest.fixture(params=["collector", "kiosk"])
def server(request, tmp_path) -> Iterator[ServerProcess]:
    env = {"SIPAS_SERVER_READ_TIMEOUT": str(READ_TIMEOUT)}
    if request.param == "collector":
        env |= {
            "SIPAS_COLLECTOR_INSTANCE_PATH": str(tmp_path / "collector"),
            "SIPAS_COLLECTOR_DATABASE_URL": f"sqlite:///{tmp_path / 'collector.sqlite'}",
        }
        args = ["collector", "run"]
    else:
        instance = tmp_path / "kiosk"
        subprocess.run(
            [*SIPAS, "kiosk", "init", "--instance", str(instance), "--office", "UBND xã A"]
            + ["--counter", "1:H40.22.01:admin", "--pin", "246813"],
            check=True,
            capture_output=True,
        )
        args = ["kiosk", "run", "--instance", str(instance)]
    process = ServerProcess(args, free_port(), tmp_path / "server.log", env=env).start()
    wait_healthy(process.url)
    yield process
    process.stop()


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never answered /healthz")


def keeps_answering(url: str, while_: Callable[[], bool], at_least: int = 10) -> None:
    """`/healthz` on a new connection each time while the attack goes on (at least `at_least`
    times): each must answer 200 within HEALTH_TIMEOUT, or the server is held."""
    asked = 0
    while asked < at_least or (while_() and asked < 200):
        reply = requests.get(url + "/healthz", timeout=HEALTH_TIMEOUT)
        assert reply.status_code == 200
        asked += 1
        time.sleep(0.05)


#: The hostile connections a test opened: closed after it, whatever it asserted.
_OPEN: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    _OPEN.append(sock)
    return sock


def cut(sock: socket.socket, within: float) -> bool:
    """Whether the server closed (or reset) the connection within `within` seconds; what it said
    before closing (a 400, say) is read and dropped."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


def test_a_never_ending_chunk_size_line_is_cut_and_health_still_answers(server):
    sock = connect(server)
    head = (
        b"POST /api/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    sent = {"bytes": 0, "refused": False}
    done = threading.Event()

    def attack():
        try:
            sock.sendall(head)
            piece = b"f" * 65536
            while sent["bytes"] < SIZE_LINE_BYTES:
                sock.sendall(piece)
                sent["bytes"] += len(piece)
        except OSError:
            sent["refused"] = True  # the server stopped reading and closed: what we want
        finally:
            done.set()

    thread = threading.Thread(target=attack, daemon=True)
    thread.start()
    keeps_answering(server.url, lambda: not done.is_set())
    thread.join(timeout=60)
    assert sent["refused"] or cut(sock, READ_TIMEOUT + 5)
    sock.close()
    assert requests.get(server.url + "/healthz", timeout=2).status_code == 200


def test_content_length_with_chunked_is_refused_at_once(server):
    sock = connect(server)
    sock.sendall(
        b"POST /api/v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    )
    keeps_answering(server.url, lambda: False)
    sock.settimeout(5)
    first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 400"), first[:200]
    assert cut(sock, 5)
    sock.close()


def test_a_header_sent_a_byte_at_a_time_is_cut(server):
    sock = connect(server)
    stop = threading.Event()
    state = {"cut": False}

    def drip():
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.is_set():
                sock.sendall(b"X")  # a header line that never ends, a byte every 0.2 s
                time.sleep(0.2)
        except OSError:
            state["cut"] = True

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    keeps_answering(server.url, lambda: not state["cut"] and time.monotonic() - started < 20)
    stop.set()
    thread.join(timeout=5)
    assert state["cut"] or cut(sock, 1), "the slow header was never cut"
    assert time.monotonic() - started < READ_TIMEOUT + 10
    sock.close()
