"""Ingest: store each response of a kiosk's batch exactly once and keep the kiosk's chain records.

Functions take a session and flush; the view (or the CLI) commits, so a batch is stored whole or not
at all, and a kiosk that sees no reply simply sends it again: the resend is answered `duplicate`.

Exactly once. The response's UUID is made on the kiosk and carries a unique constraint here. A batch
first looks up the ids it carries; new ones are inserted with ON CONFLICT DO NOTHING, so a copy
that another upload committed in the meantime is skipped by the database itself and then classified
(same hash: duplicate; different hash: conflict). Uploads from one kiosk are also serialised by a
row lock on its `kiosk_chains` row (SQLite serialises every writer anyway), which keeps the sequence
bookkeeping below consistent.

Tamper evidence. Each response's hash covers its content and the previous response's hash from the
same kiosk (`shared.chain`). What the collector can then show:

* A stored response cannot be changed unnoticed: the hash is checked on arrival (`bad-hash`), every
  hashed field is stored as sent, and `Response.as_sent()` reproduces the hash at any later time.
* A response deleted at the kiosk before it was sent leaves a hole in kiosk_seq: recorded as a gap.
  Hiding the hole means renumbering and re-hashing every later response, which no longer matches
  what the collector already holds (`seq-taken`, recorded as a fork, or a broken link).
* A response whose prev_hash is not the stored hash of the kiosk's previous response is kept (it is
  still a rating somebody gave) but marked `chain_ok = false` and listed as a broken link: the
  kiosk's history was altered between the two. A gap fills itself when the late response arrives,
  and its links on both sides are checked then.

What it cannot show: someone holding a kiosk's database and token can forge a whole consistent
chain of fake ratings before they are sent (the chain has no key the kiosk's operator lacks), and a
database administrator at the collector can rewrite rows and hashes together. Stuffing is caught
by other means (flags such as "suspect-burst", reports); the newest responses removed before upload
show only as the difference between the heartbeat's last_seq and the highest seq received.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from collector.audit import audit
from collector.models import KioskChain, Response
from collector.models.responses import RATE_FLAG
from collector.problems import ItemProblem, RequestProblem
from collector.reports.counts import SUSPECT_FLAG
from collector.units import units_within
from collector.validation import MAX_COMMENT, ValidResponse, validate_heartbeat, validate_response
from shared.chain import GENESIS
from shared.text import clean_comment, normalise_text

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


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    received_at: dt.datetime
    clock_offset_s: float


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


#: No response of SIPAS can be older than the product itself.
PRODUCT_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The times a response may carry: not before `earliest` (the product's epoch, or the kiosk's
    registration minus a tolerance), not after `latest` (the collector's clock plus a tolerance).

    A kiosk with a broken clock (or a hostile one) cannot then file ratings in a week nobody will
    ever report on, nor in year 9999 where date arithmetic overflows."""

    earliest: dt.datetime
    latest: dt.datetime

    def check(self, v: ValidResponse) -> None:
        for field, moment in (("started_at", v.started_at), ("submitted_at", v.submitted_at)):
            if not self.earliest <= moment <= self.latest:
                raise ItemProblem(
                    "implausible-time",
                    f"{field} {v.raw[field]} is outside the plausible window "
                    f"{_z(self.earliest)} .. {_z(self.latest)}; check the kiosk's clock",
                )


