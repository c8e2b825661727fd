"""The outbox: closed responses go to the collector in sequence order, exactly once.

A response is marked sent only when the collector acknowledged it (accepted, or duplicate: it
already had it). A rejected one is kept with the collector's reason and shown on the staff page.
Anything else (no network, a 5xx, a timeout, a lost reply) leaves it pending, and the same batch is
sent again later; the collector's unique key on the response id turns a resend into "duplicate".
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from kiosk.models import OPEN, Response, State
from kiosk.survey import wire
from shared import __version__
from shared.db import utcnow

log = logging.getLogger(__name__)
BATCH_SIZE = 200
#: Sent with each heartbeat: the collector shows it on its kiosks page.
KIOSK_VERSION = f"sipas-kiosk/{__version__}"


class SendFailed(Exception):
    """The collector could not be reached or did not answer the batch; try again later."""


def pending_query():
    return (
        sa.select(Response)
        .where(
            Response.status != OPEN, Response.sent_at.is_(None), Response.rejected_code.is_(None)
        )
        .order_by(Response.seq)
    )


def read_without_write_lock(session: Session) -> None:
    """Begin the session's next transaction as a plain read (shared.db: BEGIN DEFERRED), so that
    taps being stored meanwhile do not wait for it; it must not write."""
    if not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def queue_length(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(pending_query().subquery()))


def _set_state(session: Session, key: str, value: str, now: dt.datetime) -> None:
    state = session.get(State, key)
    if state is None:
        session.add(State(key=key, value=value, updated_at=now))
    else:
        state.value, state.updated_at = value, now


def _payload(response: Response) -> dict:
    body = wire(response)
    for name in ("comment", "officer"):
        if body[name] is None:
            del body[name]
    return body


def send_batch(
    session: Session, http: requests.Session, url: str, token: str, *, timeout: float = 30
) -> int:
    """Send the oldest pending batch; returns how many were acknowledged.

    The database is not held while the request is out (a tap must never wait for the network):
    the batch is read without the write lock and the transaction ended, then the results are
    written in a new one, which the caller commits.
    """
    read_without_write_lock(session)
    batch = [_payload(r) for r in session.scalars(pending_query().limit(BATCH_SIZE))]
    session.commit()
    if not batch:
        return 0
    try:
        reply = http.post(
            f"{url.rstrip('/')}/api/v1/responses",
            json={"responses": batch},
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise SendFailed(f"collector unreachable: {exc.__class__.__name__}") from exc
    if reply.status_code != 200:
        raise SendFailed(f"collector answered {reply.status_code}: {reply.text[:200]}")
    try:
        results = [r for r in reply.json()["results"] if isinstance(r, dict)]
    except (ValueError, KeyError, TypeError) as exc:
        raise SendFailed("collector reply could not be read") from exc
    sent_ids = {item["id"] for item in batch}
    now = utcnow()
    acknowledged = [
        uuid.UUID(r["id"])
        for r in results
        if r.get("id") in sent_ids and r.get("status") in ("accepted", "duplicate")
    ]
    if acknowledged:
        session.execute(
            sa.update(Response).where(Response.id.in_(acknowledged)).values(sent_at=now)
        )
    for result in results:
        if result.get("id") in sent_ids and result.get("status") == "rejected":
            error = result.get("error") or {}
            session.execute(
                sa.update(Response)
                .where(Response.id == uuid.UUID(result["id"]))
                .values(
                    rejected_code=str(error.get("code", "rejected"))[:64],
                    rejected_message=str(error.get("message", ""))[:500],
                )
            )
            log.warning("collector rejected response %s: %s", result["id"], error.get("code"))
    _set_state(session, "last_send_ok", now.isoformat(timespec="seconds"), now)
    session.flush()
    return len(acknowledged)


def send_heartbeat(
    session: Session, http: requests.Session, url: str, token: str, *, timeout: float = 10
) -> None:
    read_without_write_lock(session)
    last_seq = session.scalar(sa.select(sa.func.max(Response.seq)))
    body = {
        "kiosk_version": KIOSK_VERSION,
        "queue_length": queue_length(session),
        "last_seq": last_seq or 0,
        "clock": utcnow().isoformat(timespec="microseconds"),
    }
    session.commit()
    try:
        reply = http.post(
            f"{url.rstrip('/')}/api/v1/heartbeat",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise SendFailed(f"collector unreachable: {exc.__class__.__name__}") from exc
    if reply.status_code >= 300:
        raise SendFailed(f"heartbeat answered {reply.status_code}")
    # The collector's clock minus ours: the staff page shows it, so a wrong clock is found and set
    # before the collector starts refusing ratings as `implausible-time`.
    try:
        offset = float(reply.json()["clock_offset_s"])
    except (ValueError, KeyError, TypeError):
        return
    now = utcnow()
    _set_state(session, "clock_offset_s", f"{offset:.0f}", now)
    session.commit()


@dataclass
class Backoff:
    """Exponential back-off with full jitter, so that many kiosks do not retry in step."""

    base: float = 1.0
    cap: float = 300.0
    failures: int = 0
    #: Jitter only spreads retries out; it needs no cryptographic quality.
    rng: random.Random = field(default_factory=random.Random)  # noqa: S311

    def next_delay(self) -> float:
        self.failures += 1
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** min(self.failures, 20)))

    def reset(self) -> None:
        self.failures = 0
