"""A kiosk's heartbeat: its state and clock, kept on its chain row for the status page.

Functions take a session and flush; the view commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from collector.fleet.kiosks import KioskRef, lock_chain
from collector.responses.validate import validate_heartbeat


@dataclass(frozen=True, slots=True)
class HeartbeatResult:
    received_at: dt.datetime
    clock_offset_s: float


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
