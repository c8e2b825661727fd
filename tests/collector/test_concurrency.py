"""Concurrent uploads of the same responses store each exactly once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.db import get_db, get_session
from collector.ingest import ingest_batch
from collector.models import Answer, Kiosk, KioskChain, Response
from shared.db import utcnow
from tests.factories import ANSWERS


def post_concurrently(kiosks_and_batches, app) -> list[list[dict]]:
    """Post each (kiosk, batch) from its own thread and client, all released at once."""
    barrier = threading.Barrier(len(kiosks_and_batches))
    replies: list[list[dict] | BaseException | None] = [None] * len(kiosks_and_batches)

    def upload(i, kiosk, batch):
        try:
            client = app.test_client()
            barrier.wait(timeout=10)
            reply = kiosk.post(batch, client=client)
            assert reply.status_code == 200, reply.get_json()
            replies[i] = reply.get_json()["results"]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            replies[i] = exc

    threads = [
        threading.Thread(target=upload, args=(i, k, b))
        for i, (k, b) in enumerate(kiosks_and_batches)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for reply in replies:
        if isinstance(reply, BaseException):
            raise reply
    return replies  # type: ignore[return-value]


def test_one_kiosk_sending_the_same_batch_four_times_at_once(app, kiosk, count):
    batch = kiosk.batch(40)
    replies = post_concurrently([(kiosk, batch)] * 4, app)
    per_id = Counter((r["id"], r["status"]) for reply in replies for r in reply)
    for response in batch:
        assert per_id[(response["id"], "accepted")] == 1
        assert per_id[(response["id"], "duplicate")] == 3
    assert count(Response) == 40
    assert count(Answer) == 40 * len(ANSWERS)
    with app.app_context():
        chain = get_session().get(KioskChain, kiosk.id)
        assert (chain.received, chain.max_seq, chain.gaps) == (40, 40, [])


def test_two_kiosks_and_a_replayed_batch_at_once(app, client, kiosk, count, register):
    other = register(unit="O01")
    first, second = kiosk.batch(30), other.batch(30)
    replies = post_concurrently(
        [(kiosk, first), (other, second), (kiosk, first), (other, second[:10])], app
    )
    accepted = Counter(r["id"] for reply in replies for r in reply if r["status"] == "accepted")
    assert set(accepted) == {r["id"] for r in first + second}
    assert set(accepted.values()) == {1}
    statuses = Counter(r["status"] for reply in replies for r in reply)
    assert statuses == {"accepted": 60, "duplicate": 40}
    assert count(Response) == 60
    assert count(Response, Response.kiosk_id == other.id) == 30
    assert count(Answer) == 60 * len(ANSWERS)


@pytest.mark.parametrize("same_kiosk", [True, False], ids=["same-kiosk", "other-kiosk"])
def test_an_upload_waiting_on_an_uncommitted_one_answers_duplicate(
    app, client, kiosk, same_kiosk, count, register
):
    """Two real connections: the second upload starts while the first holds its transaction
    open, waits for it (a row lock, the unique index, or SQLite's write lock), then finds the
    rows committed and stores nothing."""
    second_kiosk = kiosk if same_kiosk else register(unit="C01")
    batch = kiosk.batch(25)
    engine = get_db(app).engine
    first = Session(engine)
    first_results = ingest_batch(first, first.get(Kiosk, kiosk.id), {"responses": batch}, utcnow())
    assert {r.status for r in first_results} == {"accepted"}

    outcome: dict[str, object] = {}

    def second_upload():
        with Session(engine) as second:
            try:
                results = ingest_batch(
                    second, second.get(Kiosk, second_kiosk.id), {"responses": batch}, utcnow()
                )
                second.commit()
                outcome["results"] = results
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                outcome["error"] = exc

    thread = threading.Thread(target=second_upload)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive(), "the second upload should wait for the first transaction"
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert "error" not in outcome, outcome.get("error")
    assert [r.status for r in outcome["results"]] == ["duplicate"] * 25
    assert count(Response) == 25
    assert count(Answer) == 25 * len(ANSWERS)
    with app.app_context():
        received = get_session().scalar(sa.select(sa.func.sum(KioskChain.received)))
        assert received == 25


def test_a_response_taken_by_a_concurrent_upload_leaves_the_rest_of_the_batch_stored(
    app, client, kiosk, count, register
):
    """Kiosk B replays kiosk A's second response while A uploads 1-4: that one is stored once
    (by whoever came first), A's three others are stored, and A's chain does not vouch for the
    link of 3, whose predecessor it does not hold."""
    other = register(unit="C01")
    batch = kiosk.batch(4)
    engine = get_db(app).engine
    replay = Session(engine)
    [result] = ingest_batch(
        replay, replay.get(Kiosk, other.id), {"responses": [batch[1]]}, utcnow()
    )
    assert result.status == "accepted"

    outcome: dict[str, object] = {}

    def upload():
        with Session(engine) as session:
            try:
                outcome["results"] = ingest_batch(
                    session, session.get(Kiosk, kiosk.id), {"responses": batch}, utcnow()
                )
                session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                outcome["error"] = exc

    thread = threading.Thread(target=upload)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()
    replay.commit()
    replay.close()
    thread.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    assert [r.status for r in outcome["results"]] == [
        "accepted",
        "duplicate",
        "accepted",
        "accepted",
    ]
    assert count(Response) == 4
    with app.app_context():
        session = get_session()
        assert session.get(KioskChain, kiosk.id).gaps == [[2, 2]]
        links = dict(
            session.execute(
                sa.select(Response.kiosk_seq, Response.chain_ok).where(
                    Response.kiosk_id == kiosk.id
                )
            ).all()
        )
        assert links == {1: True, 3: None, 4: True}
