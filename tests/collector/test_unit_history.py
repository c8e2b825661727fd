"""Units with history: `units reorganise` records merges, splits and renamings on a date with
their audit entry, refuses a bad file whole, and the shipped Quảng Trị files import and apply."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_session
from collector.models import AuditEntry, Unit, UnitLink
from tests.factories import QUANG_TRI, count, old_huong_hoa, quang_tri_rows

DAY = dt.date(2025, 7, 1)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _add(runner, *units: tuple[str, str, str, str]) -> None:
    for code, name, kind, parent in units:
        args = ["units", "add", code, name, "--kind", kind]
        result = runner.invoke(collector, args + (["--parent", parent] if parent else []))
        assert result.exit_code == 0, result.output


def _state(app) -> tuple:
    with app.app_context():
        session = get_session()
        units = session.execute(
            sa.select(Unit.code, Unit.valid_from, Unit.valid_to, Unit.active).order_by(Unit.code)
        ).all()
        links = session.execute(
            sa.select(UnitLink.predecessor_id, UnitLink.successor_id, UnitLink.change)
        ).all()
        return units, links, count(app, AuditEntry, AuditEntry.action == "units-reorganised")


def test_a_merge_and_a_split_are_recorded_on_their_date_with_an_audit_entry(app, units, tmp_path):
    runner = app.test_cli_runner()
    _add(runner, ("C09", "Xã Chín", "commune", "P01"), ("C08", "Xã Tám", "commune", "P01"))
    path = _write(
        tmp_path,
        "merge.csv",
        "date,from,to,change,note\n"
        "2025-07-01,C01,C09,merge,Xã Một → Xã Chín\n"
        "2025-07-01,C02,C09,merge,\n",
    )
    result = runner.invoke(collector, ["units", "reorganise", path])
    assert result.exit_code == 0, result.output
    assert "2025-07-01" in result.output
    with app.app_context():
        session = get_session()
        by_code = {u.code: u for u in session.scalars(sa.select(Unit))}
        assert (by_code["C01"].valid_to, by_code["C01"].active) == (DAY, False)
        assert (by_code["C02"].valid_to, by_code["C02"].active) == (DAY, False)
        assert (by_code["C09"].valid_from, by_code["C09"].valid_to) == (DAY, None)
        assert by_code["C09"].active and by_code["C08"].valid_from is None
        links = {
            (session.get(Unit, p).code, session.get(Unit, s).code, c)
            for p, s, c in session.execute(
                sa.select(UnitLink.predecessor_id, UnitLink.successor_id, UnitLink.change)
            )
        }
        assert links == {("C01", "C09", "merge"), ("C02", "C09", "merge")}
        entry = session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "units-reorganised")
        )
        assert entry.user_id is None  # the command line
        assert entry.details["effective"] == "2025-07-01"
        assert entry.details["codes"] == ["C01", "C02"]
        assert entry.details["successors"] == ["C09"]

    split = _write(
        tmp_path,
        "split.csv",
        "date,from,to,change\n2026-01-01,C09,C08,split\n2026-01-01,C09,C02x,split\n",
    )
    _add(runner, ("C02x", "Xã Hai mới", "commune", "P01"))
    result = runner.invoke(collector, ["units", "reorganise", split])
    assert result.exit_code == 0, result.output
    assert _state(app)[2] == 2
    # A unit that ceased cannot cease again.
    again = runner.invoke(collector, ["units", "reorganise", split])
    assert again.exit_code != 0 and "C09" in again.output


@pytest.mark.parametrize(
    ("rows", "line", "word"),
    [
        ("2025-07-01,C01,C09,merge\n2025-13-01,C02,C09,merge\n", 3, "YYYY-MM-DD"),
        ("2025-07-01,C01,C09,merge\n2025-07-01,C77,C09,merge\n", 3, "C77"),
        ("2025-07-01,C01,C09,merge\n2025-07-02,C02,C09,merge\n", 3, "2025-07-02"),
        ("2025-07-01,C01,C09,merge\n2025-07-01,C02,C09,absorb\n", 3, "absorb"),
        ("2025-07-01,C01,C09,merge\n2025-07-01,C02,C02,merge\n", 3, "C02"),
        ("2025-07-01,C01,C09,split\n2025-07-01,C02,C09,merge\n", 2, "C01"),
        (
            "2025-07-01,C02,C09,merge\n2025-07-01,C01,C09,merge\n2025-07-01,C01,O01,merge\n",
            3,
            "C01",
        ),
        ("2025-07-01,C01,C09,rename\n2025-07-01,C02,C09,merge\n", 2, "C09"),
        ("2025-07-01,C01,C09,merge\n2025-07-01,C09,C02,merge\n", 3, "C09"),
    ],
)
def test_a_bad_reorganisation_file_names_its_line_and_changes_nothing(
    app, units, tmp_path, rows, line, word
):
    runner = app.test_cli_runner()
    _add(runner, ("C09", "Xã Chín", "commune", "P01"))
    before = _state(app)
    path = _write(tmp_path, "bad.csv", "date,from,to,change\n" + rows)
    result = runner.invoke(collector, ["units", "reorganise", path])
    assert result.exit_code != 0
    assert f"Dòng {line}:" in result.output or f"dòng {line}:" in result.output, result.output
    assert word in result.output
    assert _state(app) == before


@pytest.mark.parametrize(
    "text",
    ["code,name,parent,kind\nC01,Xã,P01,commune\n", "date,from,to\n", "date,from,to,change\n"],
)
def test_a_file_that_is_not_a_reorganisation_is_refused_whole(app, units, tmp_path, text):
    before = _state(app)
    result = app.test_cli_runner().invoke(
        collector, ["units", "reorganise", _write(tmp_path, "x.csv", text)]
    )
    assert result.exit_code != 0 and result.output.startswith(("Error: ", "Lỗi: "))
    assert _state(app) == before


def test_the_quang_tri_file_holds_its_78_commune_level_units():
    rows = quang_tri_rows("units.csv")
    communes = [r for r in rows if r["kind"] != "province"]
    assert len(communes) == 78
    assert Counter(r["kind"] for r in communes) == {"commune": 69, "ward": 8, "special-zone": 1}
    assert [r["code"] for r in rows if r["kind"] == "province"] == ["44"]
    assert {r["parent"] for r in communes} == {"44"}
    assert len({r["code"] for r in rows}) == len(rows)
    assert all(len(r["code"]) == 5 and r["code"].isdigit() for r in communes)
    prefixes = {"commune": "Xã ", "ward": "Phường ", "special-zone": "Đặc khu "}
    assert all(r["name"].startswith(prefixes[r["kind"]]) for r in communes)
    assert next(r for r in communes if r["kind"] == "special-zone")["name"] == "Đặc khu Cồn Cỏ"
    source = (QUANG_TRI / "README.md").read_text(encoding="utf-8")
    assert "1680/NQ-UBTVQH15" in source and "1027/CTK-CSCL" in source


def test_the_huong_hoa_mapping_reorganises_an_old_tree_into_seven_communes(app, tmp_path):
    runner = app.test_cli_runner()
    old = runner.invoke(
        collector, ["units", "import", _write(tmp_path, "old.csv", old_huong_hoa())]
    )
    assert old.exit_code == 0, old.output
    new = runner.invoke(collector, ["units", "import", str(QUANG_TRI / "units.csv")])
    assert new.exit_code == 0, new.output
    result = runner.invoke(collector, ["units", "reorganise", str(QUANG_TRI / "huong-hoa.csv")])
    assert result.exit_code == 0, result.output
    seven = {"19429", "19432", "19435", "19441", "19462", "19483", "19489"}
    with app.app_context():
        session = get_session()
        code_of = dict(session.execute(sa.select(Unit.id, Unit.code)).all())
        links = session.execute(
            sa.select(UnitLink.predecessor_id, UnitLink.successor_id, UnitLink.change)
        ).all()
        ceased = set(session.scalars(sa.select(Unit.code).where(Unit.valid_to == DAY)))
        parent_of = {
            u.code: (u.parent.code if u.parent else None) for u in session.scalars(sa.select(Unit))
        }
    assert {code_of[s] for _, s, _ in links} == seven
    assert {code_of[s] for p, s, c in links if c == "split"} == seven
    assert {code_of[p] for p, s, c in links if c == "split"} == {"465"}
    merged = [code_of[p] for p, s, c in links if c == "merge"]
    assert len(merged) == len(set(merged)) == 14  # 21 old communes and towns: 7 kept their code
    assert ceased == {"465", *merged}
    assert all(parent_of[code] == "44" for code in seven)
    # Applied twice, it is refused and changes nothing.
    before = _state(app)
    again = runner.invoke(collector, ["units", "reorganise", str(QUANG_TRI / "huong-hoa.csv")])
    assert again.exit_code != 0 and _state(app) == before
