"""Server-side rate and plausibility checks (issue 20, finding 5): a kiosk sending more responses a
minute than a counter can make, and a poster stuffed with varied answers from rotating
addresses, are flagged suspect and left out of the official figures like bursts; broken chain
links are listed a page at a time."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from collector.counts.refresh import SUSPECT_FLAG
from collector.db import get_session
from collector.ingest import DEFAULT_KIOSK_MAX_PER_MINUTE, flag_kiosk_rate
from collector.models import AuditEntry, Response
from collector.models.responses import RATE_FLAG, kiosk_flags
from shared.chain import response_hash
from tests.factories import login

START = dt.datetime(2026, 3, 2, 8, 0, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> str:
    return (START + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def _stored(app) -> list[Response]:
    with app.app_context():
        session = get_session()
        rows = list(session.scalars(sa.select(Response).order_by(Response.kiosk_seq)))
        for row in rows:
            row.as_sent()
        session.expunge_all()
        return rows


def test_a_counters_pace_is_never_flagged(app, kiosk):
    # One response every 10 s, the fastest a person gets through a counter survey.
    sent = [kiosk.next(started_at=_at(10 * i), submitted_at=_at(10 * i + 8)) for i in range(40)]
    assert set(kiosk.statuses(sent)) == {"accepted"}
    assert not any(SUSPECT_FLAG in row.flags for row in _stored(app))


def test_responses_beyond_a_kiosks_rate_are_flagged_in_every_batch(app, kiosk):
    limit = DEFAULT_KIOSK_MAX_PER_MINUTE
    assert app.config["KIOSK_MAX_PER_MINUTE"] == limit == 20
    # 35 responses a second apart, sent in two batches: the first 20 of any minute are a
    # counter's, the 15 beyond are not.
    sent = [kiosk.next(started_at=_at(i), submitted_at=_at(i + 0.5)) for i in range(35)]
    assert set(kiosk.statuses(sent[:12])) == {"accepted"}
    assert set(kiosk.statuses(sent[12:])) == {"accepted"}  # stored, flagged: never refused
    rows = _stored(app)
    flagged = [row.kiosk_seq for row in rows if SUSPECT_FLAG in row.flags]
    assert flagged == list(range(limit + 1, 36))
    for row in rows:
        # The collector's flag does not change what the kiosk hashed.
        assert response_hash(row.as_sent(), row.prev_hash) == row.hash
        assert kiosk_flags(row.flags) == []
    assert all(row.flags == [SUSPECT_FLAG, RATE_FLAG] for row in rows if row.kiosk_seq > limit)
    with app.app_context():
        alerts = get_session().scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "kiosk-rate-flagged")
        )
        assert sum(a.details["responses"] for a in alerts) == 15


def test_flagged_responses_are_left_out_of_the_report(app, client, kiosk, make):
    sent = [kiosk.next(started_at=_at(i), submitted_at=_at(i + 0.5)) for i in range(30)]
    assert set(kiosk.statuses(sent)) == {"accepted"}
    make.user("admin@example.org", "admin", None)
    token = make.token("admin@example.org")
    report = client.get(
        "/api/v1/reports",
        query_string={"period": "2026-W10", "unit": "C01"},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert report["left_out"]["suspect"] == 10
    [admin] = [k for k in report["kinds"] if k["kind"] == "admin"]
    assert admin["summary"]["responses"] == 20


def test_the_rate_rule_counts_what_is_stored_already(app, kiosk):
    with app.app_context():
        session = get_session()
        rows = [
            {"submitted_at": START + dt.timedelta(seconds=s), "kiosk_seq": s, "flags": []}
            for s in range(5)
        ]
        assert flag_kiosk_rate(session, kiosk.id, rows, 3) == 2
        assert [r["flags"] for r in rows][-2:] == [[SUSPECT_FLAG, RATE_FLAG]] * 2
        assert flag_kiosk_rate(session, kiosk.id, rows[:1], 0) == 0  # 0: the check is off
        session.rollback()


# -- the poster ---------------------------------------------------------------------------------


def _poster_form(client, address: str) -> tuple[str, list[str]]:
    html = client.get("/p/O01", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    codes = list(dict.fromkeys(re.findall(r'type="radio" name="([A-Z][A-Z0-9_]*)"', html)))
    return token, codes


def _stuff(client, n: int, *, first_address: int = 0) -> None:
    """A script's stuffing: varied answers, a new address (and X-Forwarded-For) each time."""
    for i in range(n):
        address = f"10.1.{(first_address + i) // 250}.{(first_address + i) % 250 + 1}"
        token, codes = _poster_form(client, address)
        form = {"csrf_token": token, **{c: str(1 + (i + k) % 5) for k, c in enumerate(codes)}}
        reply = client.post(
            "/p/O01",
            data=form,
            environ_base={"REMOTE_ADDR": address},
            headers={"X-Forwarded-For": f"203.0.113.{i % 250}"},
        )
        assert reply.status_code == 303


