"""The kiosk's background work, in the server process: close idle responses, send the outbox.

One thread beside the web server keeps the kiosk a single process that a counter PC or a Raspberry
Pi runs with one command, with nothing else to install or supervise. The database, not the thread,
holds every state, so killing the process at any moment loses nothing: what was not acknowledged
by the collector is simply sent again, and the collector answers "duplicate" for what it had.
"""

from __future__ import annotations

import logging
import threading
import time

import requests
from flask import Flask
from sqlalchemy.exc import OperationalError

from kiosk import db
from kiosk.outbox import (
    Backoff,
    SendFailed,
    _set_state,
    read_without_write_lock,
    send_batch,
    send_heartbeat,
)
from kiosk.survey import any_idle, close_idle
from kiosk.views import rules
from shared.db import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0


def close_idle_once(app: Flask) -> int:
    """Close the responses left idle; every second, so it looks first without the write lock
    (there is nearly always nothing to close, and a tap must not wait for the looking)."""
    with app.app_context():
        session = db.session()
        now, idle_rules = utcnow(), rules()
        read_without_write_lock(session)
        found = any_idle(session, now=now, rules=idle_rules)
        session.commit()
        if not found:
            return 0
        closed = close_idle(session, now=now, rules=idle_rules)
        session.commit()
        return closed


def drain(app: Flask, http: requests.Session, *, heartbeat: bool = True) -> int:
    """Send every pending response, batch after batch; returns how many were acknowledged."""
    url, token = app.config["COLLECTOR_URL"], app.config["COLLECTOR_TOKEN"]
    total = 0
    with app.app_context():
        session = db.session()
        try:
            while sent := send_batch(session, http, url, token):
                session.commit()
                total += sent
            session.commit()
            if heartbeat:
                send_heartbeat(session, http, url, token)
        except SendFailed as exc:
            session.rollback()
            _set_state(session, "last_send_error", str(exc)[:1000], utcnow())
            session.commit()
            raise
    return total


class Worker(threading.Thread):
    def __init__(self, app: Flask, stop: threading.Event):
        super().__init__(name="kiosk-worker", daemon=True)
        self.app, self.stop = app, stop
        self.backoff = Backoff(cap=float(app.config["SYNC_BACKOFF_CAP"]))
        self.http = requests.Session()

    def run(self) -> None:
        next_send = next_heartbeat = 0.0
        interval = float(self.app.config["SYNC_INTERVAL"])
        sending = bool(self.app.config["COLLECTOR_URL"] and self.app.config["COLLECTOR_TOKEN"])
        while not self.stop.wait(TICK_SECONDS):
            try:
                if closed := close_idle_once(self.app):
                    log.info("closed %d idle responses as partial", closed)
            except OperationalError as exc:
                log.error("closing idle responses failed: %s", exc.orig)
            if not sending or time.monotonic() < next_send:
                continue
            try:
                beat = time.monotonic() >= next_heartbeat
                if sent := drain(self.app, self.http, heartbeat=beat):
                    log.info("collector acknowledged %d responses", sent)
                if beat:
                    next_heartbeat = time.monotonic() + self.app.config["HEARTBEAT_INTERVAL"]
                self.backoff.reset()
                next_send = time.monotonic() + interval
            except (SendFailed, OperationalError) as exc:
                delay = self.backoff.next_delay()
                log.warning("send failed (%s); next try in %.1f s", exc, delay)
                next_send = time.monotonic() + delay
