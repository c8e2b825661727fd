"""Reports across a reorganisation: three communes merged into one on a date, reported before,
across and after it, with the trend continuous and the date marked; a split whose responses are
assigned by the kiosk's unit after it, and shown apart when they cannot be."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.models import Kiosk, Unit
from collector.periods import Period
from collector.reports.service import build_report_for
from tests.factories import post_answers

ALL = ("Q0", "A0", "B0", "C0", "D0", "E0")
DAY = dt.date(2026, 2, 2)  # a Monday: week 2026-W06 begins with it


def _post(kiosk, value: int, day: str, times: int, unit: str | None = None) -> None:
    for minute in range(times):
        post_answers(kiosk, dict.fromkeys(ALL, value), f"{day}T09:{minute:02d}:00+07:00", unit=unit)


def _report(app, unit: str, period: str):
    with app.app_context():
        session = get_session()
        report = build_report_for(
            session, app.config, user=None, unit_code=unit, period=Period.parse(period)
        )
        session.commit()
        return report


def _reorganise(app, tmp_path, rows: str) -> None:
    path = tmp_path / "reorganise.csv"
    path.write_text("date,from,to,change\n" + rows, encoding="utf-8")
    result = app.test_cli_runner().invoke(collector, ["units", "reorganise", str(path)])
    assert result.exit_code == 0, result.output


def _add(app, *rows: str) -> None:
    for row in rows:
        code, name, kind, parent = row.split(",")
        result = app.test_cli_runner().invoke(
            collector, ["units", "add", code, name, "--kind", kind, "--parent", parent]
        )
        assert result.exit_code == 0, result.output


def _children(report) -> dict[str, int]:
    return {row.code: row.summary.n for row in report.kind("admin").children}


@pytest.fixture
def merged(app, client, units, tmp_path, register):
    """C01 (its responses at O01), C02 and C03 merged into N01 on 2 February 2026: 4 + 4 + 4
    responses in week 3 before it; after it, 3 at N01 and 2 from C02's kiosk not yet moved in
    week 6, and 5 at N01 in week 10."""
    _add(app, "C03,Xã Ba,commune,P01", "N01,Xã Mới,commune,P01")
    c01, c02, c03 = (register(code) for code in ("C01", "C02", "C03"))
    _post(c01, 5, "2026-01-13", 4, unit="O01")
    _post(c02, 1, "2026-01-13", 4)
    _post(c03, 5, "2026-01-14", 4)
    before = _report(app, "P01", "2026-W03")
    _reorganise(
        app,
        tmp_path,
        "2026-02-02,C01,N01,merge\n2026-02-02,C02,N01,merge\n2026-02-02,C03,N01,merge\n",
    )
    n01 = register("N01")
    _post(n01, 5, "2026-02-03", 3)
    _post(c02, 1, "2026-02-04", 2)
    _post(n01, 4, "2026-03-03", 5)
    return before


def test_before_the_date_the_communes_are_reported_as_they_were(app, merged):
    report = _report(app, "P01", "2026-W03")
    assert _children(report) == {"C01": 4, "C02": 4, "C03": 4}
    assert report.kind("admin").summary.index == merged.kind("admin").summary.index
    assert report.reorganisations == ()  # the change is after the week and its trend
    # The new commune's report of the same week is the sum of its predecessors'.
    n01 = _report(app, "N01", "2026-W03")
    assert n01.kind("admin").summary.n == 12
    assert n01.kind("admin").summary.index == pytest.approx(200 / 3, abs=0.01)  # 8 of 12 satisfied


def test_across_the_date_the_predecessors_count_in_the_new_commune(app, merged):
    report = _report(app, "P01", "2026-Q1")
    assert _children(report) == {"N01": 4 + 4 + 4 + 3 + 2 + 5}
    change = report.reorganisations[0]
    assert (change.effective, change.change) == (DAY, "merge")
    assert (change.before, change.after, change.unassigned) == (
        ("C01", "C02", "C03"),
        ("N01",),
        None,
    )
    n01 = _report(app, "N01", "2026-Q1").kind("admin")
    assert n01.summary.n == 22
    trend = {point.key: point for point in n01.trend}
    assert trend["2026-W03"].n == 12 and trend["2026-W03"].index is not None
    assert trend["2026-W06"].n == 5 and trend["2026-W06"].reorganised == (DAY,)
    assert trend["2026-W10"].n == 5
    assert [key for key, p in trend.items() if p.reorganised] == ["2026-W06"]
    assert sum(point.n for point in n01.trend) == n01.summary.n  # nothing lost or counted twice


def test_after_the_date_the_trend_of_the_new_commune_runs_on_from_its_predecessors(app, merged):
    report = _report(app, "P01", "2026-W10")
    assert _children(report) == {"N01": 5}
    trend = {point.key: point for point in report.kind("admin").trend}
    assert trend["2026-W03"].n == 12  # the twelve weeks before: the predecessors, as N01
    assert trend["2026-W06"].n == 5 and trend["2026-W06"].reorganised == (DAY,)
    n01 = {point.key: point.n for point in _report(app, "N01", "2026-W10").kind("admin").trend}
    assert n01 == {key: point.n for key, point in trend.items()}


@pytest.fixture
def split(app, client, units, tmp_path, register):
    """C02 split into S01 and S02 on 2 February 2026 after 4 responses from each of two kiosks;
    one kiosk is moved to S01 and the other to S02, or left at C02 (unassignable)."""
    _add(app, "S01,Xã Tách Một,commune,P01", "S02,Xã Tách Hai,commune,P01")
    first, second = register("C02"), register("C02")
    _post(first, 5, "2026-01-13", 4)
    _post(second, 1, "2026-01-14", 4)
    _reorganise(app, tmp_path, "2026-02-02,C02,S01,split\n2026-02-02,C02,S02,split\n")
    return first, second


def _move(app, kiosk_id: int, code: str) -> None:
    with app.app_context():
        session = get_session()
        unit = session.scalar(sa.select(Unit).where(Unit.code == code))
        session.get(Kiosk, kiosk_id).unit_id = unit.id
        session.commit()


def test_a_split_follows_the_kiosks_when_they_all_went_to_one_successor(app, split):
    first, second = split
    _move(app, first.id, "S01")
    _move(app, second.id, "S01")
    assert _report(app, "S01", "2026-Q1").kind("admin").summary.n == 8
    assert _report(app, "S02", "2026-Q1").kind("admin") is None
    report = _report(app, "P01", "2026-Q1")
    assert _children(report) == {"S01": 8}
    assert report.reorganisations[0].unassigned is None


def test_a_split_whose_kiosks_went_apart_is_shown_as_not_assigned(app, split):
    first, second = split
    _move(app, first.id, "S01")  # the second stays at C02
    s01 = _report(app, "S01", "2026-Q1")
    assert s01.kind("admin") is None  # nothing assigned to it
    change = s01.reorganisations[0]
    assert (change.change, change.before, change.after) == ("split", ("C02",), ("S01", "S02"))
    assert change.unassigned == 8
    report = _report(app, "P01", "2026-Q1")
    assert _children(report) == {"C02": 8}  # kept under the unit split, named as not assigned
    assert report.reorganisations[0].unassigned == 8
    # Reported before the split, the commune is as it was and nothing is said about it.
    before = _report(app, "P01", "2026-W03")
    assert _children(before) == {"C02": 8} and before.reorganisations == ()


def test_the_page_names_the_reorganisation_and_marks_the_trend(app, client, merged):
    from tests.factories import login, make_user

    make_user(app, "tinh@example.org", "admin", "P01")
    login(client, "tinh@example.org")
    page = client.get("/reports", query_string={"unit": "N01", "period": "2026-Q1"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-fig="reorganisation.2026-02-02.C01+C02+C03.after"' in html
    assert "C01, C02, C03" in html and "02/02/2026" in html
    assert 'data-fig="trend.admin.2026-W06.reorganised"' in html
    assert 'data-reorganised="2026-02-02"' in html  # the line through the chart
    assert 'data-fig="trend.admin.2026-W03.reorganised"' not in html


def test_a_split_not_assigned_is_said_on_the_page(app, client, split):
    from tests.factories import login, make_user

    _move(app, split[0].id, "S01")
    make_user(app, "tinh@example.org", "admin", "P01")
    login(client, "tinh@example.org")
    html = client.get("/reports", query_string={"unit": "P01", "period": "2026-Q1"}).get_data(
        as_text=True
    )
    assert 'data-fig="reorganisation.2026-02-02.C02.unassigned">8<' in html


def test_the_huong_hoa_communes_carry_their_history_into_khe_sanh(app, client, tmp_path, register):
    """The shipped files on an old Hướng Hóa tree: the responses of Tân Hợp (19450) count in
    the new Khe Sanh (19429) from before the change; those of the district's own kiosk, left at
    the district, are the split's responses not assigned."""
    from tests.factories import QUANG_TRI, old_huong_hoa

    runner = app.test_cli_runner()
    old = tmp_path / "old.csv"
    old.write_text(old_huong_hoa(), encoding="utf-8")
    assert runner.invoke(collector, ["units", "import", str(old)]).exit_code == 0
    tan_hop, khe_sanh, district = (register(c) for c in ("19450", "19429", "465"))
    _post(tan_hop, 5, "2025-06-10", 3)
    _post(khe_sanh, 1, "2025-06-11", 2)
    _post(district, 5, "2025-06-12", 4)
    for args in (
        ["units", "import", str(QUANG_TRI / "units.csv")],
        ["units", "reorganise", str(QUANG_TRI / "huong-hoa.csv")],
    ):
        result = runner.invoke(collector, args)
        assert result.exit_code == 0, result.output
    june = _report(app, "19429", "2025-06").kind("admin")
    assert june.summary.n == 5  # its own 2 and Tân Hợp's 3
    year = _report(app, "44", "2025")
    assert _children(year)["19429"] == 5
    split = next(r for r in year.reorganisations if r.change == "split")
    assert split.before == ("465",) and len(split.after) == 7
    assert split.unassigned == 4
    july = {p.key: p for p in year.kind("admin").trend}["2025-07"]
    assert july.reorganised == (dt.date(2025, 7, 1),)
