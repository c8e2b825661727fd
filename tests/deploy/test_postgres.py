"""deploy/postgres on the real server: setup.sh's roles, then a backup restored into a new database.

Roles are global to the server, so each run uses names of its own and drops them afterwards.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from collector import create_app
from collector.db import get_db, get_session
from collector.migrate import upgrade
from collector.models import Kiosk, Response
from collector.units import add_unit
from tests.deploy.tools import DEPLOY, in_ci, need, run
from tests.factories import register

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_env():
    """libpq variables for the scripts, or a skip (a failure under CI) without a server."""
    need("psql")
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}
    done = run("psql", "-X", "-At", "-d", "postgres", "-c", "SELECT 1", env=env)
    if done.returncode != 0:
        if in_ci():
            pytest.fail(f"PostgreSQL is required under CI: {done.stderr}")
        pytest.skip("PostgreSQL does not answer on 127.0.0.1:5432")
    return env


@pytest.fixture
def names(pg_env):
    tag = uuid.uuid4().hex[:10]
    made = {
        "db": f"sipas_t_{tag}",
        "owner": f"sipas_o_{tag}",
        "app": f"sipas_a_{tag}",
        "restored": f"sipas_r_{tag}",
    }
    yield made
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        for db in (made["db"], made["restored"]):
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        for role in (made["owner"], made["app"]):
            c.execute(f'DROP ROLE IF EXISTS "{role}"')


def url(db: str, user: str) -> str:
    return f"postgresql+psycopg://{user}@127.0.0.1:5432/{db}"


def setup(pg_env, names) -> None:
    env = {
        **pg_env,
        "SIPAS_DB": names["db"],
        "SIPAS_OWNER": names["owner"],
        "SIPAS_APP_ROLE": names["app"],
    }
    done = run(str(DEPLOY / "postgres" / "setup.sh"), env=env)
    assert done.returncode == 0, done.stderr


def test_setup_gives_the_app_role_rows_but_not_tables(pg_env, names):
    setup(pg_env, names)
    setup(pg_env, names)  # a second run changes nothing and does not fail
    upgrade(url(names["db"], names["owner"]))  # migrations run as the owner
    app_engine = sa.create_engine(url(names["db"], names["app"]), poolclass=sa.NullPool)
    with app_engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO units (code, name, kind, created_at) "
                "VALUES ('P01', 'Tỉnh', 'province', now())"
            )
        )
        assert conn.execute(sa.text("SELECT count(*) FROM units")).scalar() == 1
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "2min"
    for ddl in (
        "DROP TABLE responses",
        "CREATE TABLE x (a int)",
        "ALTER TABLE units ADD b int",
        "TRUNCATE responses",
        f'CREATE ROLE "{names["app"]}_x"',
    ):
        with pytest.raises(sa.exc.ProgrammingError), app_engine.begin() as conn:
            conn.execute(sa.text(ddl))
    app_engine.dispose()
    done = run(
        "psql",
        "-X",
        "-At",
        "-d",
        "postgres",
        "-c",
        "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles "
        f"WHERE rolname = '{names['app']}'",
        env=pg_env,
    )
    assert done.stdout.strip() == "f|f|f"


def test_a_backup_restores_into_a_new_database_with_the_ratings(pg_env, names, tmp_path):
    setup(pg_env, names)
    upgrade(url(names["db"], names["owner"]))
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": url(names["db"], names["app"])}
    )
    with app.app_context():
        session = get_session()
        add_unit(session, "P01", "Tỉnh Thử", "province")
        add_unit(session, "C01", "Xã Một", "commune", "P01")
        session.commit()
    kiosk = register(app, app.test_client(), "C01")
    sent = kiosk.batch(3)
    assert kiosk.statuses(sent) == ["accepted"] * 3
    get_db(app).dispose()

    env = {
        **pg_env,
        "PGUSER": names["owner"],
        "SIPAS_BACKUP_DIR": str(tmp_path),
        "SIPAS_BACKUP_KEEP": "2",
    }
    dumps = []
    for _ in range(3):
        done = run(str(DEPLOY / "postgres" / "backup.sh"), names["db"], env=env)
        assert done.returncode == 0, done.stderr
        dumps.append(done.stdout.strip())
    kept = sorted(p.name for p in tmp_path.glob("*.dump"))
    assert len(kept) == 2 and not list(tmp_path.glob("*.partial"))

    env = {**pg_env, "SIPAS_OWNER": names["owner"], "SIPAS_APP_ROLE": names["app"]}
    done = run(str(DEPLOY / "postgres" / "restore.sh"), dumps[-1], names["restored"], env=env)
    assert done.returncode == 0, done.stderr
    again = run(str(DEPLOY / "postgres" / "restore.sh"), dumps[-1], names["restored"], env=env)
    assert again.returncode == 1 and "exists" in again.stderr  # never over a database

    restored = sa.create_engine(url(names["restored"], names["app"]), poolclass=sa.NullPool)
    with restored.connect() as conn:
        ids = conn.execute(sa.select(Response.uuid)).scalars().all()
        assert sorted(str(i) for i in ids) == sorted(r["id"] for r in sent)
        assert conn.execute(sa.select(sa.func.count()).select_from(Kiosk)).scalar() == 1
    restored.dispose()
