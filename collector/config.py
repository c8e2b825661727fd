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
    #: Responses one kiosk can make in a minute; more are flagged suspect (collector.ingest).
    "KIOSK_MAX_PER_MINUTE": 20,
    #: The plausible window of a response's times (collector.responses.validate.time_window): at
    #: most this many days before the kiosk's registration (None: back to the product's epoch
    #: only) and this many minutes after the collector's clock. Outside it: `implausible-time`.
    "INGEST_PAST_TOLERANCE_DAYS": 365,
    "INGEST_FUTURE_TOLERANCE_MINUTES": 24 * 60,
    #: Until manager accounts exist, the kiosk status page is shown only when this is true.
    "OPEN_STATUS_PAGE": False,
    #: Where rate-limit counters live: memory:// for one process, redis://... for several.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # -- background jobs (collector.tasks) and what they keep --
    #: The job queue: empty for an SQLite file in the instance folder (one machine, no server),
    #: redis://host:port/db when several collector instances share one queue, "immediate" to run
    #: every job inside the process that asks for it (no worker; periodic jobs do not run).
    "QUEUE_URL": "",
    "QUEUE_NAME": "sipas",
    #: Where export files are written; empty for "exports" in the instance folder. Every instance
    #: and the worker must see the same folder.
    "EXPORTS_PATH": "",
    #: Exports a user may have queued or running at once; more are refused.
    "EXPORT_MAX_ACTIVE_PER_USER": 2,
    #: Exports a user may ask for, counted in RATELIMIT_STORAGE_URI (so across instances).
    "EXPORT_RATE_LIMIT": "20 per hour",
    #: Finished export files kept per user; the oldest beyond this are deleted.
    "EXPORT_MAX_FILES_PER_USER": 5,
    #: Hours an export file is kept before the retention job deletes it.
    "EXPORT_KEEP_HOURS": 24,
    #: A job running longer than this is taken for lost (its worker died) and queued again.
    "EXPORT_JOB_TIMEOUT_MINUTES": 30,
    "EXPORT_MAX_ATTEMPTS": 3,
    #: Whether viewers see citizens' comments (page, CSV, XLSX, raw exports, JSON API); managers
    #: and administrators always do. Off unless the province decides otherwise: a comment is
    #: redacted on arrival, but free text can still tell who wrote it.
    "VIEWERS_SEE_COMMENTS": False,
    #: Months a free-text comment is kept before it is blanked (0: kept for ever).
    "RETENTION_COMMENT_MONTHS": 24,
    #: Months a response is kept before it is deleted (0: kept for ever, the default until the
    #: province sets its legal period). Report counts already made are kept.
    "RETENTION_RESPONSE_MONTHS": 0,
    #: Default opening hours of units (None: Mon-Fri 07:30-11:30 and 13:30-17:00); see
    #: collector.fleet.opening for the shape.
    "OPENING_HOURS": None,
    #: Opening-time minutes without any contact after which a kiosk is silent.
    "SILENT_AFTER_MINUTES": 60,
    #: Units whose weekly report the Monday job mails to REPORT_MAIL_TO (empty: the top units).
    #: Besides, each active person who chose the Monday mail on "My account" gets their own
    #: scope's report (collector.tasks.weekly_mail_plan).
    "REPORT_MAIL_UNITS": [],
    #: When the periodic jobs run: crontab fields, local time.
    "SCHEDULE_COUNTS": "*/5 * * * *",
    "SCHEDULE_SILENT_KIOSKS": "*/15 * * * *",
    "SCHEDULE_RETENTION": "17 * * * *",
    "SCHEDULE_WEEKLY_MAIL": "0 7 * * 1",
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "BABEL_TRANSLATION_DIRECTORIES": ";".join(str(d) for d in TRANSLATION_DIRECTORIES),
}

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
