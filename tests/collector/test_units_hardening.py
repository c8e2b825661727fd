"""The unit tree stays a tree whatever its depth, no recursive query over it can run for ever, and
a unit file or name that cannot be stored is a clear 4xx, never a 500."""

from __future__ import annotations

import contextlib
import io
import time

import pytest
import sqlalchemy as sa

from collector.accounts.scope import in_subtree, subtree_ids
from collector.cli import collector
from collector.db import get_session
from collector.fleet.opening import unit_managers
from collector.models import Unit
from collector.units import MAX_DEPTH, UnitError, move_unit
from tests.factories import csrf_token, login

ADMIN = "admin@example.org"


@pytest.fixture
def admin(app, client, units, make):
    make.user(ADMIN, "admin", None)
    assert login(client, ADMIN).status_code == 302
    return csrf_token(client.get("/account/").get_data(as_text=True))


def parents(app) -> dict[str, str | None]:
    with app.app_context():
        return {
            u.code: (u.parent.code if u.parent else None)
            for u in get_session().scalars(sa.select(Unit))
        }


def _chain(app, top: str, levels: int) -> None:
    """`levels` units L01..Lnn, each under the one before, the first under `top`: stored
    directly, as a tree made before depth was limited may hold them."""
    with app.app_context():
        session = get_session()
        parent = session.scalar(sa.select(Unit).where(Unit.code == top))
        for level in range(1, levels + 1):
            parent = Unit(code=f"L{level:02d}", name=f"Cấp {level}", kind="office", parent=parent)
            session.add(parent)
        session.commit()


def test_a_move_under_a_descendant_forty_levels_down_is_refused(app, client, admin):
    _chain(app, "C01", 40)
    before = parents(app)
    reply = client.post("/admin/units/C01/move", data={"parent": "L40", "csrf_token": admin})
    assert reply.status_code == 400
    assert parents(app) == before
    with app.app_context(), pytest.raises(UnitError):
        move_unit(get_session(), "C01", "L40")
    # The CLI refuses it the same way.
    result = app.test_cli_runner().invoke(collector, ["units", "move", "C01", "--parent", "L40"])
    assert result.exit_code != 0
    assert parents(app) == before


def test_the_tree_cannot_grow_deeper_than_its_queries_reach(app, client, admin, count):
    """Scope and report queries follow the tree MAX_DEPTH levels down; no unit goes deeper."""
    rows = ["code,name,parent,kind"] + [
        f"D{n:02d},Cấp {n},{'C01' if n == 1 else f'D{n - 1:02d}'},office"
        for n in range(1, MAX_DEPTH + 1)
    ]
    reply = client.post(
        "/admin/unit-import", data={"text": "\n".join(rows), "confirm": "1", "csrf_token": admin}
    )
    assert reply.status_code == 400
    assert "D32" in reply.get_data(as_text=True)  # P01 > C01 > D01 ... D31 is as deep as it goes
    assert count(Unit) == 5
    reply = client.post(
        "/admin/unit-import",
        data={"text": "\n".join(rows[:-1]), "confirm": "1", "csrf_token": admin},
    )
    assert reply.status_code == 303
    deeper = {"code": "X1", "name": "Sâu", "kind": "office", "parent": "D31", "csrf_token": admin}
    assert client.post("/admin/units", data=deeper).status_code == 400
    assert count(Unit, Unit.code == "X1") == 0
    # Moving a subtree under a deep unit counts the subtree's own depth too.
    move = lambda code, parent: client.post(  # noqa: E731
        f"/admin/units/{code}/move", data={"parent": parent, "csrf_token": admin}
    )
    assert move("C02", "D30").status_code == 400 and parents(app)["C02"] == "P01"
    assert move("O02", "D30").status_code == 303
    with app.app_context():
        session = get_session()
        ids = dict(session.execute(sa.select(Unit.code, Unit.id)).all())
        assert ids["O02"] in subtree_ids(session, [ids["P01"]])
        assert in_subtree(session, ids["P01"], ids["D31"])


@contextlib.contextmanager
def bounded(session, seconds: float):
    """Statements of the session that run longer than `seconds` fail instead of running for
    ever (PostgreSQL's statement_timeout; SQLite's progress handler)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET statement_timeout = {int(seconds * 1000)}")
        try:
            yield
        finally:
            session.rollback()
        return
    raw = connection.connection.driver_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def test_recursive_queries_end_on_a_cycle_already_stored(app, units, make):
    """A cycle left in the table (by the old move check) must not hang the silent-kiosk job's
    query for a unit's managers, nor the scope queries."""
    make.user("m@example.org", "manager", "C01")
    make.user("elsewhere@example.org", "manager", "C02")
    with app.app_context():
        session = get_session()
        ids = dict(session.execute(sa.select(Unit.code, Unit.id)).all())
        # P01 under O01: P01 > C01 > O01 > P01 ...
        session.execute(sa.update(Unit).where(Unit.id == ids["P01"]).values(parent_id=ids["O01"]))
        session.commit()
        with bounded(session, 5):
            assert unit_managers(session, ids["O01"]) == ["m@example.org"]
            assert {ids["P01"], ids["C01"], ids["O01"]} <= subtree_ids(session, [ids["C01"]])
            assert in_subtree(session, ids["O01"], ids["C01"])


def test_a_csv_field_over_the_csv_modules_limit_is_a_clear_400(app, client, admin, tmp_path, count):
    huge = "code,name,parent,kind\nC03," + "x" * 140_000 + ",P01,commune\n"
    reply = client.post(
        "/admin/unit-import",
        data={"file": (io.BytesIO(huge.encode()), "units.csv"), "csrf_token": admin},
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400
    assert "2" in reply.get_data(as_text=True)  # the line is named
    path = tmp_path / "units.csv"
    path.write_text(huge, encoding="utf-8")
    result = app.test_cli_runner().invoke(collector, ["units", "import", str(path)])
    assert result.exit_code == 1 and "131072" in result.output
    assert count(Unit) == 5


@pytest.mark.parametrize("name", ["Xã\x00Ba", "Xã\x07Ba", "Xã\u0085Ba"])
def test_a_control_character_in_a_unit_name_is_refused_on_confirm(app, client, admin, name, count):
    text = f"code,name,parent,kind\nC03,{name},P01,commune\n"
    reply = client.post(
        "/admin/unit-import",
        data={
            "file": (io.BytesIO(text.encode()), "units.csv"),
            "confirm": "1",
            "csrf_token": admin,
        },
        content_type="multipart/form-data",
    )
    assert reply.status_code == 400
    assert 'data-line="2"' in reply.get_data(as_text=True)
    assert count(Unit) == 5
    with app.app_context(), pytest.raises(UnitError):
        from collector.units import rename_unit

        rename_unit(get_session(), "C01", name)
