"""The phone survey's business functions: a receipt's progress and its one submission, and the
counter poster's walk-in responses. They take a session and flush; the view commits.

One submission per receipt: the row moves to `answered` with a single conditional UPDATE, so of two
submissions at once (two tabs, a double tap, a replayed post) exactly one changes the row and stores
a response; the other changes nothing and is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.models import Receipt, Response, Unit
from collector.responses import store
from shared import questionnaires
from shared.questionnaires import Questionnaire
from shared.responses import SUSPECT_FLAG

#: The questionnaire a poster asks, by the unit's kind; other kinds use the administrative one.
KIND_BY_UNIT_KIND = {"health-facility": "health", "school": "education"}


class Unusable(Exception):
    """The receipt code cannot be used (see `reason`: forged, unknown, answered, expired,
    revoked); nothing is stored."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def questionnaire_of(receipt: Receipt) -> Questionnaire:
    q = questionnaires.get(receipt.questionnaire, receipt.questionnaire_version)
    if q is None:  # a version withdrawn since issue: the current full one of the kind
        q = questionnaires.current(receipt.questionnaire, "full")
    return q


def check_usable(session: Session, receipt: Receipt | None, now: dt.datetime) -> Receipt:
    """The receipt if it can still be answered; marks it expired (as evidence) when it ran out."""
    if receipt is None:
        raise Unusable("unknown")
    if receipt.state == "answered":
        raise Unusable("answered")
    if receipt.state == "revoked":
        raise Unusable("revoked")
    if receipt.state == "expired" or now >= receipt.expires_at:
        if receipt.state != "expired":
            receipt.state = "expired"
            receipt.progress = {}
            session.flush()
        raise Unusable("expired")
    return receipt


def mark_opened(session: Session, receipt: Receipt, now: dt.datetime) -> None:
    if receipt.opened_at is None:
        receipt.opened_at = now
        if receipt.state == "issued":
            receipt.state = "opened"
        session.flush()


#: How many spent form nonces a receipt remembers: far more than the saves of one survey within
#: the forms' lifetime (an hour), and the phone rate limit keeps a client well below it.
SPENT_NONCES = 200


def save_progress(
    session: Session,
    receipt: Receipt,
    step: int,
    answers: dict[str, int],
    now: dt.datetime,
    nonce: str = "",
) -> bool:
    """Keep the answers of one screen and where to go on; False, and nothing kept, when the
    form's one-time `nonce` was spent already (a replayed or doubled post)."""
    progress = dict(receipt.progress or {})
    spent = list(progress.get("spent", []))
    if nonce:
        if nonce in spent:
            return False
        progress["spent"] = [*spent, nonce][-SPENT_NONCES:]
    mark_opened(session, receipt, now)
    kept = {**progress.get("answers", {}), **answers}
    progress["answers"] = kept
    progress["step"] = max(int(progress.get("step", 0)), step + 1)
    receipt.progress = progress
    session.flush()
    return True


def _store(
    session: Session,
    *,
    unit_id: int,
    channel: str,
    q: Questionnaire,
    counter: str,
    answers: dict[str, int],
    reasons: list[str],
    comment: str | None,
    started_at: dt.datetime,
    now: dt.datetime,
    flags: list[str],
    procedure: str | None = None,
    officer: str | None = None,
) -> Response:
    """Store a phone channel's complete response, received as it was submitted."""
    row = store.response_row(
        unit_id=unit_id,
        channel=channel,
        questionnaire=q.kind,
        questionnaire_version=q.version,
        counter=counter,
        answers=answers,
        reasons=sorted(set(reasons)),
        comment=comment,
        flags=flags,
        started_at=started_at,
        submitted_at=now,
        received_at=now,
        procedure=procedure,
        officer=officer,
    )
    return store.insert_one(session, row)


