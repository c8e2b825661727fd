"""Ingest: store each response of a kiosk's batch exactly once and keep the kiosk's chain records.

Functions take a session and flush; the view (or the CLI) commits, so a batch is stored whole or not
at all, and a kiosk that sees no reply simply sends it again: the resend is answered `duplicate`.
A kiosk's heartbeats are the fleet's (`collector.fleet.heartbeats`).

Exactly once. The response's UUID is made on the kiosk and carries a unique constraint here. A batch
first looks up the ids it carries; new ones are inserted with ON CONFLICT DO NOTHING, so a copy
that another upload committed in the meantime is skipped by the database itself and then classified
(same hash: duplicate; different hash: conflict). Uploads from one kiosk are also serialised by a
row lock on its `kiosk_chains` row (SQLite serialises every writer anyway), which keeps the sequence
bookkeeping below consistent.

Tamper evidence: each response's hash covers the previous one of its kiosk; what the collector
can and cannot show by it is told in `collector.responses.chain`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.audit import audit
from collector.fleet.kiosks import KioskRef, lock_chain
from collector.models import KioskChain, Response
from collector.models.responses import RATE_FLAG
from collector.problems import ItemProblem, RequestProblem
from collector.responses import chain as chains
from collector.responses import store
from collector.responses.validate import (
    TimeWindow,
    ValidResponse,
    time_window,
    validate_response,
)
from collector.units import units_within
from shared.responses import SUSPECT_FLAG

log = logging.getLogger(__name__)

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
DEFAULT_MAX_RESPONSES = 500
#: Responses one kiosk can plausibly make in a minute (methodology section 8): a counter survey
#: takes at least 10 s (welcome, faces, thanks), so a tablet makes at most 6 a minute, and a kiosk
#: serves a few tablets. Beyond it, responses are flagged suspect and left out like bursts.
DEFAULT_KIOSK_MAX_PER_MINUTE = 20


@dataclass(frozen=True, slots=True)
class ItemResult:
    #: The id as sent when it was a string, else None.
    id: str | None
    status: str
    code: str | None = None
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.code is not None:
            out["error"] = {"code": self.code, "message": self.message}
        return out


def _sent_id(item: object) -> str | None:
    rid = item.get("id") if isinstance(item, dict) else None
    return rid if isinstance(rid, str) else None


def _rejected(item: object, problem: ItemProblem) -> ItemResult:
    return ItemResult(_sent_id(item), REJECTED, problem.code, problem.message)


def _same_id(v: ValidResponse, stored_hash: str) -> ItemResult:
    if stored_hash == v.hash:
        return ItemResult(str(v.uuid), DUPLICATE)
    return _rejected(v.raw, ItemProblem("conflict"))


def batch_items(payload: object, max_responses: int = DEFAULT_MAX_RESPONSES) -> list[Any]:
    """The list of responses in a request body {"responses": [...]}, or a RequestProblem."""
    if not isinstance(payload, dict) or not isinstance(payload.get("responses"), list):
        raise RequestProblem("invalid-request", 'the body must be {"responses": [...]}')
    if payload.keys() != {"responses"}:
        unknown = ", ".join(sorted(payload.keys() - {"responses"}))
        raise RequestProblem("invalid-request", f"unknown field(s): {unknown}")
    items = payload["responses"]
    if len(items) > max_responses:
        raise RequestProblem(
            "too-many-responses", f"{len(items)} responses; at most {max_responses} per batch"
        )
    return items


@dataclass(slots=True)
class CheckedBatch:
    """A batch after the checks that need no database: results so far (None: not decided yet)
    and the responses that passed, with their positions."""

    results: list[ItemResult | None]
    valid: list[tuple[int, ValidResponse]]


def check_batch(payload: object, max_responses: int = DEFAULT_MAX_RESPONSES) -> CheckedBatch:
    """Check a request body without the database (so without holding any lock).

    Raises RequestProblem when the body is not a batch at all; a bad response only rejects itself.
    """
    items = batch_items(payload, max_responses)
    results: list[ItemResult | None] = [None] * len(items)
    valid: list[tuple[int, ValidResponse]] = []
    for index, item in enumerate(items):
        try:
            valid.append((index, validate_response(item)))
        except ItemProblem as problem:
            results[index] = _rejected(item, problem)
    return CheckedBatch(results, valid)


def store_batch(
    session: Session,
    kiosk: KioskRef,
    checked: CheckedBatch,
    received_at: dt.datetime,
    window: TimeWindow | None = None,
    max_per_minute: int = DEFAULT_KIOSK_MAX_PER_MINUTE,
) -> list[ItemResult]:
    """Store the checked responses from `kiosk`; one result per response, in order. Responses
    with a time outside `window` (default: `time_window` with the default tolerances) are
    rejected as `implausible-time`; those beyond `max_per_minute` of the kiosk are stored
    flagged (`flag_kiosk_rate`)."""
    results = list(checked.results)
    window = window or time_window({}, received_at)
    plausible = []
    for index, v in checked.valid:
        try:
            window.check(v)
        except ItemProblem as problem:
            results[index] = _rejected(v.raw, problem)
        else:
            plausible.append((index, v))
    checked = CheckedBatch(results, plausible)
    chain = lock_chain(session, kiosk.id)
    if checked.valid:
        _store(session, kiosk, chain, checked.valid, results, received_at, max_per_minute)
    chain.last_contact_at = received_at
    session.flush()
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def ingest_batch(
    session: Session,
    kiosk: KioskRef,
    payload: object,
    received_at: dt.datetime,
    *,
    max_responses: int = DEFAULT_MAX_RESPONSES,
    window: TimeWindow | None = None,
) -> list[ItemResult]:
    """Check and store a batch from `kiosk`; one result per response, in order.

    Raises RequestProblem when the body is not a batch at all; a bad response only rejects itself.
    """
    return store_batch(
        session, kiosk, check_batch(payload, max_responses), received_at, window=window
    )


def _store(
    session: Session,
    kiosk: KioskRef,
    chain: KioskChain,
    valid: list[tuple[int, ValidResponse]],
    results: list[ItemResult | None],
    received_at: dt.datetime,
    max_per_minute: int = DEFAULT_KIOSK_MAX_PER_MINUTE,
) -> None:
    unit_ids = units_within(session, kiosk.unit_id, {v.unit for _, v in valid})
    candidates = []
    for index, v in valid:
        if v.unit not in unit_ids:
            results[index] = _rejected(v.raw, ItemProblem("unknown-unit", f"no unit {v.unit!r}"))
        elif unit_ids[v.unit] is None:
            message = f"this kiosk may not post for unit {v.unit!r}"
            results[index] = _rejected(v.raw, ItemProblem("unit-not-allowed", message))
        else:
            candidates.append((index, v))
    if not candidates:
        return

    R = Response
    stored_hash: dict[uuid.UUID, str] = dict(
        session.execute(
            sa.select(R.uuid, R.hash).where(R.uuid.in_({v.uuid for _, v in candidates}))
        ).all()
    )
    taken_seqs = set(
        session.scalars(
            sa.select(R.kiosk_seq).where(
                R.kiosk_id == kiosk.id, R.kiosk_seq.in_({v.seq for _, v in candidates})
            )
        )
    )
    planned: dict[uuid.UUID, tuple[int, ValidResponse]] = {}
    by_seq: dict[int, ValidResponse] = {}
    repeats: list[tuple[int, ValidResponse]] = []
    forks = set(chain.forks)
    for index, v in candidates:
        if v.uuid in stored_hash:
            results[index] = _same_id(v, stored_hash[v.uuid])
        elif v.uuid in planned:
            repeats.append((index, v))
        elif v.seq in taken_seqs or v.seq in by_seq:
            results[index] = _rejected(v.raw, ItemProblem("seq-taken"))
            forks.add(v.seq)
        else:
            planned[v.uuid] = (index, v)
            by_seq[v.seq] = v

    if planned:
        inserted = _insert(
            session, kiosk, chain, planned, by_seq, unit_ids, received_at, max_per_minute
        )
        for rid, (index, v) in planned.items():
            if rid in inserted:
                results[index] = ItemResult(str(rid), ACCEPTED)
                stored_hash[rid] = v.hash
        lost = [(index, v) for rid, (index, v) in planned.items() if rid not in inserted]
        if lost:
            # Another upload committed these ids (or seqs) between our look-up and our insert.
            stored_hash.update(
                session.execute(
                    sa.select(R.uuid, R.hash).where(R.uuid.in_({v.uuid for _, v in lost}))
                ).all()
            )
            for index, v in lost:
                if v.uuid in stored_hash:
                    results[index] = _same_id(v, stored_hash[v.uuid])
                else:
                    results[index] = _rejected(v.raw, ItemProblem("seq-taken"))
                    forks.add(v.seq)
    for index, v in repeats:
        if v.uuid in stored_hash:
            results[index] = _same_id(v, stored_hash[v.uuid])
        else:  # its first copy lost its kiosk_seq to a concurrent upload
            results[index] = _rejected(v.raw, ItemProblem("seq-taken"))
    if forks != set(chain.forks):
        chain.forks = sorted(forks)


def _insert(
    session: Session,
    kiosk: KioskRef,
    chain: KioskChain,
    planned: dict[uuid.UUID, tuple[int, ValidResponse]],
    by_seq: dict[int, ValidResponse],
    unit_ids: dict[str, int | None],
    received_at: dt.datetime,
    max_per_minute: int = DEFAULT_KIOSK_MAX_PER_MINUTE,
) -> set[uuid.UUID]:
    """Insert the planned responses and their answers, check their chain links and update the
    kiosk's records; returns the ids actually inserted."""
    R = Response
    neighbours = {
        seq: (hash_, prev)
        for seq, hash_, prev in session.execute(
            sa.select(R.kiosk_seq, R.hash, R.prev_hash).where(
                R.kiosk_id == kiosk.id, R.kiosk_seq.in_(chains.neighbour_seqs(by_seq))
            )
        )
    }
    chain_ok = chains.links(by_seq, neighbours)
    # Sorted ids: concurrent uploads that overlap take the unique index's locks in one order.
    rows = [
        _row(kiosk, planned[rid][1], unit_ids, received_at, chain_ok) for rid in sorted(planned)
    ]
    flag_kiosk_rate(session, kiosk.id, rows, max_per_minute)
    ids = store.insert(session, rows)
    inserted = {planned[rid][1].seq: planned[rid][1] for rid in ids}
    unsure = chains.unsure(inserted, by_seq)
    if unsure:
        _set_links(session, kiosk.id, dict.fromkeys(unsure))
        chain_ok.update(dict.fromkeys(unsure))
    relinked = chains.relinks({s: v.hash for s, v in inserted.items()}, neighbours)
    _set_links(session, kiosk.id, relinked)
    broken = chains.broken_links(chain.broken, chain_ok, inserted, relinked)
    chain.gaps, chain.max_seq = chains.record_arrivals(chain.gaps, chain.max_seq, inserted)
    chain.received += len(inserted)
    if broken != set(chain.broken):
        chain.broken = sorted(broken)
    return set(ids)


