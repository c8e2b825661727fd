"""The report page under its own Content-Security-Policy, in real Chromium: the print button
prints, the charts log no CSP error, and the two heat maps sit side by side or one under the other
without overlapping, the page no wider than the screen, at 1366, 1024 and 390 px.

The page is served over hand-built typed reports (tests/report_samples.py) whose heat map
covers either the opening hours (11 columns) or a whole day (24 columns: phone surveys answered
at night), so the layout is tested on both shapes whatever the demo's data."""

from __future__ import annotations

import dataclasses
import random

import pytest

from collector.db import get_db, get_session
from collector.demo import DEMO_ADMIN, DEMO_PASSWORD, seed_demo
from collector.reports import model, service
from tests.browser.live import LiveServer, collector_app
from tests.factories import period_report

VIEWS = {"week": "2026-W48", "quarter": "2026-Q3", "year": "2025"}
SCREENS = {
    "laptop": {"width": 1366, "height": 768},
    "small-laptop": {"width": 1024, "height": 768},
    "phone": {"width": 390, "height": 844},
}
#: The hours each report's heat map shows, chosen by the unit asked for (?unit=...).
HOURS = {"day": tuple(range(24)), "opening": tuple(range(7, 18))}

#: The heat-map tables' boxes, their card's, and the page's widths.
HEATMAP_JS = """
() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const tables = [...document.querySelectorAll('table.heatmap')];
  const card = tables[0].closest('section');
  return {tables: tables.map(t => ({box: box(t), parent: box(t.parentElement)})),
          card: box(card), width: document.documentElement.clientWidth,
          scroll: document.documentElement.scrollWidth};
}
"""


def _with_heatmap(report: model.Report, hours: tuple[int, ...]) -> model.Report:
    rng = random.Random(len(hours))
    grid = tuple(
        tuple(model.HeatCell(rng.randint(0, 400), rng.uniform(0, 40)) for _ in hours)
        for _day in range(7)
    )
    return dataclasses.replace(report, heatmap=model.Heatmap(hours, grid, 400))


def _fake_build_report_for(
    session, config, *, user, unit_code, period, include_unofficial=False, via="page"
):
    kind = {"range": "quarter"}.get(period.kind, period.kind)
    return _with_heatmap(period_report(kind), HOURS.get(unit_code or "", HOURS["day"]))


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report-layout")
    app = collector_app(folder)
    with app.app_context():
        session = get_session()
        seed_demo(session, weeks=1, seed=3)
        session.commit()
    real = service.build_report_for
    service.build_report_for = _fake_build_report_for
    try:
        with LiveServer(app) as server:
            yield server
    finally:
        service.build_report_for = real
        get_db(app).dispose()


def _logged_in(browser, server, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []  # what the Content-Security-Policy refused
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(server.url + "/login")
    page.fill("#email", DEMO_ADMIN)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/reports*")
    return context, page, errors


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and (a["top"] < b["bottom"] and b["top"] < a["bottom"])
    )


def test_the_print_button_prints_without_a_csp_error(browser, layout_server):
    context, page, errors = _logged_in(browser, layout_server, SCREENS["laptop"])
    # Count the calls instead of opening the print dialog (headless Chromium has none).
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    page.goto(f"{layout_server.url}/reports?period=2026-W48")
    button = page.locator(".report-tools button", has_text="In")
    assert button.count() == 1 and button.is_visible()
    assert page.evaluate("window.printed || 0") == 0
    button.click()
    assert page.evaluate("window.printed") == 1
    assert page.locator("[onclick]").count() == 0
    assert errors == []
    context.close()


@pytest.mark.parametrize("view", list(VIEWS))
def test_no_csp_error_from_the_charts(browser, layout_server, view):
    context, page, errors = _logged_in(browser, layout_server, SCREENS["laptop"])
    page.goto(f"{layout_server.url}/reports?period={VIEWS[view]}")
    # a trend and a factor chart per kind, and the funnel plots of counters and officers
    assert page.locator("figure.funnel svg").count() == 2
    assert page.locator("figure.chart svg").count() == 6 + 2
    assert page.locator("figure.chart script").count() == 0
    assert errors == []
    context.close()


@pytest.mark.parametrize("hours", list(HOURS))
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_heatmaps_never_overlap_nor_widen_the_page(
    browser, layout_server, screenshot_dir, screen, view, hours
):
    context, page, _errors = _logged_in(browser, layout_server, SCREENS[screen])
    page.goto(f"{layout_server.url}/reports?period={VIEWS[view]}&unit={hours}")
    layout = page.evaluate(HEATMAP_JS)
    card = page.locator("section.card:has(table.heatmap)")
    card.screenshot(path=str(screenshot_dir / f"report-heatmaps-{hours}-{view}-{screen}.png"))
    assert layout["scroll"] <= layout["width"]  # no sideways scrolling of the page
    first, second = layout["tables"]
    assert not _overlap(first["box"], second["box"])
    for table in (first, second):
        # Each table stays in its own box (which may scroll it on a phone), inside the card.
        assert table["parent"]["right"] <= layout["card"]["right"]
        assert table["parent"]["left"] >= layout["card"]["left"]
        if screen != "phone":
            assert table["box"]["right"] <= table["parent"]["right"] + 1
    side_by_side = first["box"]["top"] == second["box"]["top"]
    assert side_by_side == (hours == "opening" and screen != "phone")
    context.close()
