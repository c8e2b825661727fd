"""Satisfaction reports for any period: the loader reads counts (`loader.load_report_data`), the
builder scores them with `shared.scoring` into the typed report (`build.build_report`,
`model.Report`), and the page, files, JSON API, CLI and mail only render it."""

from __future__ import annotations

from flask import Flask
from flask_babel import get_locale

from collector import mail, tasks
from collector.api.openapi import extend
from collector.reports.api import OPENAPI_COMPONENTS, OPENAPI_PATHS
from collector.reports.service import CONFIG_DEFAULTS


def init_app(app: Flask) -> None:
    """Set the report settings' defaults (configuration may override each); refresh the counts
    after each commit that stores responses (reports only read them)."""
    for key, value in {**mail.DEFAULTS, **CONFIG_DEFAULTS}.items():
        app.config.setdefault(key, value)
    # The pages' <html lang> and language switch need the request's locale.
    app.jinja_env.globals.setdefault("get_locale", get_locale)
    extend(app, OPENAPI_PATHS, OPENAPI_COMPONENTS)
    tasks.refresh_after_commits(app)
