"""Checks of a kiosk's settings (kiosk.toml and SIPAS_KIOSK_* variables): each mistake is one
translated line, found when the app is built or by `sipas kiosk check`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from shared.health import Problem, database_problem, database_url_problem
from shared.i18n import N_

TRANSLATIONS = Path(__file__).parent / "translations"


def collector_url_problem(url: str) -> Problem | None:
    """Empty (the kiosk keeps its ratings) or an http(s) address with a host."""
    if not url:
        return None
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return Problem(
            "collector_url",
            N_(
                "collector_url %(url)r is not a web address: use https://collector.example.gov.vn "
                "(or http:// on a local network)"
            ),
            TRANSLATIONS,
            url=url,
        )
    return None


def problems(settings, dev_secret_key: str) -> list[Problem]:
    """Every mistake in the settings that can be seen without opening a connection."""
    found: list[Problem | None] = []
    if settings["SECRET_KEY"] in (dev_secret_key, "", None) and not (
        settings.get("DEBUG") or settings.get("TESTING")
    ):
        found.append(
            Problem(
                "secret_key",
                N_(
                    "the kiosk has no SECRET_KEY: run `sipas kiosk init` or set "
                    "SIPAS_KIOSK_SECRET_KEY"
                ),
                TRANSLATIONS,
            )
        )
    found.append(collector_url_problem(settings.get("COLLECTOR_URL", "")))
    if settings.get("COLLECTOR_URL") and not settings.get("COLLECTOR_TOKEN"):
        found.append(
            Problem(
                "collector_token",
                N_(
                    "collector_url is set but collector_token is empty: register the kiosk with "
                    "`sipas collector kiosks register` and put its token in kiosk.toml"
                ),
                TRANSLATIONS,
            )
        )
    found.append(database_url_problem(settings["DATABASE_URL"]))
    return [p for p in found if p is not None]


def readiness(app) -> list[Problem]:
    """What stops the kiosk from taking ratings now: its database and migrations."""
    from kiosk import db

    found = database_problem(db.engine(app), "kiosk")
    return [found] if found else []
