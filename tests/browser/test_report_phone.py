"""The report page on a phone and a laptop, in real Chromium: nothing wider than the screen, every
% and interval on screen, the headline first; screenshots of the week, quarter and year views.

The page is served over hand-built typed reports (tests/report_samples.py), so the layout
is tested on a report with every section filled, long names included, whatever the data."""

from __future__ import annotations

import pytest

from collector.db import get_db, get_session
from collector.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_demo
from collector.reports import service
from tests.browser.live import LiveServer, collector_app
from tests.factories import period_report

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
VIEWS = {"week": "2026-W48", "quarter": "2026-Q3", "year": "2025"}

#: Report tables and charts, and the figures marked in tables (but minor columns), wider than the
#: viewport or hidden.
LAYOUT_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const out = {width, scroll: document.documentElement.scrollWidth, wide: [], hidden: [],
               cut: [], figures: 0, charts: 0};
  const name = el => el.tagName + '.' + (el.className.baseVal ?? el.className);
  for (const el of document.querySelectorAll('main table, figure.chart svg')) {
    const r = el.getBoundingClientRect();
    if (el.tagName === 'svg') out.charts++;
    if (el.closest('details:not([open])')) continue;
    if (r.left < -1 || r.right > width + 1) out.wide.push(name(el) + ' ' + Math.round(r.right));
  }
  for (const cell of document.querySelectorAll('table [data-fig]')) {
    if (cell.closest('details:not([open])')) continue;
    out.figures++;
    const r = cell.getBoundingClientRect();
    // Minor columns (class "low": answers, mean, no opinion) may give way on a small screen;
    // every share, index and interval must stay.
    const minor = cell.classList.contains('low');
    if (r.width === 0 || r.height === 0) { if (!minor) out.hidden.push(cell.dataset.fig); }
    else if (r.left < -1 || r.right > width + 1) out.cut.push(cell.dataset.fig);
  }
  return out;
}
"""


def _fake_build_report_for(
    session, config, *, user, unit_code, period, include_unofficial=False, via="page"
):
    return period_report({"range": "quarter"}.get(period.kind, period.kind))


@pytest.fixture(scope="module")
def phone_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-phone")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        seed_demo(session, weeks=1, seed=3)
        session.commit()
    real = getattr(service, "build_report_for", None)
    service.build_report_for = _fake_build_report_for
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        if real is None:
            del service.build_report_for
        else:
            service.build_report_for = real
        get_db(app).dispose()


def _logged_in(browser, server, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#email", DEMO_ADMIN)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/reports*")
    return context, page


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize(
    ("screen", "viewport"),
    [("laptop", LAPTOP), ("phone", PHONE), ("tablet", {"width": 700, "height": 1000})],
)
def test_report_fits_the_screen(browser, phone_server, screenshot_dir, view, screen, viewport):
    context, page = _logged_in(browser, phone_server, viewport)
    page.goto(f"{phone_server.url}/reports?period={VIEWS[view]}")
    layout = page.evaluate(LAYOUT_JS)
    page.screenshot(path=str(screenshot_dir / f"report-{view}-{screen}-top.png"))
    page.screenshot(path=str(screenshot_dir / f"report-{view}-{screen}-full.png"), full_page=True)
    assert layout["charts"] == 6 + 2  # two per kind, and the counters' and officers' funnels
    assert layout["figures"] > 50
    assert layout["wide"] == []
    assert layout["hidden"] == []
    assert layout["cut"] == []
    assert layout["scroll"] <= layout["width"]  # no sideways scrolling
    context.close()


def test_phone_shows_the_headline_first_then_factors_worst_first(
    browser, phone_server, screenshot_dir
):
    context, page = _logged_in(browser, phone_server, PHONE)
    page.goto(f"{phone_server.url}/reports?period=2026-W48")
    cards = page.locator("#kpi-admin").bounding_box()
    tools = page.locator(".report-tools").bounding_box()
    first_kind = page.locator("#kind-admin").bounding_box()
    assert cards["y"] < tools["y"] < first_kind["y"]
    assert cards["y"] < PHONE["height"]  # the first headline card is on the first screen
    shown = page.locator("#kind-admin table.factors td[data-fig$='.mean']").count()
    cells = page.eval_on_selector_all(
        "#kind-admin table.factors td.num[data-fig^='admin.factor.']",
        "cells => cells.map(c => [c.dataset.fig, c.innerText])",
    )
    # The factor's index (admin.factor.<code>), not its mean, pooled figure or answers.
    indices = [
        float(text.replace(",", "."))
        for fig, text in cells
        if fig.count(".") == 2 and text.strip() and not text.startswith("–")
    ]
    assert shown == 5 and indices == sorted(indices)
    label = page.locator(".lead .period").inner_text()
    assert label == "Tuần 48 (23/11 - 29/11/2026)"
    assert page.locator("nav.weeks a[rel=prev]").inner_text().startswith("← Tuần 47")
    text = page.locator("#kpi-admin").inner_text()
    assert "," in page.locator("#kpi-admin .big").inner_text()  # decimal comma
    assert "chưa kết luận được" in text or "đạt" in text or "chưa đủ phiếu" in text
    context.close()


def test_small_phone_and_the_picker_speaks_vietnamese(browser, phone_server, screenshot_dir):
    context, page = _logged_in(browser, phone_server, SMALL_PHONE)
    page.goto(f"{phone_server.url}/reports?period=2026-Q3")
    layout = page.evaluate(LAYOUT_JS)
    shot = screenshot_dir / "report-quarter-small-phone-full.png"
    page.screenshot(path=str(shot), full_page=True)
    assert layout["wide"] == [] and layout["hidden"] == [] and layout["cut"] == []
    assert layout["scroll"] <= layout["width"]
    kinds = page.locator("#pk option").all_inner_texts()
    assert kinds == ["Tuần", "Tháng", "Quý", "Năm", "Khoảng ngày"]
    assert page.locator("input[type=week]").count() == 0
    assert page.locator(".pp-quarter").is_visible() and not page.locator(".pp-week").is_visible()
    page.select_option("#pk", "month")  # the fields follow the kind chosen, without a script
    assert page.locator(".pp-month").is_visible() and not page.locator(".pp-quarter").is_visible()
    page.select_option("select[name=pm]", "11")
    page.select_option("select[name=py]", "2026")
    page.locator(".period-picker button[type=submit]").click()
    page.wait_for_url("**pk=month**")
    assert "pm=11" in page.url
    context.close()


def test_kiosk_page_shares_the_site_header_and_fits_a_phone(browser, phone_server, screenshot_dir):
    context, page = _logged_in(browser, phone_server, PHONE)
    page.goto(f"{phone_server.url}/kiosks/")
    assert page.locator(".topbar").is_visible()
    assert page.locator(".topbar button", has_text="Đăng xuất").count() == 1
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(screenshot_dir / "kiosks-phone.png"), full_page=True)
    assert scroll <= width
    context.close()


def test_the_year_prints_on_a4(browser, phone_server, screenshot_dir):
    # A4 less the page's 12 mm margins is 186 mm wide: 703 CSS pixels.
    context, page = _logged_in(browser, phone_server, {"width": 703, "height": 1000})
    page.goto(f"{phone_server.url}/reports?period=2025")
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator(".report-tools").is_hidden()
    layout = page.evaluate(LAYOUT_JS)
    assert layout["wide"] == [] and layout["cut"] == []
    page.screenshot(path=str(screenshot_dir / "report-year-print.png"), full_page=True)
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    context.close()
