"""responses and state

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:47:20.291150
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kiosk_state")),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("counter", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("started_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_tap_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("start_nonce", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_code", sa.String(length=64), nullable=True),
        sa.Column("rejected_message", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "(status = 'open') = (seq IS NULL)", name=op.f("ck_responses_seq_when_closed")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'complete', 'partial')", name=op.f("ck_responses_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("seq", name=op.f("uq_responses_seq")),
        sa.UniqueConstraint("start_nonce", name=op.f("uq_responses_start_nonce")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_responses_counter_last_tap", ["counter", "last_tap_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_responses_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index(
            "ix_responses_status_last_tap", ["status", "last_tap_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_status_last_tap")
        batch_op.drop_index(batch_op.f("ix_responses_sent_at"))
        batch_op.drop_index("ix_responses_counter_last_tap")

    op.drop_table("responses")
    op.drop_table("kiosk_state")
