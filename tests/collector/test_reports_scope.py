"""A manager sees their unit's subtree and nothing else, by any route: pages, exports, the API."""

from __future__ import annotations

import io
import time

import pytest
from openpyxl import load_workbook

from collector.db import get_db
from tests.factories import csrf_token, login, post_answers

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")


@pytest.fixture
def tree(app, client, units, register, make):
    """Ratings in both communes; a manager and a viewer of C01; an admin."""
    c01 = register("C01")
    c02 = register("C02")
    for minute in range(3):
        post_answers(
            c01,
            dict.fromkeys(ALL, 5),
            f"2026-03-03T09:0{minute}:00+07:00",
            unit="O01",
            comment="ý kiến của O01",
        )
        post_answers(
            c02,
            dict.fromkeys(ALL, 1),
            f"2026-03-03T09:0{minute}:00+07:00",
            unit="O02",
            comment="SECRET-O02",
            counter="quay-bi-mat",
        )
    make.user("manager@example.org", "manager", "C01")
    make.user("viewer@example.org", "viewer", "C01")
    make.user("admin@example.org", "admin", None)


OUTSIDE = ("P01", "C02", "O02")
PAGES = (
    "/reports/weekly",
    "/reports/weekly.csv",
    "/reports/weekly.xlsx",
    "/reports/alerts",
    "/reports/raw.csv",
)


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_login(client, tree, path):
    reply = client.get(path, query_string={"week": WEEK})
    assert reply.status_code == 302
    assert "/login" in reply.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_no_page_or_export_reaches_another_subtree(app, client, tree, path):
    login(client, "manager@example.org")
    for unit in OUTSIDE:
        reply = client.get(path, query_string={"week": WEEK, "unit": unit})
        assert reply.status_code == 404, (path, unit)
        assert b"SECRET-O02" not in reply.data
    inside = client.get(path, query_string={"week": WEEK, "unit": "C01"})
    assert inside.status_code == 200
    body = inside.get_data()
    # Once the stream is read, no database connection stays checked out (the CSV streams
    # through a session of its own, closed after the last row).
    assert get_db(app).engine.pool.checkedout() == 0
    inside.close()
    if path.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(body))
        body = "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        ).encode()
    assert b"SECRET-O02" not in body and b"quay-bi-mat" not in body
    assert b"O02" not in body and "Xã Hai".encode() not in body


def test_the_default_unit_is_the_managers_own(client, tree):
    login(client, "manager@example.org")
    page = client.get("/reports/weekly", query_string={"week": WEEK}).get_data(as_text=True)
    assert "Xã Một" in page and "SECRET-O02" not in page
    options = page.split('<select name="unit">')[1].split("</select>")[0]
    assert "C01" in options and "O01" in options
    assert "P01" not in options and "C02" not in options and "O02" not in options


def test_the_raw_xlsx_export_runs_in_the_background_within_scope(app, client, tree):
    login(client, "manager@example.org")
    page = client.get("/reports/weekly", query_string={"week": WEEK}).get_data(as_text=True)
    token = csrf_token(page)
    refused = client.post("/reports/raw.xlsx?unit=C02&to=" + WEEK, data={"csrf_token": token})
    assert refused.status_code == 404
    started = client.post("/reports/raw.xlsx?unit=C01&to=" + WEEK, data={"csrf_token": token})
    assert started.status_code == 302
    job_url = started.headers["Location"]
    for _ in range(100):
        status_page = client.get(job_url)
        assert status_page.status_code == 200
        if "download=1" in status_page.get_data(as_text=True):
            break
        time.sleep(0.05)
    download = client.get(job_url + "?download=1")
    assert download.status_code == 200
    data = download.data
    download.close()
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    assert {row[2] for row in rows[1:]} == {"O01"}
    # Another user cannot fetch the job.
    other = app.test_client()
    login(other, "admin@example.org")
    assert other.get(job_url + "?download=1").status_code == 404


def test_the_raw_xlsx_export_needs_a_csrf_token(client, tree):
    login(client, "manager@example.org")
    assert client.post("/reports/raw.xlsx?unit=C01").status_code == 400


def test_the_api_keeps_to_the_token_owners_subtree(app, client, tree, make):
    token = make.token("manager@example.org")
    headers = {"Authorization": f"Bearer {token}"}
    for unit in OUTSIDE:
        reply = client.get(f"/api/v1/reports/weekly?week={WEEK}&unit={unit}", headers=headers)
        assert reply.status_code == 404
        assert reply.get_json()["error"]["code"] == "not-found"
    mine = client.get(f"/api/v1/reports?period={WEEK}", headers=headers).get_json()
    assert mine["unit"]["code"] == "C01"
    admin_kind = _kind(mine, "admin")
    assert {c["code"] for c in admin_kind["children"]} == {"O01"}
    assert admin_kind["summary"]["index"] == 100.0
    admin = make.token("admin@example.org")
    whole = client.get(
        f"/api/v1/reports/weekly?week={WEEK}&unit=P01",
        headers={"Authorization": f"Bearer {admin}"},
    ).get_json()
    # The mean of its direct parts C01 (100, from O01) and C02 (0, from O02).
    assert _kind(whole, "admin")["summary"]["index"] == 50.0


def _kind(report: dict, kind: str) -> dict:
    return next(k for k in report["kinds"] if k["kind"] == kind)


def test_the_api_refuses_missing_and_kiosk_tokens(app, client, tree, register):
    assert client.get("/api/v1/reports/weekly").status_code == 401
    kiosk = register("C01")
    reply = client.get("/api/v1/reports/weekly", headers=kiosk.headers)
    assert reply.status_code == 401
    assert reply.get_json()["error"]["code"] == "invalid-token"


def test_viewers_cannot_include_left_out_responses(app, client, tree, make):
    login(client, "viewer@example.org")
    assert client.get(f"/reports/weekly?week={WEEK}&include=1").status_code == 403
    page = client.get(f"/reports/weekly?week={WEEK}").get_data(as_text=True)
    assert "Theo cán bộ" not in page  # the officer breakdown is for managers only
    token = make.token("viewer@example.org")
    reply = client.get(
        f"/api/v1/reports/weekly?week={WEEK}&include=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 403


def test_questionnaires_endpoint_lists_codes(app, client, tree, make):
    token = make.token("viewer@example.org")
    reply = client.get("/api/v1/questionnaires", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200
    found = {(q["kind"], q["version"]): q for q in reply.get_json()["questionnaires"]}
    admin = found[("admin", "2026.1-short")]
    assert admin["overall"]["code"] == "Q0"
    assert [f["code"] for f in admin["factors"]] == ["A", "B", "C", "D", "E"]
    assert found[("health", "2019.1-short")]["method"] == "pooled"
