"""The report page over a typed report: every figure of the model on the page, marked for the
cross-format test; Vietnamese labels and numbers; periods from the picker; 400/404 for periods
that cannot be or have not begun; the standalone file."""

from __future__ import annotations

import re

import pytest
from flask_babel import gettext

from collector.reports import model, page, service
from tests.factories import login, period_report


@pytest.fixture
def backend() -> str:
    """These reports are built by hand (or the service is replaced): the database is not under
    test, so SQLite alone serves."""
    return "sqlite"


FIG = re.compile(r'data-fig="([^"]+)"[^>]*>(.*?)</(?:td|dd|p|strong|span)>', re.S)


def expected_figures(report: model.Report) -> set[str]:
    """The data-fig keys a page of this report must carry."""
    keys: set[str] = set()
    for k in report.kinds:
        kind = k.kind
        keys |= {f"{kind}.{name}" for name in ("index", "ci95", "n", "responses", "verdict")}
        keys |= {f"{kind}.target", f"{kind}.change"}
        if k.rollup:
            keys.add(f"{kind}.pooled")
        if k.overall:
            keys.add(f"{kind}.overall")
        if k.comprehensive:
            keys.add(f"{kind}.comprehensive")
        for f in k.factors:
            keys |= {f"{kind}.factor.{f.code}", f"{kind}.factor.{f.code}.mean"}
        for c in k.criteria:
            keys |= {f"{kind}.criterion.{c.code}", f"{kind}.criterion.{c.code}.answers"}
        for row in k.children:
            keys |= {f"{kind}.child.{row.code}", f"{kind}.child.{row.code}.n"}
        keys |= {f"trend.{kind}.{t.key}" for t in k.trend}
    keys |= {f"channel.{c.kind}.{c.channel}" for c in report.channel_comparison}
    keys |= {f"counter.{b.kind}.{b.group[0]}.{b.group[1]}" for b in report.counters}
    keys |= {f"procedure.{b.kind}.{b.group[0]}" for b in report.procedures}
    keys |= {f"officer.{b.kind}.{b.group[0]}.{b.group[1]}" for b in report.officers or ()}
    keys |= {f"rate.{u.code}.answered_share" for u in report.response_rate.units}
    keys |= {f"reason.{r.code}" for r in report.reasons}
    return keys


def figures(html: str) -> dict[str, str]:
    return {key: re.sub(r"<[^>]+>", "", text).strip() for key, text in FIG.findall(html)}


@pytest.fixture
def served(app, client, monkeypatch, make):
    """A logged-in admin; the service answers the hand-built report of the period's kind, and
    records the period it was asked for."""
    asked = []

    def build(session, config, *, user, unit_code, period, include_unofficial=False, via="page"):
        asked.append(period)
        return period_report({"range": "quarter"}.get(period.kind, period.kind))

    monkeypatch.setattr(service, "build_report_for", build, raising=False)
    make.user("admin@example.org", "admin", None)
    login(client, "admin@example.org")
    return asked


@pytest.mark.parametrize("kind", ["week", "quarter", "year"])
def test_every_figure_of_the_model_is_on_the_page(client, served, kind):
    report = period_report(kind)
    key = report.period.key
    reply = client.get(f"/reports?period={key}")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    found = figures(html)
    missing = expected_figures(report) - set(found)
    assert missing == set()
    admin = report.kind("admin")
    assert found["admin.index"].startswith(f"{admin.summary.index:.2f}".replace(".", ","))
    assert found["admin.verdict"] == page.verdict_label(admin.summary.verdict) or found[
        "admin.verdict"
    ] in ("chưa kết luận được", "đạt chỉ tiêu", "không đạt chỉ tiêu", "chưa đủ phiếu")
    assert served[-1].key == key


def test_labels_and_numbers_are_vietnamese(client, served):
    html = client.get("/reports?period=2026-W48").get_data(as_text=True)
    assert "Tuần 48 (23/11 - 29/11/2026)" in html
    assert "chưa đủ phiếu" in html  # the province's own 12 responses
    assert "chưa kết luận được" in html
    assert 'type="week"' not in html
    assert ">Khoảng ngày</option>" in html and ">Quý</option>" in html
    assert "trung bình của 3 phần" in html  # how many parts the parent's mean has
    found = figures(html)
    assert re.fullmatch(r"\d+,\d\d–\d+,\d\d", found["admin.ci95"])
    assert "Tuần 47 (16/11 - 22/11/2026)" in html  # the link to the previous week


