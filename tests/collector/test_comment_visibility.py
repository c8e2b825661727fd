"""Who reads citizens' comments (issue 20, finding 3): managers and administrators always; viewers
only where the province allows it (VIEWERS_SEE_COMMENTS, off by default), in every place a comment
is shown: the report page, its CSV and XLSX, the raw CSV and XLSX exports, the JSON API. And a
comment stored before a redaction rule existed is shown redacted all the same."""

from __future__ import annotations

import io
import json
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from collector.db import get_session
from collector.models import Response
from tests.factories import csrf_token, login, make_token, post_answers

WEEK = "2026-W10"
ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")
SAID = "Chờ lâu quá ở quầy ba"
#: Typed before today's rules, stored as it came (an older collector kept it).
OLD = "tôi là Nguyễn Văn An, gọi 0912/345/678"


@pytest.fixture
def rated(app, client, units, register, make):
    kiosk = register("C01")
    post_answers(
        kiosk, dict.fromkeys(ALL, 2), "2026-03-03T09:00:00+07:00", unit="O01", comment=SAID
    )
    post_answers(kiosk, dict.fromkeys(ALL, 4), "2026-03-03T09:05:00+07:00", unit="O01", comment="x")
    with app.app_context():
        session = get_session()
        newest = session.scalar(sa.select(Response).order_by(Response.id.desc()).limit(1))
        newest.comment = OLD  # as an older collector stored it
        session.commit()
    make.user("manager@example.org", "manager", "C01")
    make.user("viewer@example.org", "viewer", "C01")
    make.user("admin@example.org", "admin", None)


def _xlsx_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(
        str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
    )


def _raw_xlsx(client) -> str:
    page = client.get("/reports", query_string={"period": WEEK}).get_data(as_text=True)
    started = client.post(
        f"/reports/raw.xlsx?unit=C01&to={WEEK}", data={"csrf_token": csrf_token(page)}
    )
    assert started.status_code == 302
    job = started.headers["Location"]
    for _ in range(100):
        if "download=1" in client.get(job).get_data(as_text=True):
            break
        time.sleep(0.05)
    download = client.get(job + "?download=1")
    assert download.status_code == 200
    data = download.data
    download.close()
    return _xlsx_text(data)


def _everything(app, email: str) -> dict[str, str]:
    """Every place a comment may show, as text, read by `email` (in a browser of their own)."""
    client = app.test_client()
    login(client, email)
    q = {"period": WEEK, "unit": "C01"}
    token = make_token(app, email)
    api = client.get(
        "/api/v1/reports", query_string=q, headers={"Authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200
    shown = {
        "page": client.get("/reports", query_string=q).get_data(as_text=True),
        "csv": client.get("/reports/report.csv", query_string=q).get_data(as_text=True),
        "xlsx": _xlsx_text(client.get("/reports/report.xlsx", query_string=q).data),
        "raw csv": client.get(
            "/reports/raw.csv", query_string={"unit": "C01", "to": WEEK}
        ).get_data(as_text=True),
        "raw xlsx": _raw_xlsx(client),
        "api": json.dumps(api.get_json(), ensure_ascii=False),
    }
    return shown


@pytest.mark.parametrize("email", ["manager@example.org", "admin@example.org"])
def test_managers_and_admins_read_comments_everywhere(app, client, rated, email):
    for place, text in _everything(app, email).items():
        assert SAID in text, place


def test_viewers_read_no_comment_by_default(app, client, rated):
    assert app.config["VIEWERS_SEE_COMMENTS"] is False
    shown = _everything(app, "viewer@example.org")
    for place, text in shown.items():
        assert SAID not in text, place
        assert "[tên]" not in text, place
    assert "Ý kiến chỉ hiển thị cho người quản lý và quản trị viên." in shown["page"]
    api = json.loads(shown["api"])
    assert api["comments_hidden"] is True and api["comments"] == []
    assert api["comments_total"] == 2  # the count is a figure, not their text


def test_viewers_read_comments_where_the_province_allows_it(app, client, rated):
    app.config["VIEWERS_SEE_COMMENTS"] = True
    for place, text in _everything(app, "viewer@example.org").items():
        assert SAID in text, place


def test_a_comment_stored_before_the_rules_is_shown_redacted(app, client, rated):
    for place, text in _everything(app, "manager@example.org").items():
        if place in ("page", "csv", "xlsx", "api") or place.startswith("raw"):
            assert "Nguyễn Văn An" not in text and "0912/345/678" not in text, place
            assert "[tên]" in text and "[số điện thoại]" in text, place
