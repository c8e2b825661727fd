"""Requests a stranger can make (issue 7, findings 7 and 8): query parameters never reach url_for,
NULs are a 400 on both databases, a failed stream is cut, and every reply has security headers."""

from __future__ import annotations

import http.client
import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from collector.reports import views as report_views
from tests.factories import csrf_token, login, post_answers

HOSTILE_ARGS = [
    "endpoint=x",
    "_method=POST",
    "_external=1",
    "_anchor=x",
    "_scheme=javascript",
    "values=1",
    "lang=en&endpoint=accounts.logout",
]


@pytest.fixture
def manager(app, units, make):
    make.user("manager@example.org", "manager", "C01")
    make.user("admin@example.org", "admin", None)


@pytest.mark.parametrize("args", HOSTILE_ARGS)
def test_query_parameters_never_reach_url_for(client, manager, args):
    for path in ("/login", "/methodology"):
        assert client.get(f"{path}?{args}").status_code == 200, path
    login(client, "manager@example.org")
    for path in ("/reports/weekly", "/reports/alerts", "/methodology"):
        reply = client.get(f"{path}?{args}")
        assert reply.status_code == 200, path
        assert "javascript:" not in reply.get_data(as_text=True)


def test_known_parameters_are_kept_in_the_page_links(client, manager):
    login(client, "manager@example.org")
    page = client.get("/reports/weekly?week=2026-W10&unit=C01&endpoint=x").get_data(as_text=True)
    previous = re.search(r'<a rel="prev" href="([^"]+)"', page)[1]
    assert "period=2026-W09" in previous and "unit=C01" in previous  # the week before, same unit
    assert "endpoint=x" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/reports/weekly?unit=C0%001",
        "/reports/weekly.csv?unit=%00",
        "/reports/raw.csv?unit=C01%00",
        "/reports/weekly?week=2026-W10%00",
        "/methodology?lang=%00",
        "/reports/weekly?%00=1",
    ],
)
def test_a_nul_in_the_query_is_a_400(client, manager, path):
    login(client, "manager@example.org")
    assert client.get(path).status_code == 400


def test_a_nul_in_the_login_email_is_a_400_before_any_query(app, client, manager):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    reply = client.post(
        "/login",
        data={"email": "manager@example.org\x00", "password": "x" * 12, "csrf_token": token},
    )
    assert reply.status_code == 400


def test_a_nul_in_the_api_unit_is_a_400(app, client, manager):
    from tests.factories import make_token

    token = make_token(app, "manager@example.org")
    reply = client.get(
        "/api/v1/reports/weekly?unit=C0%001", headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "invalid-request"


def test_security_headers_on_every_reply(client, manager):
    for path in ("/login", "/methodology", "/api/v1/openapi.json", "/nowhere"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"


def test_report_pages_and_exports_are_never_cached(client, manager):
    login(client, "manager@example.org")
    for path in (
        "/reports/weekly",
        "/reports/weekly.csv",
        "/reports/weekly.xlsx",
        "/reports/alerts",
        "/reports/raw.csv",
    ):
        reply = client.get(path)
        assert reply.status_code == 200
        assert reply.headers["Cache-Control"] == "private, no-store", path
        reply.close()


def test_a_raw_csv_that_fails_midway_is_cut_not_a_short_200(
    app, units, monkeypatch, caplog, register, make
):
    """Through a real HTTP/1.1 server: the client must see a broken download."""
    kiosk = register("C01", client=app.test_client())
    for minute in range(3):
        post_answers(kiosk, {"Q0": 5}, f"2026-03-03T09:0{minute}:00+07:00")
    make.user("manager@example.org", "manager", "C01")
    real = report_views.stream_raw_csv

    def failing(session, *args):
        chunks = real(session, *args)
        yield next(chunks)  # the header line goes out, then the database fails
        raise sa.exc.OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(report_views, "stream_raw_csv", failing)
    client = app.test_client()
    login(client, "manager@example.org")
    cookie = client.get_cookie("session").value
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("GET", "/reports/raw.csv?to=2026-W10", headers={"Cookie": f"session={cookie}"})
        reply = conn.getresponse()
        assert reply.status == 200 and reply.getheader("Transfer-Encoding") == "chunked"
        with pytest.raises(http.client.IncompleteRead) as cut:
            reply.read()
        assert "EXPORT FAILED" in cut.value.partial.decode("utf-8", "replace") or (
            "XUẤT" in cut.value.partial.decode("utf-8", "replace")
        )
    finally:
        server.shutdown()
    assert any("failed mid-stream" in r.getMessage() for r in caplog.records)
