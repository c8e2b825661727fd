"""The kiosk's SQLite database: one engine per app, one session per request."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from shared.db import make_engine


def init_app(app: Flask) -> None:
    # create_engine connects lazily: the factory still does no I/O.
    engine = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        serialize_writes=True,
    )
    app.extensions["kiosk_db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions["kiosk_db"].kw["bind"]


def session() -> Session:
    """The session of this request or app context. A page that is only shown (GET) reads
    without SQLite's write lock, so showing a screen never holds up a tap being stored."""
    if "db_session" not in g:
        factory = current_app.extensions["kiosk_db"]
        if has_request_context() and request.method in ("GET", "HEAD"):
            reader = engine().execution_options(sqlite_begin="DEFERRED")
            g.db_session = factory(bind=reader)
        else:
            g.db_session = factory()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        s.close()
