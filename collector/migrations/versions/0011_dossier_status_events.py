"""Dossier status events from the one-stop software, and each dossier's state folded from them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = ("received", "more-papers", "settled", "returned", "refused", "withdrawn")
OUTCOMES = ("pending", "on-time", "late", "refused", "withdrawn")


def _in(column: str, values: tuple[str, ...]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("dossier_hmac", sa.String(length=64), nullable=False),
        sa.Column("receiving_unit_id", sa.Integer(), nullable=False),
        sa.Column("settling_unit_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("settled_at", UTCDateTime(), nullable=True),
        sa.Column("more_papers", sa.Integer(), nullable=False),
        sa.Column("last_event_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "length(dossier_hmac) = 64", name=op.f("ck_dossiers_dossier_hmac_length")
        ),
        sa.CheckConstraint(_in("state", ("none", *KINDS)), name=op.f("ck_dossiers_state")),
        sa.CheckConstraint(_in("outcome", OUTCOMES), name=op.f("ck_dossiers_outcome")),
        sa.ForeignKeyConstraint(
            ["receiving_unit_id"], ["units.id"], name=op.f("fk_dossiers_receiving_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["settling_unit_id"], ["units.id"], name=op.f("fk_dossiers_settling_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("dossier_hmac", name=op.f("uq_dossiers_dossier_hmac")),
    )
    op.create_index(
        "ix_dossiers_receiving_unit_id_received_at",
        "dossiers",
        ["receiving_unit_id", "received_at"],
    )
    op.create_index("ix_dossiers_settled_at", "dossiers", ["settled_at"])
    op.create_table(
        "dossier_events",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("dossier_id", BigIntKey, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("settling_unit_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_dossier_events_kind")),
        sa.CheckConstraint(
            "length(event_id) BETWEEN 1 AND 64", name=op.f("ck_dossier_events_event_id_length")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_dossier_events_dossier_id_dossiers")
        ),
        sa.ForeignKeyConstraint(
            ["settling_unit_id"],
            ["units.id"],
            name=op.f("fk_dossier_events_settling_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_tokens.id"],
            name=op.f("fk_dossier_events_integration_id_integration_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_events")),
        sa.UniqueConstraint("dossier_id", "event_id", name=op.f("uq_dossier_events_dossier_id")),
    )


def downgrade() -> None:
    op.drop_table("dossier_events")
    op.drop_index("ix_dossiers_settled_at", table_name="dossiers")
    op.drop_index("ix_dossiers_receiving_unit_id_received_at", table_name="dossiers")
    op.drop_table("dossiers")
