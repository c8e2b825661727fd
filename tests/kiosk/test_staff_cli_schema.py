"""The staff page, the kiosk CLI and the database schema."""

from __future__ import annotations

import tomllib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from werkzeug.security import generate_password_hash

from kiosk import create_app, db
from kiosk.cli import kiosk as kiosk_cli
from kiosk.models import Model, State
from shared.db import utcnow
from tests.factories import TOKEN, Tablet


def _pin_post(client, pin):
    token = TOKEN.search(client.get("/staff/").get_data(as_text=True)).group(1)
    return client.post("/staff/", data={"pin": pin, "csrf_token": token})


@pytest.mark.parametrize("config_overrides", [{"STAFF_PIN_HASH": generate_password_hash("2468")}])
def test_staff_page_shows_health_after_the_right_pin(app, client):
    tablet = Tablet(client)
    tablet.start()
    for code in ("Q0", "A0", "B0", "C0", "D0", "E0"):
        tablet.tap(code, 4)
    tablet.start()
    tablet.tap("Q0", 5)  # still open
    wrong = _pin_post(client, "1111")
    assert wrong.status_code == 403 and "Sai mã PIN." in wrong.get_data(as_text=True)
    page = _pin_post(client, "2468")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<td id="today">2</td>' in text
    assert '<td id="queue">1</td>' in text  # closed and not yet sent
    assert "chưa bao giờ" in text  # never sent
    assert "MB" in text
    assert client.get_cookie("session") is None


@pytest.mark.parametrize(
    ("config_overrides", "shown"),
    [
        ({"STAFF_PIN_HASH": generate_password_hash("2468")}, "18:39 7/12/26"),
        (
            {"STAFF_PIN_HASH": generate_password_hash("2468"), "BABEL_DEFAULT_TIMEZONE": "UTC"},
            "11:39 7/12/26",
        ),
    ],
)
def test_the_last_send_is_shown_in_local_time(app, client, shown):
    with app.app_context():
        session = db.session()
        session.add(
            State(key="last_send_ok", value="2026-12-07T11:39:54+00:00", updated_at=utcnow())
        )
        session.commit()
    text = _pin_post(client, "2468").get_data(as_text=True)
    assert f'<td id="last-send">{shown}</td>' in text
    assert "+00:00" not in text and "2026-12-07T" not in text


def test_staff_page_closed_without_a_pin(client):
    assert client.get("/staff/").status_code == 404


def test_staff_post_without_token_is_refused(app, client):
    app.config["STAFF_PIN_HASH"] = generate_password_hash("2468")
    assert client.post("/staff/", data={"pin": "2468"}).status_code == 400


def test_migrations_match_the_models(app):
    with db.engine(app).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    assert diff == []


def test_sqlite_is_durable(app):
    with db.engine(app).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_init_writes_config_and_creates_the_database(tmp_path):
    from click.testing import CliRunner

    instance = tmp_path / "inst"
    result = CliRunner().invoke(
        kiosk_cli,
        [
            "init",
            "--instance",
            str(instance),
            "--office",
            "UBND xã Minh Khai",
            "--counter",
            "1:H40.22.01:admin",
            "--counter",
            "2:H40.22.01:admin,health:Quầy Y tế",
            "--pin",
            "246813",
        ],
    )
    assert result.exit_code == 0, result.output
    config = tomllib.loads((instance / "kiosk.toml").read_text("utf-8"))
    assert config["office_name"] == "UBND xã Minh Khai"
    assert [c["kinds"] for c in config["counters"]] == [["admin"], ["admin", "health"]]
    assert config["counters"][1]["name"] == "Quầy Y tế"
    assert "246813" not in (instance / "kiosk.toml").read_text("utf-8")
    for private in ("kiosk.toml", "kiosk.sqlite3"):
        assert (instance / private).stat().st_mode & 0o077 == 0, private
    app = create_app(instance_path=str(instance))
    assert app.config["SECRET_KEY"] != "dev" and len(app.config["SECRET_KEY"]) == 64
    with db.engine(app).connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert {"responses", "kiosk_state", "alembic_version"} <= tables
    again = CliRunner().invoke(
        kiosk_cli,
        [
            "init",
            "--instance",
            str(instance),
            "--office",
            "X",
            "--counter",
            "1:U",
            "--pin",
            "123456",
        ],
    )
    assert again.exit_code != 0 and "đã có; dùng --force" in again.output
    db.engine(app).dispose()


@pytest.mark.parametrize(
    ("spec", "message"),
    [("1", "CODE:UNIT"), ("1:U:police", "loại dịch vụ 'police' không hợp lệ")],
)
def test_init_refuses_bad_counters(tmp_path, spec, message):
    from click.testing import CliRunner

    result = CliRunner().invoke(
        kiosk_cli,
        [
            "init",
            "--instance",
            str(tmp_path),
            "--office",
            "X",
            "--counter",
            spec,
            "--pin",
            "123456",
        ],
    )
    assert result.exit_code == 2 and message in result.output


def test_the_factory_refuses_the_development_secret_outside_testing(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}, instance_path=str(tmp_path))


def test_a_bad_counter_setting_names_the_entry(tmp_path):
    with pytest.raises(ValueError, match="counter 7: unknown kinds"):
        create_app(
            {"TESTING": True, "COUNTERS": [{"code": "7", "unit": "U", "kinds": ["tax"]}]},
            instance_path=str(tmp_path),
        )
