"""`sipas collector ...` through Flask's CLI runner (and once through the real entry point)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from collector.cli import collector
from collector.db import get_session
from collector.models import Kiosk, KioskChain, Unit
from sipas.cli import main
from tests.factories import SimKiosk

CSV = """code,name,parent,kind
O01,Bộ phận Một cửa xã Một,C01,one-stop-centre
P01,Tỉnh Thử,,province
C01,Xã Một,P01,commune
S01,Trường Tiểu học Một,C01,school
"""


def parents(app) -> dict[str, str | None]:
    with app.app_context():
        units = get_session().scalars(sa.select(Unit)).all()
        return {u.code: (u.parent.code if u.parent else None) for u in units}


def test_units_add_builds_the_tree(app, runner):
    assert (
        runner.invoke(
            collector, ["units", "add", "P01", "Tỉnh Thử", "--kind", "province"]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        collector, ["units", "add", "C01", "Xã Một", "--parent", "P01", "--kind", "commune"]
    )
    assert result.exit_code == 0, result.output
    assert "Đã thêm đơn vị C01 (Xã Một)." in result.output
    assert parents(app) == {"P01": None, "C01": "P01"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X1", "Xã", "--parent", "NOPE", "--kind", "commune"], "không có đơn vị cấp trên NOPE"),
        (["X1", "Xã", "--kind", "Commune"], "loại 'Commune' không hợp lệ"),
        (["X 1", "Xã", "--kind", "commune"], "mã đơn vị 'X 1' không hợp lệ"),
    ],
)
def test_units_add_refuses_bad_units(app, runner, args, message, count):
    result = runner.invoke(collector, ["units", "add", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert count(Unit) == 0


def test_units_add_refuses_a_taken_code(app, runner, scalar):
    runner.invoke(collector, ["units", "add", "P01", "Tỉnh", "--kind", "province"])
    result = runner.invoke(collector, ["units", "add", "P01", "Tỉnh khác", "--kind", "province"])
    assert result.exit_code == 1 and "đơn vị P01 đã có" in result.output
    assert scalar(sa.select(Unit.name)) == "Tỉnh"


def test_units_import_takes_parents_in_any_order_and_updates_on_reimport(app, runner, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("\ufeff" + CSV, "utf-8")  # as Excel saves it, with a byte-order mark
    result = runner.invoke(collector, ["units", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "thêm 4, cập nhật 0, không đổi 0" in result.output
    assert parents(app) == {"P01": None, "C01": "P01", "O01": "C01", "S01": "C01"}

    path.write_text(CSV.replace("S01,Trường Tiểu học Một,C01", "S01,Trường Tiểu học Một,P01"))
    result = runner.invoke(collector, ["units", "import", str(path)])
    assert "thêm 0, cập nhật 1, không đổi 3" in result.output
    assert parents(app)["S01"] == "P01"


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("code,name,kind\nP01,Tỉnh,province\n", "dòng tiêu đề CSV phải là code,name,parent,kind"),
        (CSV + "P01,Lặp lại,,province\n", "dòng 6: đơn vị P01 xuất hiện hai lần"),
        (CSV + "X01,Xã,ZZZ,commune\n", "đơn vị X01: không có đơn vị cấp trên ZZZ"),
        (CSV + "X01,,P01,commune\n", "dòng 6: đơn vị X01: tên phải dài"),
        ("code,name,parent,kind\nA,a,B,commune\nB,b,A,commune\n", "vòng lặp"),
    ],
)
def test_a_bad_units_file_changes_nothing(app, runner, tmp_path, csv, message, count):
    path = tmp_path / "units.csv"
    path.write_text(csv, "utf-8")
    result = runner.invoke(collector, ["units", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert count(Unit) == 0


def test_kiosks_register_prints_a_working_token_once_and_stores_its_hash(
    app, runner, client, units
):
    result = runner.invoke(collector, ["kiosks", "register", "--unit", "C01", "--label", "Quầy 2"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with app.app_context():
        kiosk = get_session().scalar(sa.select(Kiosk))
        assert kiosk.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert kiosk.label == "Quầy 2" and kiosk.unit.code == "C01"
        assert token not in repr(get_session().execute(sa.select(Kiosk.__table__)).all())
    sim = SimKiosk(client, kiosk.id, token)
    assert sim.statuses(sim.batch(1)) == ["accepted"]


def test_kiosks_register_needs_a_known_unit(app, runner, units, count):
    result = runner.invoke(collector, ["kiosks", "register", "--unit", "NOPE"])
    assert result.exit_code == 1 and "không có đơn vị NOPE" in result.output
    assert count(Kiosk) == 0


def test_kiosks_revoke_stops_the_token(app, runner, kiosk):
    result = runner.invoke(collector, ["kiosks", "revoke", str(kiosk.id)])
    assert result.exit_code == 0 and f"Đã thu hồi ki-ốt {kiosk.id}." in result.output
    assert kiosk.post(kiosk.batch(1)).status_code == 401
    assert runner.invoke(collector, ["kiosks", "revoke", "999"]).exit_code == 1


def test_kiosks_rotate_replaces_the_token_and_keeps_the_chain(app, runner, kiosk):
    kiosk.post(kiosk.batch(2))
    old = kiosk.token
    result = runner.invoke(collector, ["kiosks", "rotate", str(kiosk.id)])
    assert result.exit_code == 0, result.output
    kiosk.token = result.output.strip().splitlines()[-1]
    assert kiosk.token != old
    assert kiosk.statuses(kiosk.batch(1)) == ["accepted"]
    kiosk.token = old
    assert kiosk.post(kiosk.batch(1)).status_code == 401


def test_kiosks_status_shows_contact_backlog_gaps_and_broken_chains(app, runner, kiosk):
    assert "Chưa có ki-ốt" not in runner.invoke(collector, ["kiosks", "status"]).output
    batch = kiosk.batch(5)
    kiosk.post([batch[0], batch[3], batch[4]])
    kiosk.heartbeat(queue_length=7)
    result = runner.invoke(collector, ["kiosks", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[0] == "Ki-ốt"
    row = next(line for line in lines if line.startswith(f"{kiosk.id} Quầy 1"))
    assert " C01 " in row and " 7 " in row and "Cần kiểm tra" in row
    assert f"Ki-ốt {kiosk.id}: thiếu 2 phiếu: 2-3" in result.output
    assert "chưa bao giờ" not in row


def test_kiosks_status_says_never_contacted_and_local_times(app, runner, kiosk):
    fresh = runner.invoke(collector, ["kiosks", "status"]).output
    row = next(line for line in fresh.splitlines() if line.startswith(f"{kiosk.id} Quầy 1"))
    assert "Chưa từng liên lạc" in row and "Bình thường" not in row
    with app.app_context():
        chain = get_session().get(KioskChain, kiosk.id)
        chain.last_contact_at = dt.datetime(2026, 12, 7, 11, 39, 54, tzinfo=dt.UTC)
        chain.received = 1
        get_session().commit()
    seen = runner.invoke(collector, ["kiosks", "status"]).output
    row = next(line for line in seen.splitlines() if line.startswith(f"{kiosk.id} Quầy 1"))
    assert "18:39 7/12/26" in row and "Bình thường" in row  # Vietnam time, not 11:39 UTC


def test_kiosks_status_with_none(app, runner):
    assert (
        "Chưa có ki-ốt nào được đăng ký." in runner.invoke(collector, ["kiosks", "status"]).output
    )


def test_db_upgrade_creates_the_tables(empty_db_url, tmp_path):
    from collector import create_app
    from collector.db import get_db

    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_db_url, "INSTANCE_PATH": str(tmp_path / "i")}
    )
    try:
        result = app.test_cli_runner().invoke(collector, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "Cơ sở dữ liệu đã được cập nhật." in result.output
        with get_db(app).engine.connect() as conn:
            assert {"units", "responses"} <= set(sa.inspect(conn).get_table_names())
    finally:
        get_db(app).dispose()


def test_run_migrates_then_serves_with_the_bounded_server(app, runner, monkeypatch):
    from shared import serve

    served = {}
    monkeypatch.setattr(serve, "serve", lambda wsgi, **kw: served.update(app=wsgi, **kw))
    result = runner.invoke(collector, ["run", "--port", "5099", "--threads", "2"])
    assert result.exit_code == 0, result.output
    assert served.pop("post_fork") is not None
    assert served == {
        "app": app,
        "host": "127.0.0.1",
        "port": 5099,
        "threads": 2,
        "workers": 1,
        "name": "sipas-collector",
        "read_timeout": 30.0,
    }
    assert "http://127.0.0.1:5099/" in result.output


def test_the_real_command_sets_up_an_instance_on_first_use(tmp_path, monkeypatch):
    """`sipas collector db upgrade` in a fresh place: a secret key and a SQLite database appear."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("SIPAS_COLLECTOR_INSTANCE_PATH", str(instance))
    for name in ("SIPAS_COLLECTOR_SECRET_KEY", "SIPAS_COLLECTOR_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    result = runner.invoke(main, ["collector", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    secret = (instance / "secret_key").read_text().strip()
    assert len(secret) == 64 and (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert (instance / "collector.sqlite").exists()
    assert (instance / "collector.sqlite").stat().st_mode & 0o077 == 0  # ratings and accounts
    result = runner.invoke(main, ["collector", "units", "add", "P01", "Tỉnh", "--kind", "province"])
    assert result.exit_code == 0, result.output
    assert (instance / "secret_key").read_text().strip() == secret  # made once, then kept
