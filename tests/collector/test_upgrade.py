"""Upgrades keep every rating: databases made by each app's OLDEST migration, with data in them,
brought to head (collector on SQLite and PostgreSQL, kiosk on SQLite), then read by today's code:
every response, answer and value is there and every stored hash still verifies."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from collector import create_app
from collector.db import get_db, get_session
from collector.migrate import upgrade
from collector.models import Answer, Response, User
from collector.periods import Period
from collector.reports.service import build_report_for
from collector.tasks import run_refresh_counts
from shared.chain import GENESIS, response_hash
from tests.factories import kiosk_config, make_response

N = 12
PASSWORD = "an old password"  # noqa: S105 - a test account


def _tables(engine) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    # SQLite reflects a UUID column as CHAR(32): give it back its type so it takes UUIDs.
    if "responses" in metadata.tables:
        metadata.tables["responses"].c.uuid.type = sa.Uuid()
    return metadata


def _fill_0001(engine) -> list[dict]:
    """Units, a kiosk, its chain and N chained responses with their answers, as 0001 stored them."""
    t = _tables(engine).tables
    now = dt.datetime(2026, 3, 9, 2, tzinfo=dt.UTC)
    made, prev = [], GENESIS
    with engine.begin() as conn:
        conn.execute(
            t["units"].insert(),
            [
                {
                    "id": 1,
                    "code": "P01",
                    "name": "Tỉnh",
                    "kind": "province",
                    "parent_id": None,
                    "created_at": now,
                },
                {
                    "id": 2,
                    "code": "C01",
                    "name": "Xã Một",
                    "kind": "commune",
                    "parent_id": 1,
                    "created_at": now,
                },
                {
                    "id": 3,
                    "code": "O01",
                    "name": "Bộ phận Một cửa xã Một",
                    "kind": "one-stop-centre",
                    "parent_id": 2,
                    "created_at": now,
                },
            ],
        )
        conn.execute(
            t["kiosks"].insert(),
            {"id": 1, "unit_id": 2, "label": "Quầy 1", "token_hash": "a" * 64, "created_at": now},
        )
        for seq in range(1, N + 1):
            answers = {"Q0": seq % 6, "A0": 5, "B0": (seq % 5) + 1, "C0": 4, "D0": 2, "E0": 0}
            r = make_response(seq, prev, unit="O01", answers=answers, comment=f"ý kiến {seq}")
            prev = r["hash"]
            made.append(r)
            submitted = dt.datetime.fromisoformat(r["submitted_at"]).astimezone(dt.UTC)
            started = dt.datetime.fromisoformat(r["started_at"]).astimezone(dt.UTC)
            conn.execute(
                t["responses"].insert(),
                {
                    "id": seq,
                    "uuid": uuid.UUID(r["id"]),
                    "kiosk_id": 1,
                    "kiosk_seq": seq,
                    "unit_id": 3,
                    "counter": r["counter"],
                    "channel": "kiosk",
                    "questionnaire": r["questionnaire"],
                    "questionnaire_version": r["questionnaire_version"],
                    "started_at": started,
                    "submitted_at": submitted,
                    "started_at_sent": r["started_at"],
                    "submitted_at_sent": r["submitted_at"],
                    "received_at": now,
                    "complete": True,
                    "answers": r["answers"],
                    "reasons": r["reasons"],
                    "comment": r["comment"],
                    "flags": r["flags"],
                    "prev_hash": r["prev_hash"],
                    "hash": r["hash"],
                    "chain_ok": True,
                },
            )
            conn.execute(
                t["answers"].insert(),
                [{"response_id": seq, "code": k, "value": v} for k, v in answers.items()],
            )
        conn.execute(
            t["kiosk_chains"].insert(),
            {
                "kiosk_id": 1,
                "max_seq": N,
                "received": N,
                "gaps": [],
                "broken": [],
                "forks": [],
                "last_contact_at": now,
            },
        )
    return made


def test_collector_from_0001_keeps_every_rating(empty_db_url, tmp_path):
    upgrade(empty_db_url, "0001")
    engine = sa.create_engine(empty_db_url, poolclass=sa.NullPool)
    made = _fill_0001(engine)
    upgrade(empty_db_url, "0002")  # accounts arrive with 0002
    with engine.begin() as conn:
        conn.execute(
            _tables(engine).tables["users"].insert(),
            {
                "email": "manager@example.org",
                "password_hash": generate_password_hash(PASSWORD),
                "role": "manager",
                "unit_id": 1,
                "active": True,
                "failed_logins": 0,
                "created_at": dt.datetime(2026, 3, 9, tzinfo=dt.UTC),
            },
        )
    engine.dispose()
    upgrade(empty_db_url)

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "t",
            "DATABASE_URL": empty_db_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "QUEUE_URL": "immediate",
        }
    )
    run_refresh_counts(app)  # rows stored before the counts existed: counted when asked to
    with app.app_context():
        session = get_session()
        stored = session.scalars(sa.select(Response).order_by(Response.kiosk_seq)).all()
        assert [str(r.uuid) for r in stored] == [m["id"] for m in made]
        for r, m in zip(stored, made, strict=True):
            assert r.answers == m["answers"]
            assert response_hash(r.as_sent(), r.prev_hash) == r.hash == m["hash"]
        values = {
            (rid, code): v
            for rid, code, v in session.execute(
                sa.select(Answer.response_id, Answer.code, Answer.value)
            )
        }
        assert len(values) == N * 6
        assert {values[(r.id, "Q0")] for r in stored} == {seq % 6 for seq in range(1, N + 1)}
        user = session.scalar(sa.select(User))
        assert user.email == "manager@example.org"
        assert check_password_hash(user.password_hash, PASSWORD)
        report = build_report_for(
            session,
            app.config,
            user=None,
            unit_code="P01",
            period=Period.parse("2026-W10"),
            via="cli",
        )
        assert report.kind("admin").summary.responses == N
    get_db(app).dispose()


def test_kiosk_from_0001_keeps_every_rating(tmp_path):
    from kiosk import create_app as kiosk_app
    from kiosk import db as kiosk_db
    from kiosk.models import Response as KioskResponse
    from kiosk.sample import take_sample_ratings
    from kiosk.survey import wire
    from shared.migrate import upgrade as migrate

    # Ratings taken by today's code, then copied into a kiosk database at 0001 through the
    # columns that revision has: the rows an old kiosk holds when it is upgraded.
    taken = f"sqlite:///{tmp_path / 'taken' / 'kiosk.sqlite3'}"
    (tmp_path / "taken").mkdir()
    migrate("kiosk", taken)
    app = kiosk_app(kiosk_config(tmp_path / "taken"), instance_path=str(tmp_path / "taken"))
    assert take_sample_ratings(app, 20, seed=3) == 20
    with app.app_context():
        before = {
            str(r.id): (r.seq, r.hash, dict(r.answers))
            for r in kiosk_db.session().scalars(sa.select(KioskResponse))
        }
    kiosk_db.engine(app).dispose()

    url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    migrate("kiosk", url, "0001")
    source, target = sa.create_engine(taken), sa.create_engine(url)
    with source.connect() as src, target.begin() as dst:
        old = sa.MetaData()
        old.reflect(dst)
        for table in old.sorted_tables:
            if table.name == "alembic_version":
                continue
            names = [c.name for c in table.columns]
            rows = src.execute(sa.text(f"SELECT {', '.join(names)} FROM {table.name}")).mappings()
            batch = [dict(row) for row in rows]
            dst.execute(sa.text(f"DELETE FROM {table.name}"))
            if batch:  # raw values, as stored: no type conversion on the way
                marks = ", ".join(f":{name}" for name in names)
                insert = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
                dst.execute(sa.text(insert), batch)
    source.dispose()
    target.dispose()
    migrate("kiosk", url)
    app = kiosk_app(kiosk_config(tmp_path), instance_path=str(tmp_path))
    with app.app_context():
        rows = kiosk_db.session().scalars(sa.select(KioskResponse).order_by(KioskResponse.seq))
        after = {}
        prev = GENESIS
        for r in rows:
            assert r.prev_hash == prev
            assert response_hash(wire(r), r.prev_hash) == r.hash
            prev = r.hash
            after[str(r.id)] = (r.seq, r.hash, dict(r.answers))
    kiosk_db.engine(app).dispose()
    assert after == before and len(after) == 20