def test_the_picker_and_the_old_address_ask_for_the_same_periods(client, served):
    reply = client.get("/reports?pk=month&py=2026&pm=11&pw=3&pq=1&unit=01")
    assert reply.status_code == 200
    assert served[-1].key == "2026-11"
    assert client.get("/reports?pk=quarter&py=2026&pq=3").status_code == 200
    assert served[-1].key == "2026-Q3"
    reply = client.get("/reports?pk=range&pfrom=2026-10-01&pto=2026-11-15")
    assert reply.status_code == 200 and served[-1].key == "2026-10-01..2026-11-15"
    old = client.get("/reports/weekly?week=2026-W48")
    assert old.status_code == 200 and served[-1].key == "2026-W48"
    assert "Tuần 48 (23/11 - 29/11/2026)" in old.get_data(as_text=True)


@pytest.mark.parametrize(
    ("period", "status", "words"),
    [
        ("0001-W01", 400, "Kỳ này"),
        ("2026-W60", 400, "400"),
        ("tuesday", 400, "không phải là một kỳ báo cáo"),
        ("2026-11-15..2026-10-01", 400, "kết thúc trước khi bắt đầu"),
        ("2999", 404, "chưa bắt đầu"),
    ],
)
def test_periods_that_cannot_be_are_clear_errors(client, served, period, status, words):
    reply = client.get(f"/reports?period={period}")
    assert reply.status_code == status
    assert words in reply.get_data(as_text=True)
    assert served == []  # never reached the report
    assert 'href="/reports?period=last"' in reply.get_data(as_text=True)  # a way back that works


def test_the_standalone_page_is_one_file_without_the_site(app):
    report = period_report("year")
    with app.test_request_context("/"):
        html = page.render_report_page(report)
    assert "<style>" in html and "table.reflow" in html  # the stylesheet inlined
    assert '<header class="topbar"' not in html and '<form method="get"' not in html
    assert "Năm 2025" in html
    # a trend and a factor chart per kind, and a funnel plot per breakdown with one
    assert len(report.funnels) == 2
    assert html.count("<svg") == 2 * len(report.kinds) + len(report.funnels)
    assert "540" not in re.findall(r'<svg[^>]*width="(\d+)"', html)  # no fixed width


def test_chart_text_is_vietnamese_and_the_target_is_labelled(app):
    with app.test_request_context("/"):
        kind = period_report("week").kind("health")
        charts = page.kind_charts(kind)
        names = [f"{f.code}. {gettext(f.title)}" for f in kind.factors]
    bars = str(charts["factors"])
    assert "Chỉ tiêu 85 %" in bars and 'stroke-dasharray="8,5"' in bars
    values = re.findall(r'fill="#fff">([^<]+)</text>', bars)
    assert values and all(re.fullmatch(r"\d+,\d", v) for v in values)
    # long section names are wrapped over lines, never cut
    lines = re.findall(r'<text x="10" y="[\d.]+" font-size="14">([^<]+)</text>', bars)
    assert len(lines) > len(names)
    assert " ".join(lines) == " ".join(names)
    trend = str(charts["trend"])
    assert "T48" in trend and "viewBox" in trend and 'width="760"' not in trend


def test_alerts_page_lists_the_units_of_the_period(client, served):
    report = period_report("quarter")
    reply = client.get("/reports/alerts?period=2026-Q3")
    assert reply.status_code == 200
    html = reply.get_data(as_text=True)
    assert "Quý 3/2026 (01/07 - 30/09/2026)" in html
    rows = re.findall(r'class="alert-row" data-unit="([^"]+)" data-kind="([^"]+)"', html)
    assert rows == [(a.unit.code, a.kind) for a in report.alerts]
    assert served[-1].key == "2026-Q3"


def test_month_labels_of_a_year_trend(app):
    with app.test_request_context("/"):
        assert page.short_key("2025-11") == "Th11"
        assert page.short_key("2026-W48") == "T48"
    with app.test_request_context("/?lang=en"):
        assert page.short_key("2025-11") == "Nov"
        assert page.short_key("2026-W48") == "W48"
