"""What happens to a response at a counter. Plain functions that take a session and flush; the
caller (a view or a CLI command) owns the transaction and commits."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kiosk.counters import Counter
from kiosk.duty import on_duty
from kiosk.models import COMPLETE, OPEN, PARTIAL, Response
from shared.chain import GENESIS, response_hash
from shared.db import uuid7
from shared.questionnaires import LOW, Questionnaire
from shared.responses import COMMENT_MAX, SUSPECT_FLAG
from shared.text import clean_comment


class Refused(Exception):
    """The counter will not take this tap (see `reason`); nothing was stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Rules:
    """The anti-stuffing and idle settings of a kiosk."""

    guard_seconds: float = 5
    burst_size: int = 3
    burst_window: float = 600
    idle_timeout: float = 60


def wants_reasons(answers: dict[str, int]) -> bool:
    return any(value in LOW for value in answers.values())


def start_response(
    session: Session,
    *,
    counter: Counter,
    questionnaire: Questionnaire,
    answers: dict[str, int],
    nonce: str,
    now: dt.datetime,
    rules: Rules,
    voice: str | None = None,
) -> Response:
    """Store a new response with its first answers; refuse it inside the guard interval."""
    last_tap = session.scalar(
        sa.select(sa.func.max(Response.last_tap_at)).where(Response.counter == counter.code)
    )
    if last_tap is not None and (now - last_tap).total_seconds() < rules.guard_seconds:
        raise Refused("guard")
    if session.scalar(sa.select(Response.id).where(Response.start_nonce == nonce)) is not None:
        raise Refused("replayed")
    # One person at a counter at a time: whoever walked away before is done.
    for left in session.scalars(
        sa.select(Response).where(Response.counter == counter.code, Response.status == OPEN)
    ):
        close_response(session, left, PARTIAL, now=now, rules=rules)
    response = Response(
        id=uuid7(),
        counter=counter.code,
        unit=counter.unit,
        kind=questionnaire.kind,
        questionnaire_version=questionnaire.version,
        status=OPEN,
        started_at=now,
        last_tap_at=now,
        answers=dict(answers),
        reasons=[],
        flags=[],
        officer=on_duty(session, counter.code, now=now),
        voice=voice,
        listened=False,
        start_nonce=nonce,
    )
    session.add(response)
    session.flush()
    return response


def open_response(session: Session, response_id: uuid.UUID, counter: Counter) -> Response:
    response = session.get(Response, response_id)
    if response is None or response.counter != counter.code:
        raise Refused("unknown")
    if response.status != OPEN:
        raise Refused("ended")
    return response


def record_answers(
    session: Session, response: Response, answers: dict[str, int], *, now: dt.datetime
) -> None:
    """Add later answers to an open response (a repeated post of the same screen is harmless)."""
    if answers:
        response.answers = {**response.answers, **answers}
    response.last_tap_at = now
    session.flush()


def record_reasons(
    session: Session,
    response: Response,
    reasons: list[str],
    comment: str | None,
    *,
    now: dt.datetime,
) -> None:
    response.reasons = sorted(set(reasons))
    # Normalised, and phone numbers, e-mails and ID numbers replaced by markers (shared.text),
    # before the comment is hashed: it is never stored or sent with personal data in it.
    response.comment = clean_comment(comment, COMMENT_MAX)
    response.last_tap_at = now
    session.flush()


def close_response(
    session: Session, response: Response, status: str, *, now: dt.datetime, rules: Rules
) -> None:
    """Close a response: give it the next sequence number, check for bursts, link the chain."""
    assert status in (COMPLETE, PARTIAL)
    last_seq, last_hash = session.execute(
        sa.select(Response.seq, Response.hash).order_by(Response.seq.desc()).limit(1)
    ).first() or (0, GENESIS)
    if last_seq is None:
        last_seq, last_hash = 0, GENESIS
    response.status = status
    response.seq = last_seq + 1
    response.submitted_at = now
    if _is_burst(session, response, now=now, rules=rules):
        response.flags = sorted({*response.flags, SUSPECT_FLAG})
    response.prev_hash = last_hash
    response.hash = response_hash(wire(response), last_hash)
    session.flush()


def _is_burst(session: Session, response: Response, *, now: dt.datetime, rules: Rules) -> bool:
    if rules.burst_size < 2 or not response.answers:
        return False
    since = now - dt.timedelta(seconds=rules.burst_window)
    before = session.scalars(
        sa.select(Response.answers)
        .where(
            Response.counter == response.counter,
            Response.seq.is_not(None),
            Response.id != response.id,
            Response.submitted_at >= since,
        )
        .order_by(Response.seq.desc())
        .limit(rules.burst_size - 1)
    ).all()
    return len(before) == rules.burst_size - 1 and all(a == response.answers for a in before)


def _idle_query(now: dt.datetime, rules: Rules) -> sa.Select:
    cutoff = now - dt.timedelta(seconds=rules.idle_timeout)
    return sa.select(Response).where(Response.status == OPEN, Response.last_tap_at <= cutoff)


def any_idle(session: Session, *, now: dt.datetime, rules: Rules) -> bool:
    """Whether a response has been untouched for `idle_timeout` seconds (a read only)."""
    return session.scalar(sa.select(_idle_query(now, rules).exists())) or False


def close_idle(session: Session, *, now: dt.datetime, rules: Rules) -> int:
    """Close as partial every response untouched for `idle_timeout` seconds; returns how many."""
    idle = session.scalars(_idle_query(now, rules).order_by(Response.started_at)).all()
    for response in idle:
        close_response(session, response, PARTIAL, now=now, rules=rules)
    return len(idle)


def _rfc3339(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value else None


def wire(response: Response) -> dict[str, Any]:
    """The response as the collector's ingest API takes it (hash fields included when set)."""
    return {
        "id": str(response.id),
        "kiosk_seq": response.seq,
        "prev_hash": response.prev_hash,
        "hash": response.hash,
        "questionnaire": response.kind,
        "questionnaire_version": response.questionnaire_version,
        "unit": response.unit,
        "counter": response.counter,
        "channel": "kiosk",
        "started_at": _rfc3339(response.started_at),
        "submitted_at": _rfc3339(response.submitted_at),
        "complete": response.status == COMPLETE,
        "answers": dict(response.answers),
        "reasons": list(response.reasons),
        "comment": response.comment,
        "flags": list(response.flags),
        # Hashed only when set (shared.chain): without an officer on duty it is left out.
        "officer": response.officer,
        "voice": response.voice,
        "listened": response.listened,
    }
