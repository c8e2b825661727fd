"""The report in real Chromium over the demo's data: log in, look at it on a laptop and a phone,
print it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from collector.db import get_db, get_session
from collector.demo import DEMO_ADMIN, DEMO_MANAGER, DEMO_PASSWORD, seed_demo
from collector.tasks import run_refresh_counts
from tests.browser.live import LAPTOP, PHONE, LiveServer, collector_app

#: Elements wider than the page (nothing on the report scrolls sideways).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1) bad.push(el.tagName + '.' + el.className);
  }
  return bad.slice(0, 10);
}
"""


@pytest.fixture(scope="module")
def report_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        seed_demo(session, weeks=12, seed=3)
        session.commit()
    run_refresh_counts(app)  # no worker runs here: the explicit call counts the seeded ratings
    with LiveServer(app) as server:
        yield server
    get_db(app).dispose()


def _log_in(page, base: str, email: str) -> None:
    page.goto(base + "/reports")
    assert "/login" in page.url
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/reports*")


@pytest.mark.parametrize(("name", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_weekly_report_screens(browser, report_server, screenshot_dir, name, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    _log_in(page, report_server.url, DEMO_ADMIN)
    page.goto(report_server.url + "/reports?period=last")
    assert page.locator("h1").inner_text() == "Báo cáo mức độ hài lòng"
    assert page.locator(".lead .period").inner_text().startswith("Tuần ")
    for kind in ("admin", "health", "education"):
        card = page.locator(f"#kpi-{kind}")
        assert card.is_visible()
        assert card.locator(".verdict").inner_text() in (
            "đạt chỉ tiêu",
            "không đạt chỉ tiêu",
            "chưa kết luận được",
            "chưa đủ phiếu",
            "không có dữ liệu",
        )
    charts = page.locator("figure.chart svg")
    funnels = page.locator("figure.funnel svg").count()
    assert funnels >= 1  # counters (and officers, for an administrator) against the target
    assert charts.count() == 6 + funnels
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 250 and box["height"] > 100
    overflow = page.evaluate(OVERFLOW_JS)
    page.screenshot(path=str(screenshot_dir / f"reports-{name}-top.png"))
    assert overflow == []
    page.screenshot(path=str(screenshot_dir / f"reports-{name}-full.png"), full_page=True)
    page.evaluate("document.querySelector('#kind-admin').scrollIntoView()")
    page.screenshot(path=str(screenshot_dir / f"reports-{name}-admin.png"))
    assert hosts == {"127.0.0.1"}  # every asset is local
    context.close()


def test_manager_sees_their_commune_and_can_switch_language(browser, report_server, screenshot_dir):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _log_in(page, report_server.url, DEMO_MANAGER)
    assert "Phường Tây Hồ" in page.locator(".lead").inner_text()
    options = page.locator("select[name=unit] option").all_inner_texts()
    assert options and all(o.startswith("00007") for o in options)
    page.click("text=English")
    assert page.locator("h1").inner_text() == "Satisfaction report"
    page.click(".topbar >> text=Alerts")  # the language stays with the pages
    assert page.locator("h1").inner_text() == "Alerts"
    page.screenshot(path=str(screenshot_dir / "reports-alerts.png"), full_page=True)
    context.close()


def test_the_report_prints_on_a4(browser, report_server):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    _log_in(page, report_server.url, DEMO_ADMIN)
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden()
    assert page.locator("figure.chart svg").first.is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert (
        2 <= pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page>") + pdf.count(b"/Type/Page")
        or len(pdf) > 10_000
    )
    context.close()
