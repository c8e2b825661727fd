"""The privacy scan (issue 7, finding 10): citizens type phone numbers, e-mail addresses and ID
numbers into kiosk comments (at our kiosk, and through the API from another vendor's), someone
types a password into the login's e-mail field; then every report and export is made. Both
databases (the kiosk's, the collector's: SQLite and PostgreSQL) and every export file are then
read whole, with patterns of their own (not shared.text's), for anything personal.

The scan covers the data these privacy-relevant paths produce, not every test's database: each
test of the suite has a database of its own that is dropped when it ends."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import zipfile

import pytest
import sqlalchemy as sa

from collector.db import get_db
from kiosk import create_app as create_kiosk
from kiosk import db as kiosk_db
from kiosk.survey import wire
from shared.migrate import upgrade
from tests.factories import Tablet, csrf_token, login, make_response

STAFF = {"admin@example.org"}
TYPED = [
    "Gọi em 0912 345 678 nhé",
    "số +84 91 234 5678 hoặc 024.3825.3535",
    "thư cho nguyen.van.a@gmail.com",
    "CCCD 001099012345, CMND 123 456 789",
]
PASSWORD_IN_EMAIL_FIELD = "0987654321"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_HEX = re.compile(r"[0-9a-f]{32,}", re.I)
_JOIN = re.compile(r"(?<=\d)[ .\-](?=\d)")
_PHONE_OR_ID = re.compile(r"(?<![\w+])(?:\+?84\d{9,10}|0\d{9,10}|\d{12}|\d{9})(?!\w)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def findings(text: str) -> list[str]:
    """Phone numbers, ID numbers and e-mails (other than staff accounts) in `text`."""
    text = _HEX.sub(" ", _UUID.sub(" ", text))
    found = [e for e in _EMAIL.findall(text) if e.lower() not in STAFF]
    return found + _PHONE_OR_ID.findall(_JOIN.sub("", text))


def test_the_scanner_finds_what_it_must():
    for typed in TYPED:
        assert findings(typed), typed
    assert findings(PASSWORD_IN_EMAIL_FIELD)
    assert not findings("2026-03-03 09:00:00.250000+07 admin@example.org " + "ab" * 32)


def scan_database(engine) -> dict[str, list[str]]:
    """Every text and JSON value of every table, read raw: table.column -> findings."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, int | float | bool):
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if hits := findings(text):
                        out.setdefault(f"{table.name}.{column}", []).extend(hits)
    return out


def scan_file(name: str, data: bytes) -> list[str]:
    if data[:2] == b"PK":  # XLSX: every XML part of the zip
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            text = " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    else:
        text = data.decode("utf-8", "replace")
    return findings(text)


@pytest.fixture
def kiosk_app(tmp_path):
    path = tmp_path / "kiosk" / "kiosk.sqlite3"
    path.parent.mkdir()
    upgrade("kiosk", f"sqlite:///{path}")
    counters = [{"code": "1", "name": "Quầy 1", "unit": "C01", "kinds": ["admin"]}]
    app = create_kiosk(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{path}",
            "COUNTERS": counters,
            "GUARD_SECONDS": 0,
            "BURST_SIZE": 0,
        },
        instance_path=str(path.parent),
    )
    yield app
    kiosk_db.engine(app).dispose()


def _rate_with_comment(kiosk_app, comment: str) -> None:
    tablet = Tablet(kiosk_app.test_client())
    tablet.start()
    tablet.tap("Q0", 1)
    for _ in range(5):
        tablet.skip()
    tablet.post({"comment": comment, "next": "1"})


def test_no_personal_data_in_either_database_or_any_export(
    app, client, units, kiosk_app, tmp_path, register, make
):
    # At our kiosk: typed, stored, then sent to the collector.
    for typed in TYPED:
        _rate_with_comment(kiosk_app, typed)
    ours = register("C01")
    with kiosk_db.engine(kiosk_app).connect() as conn, sa.orm.Session(conn) as session:
        from kiosk.models import Response as KioskResponse

        rows = session.scalars(sa.select(KioskResponse).order_by(KioskResponse.seq)).all()
        sent = [wire(r) for r in rows]
    assert len(sent) == len(TYPED)
    assert ours.statuses(sent) == ["accepted"] * len(TYPED)
    # From another vendor's kiosk, straight through the API.
    other = register("C01")
    theirs = []
    prev = "0" * 64
    for seq, typed in enumerate(TYPED, 1):
        theirs.append(
            make_response(
                seq,
                prev,
                comment=typed,
                submitted_at="2026-03-03T09:00:00+07:00",
                started_at="2026-03-03T08:59:00+07:00",
            )
        )
        prev = theirs[-1]["hash"]
    assert other.statuses(theirs) == ["accepted"] * len(TYPED)
    # A password typed into the e-mail field of the login form.
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": PASSWORD_IN_EMAIL_FIELD,
            "password": "x" * 12,
            "csrf_token": csrf_token(page),
        },
    )
    client.post(
        "/login",
        data={
            "email": "nguyen.van.a@gmail.com",
            "password": "x" * 12,
            "csrf_token": csrf_token(page),
        },
    )

    # Every report and export.
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")
    files: dict[str, bytes] = {}
    for week in ("2026-W10", "this"):
        for path in ("weekly", "weekly.csv", "weekly.xlsx", "alerts"):
            reply = client.get(f"/reports/{path}?unit=P01&week={week}")
            assert reply.status_code == 200
            files[f"{path}-{week}"] = reply.data
    raw = client.get("/reports/raw.csv?unit=P01&from=2026-W01&to=this")
    files["raw.csv"] = raw.data
    token = csrf_token(client.get("/reports/weekly").get_data(as_text=True))
    job = client.post(
        "/reports/raw.xlsx?unit=P01&from=2026-W01&to=this", data={"csrf_token": token}
    )
    for _ in range(200):
        if "download=1" in client.get(job.headers["Location"]).get_data(as_text=True):
            break
        time.sleep(0.05)
    exports = tmp_path / "instance" / "exports"
    for made in exports.iterdir():
        files[f"exports/{made.name}"] = made.read_bytes()
    assert any(name.endswith(".xlsx") for name in files)
    # The comments did arrive (as markers), so the scan looks at real content.
    assert "[số điện thoại]" in files["raw.csv"].decode("utf-8")

    problems = {name: hits for name, data in files.items() if (hits := scan_file(name, data))}
    problems |= scan_database(get_db(app).engine)
    problems |= {f"kiosk:{k}": v for k, v in scan_database(kiosk_db.engine(kiosk_app)).items()}
    assert problems == {}
    shutil.rmtree(exports)
