"""Every figure of one report, the same in the JSON, the CSV, the XLSX and the page.

Each format is parsed on its own (tests/collector/report_figures.py, which also describes the key
scheme) into a dict of figures, and each dict is compared with the figures read straight from the
typed report, figure by figure.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest

from collector.reports import model
from collector.reports.render import (
    report_csv,
    report_json,
    report_xlsx,
    verdict_label,
)
from tests.collector.report_figures import (
    NUMBER,
    FigureParser,
    Figures,
    figures_from_json,
    figures_from_model,
    figures_from_page,
    figures_from_tables,
    tables_from_csv,
    tables_from_xlsx,
)
from tests.factories import sample_report


@pytest.fixture
def backend() -> str:
    """These reports are built by hand (or the service is replaced): the database is not under
    test, so SQLite alone serves."""
    return "sqlite"


# -- the tests -----------------------------------------------------------------------------------


def _diff(found: Figures, expected: Figures) -> list[str]:
    keys = sorted(set(found) | set(expected))
    return [
        f"{k}: {found.get(k, '<missing>')!r} != {expected.get(k, '<missing>')!r}"
        for k in keys
        if found.get(k, "<missing>") != expected.get(k, "<missing>")
    ]


@pytest.fixture(params=[True, False], ids=["manager", "viewer"])
def report(request):
    return sample_report(officers=request.param)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def test_the_figures_cover_the_whole_report(report, ctx):
    expected = figures_from_model(report)
    # Something of every part of the report, so that no part can drop out of the comparison.
    for key in (
        "admin.index",
        "admin.overall",
        "health.comprehensive",
        "admin.factor.A.mean",
        "admin.child.P01.factor.A",
        "trend.admin.2026-W28.n",
        "alert.admin.D02",
        "unit.health.H01",
        "admin.verdict_text",
        "admin.child.D03.pooled",
        "admin.pool.ci95",
        "trend.admin.2026-W27.partial",
        "funnel.counter.admin.30.limits998",
        "counter.admin.D02.Q1.position",
        "counter.admin.D01.Q1",
        "procedure.admin.1.001234.ci95",
        "channel.admin.kiosk.suspect",
        "heat.6.10.dissatisfied",
        "reason.waiting",
        "rate.total.answered_share",
        "outcome.admin.late.ci95",
        "outcome.rate.pending.answered_share",
        "national.total.item_54_points",
        "national.D01.sipas",
        "leftout.total",
        "trend.admin.2026-W28.reorganised",
        "reorganisation.2026-07-01.D02+D03.after",
        "reorganisation.2026-07-01.D04.unassigned",
        "voice.C01.bru.listened",
        "voice.C01.-.responses",
    ):
        assert key in expected
    assert ("officer.admin.D01.CB07" in expected) == (report.officers is not None)
    assert len(expected) > 250


def test_json_carries_every_figure(report, ctx):
    doc = json.loads(json.dumps(report_json(report)))
    assert _diff(figures_from_json(doc), figures_from_model(report)) == []


def test_csv_carries_every_figure(report, ctx):
    tables = tables_from_csv(report_csv(report))
    assert _diff(figures_from_tables(tables), figures_from_model(report)) == []


def test_xlsx_carries_every_figure(report, ctx):
    tables = tables_from_xlsx(report_xlsx(report))
    assert _diff(figures_from_tables(tables), figures_from_model(report)) == []


def test_the_formats_agree_with_each_other(ctx):
    report = sample_report()
    from_json = figures_from_json(json.loads(json.dumps(report_json(report))))
    from_csv = figures_from_tables(tables_from_csv(report_csv(report)))
    from_xlsx = figures_from_tables(tables_from_xlsx(report_xlsx(report)))
    assert from_json == from_csv == from_xlsx


def test_the_page_parser_reads_vietnamese_figures(ctx):
    html = (
        '<p data-fig="admin.index">71,40<small>%</small></p>'
        '<dd data-fig="admin.ci95">65,12 – 77,46</dd>'
        '<td data-fig="admin.change"><span class="down">−2,10</span> điểm</td>'
        '<td data-fig="admin.responses">1.234</td><td data-fig="admin.previous">–</td>'
        f'<span data-fig="admin.verdict">{verdict_label(model.TOO_CLOSE)}</span>'
    )
    assert figures_from_page(html) == {
        "admin.index": 71.4,
        "admin.ci95": (65.12, 77.46),
        "admin.change": -2.1,
        "admin.responses": 1234.0,
        "admin.previous": None,
        "admin.verdict": model.TOO_CLOSE,
    }


#: Figures the page must mark at least (the others it marks are compared too).
PAGE_CORE = (
    "admin.index",
    "admin.ci95",
    "admin.target",
    "admin.n",
    "admin.factor.A",
    "admin.criterion.A1",
    "admin.child.D01",
    "admin.child.P01",
    "admin.overall",
    "health.index",
    "health.comprehensive",
    "health.factor.A",
    "channel.admin.kiosk",
    "rate.total.answered_share",
    "procedure.admin.1.001234",
    "trend.admin.2026-W27",
    "reason.waiting",
    "outcome.admin.on-time",
    "outcome.rate.late.answered_share",
    "national.total.on_time_points",
    "national.total.item_54_points",
    "national.D01.sipas",
)


class _NumberCells(HTMLParser):
    """Table cells holding a figure (class "num", or any cell of a heatmap) without data-fig."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.heatmap = 0
        self.unmarked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "table":
            self.heatmap += "heatmap" in classes
        if tag == "td":
            self.cell = ("num" in classes or self.heatmap) and "data-fig" not in attrs
            self.text = []

    def handle_data(self, data):
        if getattr(self, "cell", False):
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and getattr(self, "cell", False):
            if "".join(self.text).strip():  # an empty cell holds no figure
                self.unmarked.append("".join(self.text).strip())
            self.cell = False
        if tag == "table" and self.heatmap:
            self.heatmap -= 1


def _decimals(text: str) -> int:
    """How many decimals the page wrote its figure with (it may round, e.g. a heatmap cell)."""
    places = [len(m.split(",")[1]) if "," in m else 0 for m in NUMBER.findall(text)]
    return max(places) if places else 2


def _agrees(found: Any, want: Any, decimals: int) -> bool:
    if found == want:
        return True
    if isinstance(want, float) and isinstance(found, float):
        return round(want, decimals) == found
    if isinstance(want, tuple) and isinstance(found, tuple) and len(want) == len(found):
        return all(round(w, decimals) == f for w, f in zip(want, found, strict=True))
    return False


def test_the_page_shows_the_same_figures(report, ctx):
    page = pytest.importorskip("collector.reports.page")
    html = page.render_report_page(report, standalone=True)
    found = figures_from_page(html)
    expected = figures_from_model(report)
    assert set(PAGE_CORE) <= set(found)
    unknown = sorted(set(found) - set(expected))
    assert unknown == [], f"figures on the page that no other format has: {unknown}"
    # Every figure in a table is marked, so that none escapes the comparison.
    cells = _NumberCells()
    cells.feed(html)
    assert cells.unmarked == []
    parser = FigureParser()
    parser.feed(html)
    differ = [
        f"{key}: {found[key]!r} != {expected[key]!r}"
        for key in found
        if not _agrees(found[key], expected[key], _decimals(parser.found[key]))
    ]
    assert differ == []
    officer_keys = [k for k in found if k.startswith("officer.")]
    assert bool(officer_keys) == (report.officers is not None)
