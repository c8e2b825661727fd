"""The kiosk's tables: the responses taken at its counters and a little state of its own."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, new_metadata

OPEN, COMPLETE, PARTIAL = "open", "complete", "partial"


class Model(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


class Response(Model):
    """One person's ratings at a counter: stored at the first tap, completed by later taps."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.CheckConstraint(f"status IN ('{OPEN}', '{COMPLETE}', '{PARTIAL}')", name="status"),
        sa.CheckConstraint("(status = 'open') = (seq IS NULL)", name="seq_when_closed"),
        sa.Index("ix_responses_status_last_tap", "status", "last_tap_at"),
        sa.Index("ix_responses_counter_last_tap", "counter", "last_tap_at"),
        # The outbox reads pending rows in sequence order: this index serves it without a sort.
        sa.Index("ix_responses_outbox", "sent_at", "seq"),
    )

    #: Made on the kiosk, time-ordered (UUIDv7); the collector's key for exactly-once delivery.
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    #: The kiosk's gap-free sequence number, given when the response is closed.
    seq: Mapped[int | None] = mapped_column(unique=True)
    counter: Mapped[str] = mapped_column(sa.String(32))
    unit: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(8), default=OPEN)
    started_at: Mapped[dt.datetime]
    last_tap_at: Mapped[dt.datetime]
    #: When the response was closed (finished, or closed as partial after IDLE_TIMEOUT).
    submitted_at: Mapped[dt.datetime | None]
    #: question code -> 0..5 (0: not used / no opinion)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reasons: Mapped[list[str]] = mapped_column(default=list)
    comment: Mapped[str | None] = mapped_column(sa.String(1000))
    flags: Mapped[list[str]] = mapped_column(default=list)
    #: Code of the officer on duty at the counter when the response was started (`Duty`), if set.
    officer: Mapped[str | None] = mapped_column(sa.String(64))
    #: The language the citizen heard the survey in (a voice pack, Vietnamese unless chosen on
    #: the welcome screen) and whether they pressed "listen" on one of its screens.
    voice: Mapped[str | None] = mapped_column(sa.String(16))
    listened: Mapped[bool | None]
    #: Nonce of the signed form that started the response: a replayed first tap is refused.
    start_nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: Hash-chain link (shared.chain), set when closed.
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Outbox: when the collector acknowledged it (accepted or duplicate).
    sent_at: Mapped[dt.datetime | None]
    #: Outbox: the collector refused it; kept and shown on the staff page, never dropped.
    rejected_code: Mapped[str | None] = mapped_column(sa.String(64))
    rejected_message: Mapped[str | None] = mapped_column(sa.String(500))


class Duty(Model):
    """Who is on duty at a counter: set on the staff page, valid until changed or the local day
    (Vietnam time) it was set on ends."""

    __tablename__ = "duties"

    counter: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    officer: Mapped[str] = mapped_column(sa.String(64))
    #: The local date (YYYY-MM-DD, Asia/Ho_Chi_Minh) the duty holds for.
    day: Mapped[str] = mapped_column(sa.String(10))
    set_at: Mapped[dt.datetime]


class StaffPass(Model):
    """A one-time pass for the staff page's duty form, given with the page that a correct PIN
    opens: spent by the change it allows, and never valid past the PIN session's end."""

    __tablename__ = "staff_passes"

    #: SHA-256 (hex) of the pass; the pass itself is only in the page.
    pass_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: When the PIN session it belongs to ends (the PIN entry plus DUTY_FORM_SECONDS).
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class State(Model):
    """Small key-value facts about this kiosk (last successful send, last error)."""

    __tablename__ = "kiosk_state"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(1000))
    updated_at: Mapped[dt.datetime]
