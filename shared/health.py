"""Health of an app, the same for the kiosk and the collector.

`/healthz` says the process answers; `/readyz` says it can do its work: the database answers, its
migrations are at head, and the queue answers when one is configured. The same checks back
`sipas collector check` and `sipas kiosk check`, so an operator sees before starting what the
load balancer would see after.

A `Problem` is one thing wrong, with an English message id and its parameters; it translates
itself from the catalogue of the area that raised it (Vietnamese by default).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy.engine import Engine

from shared import __version__
from shared.i18n import DEFAULT_LOCALE, LOCALES, N_, TRANSLATIONS_DIR, catalogue

#: Schemes a queue URL may have: Redis (TCP, TLS, socket) or Huey's SQLite storage
#: (sqlite:///path). Besides these: empty (an SQLite file in the instance folder), an absolute
#: path (an SQLite file there) and "immediate" (jobs run in the process that asks: tests).
REDIS_SCHEMES = ("redis", "rediss", "unix")
QUEUE_SCHEMES = (*REDIS_SCHEMES, "sqlite")
IMMEDIATE_QUEUE = "immediate"


class Problem(Exception):  # noqa: N818 - a problem is reported, not only raised
    """One thing wrong with an app's configuration or surroundings."""

    def __init__(self, key: str, message: str, directory: Path = TRANSLATIONS_DIR, **params):
        self.key, self.message_id, self.directory, self.params = key, message, directory, params
        super().__init__(key)

    def text(self, locale: str | None = None) -> str:
        locale = locale if locale in LOCALES else DEFAULT_LOCALE
        return catalogue(locale, self.directory).gettext(self.message_id) % self.params

    def __str__(self) -> str:
        return self.text(
            cli_locale("SIPAS_COLLECTOR_BABEL_DEFAULT_LOCALE", "SIPAS_KIOSK_BABEL_DEFAULT_LOCALE")
        )


class ConfigErrors(RuntimeError):  # noqa: N818 - raised by the app factories
    """Raised when an app is built with a configuration that cannot work; one line per mistake."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def cli_locale(*env_vars: str, system: bool = False) -> str:
    """The operator's language: the first of `env_vars` that is set, then SIPAS_LANG, then (with
    `system`) the system locale when it names a supported language (en_US.UTF-8), else
    Vietnamese."""
    for name in (*env_vars, "SIPAS_LANG"):
        value = os.environ.get(name)
        if value in LOCALES:
            return value
    if system:
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            value = os.environ.get(name, "")
            if value:
                lang = value.split(".")[0].split("_")[0].lower()
                return lang if lang in LOCALES else DEFAULT_LOCALE
    return DEFAULT_LOCALE


def queue_url_problem(url: str | None) -> Problem | None:
    """Whether QUEUE_URL has a form the queue can use; empty means the embedded default. The
    one check of the form: `collector.tasks.make_huey` takes what passes it."""
    if not url or url == IMMEDIATE_QUEUE:
        return None
    parts = urlsplit(url)
    if not parts.scheme and url.startswith("/"):
        return None  # a path: Huey's SQLite storage
    bad = Problem(
        "queue_url",
        N_(
            "QUEUE_URL %(url)r is not a queue address: use redis://host:6379/0, rediss://..., "
            "or the path of a SQLite file"
        ),
        url=url,
    )
    if parts.scheme not in QUEUE_SCHEMES:
        return bad
    if parts.scheme == "sqlite" and not parts.path.startswith("/"):
        return bad
    if parts.scheme in ("redis", "rediss"):
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return bad
        if not parts.hostname:
            return bad
    return None


def queue_reachable_problem(url: str | None) -> Problem | None:
    """Whether the configured queue answers (Redis: PING; SQLite: its folder is writable)."""
    if not url or url == IMMEDIATE_QUEUE or queue_url_problem(url):
        return None
    parts = urlsplit(url)
    if parts.scheme in REDIS_SCHEMES:
        import redis

        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            client.close()
        except (redis.RedisError, OSError) as exc:
            return Problem(
                "queue_unreachable",
                N_("the queue at %(url)s does not answer: %(error)s"),
                url=_without_password(url),
                error=type(exc).__name__,
            )
        return None
    path = Path(parts.path if parts.scheme else url)
    folder = path.parent
    if not (folder.is_dir() and os.access(folder, os.W_OK)):
        return Problem(
            "queue_unreachable",
            N_("the queue file %(path)s cannot be written: its folder is missing or read-only"),
            path=str(path),
        )
    return None


def _without_password(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def database_url_problem(url: str) -> Problem | None:
    """Whether DATABASE_URL can be read as a database address at all."""
    try:
        parsed = sa.engine.make_url(url)
        parsed.get_dialect()
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError):
        return Problem(
            "database_url",
            N_(
                "DATABASE_URL %(url)r is not a database address: use "
                "postgresql+psycopg://user@host/name or sqlite:////path/to/file.sqlite"
            ),
            url=url,
        )
    return None


@functools.cache
def migration_heads(app_package: str) -> frozenset[str]:
    """The newest revisions of an app's migrations (read once: they change only with the code)."""
    from alembic.script import ScriptDirectory

    from shared.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config(app_package)).get_heads())


def database_problem(engine: Engine, app_package: str) -> Problem | None:
    """Whether the database answers and carries the app's latest migration."""
    from alembic.runtime.migration import MigrationContext

    url = engine.url.render_as_string(hide_password=True)
    if engine.url.get_backend_name() == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not os.path.exists(path):
            return _not_set_up(url, app_package)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except sa.exc.DBAPIError as exc:
        return Problem(
            "database_unreachable",
            N_("the database at %(url)s does not answer: %(error)s"),
            url=url,
            error=str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200],
        )
    if not current:
        return _not_set_up(url, app_package)
    heads = migration_heads(app_package)
    if current != heads:
        return Problem(
            "migrations_behind",
            N_(
                "the database at %(url)s is at migration %(current)s, not %(head)s: run "
                "`sipas %(app)s db upgrade`"
            ),
            url=url,
            current=", ".join(sorted(current)),
            head=", ".join(sorted(heads)),
            app=app_package,
        )
    return None


def _not_set_up(url: str, app_package: str) -> Problem:
    return Problem(
        "database_not_set_up",
        N_("the database at %(url)s is not set up: run `sipas %(app)s db upgrade` first"),
        url=url,
        app=app_package,
    )


def first_problems(checks: Iterable[Callable[[], Problem | None]]) -> list[Problem]:
    return [p for p in (check() for check in checks) if p is not None]


def health_blueprint(readiness: Callable[[Flask], list[Problem]]) -> Blueprint:
    """`/healthz` and `/readyz` for an app; `readiness(app)` lists what stops it working."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        """The process answers, and which version of the program it runs."""
        return jsonify(status="ok", version=__version__)

    @bp.get("/readyz")
    def readyz():
        """The database answers and is up to date; the queue answers when configured."""
        problems = readiness(current_app._get_current_object())
        if problems:
            body = {"status": "unavailable", "problems": [p.key for p in problems]}
            return jsonify(body), 503
        return jsonify(status="ok")

    return bp