def _row(
    kiosk: KioskRef,
    v: ValidResponse,
    unit_ids: dict[str, int | None],
    received_at: dt.datetime,
    chain_ok: dict[int, bool | None],
) -> dict[str, Any]:
    """The row of a kiosk's response: every hashed field as sent (`store.response_row`)."""
    raw = v.raw
    unit_id = unit_ids[v.unit]
    assert unit_id is not None
    return store.response_row(
        response_uuid=v.uuid,
        kiosk_id=kiosk.id,
        kiosk_seq=v.seq,
        unit_id=unit_id,
        counter=raw["counter"],
        channel=raw["channel"],
        questionnaire=raw["questionnaire"],
        questionnaire_version=raw["questionnaire_version"],
        started_at=v.started_at,
        submitted_at=v.submitted_at,
        started_at_sent=raw["started_at"],
        submitted_at_sent=raw["submitted_at"],
        received_at=received_at,
        complete=raw["complete"],
        answers=raw["answers"],
        reasons=raw["reasons"],
        comment=raw.get("comment"),
        flags=raw["flags"],
        procedure=raw.get("procedure"),
        officer=raw.get("officer"),
        voice=raw.get("voice"),
        listened=raw.get("listened"),
        prev_hash=v.prev_hash,
        hash_=v.hash,
        chain_ok=chain_ok[v.seq],
    )


