"""Registered kiosks and what the collector knows of each one's hash chain and health."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, UnitToken
from collector.models.units import Unit


class Kiosk(UnitToken, Base):
    """A kiosk (`UnitToken`: its unit is the office it serves; it may post for this unit and any
    unit below it)."""

    __tablename__ = "kiosks"

    revoked_at: Mapped[dt.datetime | None]

    unit: Mapped[Unit] = relationship()
    chain: Mapped[KioskChain] = relationship(back_populates="kiosk")

    def __repr__(self) -> str:
        return f"<Kiosk {self.id} unit={self.unit_id}>"


class KioskChain(Base):
    """Per kiosk: the sequence numbers and chain links seen so far, and the latest heartbeat.

    One row per kiosk, created with it. Ingest locks it (SELECT ... FOR UPDATE) so that two uploads
    from the same kiosk update the bookkeeping one after the other.
    """

    __tablename__ = "kiosk_chains"
    __table_args__ = (
        sa.CheckConstraint("max_seq >= 0", name="max_seq_not_negative"),
        sa.CheckConstraint("received >= 0", name="received_not_negative"),
        sa.CheckConstraint("queue_length >= 0", name="queue_length_not_negative"),
    )

    kiosk_id: Mapped[int] = mapped_column(sa.ForeignKey("kiosks.id"), primary_key=True)
    #: Highest kiosk_seq stored (0: none yet).
    max_seq: Mapped[int] = mapped_column(default=0)
    #: Responses stored from this kiosk.
    received: Mapped[int] = mapped_column(default=0)
    #: Missing sequence numbers below max_seq, as sorted inclusive ranges [[first, last], ...].
    gaps: Mapped[list[Any]] = mapped_column(default=list)
    #: kiosk_seq of stored responses whose prev_hash differs from the stored hash of the previous
    #: response (or from GENESIS for the first): the kiosk's history was altered at that point.
    broken: Mapped[list[Any]] = mapped_column(default=list)
    #: kiosk_seq values claimed by a second, different response (which was rejected): the kiosk's
    #: database was rewritten or restored from an old copy.
    forks: Mapped[list[Any]] = mapped_column(default=list)
    last_contact_at: Mapped[dt.datetime | None]

    #: Latest heartbeat, as the kiosk reported it.
    heartbeat_at: Mapped[dt.datetime | None]
    kiosk_version: Mapped[str | None] = mapped_column(sa.String(64))
    #: Responses waiting in the kiosk's outbox at the heartbeat: its backlog.
    queue_length: Mapped[int | None]
    #: The kiosk's newest kiosk_seq at the heartbeat (sent or not).
    last_seq: Mapped[int | None]
    #: The kiosk's clock at the heartbeat, exactly as sent (RFC 3339).
    kiosk_clock: Mapped[str | None] = mapped_column(sa.String(40))
    #: Collector clock minus kiosk clock, in seconds, at the heartbeat (network delay included).
    clock_offset_s: Mapped[float | None]
    #: When the unit's managers were last told this kiosk is silent (one mail per silence).
    silent_notified_at: Mapped[dt.datetime | None]

    kiosk: Mapped[Kiosk] = relationship(back_populates="chain")

    @property
    def missing(self) -> int:
        """How many sequence numbers below max_seq the collector does not hold."""
        return sum(last - first + 1 for first, last in self.gaps)

    @property
    def pending(self) -> int:
        """Responses the kiosk has taken (per its heartbeat) beyond the highest one received."""
        return max(0, (self.last_seq or 0) - self.max_seq)
