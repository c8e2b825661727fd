"""Running the collector's migrations from code (the CLI and the tests), through shared.migrate."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from shared import migrate

APP_PACKAGE = "collector"


def alembic_config(url: str | None = None, connection: Connection | None = None):
    return migrate.alembic_config(APP_PACKAGE, url, connection)


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating the tables on an empty database)."""
    migrate.upgrade(APP_PACKAGE, url, revision)
