"""The HTTP server of `sipas collector run` and `sipas kiosk run`: gunicorn, with every part of a
request that a client controls bounded.

Why gunicorn (the deploy already serves the collector with it behind nginx) and not waitress:
waitress 3.0.2 keeps a chunk-size line without limit and scans it again on every read (quadratic
CPU: 8 MB of one cost 3.7 s), reads a body with both Content-Length and chunked encoding, and
only closes a connection after `channel_timeout` of silence, so a client that sends a byte now
and then keeps it for ever. gunicorn 27 bounds the request line, the header fields and their
number, a chunk-size line (to `limit_request_field_size`) and the trailers, and answers 400 to
Content-Length with chunked. What it lacks is a time limit on receiving a request: its threaded
worker reads a request in a pool thread with a blocking socket, so a header sent a byte at a time
holds that thread as long as the client likes. `BoundedThreadWorker` adds that limit: every read of
one request (its head and its body) must end within READ_TIMEOUT seconds of the request's start,
else the connection is closed (a body read by the app gets 408 instead).

Limits (each also in docs/deploy.md):

* request line 8,190 bytes, 100 header fields of at most 8,190 bytes each, chunk-size lines and
  trailers bounded the same way (gunicorn);
* READ_TIMEOUT (`--read-timeout`, SIPAS_SERVER_READ_TIMEOUT, 30 s) for a whole request to arrive;
* an idle kept-alive connection is closed after 5 s; a worker whose main loop stops for 60 s is
  replaced by the master.

A body gunicorn cannot parse, read by the app, is a 400 (werkzeug's BadRequest) instead of an
exception in the view.

The kiosk runs one worker process with threads: its SQLite database has one writer, and its
background thread (kiosk.worker) runs in that process, started when the worker starts and stopped
when it stops, as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import NoMoreData, ParseException
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import BadRequest, RequestTimeout

#: Seconds a client has to send a whole request (head and body) once it starts.
READ_TIMEOUT = 30.0
READ_TIMEOUT_ENV = "SIPAS_SERVER_READ_TIMEOUT"
#: gunicorn's own defaults, set here so that they are stated: request line, header fields.
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELDS = 100
LIMIT_REQUEST_FIELD_SIZE = 8190


def read_timeout_default() -> float:
    return float(os.environ.get(READ_TIMEOUT_ENV) or READ_TIMEOUT)


class DeadlineSocket:
    """A client socket whose reads fail once the request's deadline has passed. Everything but
    `recv` and `recv_into` goes to the socket itself (sending, closing, its file number for
    the worker's poller)."""

    def __init__(self, sock: Any):
        self._sock = sock
        #: Seconds the current request may take to arrive from its first read; None: no limit.
        self.limit: float | None = None
        #: time.monotonic() by which it must have arrived (set at its first read).
        self.deadline: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def arm(self, limit: float | None) -> None:
        """A new request: its clock starts with its first read."""
        self.limit, self.deadline = limit, None

    def _bounded(self, read: Callable[..., Any], *args: Any) -> Any:
        if self.limit is None:
            return read(*args)
        if self.deadline is None:
            self.deadline = time.monotonic() + self.limit
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        previous = self._sock.gettimeout()
        self._sock.settimeout(remaining)
        try:
            return read(*args)
        finally:
            self._sock.settimeout(previous)

    def recv(self, *args: Any) -> bytes:
        return self._bounded(self._sock.recv, *args)

    def recv_into(self, *args: Any) -> int:
        return self._bounded(self._sock.recv_into, *args)


class _RequestBody:
    """The request body as the app reads it: a parse error or a timeout in the middle of a body
    becomes a 400 or a 408 that Flask answers, not an exception in the view."""

    def __init__(self, body: Any):
        self._body = body

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._body, name)(*args)
        except TimeoutError as exc:
            raise RequestTimeout() from exc
        except (ParseException, NoMoreData) as exc:
            raise BadRequest("The request body could not be read.") from exc

    def read(self, *args: Any) -> bytes:
        return self._call("read", *args)

    def readline(self, *args: Any) -> bytes:
        return self._call("readline", *args)

    def readlines(self, *args: Any) -> list[bytes]:
        return self._call("readlines", *args)

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _already_closed(graceful: bool = False) -> None:
    """A connection's close once its socket was closed in its pool thread."""


class BoundedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with a deadline on receiving each request (READ_TIMEOUT from
    the request's first byte; the application's `read_timeout` when it has one)."""

    def _read_timeout(self) -> float:
        return float(getattr(self.app, "read_timeout", None) or read_timeout_default())

    def handle(self, conn):
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock)
        # A connection that sends nothing is gunicorn's to close (it waits a few seconds in the
        # thread, then in its poller for the keep-alive time); the clock starts with data.
        conn.sock.arm(self._read_timeout())
        try:
            result = super().handle(conn)
        finally:
            conn.sock.arm(None)
        if result is False:
            # gunicorn closes a finished connection in its main loop, lingering up to 2 s for the
            # client to close first: a client that never does would stall every other
            # connection of the worker that long. Here the lingering holds only this thread;
            # the main loop's close then has nothing left to do.
            util.close_graceful(conn.sock._sock, timeout=1.0)
            conn.close = _already_closed
        return result

    def handle_error(self, req, client, addr, exc):
        # gunicorn logs "Invalid request from ip=...": no client address is kept, logs included.
        super().handle_error(req, client, ("-", 0), exc)

    def handle_request(self, req, conn):
        body = req.body
        req.body = _RequestBody(body)
        try:
            return super().handle_request(req, conn)
        finally:
            # gunicorn drains what the app left of the body with the raw reader after this.
            req.body = body


class _Server(BaseApplication):
    def __init__(self, app: Any, options: dict[str, Any], read_timeout: float):
        self.application = app
        self.options = options
        self.read_timeout = read_timeout
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def serve(
    app: Any,
    *,
    host: str,
    port: int,
    threads: int,
    workers: int = 1,
    name: str,
    read_timeout: float | None = None,
    post_fork: Callable[[Any, Any], None] | None = None,
    post_worker_init: Callable[[Any], None] | None = None,
    worker_exit: Callable[[Any, Any], None] | None = None,
) -> None:
    """Serve the WSGI `app` until SIGINT or SIGTERM. The app is built before the workers are
    forked (`post_fork` should drop database connections inherited from the parent)."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": BoundedThreadWorker,
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 5,
        "limit_request_line": LIMIT_REQUEST_LINE,
        "limit_request_fields": LIMIT_REQUEST_FIELDS,
        "limit_request_field_size": LIMIT_REQUEST_FIELD_SIZE,
        "preload_app": True,
        # No access log: it would hold client addresses (the apps log requests without them).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": name,
        # No control socket: nothing is written in the home folder; signals do the same work.
        "control_socket_disable": True,
    }
    for hook, func in (
        ("post_fork", post_fork),
        ("post_worker_init", post_worker_init),
        ("worker_exit", worker_exit),
    ):
        if func is not None:
            options[hook] = func
    _Server(app, options, read_timeout or read_timeout_default()).run()
