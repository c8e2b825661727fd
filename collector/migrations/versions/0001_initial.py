"""Units, kiosks, kiosk chains, responses and answers

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BigIntKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(code) BETWEEN 1 AND 64", name=op.f("ck_units_code_length")),
        sa.CheckConstraint("length(kind) BETWEEN 1 AND 32", name=op.f("ck_units_kind_length")),
        sa.CheckConstraint("parent_id <> id", name=op.f("ck_units_not_own_parent")),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("code", name=op.f("uq_units_code")),
    )
    op.create_index(op.f("ix_units_parent_id"), "units", ["parent_id"])

    op.create_table(
        "kiosks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("length(token_hash) = 64", name=op.f("ck_kiosks_token_hash_length")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_kiosks_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosks")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_kiosks_token_hash")),
    )
    op.create_index(op.f("ix_kiosks_unit_id"), "kiosks", ["unit_id"])

    op.create_table(
        "kiosk_chains",
        sa.Column("kiosk_id", sa.Integer(), nullable=False),
        sa.Column("max_seq", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("gaps", JSONType, nullable=False),
        sa.Column("broken", JSONType, nullable=False),
        sa.Column("forks", JSONType, nullable=False),
        sa.Column("last_contact_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.Column("kiosk_version", sa.String(length=64), nullable=True),
        sa.Column("queue_length", sa.Integer(), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=True),
        sa.Column("kiosk_clock", sa.String(length=40), nullable=True),
        sa.Column("clock_offset_s", sa.Double(), nullable=True),
        sa.CheckConstraint("max_seq >= 0", name=op.f("ck_kiosk_chains_max_seq_not_negative")),
        sa.CheckConstraint(
            "queue_length >= 0", name=op.f("ck_kiosk_chains_queue_length_not_negative")
        ),
        sa.CheckConstraint("received >= 0", name=op.f("ck_kiosk_chains_received_not_negative")),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_kiosk_chains_kiosk_id_kiosks")
        ),
        sa.PrimaryKeyConstraint("kiosk_id", name=op.f("pk_kiosk_chains")),
    )

    op.create_table(
        "responses",
        sa.Column("id", BigIntKey, nullable=False),
        sa.Column("uuid", sa.Uuid(), nullable=False),
        sa.Column("kiosk_id", sa.Integer(), nullable=False),
        sa.Column("kiosk_seq", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.Column("started_at_sent", sa.String(length=40), nullable=False),
        sa.Column("submitted_at_sent", sa.String(length=40), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("answers", JSONType, nullable=False),
        sa.Column("reasons", JSONType, nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("flags", JSONType, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("chain_ok", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('kiosk', 'receipt', 'poster')", name=op.f("ck_responses_channel")
        ),
        sa.CheckConstraint(
            "comment IS NULL OR length(comment) <= 1000", name=op.f("ck_responses_comment_length")
        ),
        sa.CheckConstraint("kiosk_seq >= 1", name=op.f("ck_responses_kiosk_seq_positive")),
        sa.CheckConstraint(
            "length(hash) = 64 AND length(prev_hash) = 64", name=op.f("ck_responses_hash_length")
        ),
        sa.ForeignKeyConstraint(
            ["kiosk_id"], ["kiosks.id"], name=op.f("fk_responses_kiosk_id_kiosks")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_responses_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("kiosk_id", "kiosk_seq", name="uq_responses_kiosk_id_kiosk_seq"),
        sa.UniqueConstraint("uuid", name=op.f("uq_responses_uuid")),
    )
    op.create_index("ix_responses_unit_id_submitted_at", "responses", ["unit_id", "submitted_at"])

    op.create_table(
        "answers",
        sa.Column("response_id", BigIntKey, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("value BETWEEN 0 AND 5", name=op.f("ck_answers_value_range")),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_answers_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "code", name=op.f("pk_answers")),
    )


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_index("ix_responses_unit_id_submitted_at", table_name="responses")
    op.drop_table("responses")
    op.drop_table("kiosk_chains")
    op.drop_index(op.f("ix_kiosks_unit_id"), table_name="kiosks")
    op.drop_table("kiosks")
    op.drop_index(op.f("ix_units_parent_id"), table_name="units")
    op.drop_table("units")
