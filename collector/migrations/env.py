"""Alembic environment of the collector.

The database comes from, in order: a connection handed over in `config.attributes["connection"]`
(tests, `collector.migrate`), a URL in `config.attributes["url"]`, `-x url=...` on the alembic
command line, `sqlalchemy.url` in the ini file, or SIPAS_COLLECTOR_DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context

from collector.models import metadata
from shared.db import make_engine

config = context.config


def _url() -> str:
    url = (
        config.attributes.get("url")
        or context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("SIPAS_COLLECTOR_DATABASE_URL")
    )
    if not url:
        raise RuntimeError("no database: pass -x url=... or set SIPAS_COLLECTOR_DATABASE_URL")
    return url


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things: later migrations rebuild tables in batch mode.
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _foreign_keys(connection, on: bool) -> None:
    # Straight to the driver: the pragma does nothing inside a transaction, and the engine's own
    # statements all begin one (BEGIN IMMEDIATE, see shared.db).
    if connection.in_transaction():
        connection.commit()
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _run(connection) -> None:
    # SQLite batch migrations rebuild a table (create, copy, drop the old, rename). With foreign
    # keys on, dropping the old table deletes the rows pointing at it (answers cascade away) or
    # fails; so they are off while migrating, and checked before the migration commits.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _foreign_keys(connection, False)
    try:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            _foreign_keys(connection, True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
