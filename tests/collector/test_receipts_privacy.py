"""After issuing, answering and the demo's receipts, no dossier code is anywhere in the database in
clear: not in any column of any table, and (SQLite) not in the database file's bytes."""

from __future__ import annotations

import pathlib

import sqlalchemy as sa

from collector.cli import collector
from collector.db import get_db, get_session
from collector.demo import RECEIPTS_PER_UNIT, UNITS, seed_demo, seed_receipts
from collector.models import Receipt, Response, metadata
from collector.periods import local_today
from tests.factories import answer_all, issue, path_of


def _all_text(app) -> str:
    parts = []
    with app.app_context():
        session = get_session()
        for table in metadata.sorted_tables:
            for row in session.execute(sa.select(table)).all():
                parts.append(" ".join(str(v) for v in row))
    return "\n".join(parts)


def test_no_dossier_code_is_stored_in_clear(app, client, runner, units, db_url, count, make):
    token = make.integration("C01")
    dossiers = [f"000.00.12.H40-260302-{n:04d}" for n in range(1, 4)]
    for dossier in dossiers:
        url = issue(client, token, dossier, procedure="1.0001", officer="CB-1").get_json()["url"]
        answer_all(client, path_of(url), value=4, comment=f"hồ sơ {dossier[-4:]}")
    dossiers.append("H40.22-260303-0042")
    assert (
        runner.invoke(
            collector, ["receipts", "issue", "--dossier", dossiers[-1], "--unit", "O01"]
        ).exit_code
        == 0
    )
    # The demo's receipts, answered through the phone survey.
    app.config["PHONE_RATE_LIMIT"] = "10000 per hour"
    with app.app_context():
        seed_demo(get_session(), weeks=1, seed=2)
        get_session().commit()
    spare = seed_receipts(app)
    today = local_today()
    for code, *_ in UNITS[2:]:
        dossiers.append(f"000.00.{code[:5]}.H40-{today:%y%m%d}-0001")

    assert spare and client.get(path_of(spare)).status_code == 200
    # Per one-stop centre: every sixth left unopened, the one before it left half answered.
    answered = sum(1 for i in range(RECEIPTS_PER_UNIT) if i % 6 not in (4, 5))
    assert count(Receipt) == 4 + 3 * RECEIPTS_PER_UNIT
    assert count(Response, Response.channel == "receipt") == 3 + 3 * answered
    assert count(Response, Response.channel == "poster") == 3 * 6

    text = _all_text(app).upper()
    for dossier in dossiers:
        for form in {dossier, dossier.replace(".", ""), dossier.split("-", 1)[1]}:
            assert form.upper() not in text, form
    if db_url.startswith("sqlite"):
        get_db(app).dispose()
        path = pathlib.Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for dossier in dossiers:
            assert dossier.encode() not in raw and dossier.lower().encode() not in raw
