"""Structured logs for both apps: one JSON object per line, each with the request's id.

Privacy: a log line never carries what identifies a person. Requests are logged by their route
pattern (`/r/<token>`, not the token), without query string, client address, form fields or
headers; the request id is random, or the one a proxy sent when it looks like an id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

#: A request id a proxy may hand over (nginx's $request_id is 32 hex digits).
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
HEADER = "X-Request-ID"
#: LogRecord attributes that are not extra fields.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being served (if any) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def handler(fmt: str = "json", stream=None) -> logging.Handler:
    out = logging.StreamHandler(stream or sys.stderr)
    if fmt == "text":
        out.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    else:
        out.setFormatter(JsonFormatter())
    out.addFilter(RequestIdFilter())
    return out


def configure(fmt: str = "json", level: int = logging.INFO, stream=None) -> None:
    """Route every logger (the apps', waitress's, alembic's) to one handler on stderr."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sipas", False):
            root.removeHandler(old)
    new = handler(fmt, stream)
    new._sipas = True  # noqa: SLF001 - marks the handler this module owns
    root.addHandler(new)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def init_app(app: Flask, name: str) -> None:
    """Give each request an id (echoed in X-Request-ID) and log one line when it is answered."""
    access = logging.getLogger(f"{name}.access")

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get(HEADER, "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        response.headers[HEADER] = g.get("request_id", "")
        rule = request.url_rule.rule if request.url_rule else None
        access.info(
            "%s %s %d",
            request.method,
            rule or "-",
            response.status_code,
            extra={
                "method": request.method,
                "route": rule,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
                ),
            },
        )
        return response
