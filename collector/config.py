"""Default settings of the collector; each can be overridden in `instance/collector.toml`
(upper-case keys) or by an environment variable `SIPAS_COLLECTOR_<KEY>`."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: The development key: the app refuses to run with it unless testing or debugging.
DEV_SECRET_KEY = "dev-not-secret"  # noqa: S105 - a known placeholder, refused in production
#: Written by the `sipas collector` commands on first use when no key is configured.
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a key
CONFIG_FILE = "collector.toml"

TRANSLATION_DIRECTORIES = (REPO / "shared" / "translations", HERE / "translations")

DEFAULTS = {
    "SECRET_KEY": DEV_SECRET_KEY,
    #: None means "collector.sqlite in the instance folder".
    "DATABASE_URL": None,
    #: Passed to PRAGMA synchronous on SQLite; FULL makes every accepted batch durable.
    "SQLITE_SYNCHRONOUS": "FULL",
    "API_MAX_BODY_BYTES": 1024 * 1024,
    "API_MAX_RESPONSES": 500,
    #: Until manager accounts exist, the kiosk status page is shown only when this is true.
    "OPEN_STATUS_PAGE": False,
    #: Where rate-limit counters live: memory:// for one process, redis://... for several.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "BABEL_TRANSLATION_DIRECTORIES": ";".join(str(d) for d in TRANSLATION_DIRECTORIES),
}

#: Where background jobs wait: empty for the embedded default, redis://... in production, or the
#: path of a SQLite file.
DEFAULTS["QUEUE_URL"] = ""
#: Lines of the log: "json" (one object per line, for journald and log collectors) or "text".
DEFAULTS["LOG_FORMAT"] = "json"

TRANSLATIONS = HERE / "translations"


def secret_key_problem(settings, instance_path: str):
    """The development key, or none, outside testing and debugging."""
    from shared.health import Problem
    from shared.i18n import N_

    if settings.get("SECRET_KEY") not in (DEV_SECRET_KEY, "", None):
        return None
    if settings.get("TESTING") or settings.get("DEBUG"):
        return None
    return Problem(
        "secret_key",
        N_(
            "the collector has no secret key: set SIPAS_COLLECTOR_SECRET_KEY, put SECRET_KEY in "
            "%(file)s, or run `sipas collector db upgrade` once to create one"
        ),
        TRANSLATIONS,
        file=str(Path(instance_path) / CONFIG_FILE),
    )


def problems(settings, instance_path: str) -> list:
    """Every mistake in the settings that can be seen without opening a connection."""
    from shared.health import database_url_problem, queue_url_problem

    found = [
        secret_key_problem(settings, instance_path),
        database_url_problem(settings["DATABASE_URL"]),
        queue_url_problem(settings.get("QUEUE_URL")),
    ]
    return [p for p in found if p is not None]


def readiness(app) -> list:
    """What stops this app from working now: the database, its migrations, the queue."""
    from collector.db import get_db
    from shared.health import database_problem, queue_reachable_problem

    found = [
        database_problem(get_db(app).engine, "collector"),
        queue_reachable_problem(app.config.get("QUEUE_URL")),
    ]
    return [p for p in found if p is not None]
