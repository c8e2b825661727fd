"""Kiosk fixtures: a migrated SQLite file per test, the app, a client and a tablet helper."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from kiosk import create_app, db
from kiosk.models import Response
from shared.migrate import upgrade

COUNTERS = [
    {"code": "1", "name": "Quầy 1", "unit": "H40.22.01", "kinds": ["admin"]},
    {"code": "2", "name": "Quầy 2", "unit": "H40.22.01", "kinds": ["admin", "health", "education"]},
]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One database migrated with Alembic to head; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("kiosk-template") / "kiosk.sqlite3"
    upgrade("kiosk", f"sqlite:///{path}")
    return path


def kiosk_config(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kiosk.sqlite3'}",
        "COUNTERS": COUNTERS,
        "GUARD_SECONDS": 0,
        "BURST_SIZE": 0,
    }
    config.update(overrides)
    return config


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


def stored(app) -> list[Response]:
    """Every response in the kiosk database, read fresh."""
    with db.engine(app).connect() as conn, sa.orm.Session(conn) as session:
        return list(session.scalars(sa.select(Response).order_by(Response.started_at)))


@dataclass
class Tablet:
    """A counter tablet driven through the test client, the way a person taps through."""

    client: object
    counter: str = "1"
    page: object = None
    url: str = ""
    history: list[str] = field(default_factory=list)

    def open(self, url: str, expect: int = 200):
        self.page = self.client.get(url)
        assert self.page.status_code == expect, (url, self.page.status_code)
        self.url = url
        self.history.append(url)
        return self.page

    def start(self, kind: str = "admin"):
        return self.open(f"/c/{self.counter}/{kind}/new/0")

    @property
    def token(self) -> str:
        match = TOKEN.search(self.page.get_data(as_text=True))
        assert match, "no csrf token on the page"
        return match.group(1)

    def post(self, data: dict, expect: int = 303, url: str | None = None, with_token: bool = True):
        body = dict(data)
        if with_token:
            body.setdefault("csrf_token", self.token)
        response = self.client.post(url or self.url, data=body)
        assert response.status_code == expect, (response.status_code, response.get_data(True)[:500])
        if response.status_code == 303:
            self.open(response.headers["Location"])
        return response

    def tap(self, code: str, value: int, **kwargs):
        return self.post({code: str(value)}, **kwargs)

    def skip(self, **kwargs):
        return self.post({"skip": "1"}, **kwargs)


@pytest.fixture
def tablet(client):
    return Tablet(client)


# -- the staff page ---------------------------------------------------------------------------

PIN = "2468"
WITH_PIN = pytest.mark.parametrize(
    "config_overrides", [{"STAFF_PIN_HASH": generate_password_hash(PIN)}]
)
STAFF_PASS = re.compile(r'name="staff_pass" value="([^"]+)"')


def staff_page(client) -> str:
    """The staff page, signed in with PIN (the app made WITH_PIN)."""
    token = TOKEN.search(client.get("/staff/").get_data(as_text=True)).group(1)
    page = client.post("/staff/", data={"pin": PIN, "csrf_token": token})
    assert page.status_code == 200
    return page.get_data(as_text=True)
