"""The collector: receives responses from the kiosks, checks their hash chains, keeps them once.

`create_app` follows the shape of Flask's tutorial app: defaults, then the instance folder's
`collector.toml`, then `SIPAS_COLLECTOR_*` environment variables, then the test overrides. It does
no I/O beyond reading its configuration: tables come from the migrations (`sipas collector db
upgrade`).
"""

from __future__ import annotations

import os
import tomllib
from typing import Any

from flask import (
    Flask,
    abort,
    has_request_context,
    redirect,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException

from collector import accounts, admin, api, config, db, dossiers, receipts, reports
from collector.api.errors import http_error_response
from collector.dossiers import api as dossiers_api
from collector.fleet import views as fleet_views
from collector.limits import limiter
from collector.receipts import api as receipts_api
from collector.receipts import survey as receipts_survey
from collector.receipts import views as receipts_views
from collector.reports import api as reports_api
from collector.reports import views as reports_views
from shared import logs
from shared.health import ConfigErrors, Problem, health_blueprint
from shared.i18n import LOCALES
from shared.voices import web as voices
from shared.web_i18n import Babel

babel = Babel()
csrf = CSRFProtect()

#: The query parameters a page hands on to its own links (language switch, week arrows). Only
#: these reach url_for: `?endpoint=x` or `?_method=POST` would otherwise clash with its arguments.
PAGE_ARGS = ("unit", "period", "week", "include", "lang", "from", "to")

#: Inline style is allowed for the heat-map cells and the <style> inside pygal's SVG charts;
#: no inline script, nothing from another origin, never in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: Pages and files with figures or personal accounts, kept out of every cache.
PRIVATE_PREFIXES = ("/reports", "/kiosks", "/login", "/api/v1/reports")


class InsecureSecretKey(ConfigErrors, RuntimeError):
    """Raised by `create_app` outside testing and debugging when no real secret key is set."""

    def __init__(self, instance_path: str, problems: list[Problem]):
        self.instance_path = instance_path
        super().__init__(problems)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build a collector app; `test_config` overrides all else (and may set INSTANCE_PATH)."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get(
        "SIPAS_COLLECTOR_INSTANCE_PATH"
    )
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(config.DEFAULTS)
    secret_file = os.path.join(app.instance_path, config.SECRET_KEY_FILE)
    if os.path.exists(secret_file):
        with open(secret_file, encoding="utf-8") as fh:
            app.config["SECRET_KEY"] = fh.read().strip()
    app.config.from_file(config.CONFIG_FILE, load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("SIPAS_COLLECTOR")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(
            app.instance_path, "collector.sqlite"
        )
    problems = config.problems(app.config, app.instance_path)
    if any(p.key == "secret_key" for p in problems):
        raise InsecureSecretKey(app.instance_path, problems)
    if problems:
        raise ConfigErrors(problems)

    db.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(fleet_views.bp, url_prefix="/kiosks")
    accounts.init_app(app)
    reports.init_app(app)
    csrf.exempt(reports_api.bp)
    app.register_blueprint(reports_api.bp, url_prefix="/api/v1")
    app.register_blueprint(accounts.bp)
    app.register_blueprint(reports_views.bp)
    admin.init_app(app)
    receipts.init_app(app)
    voices.init_app(app)  # the phone survey's clips (shared.voices)
    csrf.exempt(receipts_api.bp)
    app.register_blueprint(receipts_api.bp, url_prefix="/api/v1")
    app.register_blueprint(receipts_views.bp)
    dossiers.init_app(app)
    csrf.exempt(dossiers_api.bp)
    app.register_blueprint(dossiers_api.bp, url_prefix="/api/v1")
    # The phone survey's forms carry the survey form builder's own signed CSRF token.
    csrf.exempt(receipts_survey.bp)
    app.register_blueprint(receipts_survey.bp)
    app.add_url_rule("/", "index", _index)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_refuse_nul)
    app.after_request(_security_headers)
    app.jinja_env.globals["page_args"] = page_args
    app.register_blueprint(health_blueprint(config.readiness))
    logs.init_app(app, "collector")
    return app


def page_args() -> dict[str, str]:
    """The request's query parameters that a page passes on to its links (PAGE_ARGS only)."""
    return {key: value for key in PAGE_ARGS if (value := request.args.get(key))}


def _refuse_nul():
    """400 for a NUL anywhere in the query or a form: no database stores it (PostgreSQL refuses
    it with an error), and no real browser sends it."""
    if any("\x00" in k or "\x00" in v for k, v in request.args.items(multi=True)):
        abort(400)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and any(
        "\x00" in k or "\x00" in v for k, v in request.form.items(multi=True)
    ):
        abort(400)
    return None


def _security_headers(response):
    """CSP (no framing), nosniff and no referrer on every reply; nothing private in a cache."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith(PRIVATE_PREFIXES):
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _index():
    """The start page: the report (after login), or the counter page for a counter officer."""
    return redirect(accounts.home_page())


def _select_locale() -> str | None:
    """Vietnamese unless the page was asked for in another supported language (`?lang=en`)."""
    lang = request.args.get("lang") if has_request_context() else None
    return lang if lang in LOCALES else None


def _http_error(exc: HTTPException):
    """JSON in the API's error shape under /api/, a short translated page elsewhere."""
    if getattr(exc, "response", None) is not None:
        return exc.response  # a page the raiser made itself (the login page after a rate limit)
    if request.path.startswith("/api/"):
        return http_error_response(exc)
    return render_template("collector/error.html", error=exc), exc.code
