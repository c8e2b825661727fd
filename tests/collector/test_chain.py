"""The hash chain's bookkeeping per kiosk: gaps, late fills, broken links, forks."""

from __future__ import annotations

import sqlalchemy as sa

from collector.db import get_session
from collector.models import KioskChain, Response
from shared.chain import GENESIS
from tests.factories import make_response, rehash


def chain_of(app, kiosk) -> KioskChain:
    with app.app_context():
        return get_session().get(KioskChain, kiosk.id)


def chain_ok(app) -> dict[int, bool | None]:
    with app.app_context():
        return dict(get_session().execute(sa.select(Response.kiosk_seq, Response.chain_ok)).all())


def test_an_unbroken_chain_has_no_gaps_or_broken_links(app, kiosk):
    kiosk.post(kiosk.batch(3))
    kiosk.post(kiosk.batch(2))
    chain = chain_of(app, kiosk)
    assert (chain.max_seq, chain.received, chain.gaps, chain.broken) == (5, 5, [], [])
    assert chain_ok(app) == {1: True, 2: True, 3: True, 4: True, 5: True}


def test_a_response_deleted_before_sending_shows_as_a_gap(app, kiosk):
    batch = kiosk.batch(6)
    del batch[2]  # someone removed seq 3 from the kiosk's database
    assert kiosk.statuses(batch) == ["accepted"] * 5
    chain = chain_of(app, kiosk)
    assert chain.gaps == [[3, 3]]
    assert chain.missing == 1
    # Seq 4 is kept but its link cannot be checked without seq 3.
    assert chain_ok(app)[4] is None
    assert chain.broken == []


def test_a_gap_clears_itself_when_the_late_responses_arrive(app, kiosk):
    batch = kiosk.batch(8)
    kiosk.post(batch[:2] + batch[6:])
    assert chain_of(app, kiosk).gaps == [[3, 6]]
    kiosk.post([batch[3]])
    assert chain_of(app, kiosk).gaps == [[3, 3], [5, 6]]
    kiosk.post([batch[5], batch[4]])
    assert chain_of(app, kiosk).gaps == [[3, 3]]
    kiosk.post([batch[2]])
    chain = chain_of(app, kiosk)
    assert (chain.gaps, chain.max_seq, chain.received, chain.broken) == ([], 8, 8, [])
    assert set(chain_ok(app).values()) == {True}


def test_a_broken_link_is_kept_and_recorded(app, kiosk):
    first, second = kiosk.batch(2)
    # Seq 3 claims a predecessor that is not the stored seq 2: history was rewritten between.
    forged = make_response(3, "ab" * 32)
    kiosk.seq, kiosk.prev_hash = 3, forged["hash"]
    fourth = kiosk.next()
    assert kiosk.statuses([first, second, forged, fourth]) == ["accepted"] * 4
    chain = chain_of(app, kiosk)
    assert chain.broken == [3]
    assert chain_ok(app) == {1: True, 2: True, 3: False, 4: True}


def test_a_late_predecessor_checks_the_link_of_the_waiting_response(app, kiosk):
    first, second, third = kiosk.batch(3)
    replaced_second = rehash({**second, "answers": {"Q0": 1}})  # another seq 2 than the kiosk's
    kiosk.post([first, third])
    assert chain_ok(app) == {1: True, 3: None}
    kiosk.post([replaced_second])
    assert chain_ok(app) == {1: True, 2: True, 3: False}
    assert chain_of(app, kiosk).broken == [3]
    assert chain_of(app, kiosk).gaps == []


def test_the_first_response_must_link_to_genesis(app, kiosk):
    first = make_response(1, "cd" * 32)
    assert kiosk.statuses([first]) == ["accepted"]
    assert chain_of(app, kiosk).broken == [1]
    assert chain_ok(app) == {1: False}


def test_a_second_response_with_a_taken_number_is_rejected_and_recorded(app, kiosk, scalar):
    first, second = kiosk.batch(2)
    kiosk.post([first, second])
    # A kiosk database restored from an old copy numbers new responses from 2 again.
    again = make_response(2, first["hash"], counter="quay-2")
    reply = kiosk.post([again]).get_json()["results"]
    assert reply[0]["status"] == "rejected"
    assert reply[0]["error"]["code"] == "seq-taken"
    chain = chain_of(app, kiosk)
    assert chain.forks == [2]
    assert chain.received == 2
    assert scalar(sa.select(sa.func.count()).select_from(Response)) == 2


def test_two_responses_with_one_number_in_one_batch(app, kiosk):
    first = kiosk.next()
    twin = make_response(1, GENESIS, counter="quay-2")
    assert kiosk.statuses([first, twin]) == ["accepted", "rejected"]
    assert chain_of(app, kiosk).forks == [1]


def test_chains_are_kept_per_kiosk(app, client, kiosk, register):
    other = register(unit="O01")
    kiosk.post(kiosk.batch(2))
    other.post(other.batch(3)[1:])
    assert chain_of(app, kiosk).gaps == []
    assert chain_of(app, other).gaps == [[1, 1]]
    assert chain_of(app, other).max_seq == 3
