"""Integration tokens and receipt rating codes (the phone survey's token records)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "integration_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "length(token_hash) = 64", name=op.f("ck_integration_tokens_token_hash_length")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_integration_tokens_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_integration_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_integration_tokens_unit_id"), "integration_tokens", ["unit_id"], unique=False
    )
    op.create_table(
        "receipts",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("dossier_hmac", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("procedure", sa.String(length=64), nullable=True),
        sa.Column("officer", sa.String(length=64), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("progress", JSONType, nullable=False),
        sa.Column("response_id", BigIntKey, nullable=True),
        sa.CheckConstraint(
            "state IN ('issued', 'opened', 'answered', 'expired', 'revoked')",
            name=op.f("ck_receipts_state"),
        ),
        sa.CheckConstraint(
            "length(dossier_hmac) = 64", name=op.f("ck_receipts_dossier_hmac_length")
        ),
        sa.CheckConstraint("length(token_hash) = 64", name=op.f("ck_receipts_token_hash_length")),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integration_tokens.id"],
            name=op.f("fk_receipts_integration_id_integration_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_receipts_response_id_responses")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_receipts_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("dossier_hmac", name=op.f("uq_receipts_dossier_hmac")),
        sa.UniqueConstraint("response_id", name=op.f("uq_receipts_response_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_receipts_token_hash")),
    )
    op.create_index(
        "ix_receipts_unit_id_issued_at", "receipts", ["unit_id", "issued_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_receipts_unit_id_issued_at", table_name="receipts")
    op.drop_table("receipts")
    op.drop_index(op.f("ix_integration_tokens_unit_id"), table_name="integration_tokens")
    op.drop_table("integration_tokens")
