"""Alembic, the same way for both apps: each keeps its migrations in `<app>/migrations`."""

from __future__ import annotations

from alembic import command
from alembic.config import Config


def alembic_config(app_package: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{app_package}:migrations")
    # Percent signs in URLs (encoded passwords) would be read as interpolation.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(app_package: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(app_package, url), revision)
