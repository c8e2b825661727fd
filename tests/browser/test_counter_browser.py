"""The counter page in real Chromium: a counter officer logs in, scans a dossier code, prints its
slip on an 80 mm receipt printer (the print preview as PDF and as a screenshot, its QR code read
back with zxing-cpp), then as A5; and can open neither reports nor administration."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image

from collector.accounts.service import add_user
from collector.db import get_db, get_session
from collector.procedures.service import save_procedure
from collector.units import add_unit
from tests.browser.live import LiveServer, collector_app

OFFICER = "quay1@example.org"
PASSWORD = "mật khẩu quầy một cửa"  # noqa: S105 - a test account
DOSSIER = "000.00.12.H40-261207-0042"
MM = 72 / 25.4  # PDF points per millimetre
#: Counts the print dialogs asked for (headless Chromium has none to show).
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


@pytest.fixture(scope="module")
def counter_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("counter")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        add_unit(session, "C01", "Xã Một", "commune", "P01")
        add_unit(session, "O01", "Bộ phận Một cửa xã Một", "one-stop-centre", "C01")
        add_user(session, OFFICER, PASSWORD, "counter", "O01")
        save_procedure(session, "1.001193", "Đăng ký khai sinh")
        save_procedure(session, "2.000908", "Chứng thực bản sao từ bản chính")
        session.commit()
    with LiveServer(app) as server:
        server.app = app
        yield server
    get_db(app).dispose()


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in mm of each page of a PDF that Chromium wrote."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(w) / MM, float(h) / MM) for w, h in boxes]


def _decode(png: bytes) -> str:
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found.text


def test_a_counter_officer_issues_and_prints_a_slip(browser, counter_server, screenshot_dir):
    base = counter_server.url
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    context.add_init_script(COUNT_PRINTS)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#email", OFFICER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == base + "/counter"
    assert page.locator('.topbar nav a[href^="/reports"]').count() == 0
    assert page.locator(".topbar >> text=Quản trị").count() == 0
    page.screenshot(path=str(screenshot_dir / "counter-page-1366.png"), full_page=True)

    # A barcode scanner types the code and presses Enter.
    page.select_option("#procedure", "1.001193")
    page.fill("#officer", "CB-07")
    page.locator("#dossier").focus()
    with page.expect_navigation():
        page.keyboard.type(DOSSIER.lower())
        page.keyboard.press("Enter")
    assert "/slip?" in page.url and "layout=80mm" in page.url
    assert "Đã cấp mã đánh giá mới." in page.locator(".flash").inner_text()
    page.wait_for_function("window.__prints >= 1")  # the print dialog opens by itself
    link = page.locator(".thermal .url").inner_text().replace("\n", "")
    token = link.rsplit("/r/", 1)[1]
    assert link == f"{base}/r/{token}" and len(token) == 19
    assert page.locator("[data-layout]").count() == 1
    page.screenshot(path=str(screenshot_dir / "counter-slip-screen-1366.png"), full_page=True)

    # The print preview: only the 80 mm slip, the link wrapped nowhere inside its token.
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    assert page.locator(".token").evaluate("el => el.getClientRects().length") == 1
    sheet = page.locator(".sheet.thermal")
    width = sheet.evaluate("el => el.getBoundingClientRect().width")
    assert abs(width - 80 * 96 / 25.4) < 1  # 80 mm at 96 px per inch
    preview = sheet.screenshot(path=str(screenshot_dir / "counter-slip-80mm-print.png"))
    assert _decode(preview) == link
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (screenshot_dir / "counter-slip-80mm.pdf").write_bytes(pdf)
    [(w, h)] = _pdf_pages(pdf)  # one page
    assert round(w) == 80 and 100 <= h <= 150

    # The same slip on A5, from the layout chosen on the page.
    page.emulate_media(media="screen")
    with page.expect_navigation():
        page.get_by_role("link", name="Giấy A5").click()
    assert page.locator("[data-layout]").count() == 1
    assert page.locator(".thermal").count() == 0
    page.get_by_role("button", name="In").click()
    assert page.evaluate("window.__prints") == 1  # the button (this page did not print itself)
    page.emulate_media(media="print")
    a5 = page.locator(".sheet.a5").screenshot(
        path=str(screenshot_dir / "counter-slip-a5-print.png")
    )
    assert _decode(a5) == link
    [(w, h)] = _pdf_pages(page.pdf(prefer_css_page_size=True, print_background=True))
    assert (round(w), round(h)) == (210, 148)

    # Issued through the same function as the API and the CLI: the receipt has it all.
    with counter_server.app.app_context():
        from collector.models import Receipt

        receipt = get_session().query(Receipt).one()
        assert (receipt.unit.code, receipt.procedure, receipt.officer) == (
            "O01",
            "1.001193",
            "CB-07",
        )

    # Nothing but the counter: reports and administration are closed to a counter officer.
    page.emulate_media(media="screen")
    for path in ("/reports", "/reports/alerts", "/admin/", "/admin/targets", "/admin/audit"):
        assert page.goto(base + path).status == 403, path
    context.close()
