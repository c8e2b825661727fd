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
    #: The plausible window of a response's times (collector.ingest.time_window): at most this
    #: many days before the kiosk's registration (None: back to the product's epoch only) and
    #: this many minutes after the collector's clock. Outside it: `implausible-time`.
    "INGEST_PAST_TOLERANCE_DAYS": 365,
    "INGEST_FUTURE_TOLERANCE_MINUTES": 24 * 60,
    #: Until manager accounts exist, the kiosk status page is shown only when this is true.
    "OPEN_STATUS_PAGE": False,
    #: Where rate-limit counters live: memory:// for one process, redis://... for several.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "BABEL_TRANSLATION_DIRECTORIES": ";".join(str(d) for d in TRANSLATION_DIRECTORIES),
}
