"""Alembic, the same way for both apps: each keeps its migrations in `<app>/migrations`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection


def alembic_config(
    app_package: str, url: str | None = None, connection: Connection | None = None
) -> Config:
    """An Alembic config for `<app_package>/migrations`; the app's env.py takes the database from
    `connection`, or from `url` (given both as the main option and as an attribute)."""
    config = Config()
    config.set_main_option("script_location", f"{app_package}:migrations")
    if url is not None:
        # Percent signs in URLs (encoded passwords) would be read as interpolation.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        config.attributes["url"] = url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(app_package: str, url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (creating the tables on an empty database)."""
    command.upgrade(alembic_config(app_package, url), revision)