def submit_receipt(
    session: Session,
    receipt: Receipt,
    *,
    reasons: list[str],
    comment: str | None,
    now: dt.datetime,
) -> Response:
    """Store the receipt's one response from its saved answers; Unusable("answered") if another
    submission got there first (then nothing is stored)."""
    check_usable(session, receipt, now)
    answers = dict((receipt.progress or {}).get("answers", {}))
    won = session.execute(
        sa.update(Receipt)
        .where(
            Receipt.id == receipt.id,
            Receipt.state.in_(("issued", "opened")),
            Receipt.response_id.is_(None),
        )
        .values(state="answered", answered_at=now, progress={})
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Unusable("answered")
    q = questionnaire_of(receipt)
    response = _store(
        session,
        unit_id=receipt.unit_id,
        channel="receipt",
        q=q,
        counter="",
        answers={c: v for c, v in answers.items() if c in q.codes},
        reasons=[r for r in reasons if r in q.reasons],
        comment=comment,
        started_at=receipt.opened_at or receipt.issued_at,
        now=now,
        flags=[],
        procedure=receipt.procedure,
        officer=receipt.officer,
    )
    session.execute(
        sa.update(Receipt)
        .where(Receipt.id == receipt.id)
        .values(response_id=response.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(receipt)
    return response


@dataclass(frozen=True)
class BurstRule:
    """When a poster response is flagged suspect (left out of the official figures, kept for
    audit; methodology section 8). Besides the rate limit per client address (POSTER_RATE_LIMIT,
    which refuses), three signals that need no address or device fingerprint:

    * identical answers: the same answers as the previous `size - 1` of the unit within `window`
      seconds, as the kiosk flags bursts at a counter;
    * too fast: sent less than `min_seconds` after its form was served (the form's signed issue
      time), quicker than anyone reads and answers the questions;
    * too many: the unit already had `max_per_window` poster responses within `window` seconds,
      more than walk-ins to one unit make, whatever addresses they come from.
    """

    size: int = 3
    window: float = 600
    min_seconds: float = 5
    max_per_window: int = 30


def poster_unit(session: Session, code: str) -> Unit | None:
    return session.scalar(sa.select(Unit).where(Unit.code == code))


def poster_questionnaire(unit: Unit) -> Questionnaire:
    return questionnaires.current(KIND_BY_UNIT_KIND.get(unit.kind, "admin"), "short")


def store_poster(
    session: Session,
    unit: Unit,
    q: Questionnaire,
    *,
    answers: dict[str, int],
    reasons: list[str],
    comment: str | None,
    started_at: dt.datetime,
    now: dt.datetime,
    rule: BurstRule,
    served_at: dt.datetime | None = None,
) -> Response:
    """A walk-in response from the unit's poster (its form served at `served_at`), flagged
    suspect by the signals of `rule`."""
    flags = []
    since = now - dt.timedelta(seconds=rule.window)
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(Response)
        .where(
            Response.unit_id == unit.id,
            Response.channel == "poster",
            Response.submitted_at >= since,
        )
    )
    too_fast = served_at is not None and (now - served_at).total_seconds() < rule.min_seconds
    if too_fast or (rule.max_per_window > 0 and recent >= rule.max_per_window):
        flags = [SUSPECT_FLAG]
    if not flags and rule.size >= 2 and answers:
        before = session.scalars(
            sa.select(Response.answers)
            .where(
                Response.unit_id == unit.id,
                Response.channel == "poster",
                Response.submitted_at >= now - dt.timedelta(seconds=rule.window),
            )
            .order_by(Response.id.desc())
            .limit(rule.size - 1)
        ).all()
        if len(before) == rule.size - 1 and all(a == answers for a in before):
            flags = [SUSPECT_FLAG]
    return _store(
        session,
        unit_id=unit.id,
        channel="poster",
        q=q,
        counter="poster",
        answers=answers,
        reasons=[r for r in reasons if r in q.reasons],
        comment=comment,
        started_at=min(started_at, now),
        now=now,
        flags=flags,
    )
