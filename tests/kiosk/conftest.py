"""Kiosk fixtures: a migrated SQLite file per test, the app, a client and a tablet helper."""

from __future__ import annotations

import shutil

import pytest

from kiosk import create_app, db
from shared.migrate import upgrade
from tests.factories import Tablet, kiosk_config


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One database migrated with Alembic to head; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("kiosk-template") / "kiosk.sqlite3"
    upgrade("kiosk", f"sqlite:///{path}")
    return path


@pytest.fixture
def config_overrides():
    return {}


@pytest.fixture
def app(tmp_path, migrated_template, config_overrides):
    shutil.copy(migrated_template, tmp_path / "kiosk.sqlite3")
    app = create_app(kiosk_config(tmp_path, **config_overrides), instance_path=str(tmp_path))
    yield app
    db.engine(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def tablet(client):
    return Tablet(client)
