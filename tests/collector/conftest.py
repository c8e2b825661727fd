"""Fixtures for the collector: a fresh database per test on SQLite and on PostgreSQL, the app, its
test client and CLI runner, and a simulated kiosk that makes correctly chained responses.

PostgreSQL runs when SIPAS_TEST_POSTGRES_URL points at a server whose user may create databases
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Each test gets its own database,
copied from a migrated template and dropped afterwards. Without the variable the PostgreSQL cases
are skipped, except under CI=true, where a missing or unreachable server fails them.
"""

from __future__ import annotations

import copy
import email
import email.policy
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from collector import create_app
from collector.db import get_db, get_session
from collector.fleet.kiosks import register_kiosk
from collector.migrate import upgrade
from collector.units import add_unit
from shared.chain import GENESIS, response_hash
from shared.db import uuid7
from tests.browser.conftest import free_port

PG_ENV = "SIPAS_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"PostgreSQL is required under CI: {reason}")
    pytest.skip(reason)


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.template: str | None = None

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"sipas_test_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}{clause}")
        return name

    def drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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

#: The tree every API test starts from: a kiosk at commune C01 may post for C01 and O01.
UNITS = [
    ("P01", "Tỉnh Thử", "province", None),
    ("C01", "Xã Một", "commune", "P01"),
    ("O01", "Bộ phận Một cửa xã Một", "one-stop-centre", "C01"),
    ("C02", "Xã Hai", "commune", "P01"),
    ("O02", "Bộ phận Một cửa xã Hai", "one-stop-centre", "C02"),
]
QUESTIONNAIRE = ("admin", "2026.1-short")
ANSWERS = {"Q0": 4, "A0": 5, "B0": 3, "C0": 4, "D0": 2, "E0": 0}


def make_response(seq: int, prev_hash: str, unit: str = "C01", **fields: Any) -> dict[str, Any]:
    """A valid response with a correct hash; `fields` override the defaults before hashing."""
    minute = seq % 60
    response = {
        "id": str(uuid7()),
        "kiosk_seq": seq,
        "questionnaire": QUESTIONNAIRE[0],
        "questionnaire_version": QUESTIONNAIRE[1],
        "unit": unit,
        "counter": "quay-1",
        "channel": "kiosk",
        "started_at": f"2026-03-02T08:{minute:02d}:05+07:00",
        "submitted_at": f"2026-03-02T08:{minute:02d}:41.250+07:00",
        "complete": True,
        "answers": dict(ANSWERS),
        "reasons": ["waiting"],
        "comment": "Chờ hơi lâu",
        "flags": [],
        "prev_hash": prev_hash,
    }
    response.update(fields)
    return rehash(response)


def rehash(response: dict[str, Any]) -> dict[str, Any]:
    """The response with its hash recomputed over its current content."""
    response = dict(response)
    response["hash"] = response_hash(response, response["prev_hash"])
    return response


@dataclass
class SimKiosk:
    """A registered kiosk as a test sees it: its token, its chain, and a client to post with."""

    client: Any
    id: int
    token: str
    unit: str = "C01"
    seq: int = 0
    prev_hash: str = GENESIS
    made: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def next(self, **fields: Any) -> dict[str, Any]:
        """The kiosk's next response in its chain."""
        fields.setdefault("unit", self.unit)
        response = make_response(self.seq + 1, self.prev_hash, **fields)
        self.seq, self.prev_hash = response["kiosk_seq"], response["hash"]
        self.made.append(response)
        return copy.deepcopy(response)

    def batch(self, n: int, **fields: Any) -> list[dict[str, Any]]:
        return [self.next(**fields) for _ in range(n)]

    def post(self, responses: list[dict[str, Any]], client: Any = None):
        return (client or self.client).post(
            "/api/v1/responses", json={"responses": responses}, headers=self.headers
        )

    def statuses(self, responses: list[dict[str, Any]]) -> list[str]:
        reply = self.post(responses)
        assert reply.status_code == 200, reply.get_json()
        return [r["status"] for r in reply.get_json()["results"]]

    def heartbeat(self, **fields: Any):
        body = {
            "kiosk_version": "1.0.0",
            "queue_length": 0,
            "last_seq": self.seq,
            "clock": "2026-03-02T08:00:00+07:00",
        }
        body.update(fields)
        return self.client.post("/api/v1/heartbeat", json=body, headers=self.headers)


@pytest.fixture
def units(app) -> list[tuple[str, str, str, str | None]]:
    with app.app_context():
        session = get_session()
        for code, name, kind, parent in UNITS:
            add_unit(session, code, name, kind, parent)
        session.commit()
    return UNITS


def register(app, client, unit: str = "C01") -> SimKiosk:
    with app.app_context():
        session = get_session()
        kiosk, token = register_kiosk(session, unit, label="Quầy 1")
        session.commit()
        return SimKiosk(client, kiosk.id, token, unit=unit)


@pytest.fixture
def kiosk(app, client, units) -> SimKiosk:
    """A kiosk registered at commune C01."""
    return register(app, client)


def scalar(app, statement):
    with app.app_context():
        return get_session().scalar(statement)


def count(app, model, *where) -> int:
    return scalar(app, sa.select(sa.func.count()).select_from(model).where(*where))


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