def _set_links(session: Session, kiosk_id: int, links: dict[int, bool | None]) -> None:
    """Store the outcome of links checked again (kiosk_seq -> chain_ok), one UPDATE per outcome."""
    for ok in {*links.values()}:
        seqs = [s for s, value in links.items() if value is ok]
        session.execute(
            sa.update(Response)
            .where(Response.kiosk_id == kiosk_id, Response.kiosk_seq.in_(seqs))
            .values(chain_ok=ok)
            .execution_options(synchronize_session=False)
        )


def flag_kiosk_rate(
    session: Session, kiosk_id: int, rows: list[dict[str, Any]], max_per_minute: int
) -> int:
    """Flag the rows (in place) that a counter cannot have made: a response is suspect when, with
    it, more than `max_per_minute` responses of its kiosk (stored or in this batch) were submitted
    in the 60 seconds up to its own time. Flagged rows get "suspect-burst" (left out of the
    official figures like a burst) and RATE_FLAG; an audit row and a warning are the alert.
    Returns how many were flagged. The kiosk's own clock dates the responses: a kiosk whose
    clock lies is caught by the time window and the heartbeat's clock offset instead."""
    if max_per_minute <= 0 or not rows:
        return 0
    minute = dt.timedelta(seconds=60)
    ordered = sorted(rows, key=lambda r: (r["submitted_at"], r["kiosk_seq"]))
    first, last = ordered[0]["submitted_at"], ordered[-1]["submitted_at"]
    times = sorted(
        [
            *session.scalars(
                sa.select(Response.submitted_at).where(
                    Response.kiosk_id == kiosk_id,
                    Response.submitted_at > first - minute,
                    Response.submitted_at <= last,
                )
            ),
            *(r["submitted_at"] for r in rows),
        ]
    )
    flagged = 0
    for row in ordered:
        at = row["submitted_at"]
        within = bisect.bisect_right(times, at) - bisect.bisect_right(times, at - minute)
        if within > max_per_minute:
            row["flags"] = [*row["flags"], SUSPECT_FLAG, RATE_FLAG]
            flagged += 1
    if flagged:
        log.warning(
            "kiosk %d: %d responses above %d a minute, flagged suspect",
            kiosk_id,
            flagged,
            max_per_minute,
        )
        audit(
            session,
            "kiosk-rate-flagged",
            None,
            kiosk=kiosk_id,
            responses=flagged,
            max_per_minute=max_per_minute,
            first=first.isoformat(),
            last=last.isoformat(),
        )
    return flagged
