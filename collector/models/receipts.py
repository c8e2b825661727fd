"""Integration tokens (the one-stop software's credential) and receipt rating codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, BigIntKey, UnitToken
from collector.models.units import Unit
from shared.db import utcnow

RECEIPT_STATES = ("issued", "opened", "answered", "expired", "revoked")


class IntegrationToken(UnitToken, Base):
    """A bearer token for software that issues receipt codes; it acts for a unit and every unit
    below it (`UnitToken`)."""

    __tablename__ = "integration_tokens"

    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    unit: Mapped[Unit] = relationship()


class Receipt(Base):
    """The rating code of one dossier: what the phone survey needs, and the evidence of how many
    receipts were issued, opened and answered. The dossier code itself is never stored: only its
    HMAC under the server's key, so that issuing twice finds the same row."""

    __tablename__ = "receipts"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ({})".format(", ".join(f"'{s}'" for s in RECEIPT_STATES)), name="state"
        ),
        sa.CheckConstraint("length(dossier_hmac) = 64", name="dossier_hmac_length"),
        sa.CheckConstraint("length(token_hash) = 64", name="token_hash_length"),
        sa.Index("ix_receipts_unit_id_issued_at", "unit_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    #: HMAC-SHA256 (hex) of the dossier code under the receipt key.
    dossier_hmac: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: SHA-256 (hex) of the token, to find the row from the link; the token is derived again
    #: from the dossier code when the same dossier is issued twice.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"))
    questionnaire: Mapped[str] = mapped_column(sa.String(32))
    questionnaire_version: Mapped[str] = mapped_column(sa.String(32))
    procedure: Mapped[str | None] = mapped_column(sa.String(64))
    officer: Mapped[str | None] = mapped_column(sa.String(64))
    due_date: Mapped[dt.date | None]
    #: The integration that asked for it; None when issued with the CLI.
    integration_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integration_tokens.id"))
    state: Mapped[str] = mapped_column(sa.String(16), default="issued")
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]
    answered_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    #: Answers given so far on the phone ({"answers": {...}, "step": n}); emptied on submit.
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    response_id: Mapped[int | None] = mapped_column(
        BigIntKey, sa.ForeignKey("responses.id"), unique=True
    )

    unit: Mapped[Unit] = relationship()
