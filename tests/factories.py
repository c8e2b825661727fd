"""What the tests build, in one place: the collector's test units, registered kiosks simulated with
correctly chained responses, accounts and their tokens, logins with CSRF, responses with chosen
answers posted through the ingest API, integration tokens, receipts issued through the API, the
phone survey answered through the test client the way a browser without JavaScript would, a
counter tablet tapped through the kiosk's pages, the shipped Quảng Trị units, hand-made typed
reports (tests/report_samples.py) and sound.

tests/conftest.py hands the ones that need the test's app out as fixtures bound to it (`make`,
`count`, `scalar`, `register`, `stored`); a test module may import this module, never a conftest
or another test module. (The apps, databases and clients are the fixtures of each folder's
conftest.)
"""

from __future__ import annotations

import copy
import csv
import math
import re
import socket
import struct
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from collector.accounts.service import add_user, create_token
from collector.db import get_session
from collector.fleet.kiosks import register_kiosk
from collector.receipts.integrations import create_integration
from collector.units import add_unit
from shared.chain import GENESIS, response_hash
from shared.db import uuid7
from tests.report_samples import period_report, sample_report, without_data

__all__ = ["period_report", "sample_report", "without_data"]  # the report samples, handed out here

# -- databases ------------------------------------------------------------------------------------

#: A PostgreSQL server the tests may create databases on (tests/collector/conftest.py).
PG_ENV = "SIPAS_TEST_POSTGRES_URL"


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


# -- units, kiosks and their responses ------------------------------------------------------------

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


def add_units(app, units=UNITS) -> list[tuple[str, str, str, str | None]]:
    """The units (code, name, kind, parent) added to the app's database, parents first."""
    with app.app_context():
        session = get_session()
        for code, name, kind, parent in units:
            add_unit(session, code, name, kind, parent)
        session.commit()
    return units


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


def register(app, client, unit: str = "C01") -> SimKiosk:
    """A kiosk registered at `unit`, posting through `client`."""
    with app.app_context():
        session = get_session()
        kiosk, token = register_kiosk(session, unit, label="Quầy 1")
        session.commit()
        return SimKiosk(client, kiosk.id, token, unit=unit)


def scalar(app, statement):
    with app.app_context():
        return get_session().scalar(statement)


def count(app, model, *where) -> int:
    return scalar(app, sa.select(sa.func.count()).select_from(model).where(*where))


# -- people ---------------------------------------------------------------------------------------


PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only


def make_user(app, email: str, role: str, unit: str | None) -> None:
    with app.app_context():
        session = get_session()
        add_user(session, email, PASSWORD, role, unit)
        session.commit()


def make_token(app, email: str) -> str:
    with app.app_context():
        session = get_session()
        _, token = create_token(session, email)
        session.commit()
        return token


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match[1]


def login(client, email: str, password: str = PASSWORD, follow: bool = False):
    page = client.get("/login")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=follow,
    )


def post_answers(
    kiosk: SimKiosk,
    answers: dict[str, int],
    submitted_at: str,
    *,
    kind: str = "admin",
    version: str | None = None,
    unit: str | None = None,
    **fields: Any,
) -> None:
    """One response with exactly these answers, stored through the API."""
    version = version or {"admin": "2026.1-short", "health": "2019.1-short"}.get(
        kind, "2026.1-short"
    )
    response = kiosk.next(
        questionnaire=kind,
        questionnaire_version=version,
        answers=answers,
        submitted_at=submitted_at,
        started_at=submitted_at,
        unit=unit or kiosk.unit,
        reasons=fields.pop("reasons", []),
        comment=fields.pop("comment", None),
        **fields,
    )
    assert kiosk.statuses([response]) == ["accepted"]


# -- receipts -------------------------------------------------------------------------------------


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
ACTION_RE = re.compile(r'<form method="post" action="([^"]+)"')


