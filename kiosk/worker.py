"""The kiosk's background work, in the server process: close idle responses (and send the outbox).

One thread beside the web server keeps the kiosk a single process that a counter PC or a Raspberry
Pi runs with one command; the database, not the thread, holds every state, so a crash loses nothing.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from sqlalchemy.exc import OperationalError

from kiosk import db
from kiosk.survey import close_idle
from kiosk.views import rules
from shared.db import utcnow

log = logging.getLogger(__name__)
TICK_SECONDS = 1.0


def close_idle_once(app: Flask) -> int:
    with app.app_context():
        session = db.session()
        closed = close_idle(session, now=utcnow(), rules=rules())
        session.commit()
        return closed


class Worker(threading.Thread):
    def __init__(self, app: Flask, stop: threading.Event):
        super().__init__(name="kiosk-worker", daemon=True)
        self.app, self.stop = app, stop

    def run(self) -> None:
        while not self.stop.wait(TICK_SECONDS):
            try:
                if closed := close_idle_once(self.app):
                    log.info("closed %d idle responses as partial", closed)
            except OperationalError as exc:
                log.error("closing idle responses failed: %s", exc.orig)
