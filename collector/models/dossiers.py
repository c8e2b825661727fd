"""Dossiers as the one-stop software reports them: each status event as it came, and the dossier's
state folded from its events in the order of their time (`collector.dossiers.state`)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntKey
from shared.db import utcnow

#: What the one-stop software reports: received, more papers requested, settled (with its due
#: date), result returned, refused, withdrawn.
DOSSIER_EVENT_KINDS = ("received", "more-papers", "settled", "returned", "refused", "withdrawn")
#: What became of a dossier: not yet settled, settled on time, settled late, refused, withdrawn.
DOSSIER_OUTCOMES = ("pending", "on-time", "late", "refused", "withdrawn")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


class Dossier(Base):
    """One dossier of a receiving unit. Its key is the same HMAC of the unit and the dossier code
    that its receipt keeps (`receipts.dossier_hmac`), so events sent by receipt token and by
    dossier code meet on one row, and a receipt issued after the events still finds them; the
    dossier code is never stored. Every column but the key and the receiving unit is derived
    from the events, again after each new one."""

    __tablename__ = "dossiers"
    __table_args__ = (
        sa.CheckConstraint("length(dossier_hmac) = 64", name="dossier_hmac_length"),
        sa.CheckConstraint(_in("state", ("none", *DOSSIER_EVENT_KINDS)), name="state"),
        sa.CheckConstraint(_in("outcome", DOSSIER_OUTCOMES), name="outcome"),
        sa.Index("ix_dossiers_receiving_unit_id_received_at", "receiving_unit_id", "received_at"),
        sa.Index("ix_dossiers_settled_at", "settled_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    #: HMAC-SHA256 (hex) of the receiving unit's code and the dossier code (the receipt's key).
    dossier_hmac: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The unit that received the dossier (the receipt's unit).
    receiving_unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    #: The unit that settled or refused it, when another unit than the receiving one said so.
    settling_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    #: The kind of the latest event by event time ("none" only before the first is folded in).
    state: Mapped[str] = mapped_column(sa.String(16), default="none")
    outcome: Mapped[str] = mapped_column(sa.String(16), default="pending")
    received_at: Mapped[dt.datetime | None]
    due_date: Mapped[dt.date | None]
    #: When it was settled, refused or withdrawn (the deciding event's time).
    settled_at: Mapped[dt.datetime | None]
    #: How many times more papers were asked for (Decree 61/2018: times the citizen came back).
    more_papers: Mapped[int] = mapped_column(default=0)
    last_event_at: Mapped[dt.datetime | None]


class DossierEvent(Base):
    """One status event as the one-stop software sent it; its id makes a replay a no-op."""

    __tablename__ = "dossier_events"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", DOSSIER_EVENT_KINDS), name="kind"),
        sa.CheckConstraint("length(event_id) BETWEEN 1 AND 64", name="event_id_length"),
        sa.UniqueConstraint("dossier_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(BigIntKey, sa.ForeignKey("dossiers.id"))
    #: The sender's id of the event, unique per dossier.
    event_id: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: When it happened (the sender's clock), the order in which events are folded.
    at: Mapped[dt.datetime]
    #: The unit that settled, refused or returned it, when not the receiving unit.
    settling_unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"))
    #: The date the result is due (required on "settled"; a "received" may carry it too).
    due_date: Mapped[dt.date | None]
    #: The integration that sent it; None when imported with the CLI.
    integration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integration_tokens.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
