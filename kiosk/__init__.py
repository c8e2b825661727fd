"""The counter kiosk: a Flask app that serves the touch survey of one office's counters."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from flask import Flask, g

from kiosk import db
from kiosk.i18n import select_locale
from shared import logs
from shared.health import ConfigErrors, health_blueprint
from shared.web_i18n import Babel

DEV_SECRET_KEY = "dev"  # noqa: S105 - refused outside debug and testing, see create_app
HERE = Path(__file__).parent
REPO_AREAS = HERE.parent

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": DEV_SECRET_KEY,
    "OFFICE_NAME": "",
    "KIOSK_ID": "",
    #: "short" (overall question + one per factor) or "full" questionnaires at the counter.
    "VARIANT": "short",
    #: Seconds without a touch, key or input before a question screen gives up: what was given is
    #: kept, the response is closed as partial and the welcome screen comes back.
    "IDLE_TIMEOUT": 60,
    #: The same for the reasons and comment screen: typing a comment takes longer.
    "REASONS_IDLE_TIMEOUT": 180,
    #: Seconds the thank-you screen shows before the welcome screen comes back.
    "THANKS_SECONDS": 6,
    #: A new response at a counter within this many seconds of its last tap is refused.
    "GUARD_SECONDS": 5,
    #: This many identical responses in a row at a counter within BURST_WINDOW s are flagged.
    "BURST_SIZE": 3,
    "BURST_WINDOW": 600,
    #: Hash of the staff PIN (werkzeug.security.generate_password_hash); empty: staff page closed.
    "STAFF_PIN_HASH": "",
    #: Wrong PINs allowed per address in a fixed window; then the staff page waits for the
    #: window's end (at most a minute), so a passer-by cannot keep staff out for long while a
    #: six-digit PIN still takes months to guess.
    "STAFF_PIN_LIMIT": "5 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "COUNTERS": [],
    "DATABASE_URL": "",
    "SQLITE_BUSY_TIMEOUT_MS": 3000,
    "MAX_CONTENT_LENGTH": 16 * 1024,
    "MAX_FORM_PARTS": 100,
    "COLLECTOR_URL": "",
    "COLLECTOR_TOKEN": "",
    #: Seconds between sends when all went well (ratings are not urgent; batches are cheaper).
    "SYNC_INTERVAL": 5,
    #: Longest wait between two tries while the collector cannot be reached.
    "SYNC_BACKOFF_CAP": 300,
    "HEARTBEAT_INTERVAL": 60,
    #: Lines of the log: "json" (one object per line) or "text".
    "LOG_FORMAT": "json",
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "BABEL_TRANSLATION_DIRECTORIES": ";".join(
        str(REPO_AREAS / area / "translations") for area in ("shared", "kiosk")
    ),
}


def _load_toml(fh) -> dict[str, Any]:
    return {key.upper(): value for key, value in tomllib.load(fh).items()}


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_file("kiosk.toml", load=_load_toml, text=False, silent=True)
    app.config.from_prefixed_env("SIPAS_KIOSK")
    if test_config is not None:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'kiosk.sqlite3'}"
    from kiosk import config

    problems = config.problems(app.config, DEV_SECRET_KEY)
    if problems:
        raise ConfigErrors(problems)

    from kiosk.counters import load_counters

    app.extensions["kiosk_counters"] = load_counters(app.config["COUNTERS"])
    db.init_app(app)
    Babel(app, locale_selector=select_locale)
    from kiosk.limits import limiter

    limiter.init_app(app)

    from kiosk import errors, staff, views, voices

    app.register_blueprint(views.bp)
    voices.init_app(app)
    app.register_blueprint(staff.bp)
    errors.init_app(app)
    app.register_blueprint(health_blueprint(config.readiness))
    logs.init_app(app, "kiosk")

    @app.after_request
    def _no_store(response):
        # A shared tablet: nothing a person saw may come back from the cache for the next one.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # A page in someone else's frame could be made to collect taps: never framed.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        )
        return response

    @app.context_processor
    def _globals():
        return {"lang": g.get("lang", "vi"), "office_name": app.config["OFFICE_NAME"]}

    return app
