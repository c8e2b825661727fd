"""The phone survey in real Chromium at 360x740: the receipt's QR code (PNG and SVG), fetched
from the issuing reply's links, decoded with zxing-cpp, the decoded link followed and the survey
completed with JavaScript on and off; and a survey left half answered finished later from the
same link."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from collector.db import get_db, get_session
from collector.models import Receipt, Response
from collector.receipts.integrations import create_integration
from collector.units import add_unit
from tests.browser.live import LiveServer, collector_app

PHONE = {"width": 360, "height": 740}

OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(el => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > width + 1;
    })
    .map(el => el.tagName + '.' + el.className).slice(0, 10);
}
"""


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        add_unit(session, "O01", "Bộ phận Một cửa xã Một", "one-stop-centre", "P01")
        _, token = create_integration(session, "P01", "Một cửa")
        session.commit()
    with LiveServer(app) as server:
        app.config["PUBLIC_URL"] = server.url
        server.app, server.token = app, token
        yield server
    get_db(app).dispose()


def _issue(server, n: int, **extra) -> dict:
    reply = server.app.test_client().post(
        "/api/v1/receipts",
        json={"dossier": f"000.00.12.H40-260302-{n:04d}", "unit": "O01", **extra},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    assert reply.status_code == 201, reply.get_json()
    return reply.get_json()


def _fetch(server, link: str) -> bytes:
    """A QR image link of the issuing reply, fetched over HTTP with the integration token."""
    reply = requests.get(link, headers={"Authorization": f"Bearer {server.token}"}, timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.content


def _decode(image: Image.Image) -> str:
    results = zxingcpp.read_barcodes(image)
    assert [r.format for r in results] == [zxingcpp.BarcodeFormat.QRCode]
    return results[0].text


def _decode_svg(browser, svg: str) -> str:
    """The SVG rasterised by Chromium, then decoded."""
    context = browser.new_context(viewport={"width": 400, "height": 400})
    page = context.new_page()
    page.set_content(
        '<body style="margin:0;background:#fff"><div style="width:300px">'
        f"{svg[svg.index('<svg') :]}</div>"
        "<style>svg{width:300px;height:300px}</style></body>"
    )
    png = page.screenshot(clip={"x": 0, "y": 0, "width": 300, "height": 300})
    context.close()
    return _decode(Image.open(io.BytesIO(png)))


def _answer_screen(page, value: int, shot: str | None = None) -> None:
    for fieldset in page.locator("fieldset.item").all():
        fieldset.locator(f'label:has(input[value="{value}"])').first.click()
        assert fieldset.locator(f'input[value="{value}"]').first.is_checked()
    if shot:
        page.screenshot(path=shot, full_page=True)
    page.click("button[name=next]")
    page.wait_for_load_state()


def _stored(server, token_url: str):
    with server.app.app_context():
        session = get_session()
        responses = session.scalars(sa.select(Response).order_by(Response.id)).all()
        return [
            (r.channel, r.procedure, r.officer, dict(r.answers), list(r.reasons)) for r in responses
        ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_phone_survey_from_the_decoded_qr(browser, phone_server, screenshot_dir, javascript):
    body = _issue(phone_server, 1 if javascript else 2, procedure="1.004227", officer="CB-07")
    png_url = _decode(Image.open(io.BytesIO(_fetch(phone_server, body["qr_png"]))))
    svg_url = _decode_svg(browser, _fetch(phone_server, body["qr_svg"]).decode("utf-8"))
    assert png_url == svg_url == body["url"]

    context = browser.new_context(viewport=PHONE, java_script_enabled=javascript, locale="vi-VN")
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(png_url)
    tag = "js" if javascript else "nojs"
    shot = 0
    values = [5, 4, 2, 0, 5, 4, 1]
    while page.locator("fieldset.item").count():
        assert page.evaluate(OVERFLOW_JS) == []
        # The five faces come first; the smaller "no opinion" choice after them.
        first = page.locator("fieldset.item").first
        faces = first.locator(".face-choice").all()
        none = first.locator("label.none")
        assert len(faces) == 5
        assert (
            none.bounding_box()["y"]
            > faces[0].bounding_box()["y"] + faces[0].bounding_box()["height"] - 1
        )
        assert none.bounding_box()["height"] < faces[0].bounding_box()["height"]
        page.screenshot(path=str(screenshot_dir / f"phone-{tag}-{shot}.png"), full_page=True)
        _answer_screen(
            page, values[shot % len(values)], str(screenshot_dir / f"phone-{tag}-{shot}-chosen.png")
        )
        shot += 1
    assert page.locator("textarea#comment").is_visible()
    chips = page.locator("label.chip")
    assert chips.count() > 0  # a low score was given
    chips.first.click()
    # A selected chip shows a check mark, not only a colour.
    mark = page.evaluate(
        "() => getComputedStyle("
        "document.querySelector('.chip input:checked + span'), '::before').content"
    )
    assert "✓" in mark
    page.fill("textarea#comment", "<script>alert(1)</script> nhanh")
    page.screenshot(path=str(screenshot_dir / f"phone-{tag}-final.png"), full_page=True)
    page.click("button[name=next]")
    page.wait_for_load_state()
    assert "Xin cảm ơn" in page.content()
    page.screenshot(path=str(screenshot_dir / f"phone-{tag}-thanks.png"), full_page=True)
    assert hosts == {urlsplit(phone_server.url).netloc}
    page.goto(png_url)
    assert "đã được sử dụng" in page.content()
    context.close()
    stored = [s for s in _stored(phone_server, png_url) if s[1] == "1.004227"]
    assert stored and stored[-1][0] == "receipt" and stored[-1][2] == "CB-07"


def test_half_answered_survey_is_finished_later(browser, phone_server, screenshot_dir):
    body = _issue(phone_server, 3)
    url = _decode(Image.open(io.BytesIO(_fetch(phone_server, body["qr_png"]))))
    first = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = first.new_page()
    page.goto(url)
    _answer_screen(page, 3)
    _answer_screen(page, 4)
    first.close()
    with phone_server.app.app_context():
        receipt = get_session().scalars(sa.select(Receipt).order_by(Receipt.id.desc())).first()
        assert receipt.state == "opened" and receipt.progress["step"] == 2
    later = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    page = later.new_page()
    page.goto(url)
    assert "Bước 3/" in page.content()
    page.screenshot(path=str(screenshot_dir / "phone-resumed.png"), full_page=True)
    while page.locator("fieldset.item").count():
        _answer_screen(page, 5)
    page.click("button[name=next]")
    page.wait_for_load_state()
    assert "Xin cảm ơn" in page.content()
    later.close()
    with phone_server.app.app_context():
        receipt = get_session().get(Receipt, receipt.id)
        assert receipt.state == "answered"
        response = get_session().get(Response, receipt.response_id)
        assert 3 in response.answers.values() and 4 in response.answers.values()
