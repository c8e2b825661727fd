"""Abuse of the phone channels: two submissions of one receipt at once, floods on the poster and
on /r/, poster bursts, and who may print a slip."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa

from collector.db import get_session
from collector.models import Answer, Receipt, Response
from shared import questionnaires
from shared.forms import screens
from shared.qr import qr_svg, qr_version
from tests.factories import (
    answer_screen,
    csrf,
    issue,
    login,
    question_codes,
)


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def _ready_to_send(client, path: str) -> dict[str, str]:
    for _ in range(len(screens(questionnaires.current("admin", "full")))):
        assert answer_screen(client, path, 4).status_code == 303
    return {"csrf_token": csrf(client.get(path).get_data(as_text=True)), "comment": "một lần"}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_same_token_submitted_twice_at_once_stores_one_response(
    app, client, itoken, count, scalar
):
    """Eight threads, each with its own client and database connection, post the same final form
    at the same moment: exactly one wins."""
    path = "/r/" + issue(client, itoken).get_json()["token"]
    form = _ready_to_send(client, path)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def submit():
        own = app.test_client()
        start.wait()
        statuses.append(own.post(path + "/send", data=form).status_code)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303] + [409] * 7
    assert count(Response) == 1
    assert count(Answer) == len(questionnaires.current("admin", "full").questions)
    assert scalar(sa.select(Receipt.state)) == "answered"


def test_poster_stores_walk_in_responses_and_flags_bursts(app, client, units):
    app.config["POSTER_MIN_SECONDS"] = 0  # identical answers alone (test_plausibility: timing)
    page = client.get("/p/O01")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bộ phận Một cửa xã Một" in html
    codes = question_codes(html)
    assert codes == [q.code for q in questionnaires.current("admin", "short").questions]
    form = {"csrf_token": csrf(html), "comment": "<b>ok</b>", **{c: "5" for c in codes}}
    for _ in range(4):
        assert client.post("/p/O01", data=form).status_code == 303
    with app.app_context():
        rows = (
            get_session()
            .execute(
                sa.select(
                    Response.channel, Response.flags, Response.kiosk_id, Response.counter
                ).order_by(Response.id)
            )
            .all()
        )
    assert [r.channel for r in rows] == ["poster"] * 4
    assert all(r.kiosk_id is None and r.counter == "poster" for r in rows)
    # The third identical one in a row and the ones after it are flagged, as at a kiosk.
    assert [r.flags for r in rows] == [[], [], ["suspect-burst"], ["suspect-burst"]]
    assert client.get("/p/NOPE").status_code == 404


def test_poster_flood_is_rate_limited_with_a_clear_message(app, client, units, count):
    app.config["POSTER_RATE_LIMIT"] = "3 per hour"
    html = client.get("/p/O01").get_data(as_text=True)
    form = {"csrf_token": csrf(html), "Q0": "4"}
    replies = [client.post("/p/O01", data=form) for _ in range(5)]
    assert [r.status_code for r in replies] == [303, 303, 303, 429, 429]
    assert "Quá nhiều lần thử" in replies[-1].get_data(as_text=True)
    assert count(Response) == 3
    # Another client is not affected.
    other = client.post("/p/O01", data=form, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 303


def test_flood_on_receipt_links_is_rate_limited(app, client, itoken):
    app.config["PHONE_RATE_LIMIT"] = "5 per minute"
    forged = "A" * 19
    codes = [client.get(f"/r/{forged}").status_code for _ in range(7)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
    page = client.get("/r/" + "B" * 19)
    assert page.status_code == 429 and "Vui lòng đợi" in page.get_data(as_text=True)


def test_poster_missing_csrf_stores_nothing(app, client, units, count):
    assert client.post("/p/O01", data={"Q0": "5"}).status_code == 400
    assert count(Response) == 0


def test_script_in_a_comment_is_escaped_where_it_is_shown(app, client, units, scalar, make):
    app.config["POSTER_MIN_SECONDS"] = 0  # sent at once: official, so its comment is listed
    html = client.get("/p/O01").get_data(as_text=True)
    script = '<script>alert("x")</script>'
    client.post("/p/O01", data={"csrf_token": csrf(html), "Q0": "1", "comment": script})
    assert scalar(sa.select(Response.comment)) == script
    make.user("m@example.org", "manager", "C01")
    login(client, "m@example.org")
    page = client.get("/reports/weekly?unit=C01&week=this").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert script not in page


def test_slip_is_for_the_units_staff_and_its_qr_is_small(app, client, itoken, make):
    token = issue(client, itoken).get_json()["token"]
    anonymous = client.get(f"/receipts/{token}/slip")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    make.user("other@example.org", "manager", "C02")
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(f"/receipts/{token}/slip").status_code == 404
    make.user("viewer@example.org", "viewer", "C01")
    viewer = app.test_client()
    login(viewer, "viewer@example.org")
    assert viewer.get(f"/receipts/{token}/slip").status_code == 403
    make.user("m@example.org", "manager", "C01")
    login(client, "m@example.org")
    page = client.get(f"/receipts/{token}/slip")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # One layout per print: the 80 mm slip, or the A5 sheet when chosen.
    assert 'data-layout="thermal-80mm"' in html and 'data-layout="a5"' not in html
    a5 = client.get(f"/receipts/{token}/slip?layout=a5").get_data(as_text=True)
    assert 'data-layout="a5"' in a5 and 'data-layout="thermal-80mm"' not in a5
    base, tail = re.search(
        r'<p class="url"><span class="base">([^<]+)</span><wbr><span class="token">([^<]+)</span>',
        html,
    ).groups()
    url = base + tail
    assert tail == "/r/" + token
    # The QR printed is the code of that URL, and that code is version 4 or lower at level M.
    svg = qr_svg(url).decode()
    assert svg[svg.index("<svg") :] in html
    assert qr_version(url) <= 4
    assert "Quét mã QR" in html and "Trả lời vài câu hỏi" in html
    assert client.get("/receipts/" + "A" * 19 + "/slip").status_code == 404
