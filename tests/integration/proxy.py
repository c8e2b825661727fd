"""A loopback TCP proxy between a kiosk and the collector that can lose or hold replies."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable


class FaultyProxy:
    """Forwards each connection to `target`. Modes, settable at any time:

    * "pass": forward both ways;
    * "drop-reply": forward the request, read the whole reply (the collector has committed), then
      close the kiosk's connection without sending it;
    * "hold-reply": forward the request, keep the reply for `hold` seconds before sending it.

    `on_request` is called once per connection after the first request bytes went through.
    `replies` collects every reply body that was passed on.
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.mode = "pass"
        self.hold = 5.0
        self.on_request: Callable[[], None] | None = None
        self.replies: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except OSError:
            client.close()
            return
        try:
            while True:
                request = _read_http_message(client)
                if not request:
                    break
                upstream.sendall(request)
                if self.on_request is not None:
                    hook, self.on_request = self.on_request, None
                    hook()
                reply = _read_http_message(upstream)
                if not reply:
                    break
                if self.mode == "drop-reply":
                    break
                if self.mode == "hold-reply":
                    time.sleep(self.hold)
                self.replies.append(reply)
                client.sendall(reply)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()


def _read_http_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message with a Content-Length body (what requests and waitress send)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body
