"""Error screens in the citizen's language; a failed write is never shown as saved."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from kiosk import db
from shared.i18n import N_

log = logging.getLogger(__name__)

MESSAGES = {
    400: N_("This screen could not be read. Please start again."),
    404: N_("This page does not exist."),
    405: N_("This screen could not be read. Please start again."),
    413: N_("What was sent is too large."),
    429: N_("Too many tries. Please wait a minute and try again."),
    503: N_("Your rating could not be saved. Please tell the staff at the counter."),
}


def _render(status: int):
    code = (request.view_args or {}).get("code")
    message = gettext(MESSAGES.get(status, MESSAGES[400]))
    page = render_template("kiosk/error.html", message=message, status=status, code=code, idle=10)
    return page, status


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        return _render(exc.code)

    @app.errorhandler(OperationalError)
    def _database_error(exc: OperationalError):
        # A locked database or a full disk: say so, log it, and never pretend it was saved.
        log.error("kiosk database write failed: %s", exc.orig)
        db.session().rollback()
        return _render(503)