def _poster_flags(app) -> list[list[str]]:
    with app.app_context():
        return list(
            get_session().scalars(
                sa.select(Response.flags).where(Response.channel == "poster").order_by(Response.id)
            )
        )


def test_poster_stuffing_sent_at_once_is_flagged_whatever_the_address(app, client, units):
    _stuff(client, 8)
    assert _poster_flags(app) == [[SUSPECT_FLAG]] * 8


def test_poster_stuffing_beyond_a_units_rate_is_flagged(app, client, units, monkeypatch):
    app.config["POSTER_MAX_PER_WINDOW"] = 5
    # Forms served 30 s ago (as if each was read and answered): only the unit's rate is left.
    import itsdangerous.timed

    class Earlier:
        @staticmethod
        def time() -> float:
            return real_time() - 30

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed, "time", Earlier)
    _stuff(client, 9)
    flags = _poster_flags(app)
    assert flags[:5] == [[]] * 5 and flags[5:] == [[SUSPECT_FLAG]] * 4


def test_an_unhurried_walk_in_is_not_flagged(app, client, units, monkeypatch):
    import itsdangerous.timed

    class Earlier:
        @staticmethod
        def time() -> float:
            return real_time() - 40

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed, "time", Earlier)
    _stuff(client, 2)
    assert _poster_flags(app) == [[], []]


# -- broken links a page at a time ---------------------------------------------------------------


def test_a_kiosk_with_every_link_broken_keeps_its_pages_small(app, client, kiosk, make):
    from collector.models import KioskChain

    with app.app_context():
        session = get_session()
        chain = session.get(KioskChain, kiosk.id)
        chain.broken = list(range(2, 100_002))  # as after 100,000 responses with forged links
        chain.max_seq = chain.received = 100_001
        session.commit()
    make.user("admin@example.org", "admin", None)
    make.user("other@example.org", "admin", "C02")
    login(client, "admin@example.org")
    for path in ("/kiosks/", "/admin/kiosks"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert len(page.data) < 100_000, (path, len(page.data))
        listed = " ".join(re.sub(r"<[^>]+>", "", html).split())  # as the reader sees it
        assert re.search(r"\b20, 21 ?, …", listed) and "21, 22" not in listed
        assert f"/kiosks/{kiosk.id}/broken" in html and "100000" in html
    first = client.get(f"/kiosks/{kiosk.id}/broken").get_data(as_text=True)
    assert ">2<" in first and ">501<" in first and ">502<" not in first
    assert f"/kiosks/{kiosk.id}/broken?page=2" in first
    last = client.get(f"/kiosks/{kiosk.id}/broken?page=200")
    assert last.status_code == 200 and ">100001<" in last.get_data(as_text=True)
    assert client.get(f"/kiosks/{kiosk.id}/broken?page=201").status_code == 404
    assert client.get(f"/kiosks/{kiosk.id}/broken?page=x").status_code == 400
    other = app.test_client()
    login(other, "other@example.org")
    assert other.get(f"/kiosks/{kiosk.id}/broken").status_code == 404
