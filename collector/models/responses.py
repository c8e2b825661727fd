"""Responses as received from the kiosks, and one row per answer for the reports."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, BigIntKey
from collector.models.kiosks import Kiosk
from collector.models.units import Unit
from shared.chain import OPTIONAL_CHAINED_FIELDS
from shared.responses import SUSPECT_FLAG

CHANNELS = ("kiosk", "receipt", "poster")
#: Channels whose responses come from a kiosk's hash chain, and the only ones the ingest API takes:
#: a channel is a fact of the route. The others (receipt QR, counter poster) are answered on a
#: phone, only through their own pages, and have no kiosk, sequence number or hash.
CHAINED_CHANNELS = ("kiosk",)


#: SQL true for a response left out of the official figures (flagged suspicious, or a broken
#: hash chain link), per dialect; `collector.counts.refresh` writes the same conditions.
LEFT_OUT_WHERE = {
    "sqlite": f"(flags LIKE '%\"{SUSPECT_FLAG}\"%') OR (coalesce(chain_ok, 1) = 0)",
    "postgresql": f"(flags @> CAST('[\"{SUSPECT_FLAG}\"]' AS jsonb)) OR (chain_ok IS FALSE)",
}


#: The flag the collector adds, with SUSPECT_FLAG before it, to a response beyond a kiosk's
#: plausible rate (collector.ingest.flag_kiosk_rate); a kiosk cannot send it (no ":" allowed).
RATE_FLAG = "collector:kiosk-rate"


def kiosk_flags(flags: Any) -> Any:
    """The flags as the kiosk sent them: without the pair the collector appended."""
    if isinstance(flags, list) and flags[-1:] == [RATE_FLAG]:
        return flags[:-2]
    return flags


class Response(Base):
    """One person's response. Every field the hash covers is kept exactly as the kiosk sent it, so
    `as_sent()` reproduces the hash at any later time."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.UniqueConstraint("kiosk_id", "kiosk_seq", name="uq_responses_kiosk_id_kiosk_seq"),
        sa.CheckConstraint("kiosk_seq >= 1", name="kiosk_seq_positive"),
        sa.CheckConstraint(
            "channel IN ({})".format(", ".join(f"'{c}'" for c in CHANNELS)), name="channel"
        ),
        sa.CheckConstraint("length(hash) = 64 AND length(prev_hash) = 64", name="hash_length"),
        sa.CheckConstraint(
            "(kiosk_id IS NOT NULL AND kiosk_seq IS NOT NULL AND hash IS NOT NULL"
            " AND prev_hash IS NOT NULL) OR (kiosk_id IS NULL AND kiosk_seq IS NULL"
            " AND hash IS NULL AND prev_hash IS NULL AND channel IN ('receipt', 'poster'))",
            name="chained_or_phone",
        ),
        sa.CheckConstraint("comment IS NULL OR length(comment) <= 1000", name="comment_length"),
        sa.Index("ix_responses_unit_id_submitted_at", "unit_id", "submitted_at"),
        # The few responses left out of the official figures, for the reports' list of them: a
        # year's list must not read the year's million responses to find a hundred.
        sa.Index(
            "ix_responses_left_out",
            "unit_id",
            "submitted_at",
            sqlite_where=sa.text(LEFT_OUT_WHERE["sqlite"]),
            postgresql_where=sa.text(LEFT_OUT_WHERE["postgresql"]),
        ),
    )

    #: A compact integer key for joins; the kiosk's UUID is the identity (and carries the unique
    #: constraint that makes a second copy impossible, even from concurrent uploads).
    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    #: The kiosk that sent it; None for phone channels (receipt, poster), which have no chain.
    kiosk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kiosks.id"))
    #: The kiosk's gap-free sequence number (1, 2, ...); unique per kiosk.
    kiosk_seq: Mapped[int | None]
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    counter: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(16))
    questionnaire: Mapped[str] = mapped_column(sa.String(32))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    #: The kiosk's times, converted to UTC for reports; the kiosk's clock may be wrong.
    started_at: Mapped[dt.datetime]
    submitted_at: Mapped[dt.datetime]
    #: The same times exactly as sent (RFC 3339 with the kiosk's offset): the hash covers these.
    started_at_sent: Mapped[str] = mapped_column(sa.String(40))
    submitted_at_sent: Mapped[str] = mapped_column(sa.String(40))
    #: The collector's clock when the batch arrived.
    received_at: Mapped[dt.datetime]
    complete: Mapped[bool]
    #: Question code -> value 0..5, as sent (also in `answers` rows).
    answers: Mapped[dict[str, Any]]
    #: Low-score reason codes, as sent.
    reasons: Mapped[list[Any]]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    #: Marks set by the kiosk, e.g. "suspect-burst".
    flags: Mapped[list[Any]]
    #: The procedure code (mã thủ tục) and the officer code, when known (given at the receipt's
    #: issue, or set on duty at the kiosk's counter).
    procedure: Mapped[str | None] = mapped_column(sa.String(64))
    officer: Mapped[str | None] = mapped_column(sa.String(64))
    #: The language the citizen heard the kiosk's survey in and whether they pressed "listen",
    #: when the kiosk reads aloud (None otherwise, and on the phone channels).
    voice: Mapped[str | None] = mapped_column(sa.String(16))
    listened: Mapped[bool | None]
    prev_hash: Mapped[str | None] = mapped_column(sa.String(64))
    hash: Mapped[str | None] = mapped_column(sa.String(64))
    #: Whether prev_hash equals the stored hash of this kiosk's previous response (GENESIS for the
    #: first); None while that response has not arrived.
    chain_ok: Mapped[bool | None]

    kiosk: Mapped[Kiosk | None] = relationship()
    unit: Mapped[Unit] = relationship()

    def as_sent(self) -> dict[str, Any]:
        """The hashed fields as the kiosk sent them, for `shared.chain.response_hash`."""
        sent = {
            "id": str(self.uuid),
            "kiosk_seq": self.kiosk_seq,
            "questionnaire": self.questionnaire,
            "questionnaire_version": self.questionnaire_version,
            "unit": self.unit.code,
            "counter": self.counter,
            "channel": self.channel,
            "started_at": self.started_at_sent,
            "submitted_at": self.submitted_at_sent,
            "complete": self.complete,
            "answers": self.answers,
            "reasons": self.reasons,
            "comment": self.comment,
            "flags": kiosk_flags(self.flags),
        }
        # Optional hashed fields count only when given (shared.chain), as they were sent.
        for name in OPTIONAL_CHAINED_FIELDS:
            if getattr(self, name) is not None:
                sent[name] = getattr(self, name)
        return sent


class Answer(Base):
    """One answer of one response: the table the reports count."""

    __tablename__ = "answers"
    __table_args__ = (sa.CheckConstraint("value BETWEEN 0 AND 5", name="value_range"),)

    response_id: Mapped[int] = mapped_column(
        BigIntKey, sa.ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    #: The question's code in the response's questionnaire version.
    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    #: 1-5 on the scale, 0 for "not used / no opinion".
    value: Mapped[int] = mapped_column(sa.SmallInteger)
