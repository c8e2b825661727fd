"""The collector's engine and session: one per app, a scoped session removed after each request.

Business functions take a `Session` and only flush; the view or the CLI command commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from shared.db import make_engine

EXTENSION = "sipas_collector_db"


@dataclass
class Database:
    engine: Engine
    sessions: scoped_session[Session]

    @classmethod
    def connect(cls, url: str, *, sqlite_synchronous: str = "FULL") -> Database:
        """An engine (no connection is opened yet) and a thread-scoped session factory."""
        engine = make_engine(url, sqlite_synchronous=sqlite_synchronous)
        return cls(engine, scoped_session(sessionmaker(engine, expire_on_commit=False)))

    def dispose(self) -> None:
        self.sessions.remove()
        self.engine.dispose()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Database.connect(
        app.config["DATABASE_URL"], sqlite_synchronous=app.config["SQLITE_SYNCHRONOUS"]
    )

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        # remove() rolls back whatever the view did not commit and returns the connection.
        app.extensions[EXTENSION].sessions.remove()


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """The session of the current app and thread."""
    return get_db().sessions()
