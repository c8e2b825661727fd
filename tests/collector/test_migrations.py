"""The migrations build the models' schema exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from collector.migrate import alembic_config, upgrade
from collector.models import metadata
from shared.db import make_engine


def test_upgrade_from_empty_to_head_leaves_no_drift(empty_db_url):
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
        upgrade(empty_db_url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert context.get_current_revision() == head
            assert compare_metadata(context, metadata) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert {"units", "kiosks", "kiosk_chains", "responses", "answers"} <= tables
        command.check(alembic_config(empty_db_url))  # raises on drift
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(empty_db_url):
    upgrade(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    engine = make_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_the_migrations_have_one_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