def integration(app, unit: str = "C01") -> str:
    with app.app_context():
        session = get_session()
        _, token = create_integration(session, unit, "Một cửa")
        session.commit()
    return token


def issue(client, token: str, dossier: str = "000.00.12.H40-260302-0001", **body: Any):
    payload = {
        "dossier": dossier,
        "unit": body.pop("unit", "O01"),
        "questionnaire": "admin",
        **body,
    }
    return client.post(
        "/api/v1/receipts", json=payload, headers={"Authorization": f"Bearer {token}"}
    )


def fetch_qr(client, token: str, link: str):
    """GET a QR image link of an issuing reply with an integration token."""
    return client.get(path_of(link), headers={"Authorization": f"Bearer {token}"})


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, html[:500]
    return match.group(1)


def action(html: str) -> str:
    match = ACTION_RE.search(html)
    assert match, html[:500]
    return match.group(1).replace("&amp;", "&")


def question_codes(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'type="radio" name="([A-Z][A-Z0-9_]*)"', html)))


def answer_screen(client, path: str, value: int = 4):
    """Answer every question of the screen at `path` with `value`; returns the POST reply."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    form = {"csrf_token": csrf(html), "next": "1"}
    for code in question_codes(html):
        form[code] = str(value)
    return client.post(action(html), data=form)


def answer_all(client, path: str, value: int = 4, reasons=(), comment: str | None = None):
    """Answer the whole survey from its link; returns the reply of the final send."""
    for _ in range(20):
        page = client.get(path)
        html = page.get_data(as_text=True)
        if page.status_code != 200:
            return page
        if "/send" in action(html):
            form = {"csrf_token": csrf(html), "next": "1", "comment": comment or ""}
            if reasons:
                form["reasons"] = list(reasons)
            return client.post(action(html), data=form)
        reply = answer_screen(client, path, value)
        assert reply.status_code == 303, reply.get_data(as_text=True)[:300]
    raise AssertionError("the survey did not end")


# -- the shipped Quảng Trị units --------------------------------------------------------------

QUANG_TRI = Path(__file__).resolve().parents[1] / "data" / "units" / "quang-tri-2025"


def quang_tri_rows(name: str) -> list[dict[str, str]]:
    """The rows of one of the shipped Quảng Trị files."""
    with open(QUANG_TRI / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def old_huong_hoa() -> str:
    """The former Hướng Hóa district (465) and its 21 communes and towns, as they were before
    1 July 2025 (the old names are the notes of huong-hoa.csv), as a `units import` file."""
    lines = [
        "code,name,parent,kind",
        "45,Tỉnh Quảng Trị (cũ),,province",
        "465,Huyện Hướng Hóa,45,district",
    ]
    olds = {}
    for row in quang_tri_rows("huong-hoa.csv"):
        if row["change"] == "merge":
            olds[row["from"]] = row["note"].split(" → ")[0]
        olds.setdefault(row["to"], "Đơn vị cũ " + row["to"])
    lines += [f"{code},{name},465,commune" for code, name in sorted(olds.items())]
    return "\n".join(lines) + "\n"


# -- sound ------------------------------------------------------------------------------------


def tone(path: Path, seconds: float = 1.0, amplitude: float = 0.2) -> Path:
    """A 440 Hz tone as 16-bit mono WAV: a stand-in for a recording."""
    rate = 16000
    frames = b"".join(
        struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


# -- the kiosk ------------------------------------------------------------------------------------

COUNTERS = [
    {"code": "1", "name": "Quầy 1", "unit": "H40.22.01", "kinds": ["admin"]},
    {"code": "2", "name": "Quầy 2", "unit": "H40.22.01", "kinds": ["admin", "health", "education"]},
]
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


def stored(app) -> list:
    """Every response in the kiosk database, read fresh."""
    from kiosk import db
    from kiosk.models import Response

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


#: The kiosk's staff page.
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


# -- servers on loopback --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
