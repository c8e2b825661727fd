"""Responses from phone channels (no kiosk chain), procedure and officer codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAINED_OR_PHONE = (
    "(kiosk_id IS NOT NULL AND kiosk_seq IS NOT NULL AND hash IS NOT NULL"
    " AND prev_hash IS NOT NULL) OR (kiosk_id IS NULL AND kiosk_seq IS NULL"
    " AND hash IS NULL AND prev_hash IS NULL AND channel IN ('receipt', 'poster'))"
)


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("procedure", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("officer", sa.String(length=64), nullable=True))
        for name in ("kiosk_id", "kiosk_seq"):
            batch.alter_column(name, existing_type=sa.Integer(), nullable=True)
        for name in ("prev_hash", "hash"):
            batch.alter_column(name, existing_type=sa.String(length=64), nullable=True)
        batch.create_check_constraint("chained_or_phone", CHAINED_OR_PHONE)


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.drop_constraint(op.f("ck_responses_chained_or_phone"), type_="check")
        for name in ("prev_hash", "hash"):
            batch.alter_column(name, existing_type=sa.String(length=64), nullable=False)
        for name in ("kiosk_id", "kiosk_seq"):
            batch.alter_column(name, existing_type=sa.Integer(), nullable=False)
        batch.drop_column("officer")
        batch.drop_column("procedure")
