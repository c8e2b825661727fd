"""The response rate and the channel comparison in the weekly report, from real data (receipts
issued through the API and answered through the phone survey, kiosk uploads, poster posts), the
same in the page, the CSV, the XLSX and the JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from collector.periods import ZONE
from shared import questionnaires
from tests.factories import (
    answer_all,
    csrf,
    issue,
    login,
    post_answers,
)


@pytest.fixture
def filled(app, client, units, register, make):
    token = make.integration("C01")
    links = [
        issue(client, token, f"000.00.12.H40-260302-{n:04d}").get_json()["url"] for n in range(1, 6)
    ]
    # Five issued: three answered (all 5), one opened and left, one never opened.
    for url in links[:3]:
        assert answer_all(client, "/r/" + url.rsplit("/", 1)[1], value=5).status_code == 303
    client.get("/r/" + links[3].rsplit("/", 1)[1])
    # Kiosk ratings this week, all 2.
    kiosk = register("C01")
    now = dt.datetime.now(ZONE).replace(microsecond=0) - dt.timedelta(minutes=5)
    q = questionnaires.get("admin", "2026.1-short")
    for i in range(4):
        at = (now - dt.timedelta(seconds=i)).isoformat()
        post_answers(kiosk, {c.code: 2 for c in q.questions}, at, unit="O01")
    # Poster ratings: 4, 3, then four identical 1s: the third and fourth repeat the two before
    # them, so they are flagged as a burst and left out.
    app.config["POSTER_MIN_SECONDS"] = 0  # sent at once, as a script does: only bursts count here
    html = client.get("/p/O01").get_data(as_text=True)
    codes = [c.code for c in questionnaires.current("admin", "short").questions]
    for phone, value in enumerate((4, 3, 1, 1, 1, 1)):
        form = {"csrf_token": csrf(html), **{c: str(value) for c in codes}}
        reply = client.post("/p/O01", data=form, environ_base={"REMOTE_ADDR": f"10.0.0.{phone}"})
        assert reply.status_code == 303
    make.user("m@example.org", "manager", "C01")
    return {"manager": "m@example.org"}


def _comparison(rows, kind="admin"):
    return {r["channel"]: r for r in rows if r["kind"] == kind}


def test_response_rate_and_channels_agree_everywhere(app, client, filled, make):
    api_token = make.token(filled["manager"])
    reply = client.get(
        "/api/v1/reports?period=this&unit=C01",
        headers={"Authorization": f"Bearer {api_token}"},
    )
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    rate = body["response_rate"]
    assert rate["total"] == {
        "code": "",
        "name": "",
        "issued": 5,
        "opened": 4,
        "answered": 3,
        "expired": 0,
        "revoked": 0,
        "answered_share": 60.0,
        "opened_share": 80.0,
    }
    assert [u["code"] for u in rate["units"]] == ["O01"]
    channels = _comparison(body["channel_comparison"])
    receipt, kiosk, poster = (channels[c]["summary"] for c in ("receipt", "kiosk", "poster"))
    assert receipt["index"] == 100.0 and receipt["responses"] == 3
    assert kiosk["index"] == 0.0 and kiosk["responses"] == 4
    # Poster: 4, 3, 1, 1 kept: each criterion satisfied 1 of 4.
    assert poster["responses"] == 4 and channels["poster"]["suspect_left_out"] == 2
    assert poster["index"] == 25.0
    lo, hi = receipt["ci95"]
    assert lo <= 100.0 <= hi

    login(client, filled["manager"])
    page = client.get("/reports/weekly?unit=C01&week=this").get_data(as_text=True)

    def fig(name):
        match = re.search(rf'data-fig="{re.escape(name)}">([^<]*)<', page)
        assert match, name
        return match.group(1).strip()

    assert fig("rate.total.issued") == "5" and fig("rate.total.answered") == "3"
    assert fig("rate.O01.answered_share") == "60,00"
    assert fig("channel.admin.receipt") == "100,00"
    assert fig("channel.admin.kiosk") == "0,00"
    assert fig("channel.admin.poster") == "25,00"
    assert fig("channel.admin.poster.n") == "4"

    text = client.get("/reports/weekly.csv?unit=C01&week=this").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    at = rows.index(["Tỷ lệ phản hồi"]) if ["Tỷ lệ phản hồi"] in rows else None
    assert at is not None, [r for r in rows if len(r) == 1]
    assert rows[at + 2][:6] == ["O01", "Bộ phận Một cửa xã Một", "5", "4", "3", "60.0"]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/reports/weekly.xlsx?unit=C01&week=this").data)
    )
    sheet = [s for s in book.worksheets if s.title.startswith("Kênh")][0]
    values = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    receipt_row = values[("Dịch vụ hành chính công", "Mã QR trên giấy hẹn")]
    assert receipt_row[2] == 100.0 and receipt_row[5] == 3


def test_a_report_with_only_receipt_responses_works(app, client, units, make):
    token = make.integration("C01")
    url = issue(client, token).get_json()["url"]
    answer_all(
        client, "/r/" + url.rsplit("/", 1)[1], value=1, reasons=["waiting"], comment="<i>x</i>"
    )
    make.user("m@example.org", "manager", "C01")
    login(client, "m@example.org")
    page = client.get("/reports/weekly?unit=C01&week=this")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&lt;i&gt;x&lt;/i&gt;" in html
    assert client.get("/reports/weekly.csv?unit=C01&week=this").status_code == 200
    raw = client.get("/reports/raw.csv?unit=C01&to=this")
    assert raw.status_code == 200
    raw_text = b"".join(raw.response).decode("utf-8-sig")
    raw.close()
    line = [row for row in csv.reader(io.StringIO(raw_text)) if "receipt" in row][0]
    assert "none" in line and "<i>x</i>" in line
    status = client.get("/kiosks/")
    assert status.status_code in (200, 403)
