"""No single stored row can break a report, an export or the count refresh (issue 7, findings 1
and 3): rows with impossible times, control characters, huge or odd text and odd JSON are written
straight into the database, then every report route, export and the JSON API is opened."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from collector.db import get_session
from collector.models import Response
from collector.tasks import run_refresh_counts
from tests.factories import csrf_token, login, post_answers

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")
CONTROL = "Chờ lâu\x01\x02\x0b\x1b[31m\x7f\x85 xong"

HOSTILE = [
    {"submitted_at": dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)},
    {
        "submitted_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        "started_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC),
    },
    {"comment": CONTROL, "counter": "quầy\x03-1"},
    {"comment": "=cmd|' /C calc'!A0" + "ư" * 980},
    {"answers": ["Q0", 5], "reasons": {"waiting": True}, "flags": "suspect-burst"},
    {"answers": {"Q0": "năm", "A0": 99, "B0": True, "C0": None}, "reasons": [1, None, "x\x01"]},
]


@pytest.fixture
def hostile(app, hostile_rows):
    """The hostile rows, counted by an explicit refresh (they were written directly)."""
    run_refresh_counts(app)
    return hostile_rows


@pytest.fixture
def hostile_rows(app, client, units, quiet_writes, register, make):
    """Good ratings in week 10, and one hostile row per case in HOSTILE, written directly over
    them before any count (the counts must meet them as written); not counted yet."""
    kiosk = register("C01")
    for minute in range(len(HOSTILE) + 3):
        post_answers(
            kiosk, dict.fromkeys(ALL, 4), f"2026-03-03T09:{minute:02d}:00+07:00", unit="O01"
        )
    with app.app_context():
        session = get_session()
        ids = session.scalars(sa.select(Response.id).order_by(Response.id)).all()
        for row_id, values in zip(ids, HOSTILE, strict=False):
            if session.get_bind().dialect.name == "postgresql":
                values = {
                    k: v.replace("\x00", "") if isinstance(v, str) else v for k, v in values.items()
                }
            session.execute(sa.update(Response).where(Response.id == row_id).values(**values))
        session.commit()
    make.user("admin@example.org", "admin", None)
    return kiosk


def _routes(week: str) -> list[str]:
    return [
        f"/reports/weekly?week={week}",
        f"/reports/weekly?week={week}&include=1",
        f"/reports/weekly.csv?week={week}",
        f"/reports/weekly.xlsx?week={week}",
        f"/reports/alerts?week={week}",
        f"/reports/raw.csv?from=2000-W01&to={week}",
        "/reports/weekly?week=2000-W01",
        "/methodology",
        "/kiosks/",
    ]


def test_every_report_route_survives_hostile_rows(app, client, hostile):
    login(client, "admin@example.org")
    for week in (WEEK, "last", "this"):
        for path in _routes(week):
            reply = client.get(path)
            assert reply.status_code == 200, (path, reply.status_code)
            reply.close()
    page = client.get(f"/reports/weekly?week={WEEK}&unit=P01").get_data(as_text=True)
    assert "\x1b" not in page and "\x01" not in page, page[
        page.find("\x1b") - 200 : page.find("\x1b") + 50
    ]
    xlsx = client.get(f"/reports/weekly.xlsx?week={WEEK}&unit=P01")
    assert xlsx.status_code == 200
    load_workbook(io.BytesIO(xlsx.data))  # a real, readable workbook


def test_the_json_api_survives_hostile_rows(app, client, hostile, make):
    token = make.token("admin@example.org")
    headers = {"Authorization": f"Bearer {token}"}
    for week in (WEEK, "last"):
        reply = client.get(f"/api/v1/reports/weekly?week={week}&unit=P01", headers=headers)
        assert reply.status_code == 200, (week, reply.get_json())
    reply = client.get("/api/v1/reports?period=2999-W52&unit=P01", headers=headers)
    assert reply.status_code == 404  # a week that has not begun
    for week in ("9999-W52", "0001-W01", "1999-W52", "3000-W01"):
        reply = client.get(f"/api/v1/reports/weekly?week={week}", headers=headers)
        assert reply.status_code == 400
        assert reply.get_json()["error"]["code"] == "invalid-request"


def test_extreme_weeks_are_a_clear_400(client, hostile):
    login(client, "admin@example.org")
    assert client.get("/reports/weekly?week=2999-W52").status_code == 404  # not begun
    for path in (
        "/reports/weekly?week=9999-W52",
        "/reports/weekly?week=0001-W01",
        "/reports/weekly.csv?week=9999-W52",
        "/reports/alerts?week=0001-W01",
        "/reports/raw.csv?from=0001-W01&to=9999-W52",
    ):
        assert client.get(path).status_code == 400, path


def test_the_raw_xlsx_export_writes_every_stored_string(app, client, hostile):
    login(client, "admin@example.org")
    token = csrf_token(client.get("/reports/weekly").get_data(as_text=True))
    started = client.post(
        f"/reports/raw.xlsx?unit=P01&from=2000-W01&to={WEEK}", data={"csrf_token": token}
    )
    assert started.status_code == 302
    job_url = started.headers["Location"]
    for _ in range(200):
        page = client.get(job_url).get_data(as_text=True)
        if "download=1" in page:
            break
        time.sleep(0.05)
    download = client.get(job_url + "?download=1")
    assert download.status_code == 200
    rows = list(load_workbook(io.BytesIO(download.data)).active.iter_rows(values_only=True))
    download.close()
    comments = [row[11] for row in rows[1:]]
    # The rows inside the reportable years are all there, control characters dropped.
    assert len(rows) - 1 == len(HOSTILE) + 3 - 2
    assert "Chờ lâu\x1b" not in "".join(c or "" for c in comments)
    assert any((c or "").startswith("Chờ lâu") and c.endswith("xong") for c in comments)
    assert any((c or "").startswith("'=cmd") for c in comments)


def test_count_refresh_gets_past_a_row_in_year_9999(app, client, hostile_rows):
    from collector.counts.refresh import refresh_counts
    from collector.models import CountsState

    with app.app_context():
        session = get_session()
        assert refresh_counts(session) > 0
        session.commit()
        newest = session.scalar(sa.select(sa.func.max(Response.id)))
        assert session.get(CountsState, 1).last_response_id == newest
        # A later good response is still counted.
    post_answers(hostile_rows, dict.fromkeys(ALL, 5), "2026-03-04T09:00:00+07:00", unit="O01")
    with app.app_context():
        session = get_session()
        assert refresh_counts(session) == 1
        session.commit()