def _z(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def time_window(
    config: Any, received_at: dt.datetime, registered_at: dt.datetime | None = None
) -> TimeWindow:
    """The window for a batch received at `received_at` from a kiosk registered at
    `registered_at`, with the tolerances INGEST_PAST_TOLERANCE_DAYS (before registration: a kiosk
    may collect offline before it is registered; None: only the epoch) and
    INGEST_FUTURE_TOLERANCE_MINUTES."""
    earliest = PRODUCT_EPOCH
    past_days = config.get("INGEST_PAST_TOLERANCE_DAYS", 365)
    if registered_at is not None and past_days is not None:
        if registered_at.tzinfo is None:
            registered_at = registered_at.replace(tzinfo=dt.UTC)
        earliest = max(earliest, registered_at - dt.timedelta(days=past_days))
    future = dt.timedelta(minutes=config.get("INGEST_FUTURE_TOLERANCE_MINUTES", 24 * 60))
    return TimeWindow(earliest, received_at + future)


class KioskRef(Protocol):
    """What ingest needs of a kiosk: a `Kiosk` row or `collector.kiosks.KioskRef`."""

    @property
    def id(self) -> int: ...

    @property
    def unit_id(self) -> int: ...


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


def lock_chain(session: Session, kiosk_id: int) -> KioskChain:
    """The kiosk's chain row, locked until the transaction ends (on PostgreSQL; SQLite has one
    writer at a time anyway)."""
    return session.execute(
        sa.select(KioskChain)
        .where(KioskChain.kiosk_id == kiosk_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


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
    neighbour_seqs = {s + d for s in by_seq for d in (-1, 1)} - by_seq.keys() - {0}
    neighbours = {
        seq: (hash_, prev)
        for seq, hash_, prev in session.execute(
            sa.select(R.kiosk_seq, R.hash, R.prev_hash).where(
                R.kiosk_id == kiosk.id, R.kiosk_seq.in_(neighbour_seqs)
            )
        )
    }

    def link_ok(v: ValidResponse) -> bool | None:
        if v.seq == 1:
            return v.prev_hash == GENESIS
        if v.seq - 1 in by_seq:
            return v.prev_hash == by_seq[v.seq - 1].hash
        if v.seq - 1 in neighbours:
            return v.prev_hash == neighbours[v.seq - 1][0]
        return None

    chain_ok = {v.seq: link_ok(v) for v in by_seq.values()}
    rows = []
    # Sorted ids: concurrent uploads that overlap take the unique index's locks in one order.
    for rid in sorted(planned):
        v = planned[rid][1]
        raw = v.raw
        rows.append(
            {
                "uuid": rid,
                "kiosk_id": kiosk.id,
                "kiosk_seq": v.seq,
                "unit_id": unit_ids[v.unit],
                # Cleaned like the kiosk cleans them (shared.text): a third-party kiosk cannot
                # bring control characters or personal data in. Text the kiosk had cleaned
                # already is stored as sent, so as_sent() reproduces its hash.
                "counter": normalise_text(raw["counter"]),
                "channel": raw["channel"],
                "questionnaire": raw["questionnaire"],
                "questionnaire_version": raw["questionnaire_version"],
                "started_at": v.started_at,
                "submitted_at": v.submitted_at,
                "started_at_sent": raw["started_at"],
                "submitted_at_sent": raw["submitted_at"],
                "received_at": received_at,
                "complete": raw["complete"],
                "answers": raw["answers"],
                "reasons": raw["reasons"],
                "comment": clean_comment(raw.get("comment"), MAX_COMMENT),
                "flags": raw["flags"],
                "procedure": raw.get("procedure"),
                "officer": raw.get("officer"),
                "prev_hash": v.prev_hash,
                "hash": v.hash,
                "chain_ok": chain_ok[v.seq],
            }
        )
    flag_kiosk_rate(session, kiosk.id, rows, max_per_minute)
    ids = _insert_responses(session, rows)
    inserted = {planned[rid][1].seq: planned[rid][1] for rid in ids}
    if len(inserted) < len(by_seq):
        # A response counted on as the predecessor of another was not stored after all.
        unsure = [s for s in inserted if s - 1 in by_seq and s - 1 not in inserted]
        if unsure:
            session.execute(
                sa.update(R)
                .where(R.kiosk_id == kiosk.id, R.kiosk_seq.in_(unsure))
                .values(chain_ok=None)
                .execution_options(synchronize_session=False)
            )
            for s in unsure:
                chain_ok[s] = None

    answers: list[tuple[int, str, int]] = []
    for rid, pk in ids.items():
        answers.extend((pk, code, value) for code, value in planned[rid][1].raw["answers"].items())
    _insert_answers(session, answers)

    broken = set(chain.broken) | {s for s in inserted if chain_ok[s] is False}
    for s, v in inserted.items():
        if s + 1 in neighbours:  # a later response was waiting for this one: check its link
            ok = neighbours[s + 1][1] == v.hash
            session.execute(
                sa.update(R)
                .where(R.kiosk_id == kiosk.id, R.kiosk_seq == s + 1)
                .values(chain_ok=ok)
                .execution_options(synchronize_session=False)
            )
            if not ok:
                broken.add(s + 1)
    gaps = [list(g) for g in chain.gaps]
    max_seq = chain.max_seq
    for s in sorted(inserted):
        max_seq = record_seq(gaps, max_seq, s)
    chain.gaps, chain.max_seq = gaps, max_seq
    chain.received += len(inserted)
    if broken != set(chain.broken):
        chain.broken = sorted(broken)
    return set(ids)


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


def record_seq(gaps: list[list[int]], max_seq: int, seq: int) -> int:
    """Note that `seq` arrived: open a gap below it if it jumps ahead, or close the part of a gap it
    fills. Changes `gaps` (sorted inclusive ranges) in place; returns the new highest seq."""
    if seq > max_seq:
        if seq > max_seq + 1:
            gaps.append([max_seq + 1, seq - 1])
        return seq
    for at, (first, last) in enumerate(gaps):
        if first <= seq <= last:
            gaps[at : at + 1] = [r for r in ([first, seq - 1], [seq + 1, last]) if r[0] <= r[1]]
            break
    return max_seq


def _insert_responses(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """Insert response rows, skipping any whose id (or kiosk_seq) is taken by then; returns the
    database key of each row inserted, by UUID."""
    if session.get_bind().dialect.name == "postgresql":
        return _pg_copy_responses(session, rows)
    table = Response.__table__
    statement = sqlite_insert(table).on_conflict_do_nothing().returning(table.c.uuid, table.c.id)
    return dict(session.execute(statement, rows).all())


def _insert_answers(session: Session, rows: Sequence[tuple[int, str, int]]) -> None:
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY is the fastest way in (see shared/reference/performance.md). Question codes come
        # from the questionnaire registry (capitals, digits, "_"), so the text format needs no
        # escaping.
        buffer = "".join(f"{pk}\t{code}\t{value}\n" for pk, code, value in rows)
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy("COPY answers (response_id, code, value) FROM STDIN") as copy:
                copy.write(buffer)
        return
    # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling costs more
    # than SQLite's insert here, and these are plain integers and strings.
    connection.exec_driver_sql(_SQLITE_INSERT_ANSWERS, list(rows))


_SQLITE_INSERT_ANSWERS = "INSERT INTO answers (response_id, code, value) VALUES (?, ?, ?)"

#: Every column of `responses` but the key, for the PostgreSQL path below.
_PG_RESPONSE_COLUMNS = [c.name for c in Response.__table__.columns if c.name != "id"]
_PG_JSON_COLUMNS = frozenset(
    c.name for c in Response.__table__.columns if isinstance(c.type, sa.JSON)
)


def _pg_value(value: Any, column: str) -> Any:
    if column in _PG_JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False)
    return value


_PG_NAMES = ", ".join(_PG_RESPONSE_COLUMNS)
#: A private staging table per connection, emptied at every commit.
# The column names come from the table definition, not from input.
_PG_STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming_responses ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT {_PG_NAMES} FROM responses WITH NO DATA"
)
_PG_COPY = f"COPY incoming_responses ({_PG_NAMES}) FROM STDIN"
_PG_MOVE = (
    f"INSERT INTO responses ({_PG_NAMES}) SELECT {_PG_NAMES} FROM incoming_responses "  # noqa: S608
    "ON CONFLICT DO NOTHING RETURNING uuid, id"
)


def _pg_copy_responses(session: Session, rows: list[dict[str, Any]]) -> dict[uuid.UUID, int]:
    """COPY the rows into a staging table, then move them with ON CONFLICT DO NOTHING: COPY
    costs the driver far less than thousands of bound parameters, and the unique constraints
    still decide what is new."""
    with session.connection().connection.driver_connection.cursor() as cursor:
        cursor.execute(_PG_STAGE)
        with cursor.copy(_PG_COPY) as copy:
            for row in rows:
                copy.write_row([_pg_value(row.get(name), name) for name in _PG_RESPONSE_COLUMNS])
        cursor.execute(_PG_MOVE)
        ids = dict(cursor.fetchall())
        # Empty it now too: a second batch in the same transaction must not move these again.
        cursor.execute("DELETE FROM incoming_responses")
    return ids


def record_heartbeat(
    session: Session, kiosk: KioskRef, payload: object, received_at: dt.datetime
) -> HeartbeatResult:
    """Keep the kiosk's latest heartbeat and its clock offset (collector minus kiosk)."""
    heartbeat = validate_heartbeat(payload)
    chain = lock_chain(session, kiosk.id)
    offset = (received_at - heartbeat.clock_at).total_seconds()
    chain.last_contact_at = chain.heartbeat_at = received_at
    chain.kiosk_version = heartbeat.kiosk_version
    chain.queue_length = heartbeat.queue_length
    chain.last_seq = heartbeat.last_seq
    chain.kiosk_clock = heartbeat.clock
    chain.clock_offset_s = offset
    session.flush()
    return HeartbeatResult(received_at, offset)
