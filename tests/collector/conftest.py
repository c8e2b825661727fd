"""Fixtures for the collector: a fresh database per test on SQLite and on PostgreSQL, the app, its
test client and CLI runner, and a simulated kiosk that makes correctly chained responses.

PostgreSQL runs when SIPAS_TEST_POSTGRES_URL points at a server whose user may create databases
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Each test gets its own database,
copied from a migrated template and dropped afterwards. Without the variable the PostgreSQL cases
are skipped, except under CI=true, where a missing or unreachable server fails them.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from collector import create_app
from collector.db import get_db
from collector.migrate import upgrade
from tests.factories import PG_ENV, PostgresServer, SimKiosk, add_units, free_port, register

BACKENDS = ("sqlite", "postgresql")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    url = os.environ.get(PG_ENV)
    if not url:
        _unavailable(f"{PG_ENV} is not set")
    server = PostgresServer(url)
    try:
        with server.admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        _unavailable(f"cannot reach PostgreSQL at {server.url!r}: {exc.orig}")
    server.template = server.create()
    try:
        upgrade(server.url_for(server.template))
        yield server
    finally:
        server.drop(server.template)
        server.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("template") / "collector.sqlite"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_db_url(request, backend, tmp_path) -> Iterator[str]:
    """An empty database (no tables) on the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.create()
    yield server.url_for(name)
    server.drop(name)


@pytest.fixture
def db_url(request, backend, tmp_path) -> Iterator[str]:
    """A fresh database migrated to head, on the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "collector.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.create(template=server.template)
    yield server.url_for(name)
    server.drop(name)


@pytest.fixture
def app(db_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": db_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            # Durability is not under test; NORMAL keeps the suite fast.
            "SQLITE_SYNCHRONOUS": "NORMAL",
            # Test data keeps fixed dates in 2026, whenever the suite runs; the window's
            # registration bound is tested on its own (test_time_window.py).
            "INGEST_PAST_TOLERANCE_DAYS": None,
            # Jobs run inside the request; tests/collector/test_jobs*.py run a real worker.
            "QUEUE_URL": "immediate",
        }
    )
    yield app
    get_db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def quiet_writes(monkeypatch):
    """Responses stored without asking for a refresh of the report counts (collector.tasks), for
    tests of the refresh itself or of rows changed behind the write path's back."""
    from collector import tasks

    monkeypatch.setattr(tasks, "request_refresh", lambda app: False)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# -- test data ---------------------------------------------------------------------------------


@pytest.fixture
def units(app) -> list[tuple[str, str, str, str | None]]:
    """The test units (tests/factories.py UNITS) in the app's database."""
    return add_units(app)


@pytest.fixture
def kiosk(app, client, units) -> SimKiosk:
    """A kiosk registered at commune C01."""
    return register(app, client)


# -- a local mail server -------------------------------------------------------------------


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server on a free local port: (its controller, the inbox of what it received)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()
