"""Receipt codes end to end: issue through the API, decode the QR code, answer the phone survey,
find the response; and the ways a code or a request can be bad."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from collector.cli import collector
from collector.db import get_session
from collector.models import Answer, IntegrationToken, Receipt, Response
from collector.receipts.service import ReceiptError, normalise_dossier
from collector.receipts.tokens import make_token, receipt_key, token_signed
from shared.qr import qr_png, qr_svg, qr_version
from tests.factories import (
    answer_all,
    answer_screen,
    csrf,
    fetch_qr,
    integration,
    issue,
    path_of,
)

DOSSIER = "000.00.12.H40-260302-0001"


@pytest.fixture
def itoken(app, units, make) -> str:
    return make.integration("C01")


def decode_png(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def test_issue_decode_answer_and_find_the_response(app, client, itoken, count):
    reply = issue(client, itoken, DOSSIER, procedure="1.001234", officer="CB-07")
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert body["created"] is True and body["state"] == "issued"
    assert body["url"].endswith("/r/" + body["token"])
    assert body["qr"]["version"] <= 4 and body["qr"]["error_correction"] == "M"
    assert qr_version(body["url"]) == body["qr"]["version"]
    assert body["qr_png"].endswith(f"/api/v1/receipts/{body['token']}/qr.png")
    png = fetch_qr(client, itoken, body["qr_png"])
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert png.headers["Cache-Control"].startswith("private")
    assert png.data == qr_png(body["url"])
    url = decode_png(png.data)
    assert url == body["url"]
    svg = fetch_qr(client, itoken, body["qr_svg"])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert svg.headers["Cache-Control"].startswith("private")
    assert svg.data == qr_svg(body["url"]) and svg.data.lstrip().startswith(b"<?xml")
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=29) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)

    sent = answer_all(client, path_of(url), value=5, comment="Rất tốt")
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/phone/thanks")
    with app.app_context():
        session = get_session()
        response = session.scalars(sa.select(Response)).one()
        assert response.channel == "receipt"
        assert (response.procedure, response.officer) == ("1.001234", "CB-07")
        assert response.kiosk_id is None and response.hash is None
        assert response.unit.code == "O01"
        assert response.comment == "Rất tốt"
        assert set(response.answers) == {q.code for q in _full_admin().questions}
        assert session.scalar(
            sa.select(sa.func.count()).select_from(Answer).where(Answer.response_id == response.id)
        ) == len(response.answers)
        receipt = session.scalars(sa.select(Receipt)).one()
        assert receipt.state == "answered" and receipt.response_id == response.id
        assert receipt.progress == {}
        assert receipt.opened_at is not None and receipt.answered_at is not None

    # The same link again: a friendly page, and nothing more stored.
    again = client.get(path_of(url))
    assert again.status_code == 409
    assert "đã được sử dụng" in again.get_data(as_text=True)
    assert count(Response) == 1


def _full_admin():
    from shared import questionnaires

    return questionnaires.current("admin", "full")


def test_second_submission_with_a_kept_form_stores_nothing(app, client, itoken, count):
    url = issue(client, itoken).get_json()["url"]
    path = path_of(url)
    for _ in range(len(_screens())):
        assert answer_screen(client, path, 4).status_code == 303
    final = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf(final), "next": "1", "comment": ""}
    first = client.post(path + "/send", data=form)
    assert first.status_code == 303
    replay = client.post(path + "/send", data=form)
    assert replay.status_code == 409
    assert count(Response) == 1
    # A screen posted after the end is refused too.
    late = answer_screen_direct(client, path, 0)
    assert late.status_code == 409
    assert count(Response) == 1


def answer_screen_direct(client, path: str, step: int):
    return client.post(f"{path}/{step}", data={"csrf_token": "x", "Q0": "5"})


def _screens():
    from shared.forms import screens

    return screens(_full_admin())


def test_issuing_twice_gives_the_same_token_and_stores_no_dossier_code(app, client, itoken, count):
    first = issue(client, itoken, DOSSIER).get_json()
    second = issue(client, itoken, DOSSIER.lower()).get_json()
    assert second["token"] == first["token"] and second["created"] is False
    other = issue(client, itoken, "000.00.12.H40-260302-0002").get_json()
    assert other["token"] != first["token"]
    assert count(Receipt) == 2
    with app.app_context():
        session = get_session()
        for row in session.scalars(sa.select(Receipt)):
            values = [str(getattr(row, c.name)) for c in Receipt.__table__.columns]
            assert not any("H40" in v or "260302" in v for v in values)
            assert not any(first["token"] in v for v in values)


def test_half_answered_survey_is_finished_later_from_the_same_link(app, client, itoken):
    url = issue(client, itoken).get_json()["url"]
    path = path_of(url)
    assert answer_screen(client, path, 2).status_code == 303
    assert answer_screen(client, path, 3).status_code == 303
    # Another browser (no cookie) opens the same link later: it goes on at screen 3.
    later = app.test_client()
    page = later.get(path).get_data(as_text=True)
    assert f"/r/{url.rsplit('/', 1)[1]}/2" in page
    # Going back shows the screen, never the answer given before.
    back = later.get(path + "?step=0").get_data(as_text=True)
    assert 'name="Q0" value="2"' in back and 'value="2" checked' not in back
    sent = answer_all(later, path, value=4, reasons=["waiting"])
    assert sent.status_code == 303
    with app.app_context():
        response = get_session().scalars(sa.select(Response)).one()
        codes = [item.code for item in _screens()[0] + _screens()[1]]
        assert [response.answers[c] for c in codes] == [2] * len(_screens()[0]) + [3] * len(
            _screens()[1]
        )
        assert response.reasons == ["waiting"]


def test_english_switch_and_vietnamese_default(client, itoken):
    path = path_of(issue(client, itoken).get_json()["url"])
    vi = client.get(path).get_data(as_text=True)
    assert '<html lang="vi">' in vi and "Tiếp" in vi
    en = client.get(path + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "Next" in en
    assert "lang=en" in en.split("<form", 1)[1].split(">", 1)[0]


def test_pages_are_small_and_self_contained(client, itoken):
    path = path_of(issue(client, itoken).get_json()["url"])
    for _ in range(len(_screens()) + 1):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert len(page.data) < 30 * 1024
        assert "<script" not in html and "http://" not in html.replace(
            'xmlns="http://www.w3.org/2000/svg"', ""
        )
        assert "<link" not in html
        if "/send" in html:
            break
        answer_screen(client, path, 1)


# -- bad tokens --------------------------------------------------------------------------------


def _token(client, itoken) -> str:
    return issue(client, itoken).get_json()["token"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # truncated
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered last character
        lambda t: ("A" if t[0] != "A" else "B") + t[1:],  # altered first character
        lambda t: t + "A",  # too long
        lambda t: "AAAAAAAAAAAAAAAAAAA",  # forged
        lambda t: t[:5] + "*" + t[6:],  # not base64
    ],
)
def test_forged_truncated_altered_tokens_are_refused(app, client, itoken, mangle, count, scalar):
    bad = mangle(_token(client, itoken))
    page = client.get(f"/r/{bad}")
    assert page.status_code == 404
    assert "không hợp lệ" in page.get_data(as_text=True)
    assert client.post(f"/r/{bad}/0", data={"Q0": "5"}).status_code == 404
    assert count(Response) == 0
    assert scalar(sa.select(Receipt.state)) == "issued"


def test_token_signature_needs_no_database():
    key = receipt_key("k1")
    token = make_token(key, "O01", DOSSIER)
    assert len(token) == 19 and token_signed(key, token)
    assert not token_signed(receipt_key("k2"), token)
    # Every single-character change fails the signature.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i in range(len(token)):
        for c in alphabet:
            if c != token[i]:
                assert not token_signed(key, token[:i] + c + token[i + 1 :])


def test_revoked_and_expired_codes_show_a_friendly_page(app, client, runner, itoken, count):
    revoked = _token(client, itoken)
    out = runner.invoke(collector, ["receipts", "revoke", revoked])
    assert out.exit_code == 0, out.output
    page = client.get(f"/r/{revoked}")
    assert page.status_code == 410 and "không còn hiệu lực" in page.get_data(as_text=True)

    expired = issue(client, itoken, "000.00.12.H40-260302-0009").get_json()["token"]
    path = f"/r/{expired}"
    assert answer_screen(client, path, 4).status_code == 303
    with app.app_context():
        session = get_session()
        session.execute(
            sa.update(Receipt)
            .where(Receipt.state == "opened")
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        )
        session.commit()
    page = client.get(path)
    assert page.status_code == 410 and "hết hạn" in page.get_data(as_text=True)
    assert client.post(path + "/send", data={"csrf_token": "x"}).status_code == 410
    assert count(Response) == 0
    with app.app_context():
        states = dict(get_session().execute(sa.select(Receipt.id, Receipt.state)).all())
        assert sorted(states.values()) == ["expired", "revoked"]
        assert all(p == {} for p in get_session().scalars(sa.select(Receipt.progress)))


def test_ttl_is_configurable(app, client, itoken):
    app.config["RECEIPT_TTL_DAYS"] = 3
    body = issue(client, itoken).get_json()
    expires = dt.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert dt.timedelta(days=2) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=3)


def test_missing_csrf_stores_nothing(app, client, itoken, count, scalar):
    path = f"/r/{_token(client, itoken)}"
    reply = client.post(path + "/0", data={"Q0": "5", "next": "1"})
    assert reply.status_code == 400
    assert "Không có gì được lưu" in reply.get_data(as_text=True)
    # A CSRF token of another screen does not do either.
    html = client.get(path).get_data(as_text=True)
    reply = client.post(path + "/1", data={"csrf_token": csrf(html), "A1": "5"})
    assert reply.status_code == 400
    assert scalar(sa.select(Receipt.progress)) == {}
    assert count(Response) == 0


def test_oversized_comment_is_refused_and_script_is_kept_as_text(
    app, client, itoken, count, scalar
):
    path = f"/r/{_token(client, itoken)}"
    for _ in range(len(_screens())):
        answer_screen(client, path, 5)
    html = client.get(path).get_data(as_text=True)
    too_long = client.post(path + "/send", data={"csrf_token": csrf(html), "comment": "x" * 1001})
    assert too_long.status_code == 400 and count(Response) == 0
    # A NUL in any form field is refused before the view (nothing stored, the link still works).
    nul = client.post(path + "/send", data={"csrf_token": csrf(html), "comment": "a\x00b"})
    assert nul.status_code == 400 and count(Response) == 0
    script = "<script>alert(1)</script>\x07 Đ\u0301 gọi 0912 345 678"
    sent = client.post(path + "/send", data={"csrf_token": csrf(html), "comment": script})
    assert sent.status_code == 303
    stored = scalar(sa.select(Response.comment))
    # Kept as text (escaped where shown), NFC, control characters gone, the phone number masked.
    assert stored == "<script>alert(1)</script> Đ\u0301 gọi [số điện thoại]"


def test_invalid_dossier_codes_are_named(client, itoken):
    cases = {
        "": "missing",
        "H40-26030-0001": "date part 26030",
        "H40-261302-0001": "date part 261302",
        "H40-260230-0001": "date part 260230",
        "H40-260302-001": "sequence part 001",
        "H40-260302-00012": "sequence part 00012",
        "H40 X-260302-0001": "unit part H40 X",
        "260302-0001": "must look like",
        "A" * 70: "longer than 64",
    }
    for dossier, words in cases.items():
        reply = issue(client, itoken, dossier)
        assert reply.status_code == 400, dossier
        error = reply.get_json()["error"]
        assert error["code"] == "invalid-dossier", dossier
        assert words in error["message"], (dossier, error)


def test_dossier_unit_part_is_loose():
    assert normalise_dossier(" h40.22-260302-0001 ") == "H40.22-260302-0001"
    assert normalise_dossier("000.00.12.H40-240229-9999").endswith("240229-9999")
    with pytest.raises(ReceiptError):
        normalise_dossier("000.00.12.H40-230229-0001")  # 2023 had no 29 February


def test_integration_token_outside_its_subtree_and_bad_tokens(app, client, itoken, count, register):
    reply = issue(client, itoken, unit="O02")
    assert reply.status_code == 403 and reply.get_json()["error"]["code"] == "forbidden"
    assert issue(client, itoken, unit="C01").status_code == 201
    assert issue(client, "nope", "000.00.12.H40-260302-0003").status_code == 401
    no_header = client.post("/api/v1/receipts", json={"dossier": DOSSIER, "unit": "O01"})
    assert no_header.status_code == 401
    # A kiosk's token is not an integration token.
    kiosk = register()
    assert issue(client, kiosk.token, "000.00.12.H40-260302-0004").status_code == 401
    assert count(Receipt) == 1


def test_bad_bodies(client, itoken):
    headers = {"Authorization": f"Bearer {itoken}"}
    assert (
        client.post(
            "/api/v1/receipts", data="{", headers=headers, content_type="application/json"
        ).status_code
        == 400
    )
    reply = issue(client, itoken, extra=1)
    assert reply.status_code == 400 and "extra" in reply.get_json()["error"]["message"]
    reply = issue(client, itoken, due_date="2026-02-30")
    assert reply.status_code == 400 and "due_date" in reply.get_json()["error"]["message"]
    reply = issue(client, itoken, unit="NOPE")
    assert reply.status_code == 400 and "NOPE" in reply.get_json()["error"]["message"]
    reply = issue(client, itoken, officer="a b")
    assert reply.status_code == 400 and "officer" in reply.get_json()["error"]["message"]


def test_integration_cli_create_and_revoke(app, client, runner, units):
    made = runner.invoke(
        collector, ["integrations", "create", "--unit", "C01", "--label", "Một cửa"]
    )
    assert made.exit_code == 0, made.output
    assert "chỉ hiện một lần này" in made.output
    token = made.output.strip().splitlines()[-1]
    assert issue(client, token).status_code == 201
    with app.app_context():
        row = get_session().scalars(sa.select(IntegrationToken)).one()
        assert token not in row.token_hash and len(row.token_hash) == 64
        assert row.last_used_at is not None
    # Integration tokens may read the questionnaires.
    definitions = client.get("/api/v1/questionnaires", headers={"Authorization": f"Bearer {token}"})
    assert definitions.status_code == 200 and definitions.get_json()["questionnaires"]
    gone = runner.invoke(collector, ["integrations", "revoke", str(row.id)])
    assert gone.exit_code == 0 and "thu hồi" in gone.output
    assert issue(client, token, "000.00.12.H40-260302-0005").status_code == 401
    assert (
        client.get(
            "/api/v1/questionnaires", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )
    missing = runner.invoke(collector, ["integrations", "create", "--unit", "ZZ"])
    assert missing.exit_code != 0 and "ZZ" in missing.output


def test_cli_issue_writes_png_and_svg_through_the_same_function(
    app, client, runner, units, tmp_path, count, scalar
):
    png = tmp_path / "qr.png"
    out = runner.invoke(
        collector,
        [
            "receipts",
            "issue",
            "--dossier",
            DOSSIER,
            "--unit",
            "O01",
            "--procedure",
            "1.0001",
            "--officer",
            "CB-1",
            "--out",
            str(png),
        ],
    )
    assert out.exit_code == 0, out.output
    url = [line for line in out.output.splitlines() if "/r/" in line][0].strip()
    assert decode_png(png.read_bytes()) == url
    expires = scalar(sa.select(Receipt.expires_at)).replace(tzinfo=dt.UTC)
    local = expires.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    # When it expires, in Vietnam time as the pages write it, not UTC ISO text.
    assert f"Có hiệu lực đến {local:%H:%M} {local.day}/{local.month}/{local:%y}." in out.output
    assert "+00:00" not in out.output
    svg = tmp_path / "qr.svg"
    again = runner.invoke(
        collector, ["receipts", "issue", "--dossier", DOSSIER, "--unit", "O01", "--out", str(svg)]
    )
    assert again.exit_code == 0 and url in again.output and "đã có" in again.output
    assert svg.read_bytes().startswith(b"<?xml")
    bad = runner.invoke(collector, ["receipts", "issue", "--dossier", "X-1-2", "--unit", "O01"])
    assert bad.exit_code != 0 and "YYMMDD" in bad.output
    assert count(Receipt) == 1
    assert scalar(sa.select(Receipt.procedure)) == "1.0001"


def test_openapi_documents_receipts(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/receipts"]["post"]
    assert post["security"] == [{"integrationToken": []}]
    assert "ReceiptRequest" in doc["components"]["schemas"]
    assert "integrationToken" in doc["components"]["securitySchemes"]
    assert "/api/v1/responses" in doc["paths"]


def test_qr_image_links_refuse_missing_wrong_and_out_of_scope_tokens(app, client, itoken, register):
    body = issue(client, itoken).get_json()
    for link in (body["qr_png"], body["qr_svg"]):
        path = path_of(link)
        missing = client.get(path)
        assert missing.status_code == 401
        assert missing.get_json()["error"]["code"] == "missing-token"
        wrong = fetch_qr(client, "int_not-a-token", link)
        assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "invalid-token"
        # An integration of a sibling unit may not fetch the codes of O01's receipts.
        other = fetch_qr(client, integration(app, "O02"), link)
        assert other.status_code == 404 and other.get_json()["error"]["code"] == "not-found"
        # The parent unit's integration may.
        assert fetch_qr(client, integration(app, "C01"), link).status_code == 200
        kiosk = register()
        assert fetch_qr(client, kiosk.token, link).status_code == 401


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered
        lambda t: "AAAAAAAAAAAAAAAAAAA",  # forged
        lambda t: t[:-1],  # truncated
    ],
)
def test_qr_image_links_refuse_a_forged_receipt_code(app, client, itoken, mangle):
    body = issue(client, itoken).get_json()
    for kind in ("png", "svg"):
        bad = fetch_qr(
            client, itoken, body[f"qr_{kind}"].replace(body["token"], mangle(body["token"]))
        )
        assert bad.status_code == 404 and bad.get_json()["error"]["code"] == "not-found"
    # Signed by another key: refused too, although well formed.
    other = make_token(receipt_key("another-secret"), "O01", DOSSIER)
    assert fetch_qr(client, itoken, f"/api/v1/receipts/{other}/qr.png").status_code == 404
