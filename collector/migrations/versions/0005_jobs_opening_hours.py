"""Export jobs in the database, units' opening hours, silent-kiosk notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=False),
        sa.Column("first_week", sa.String(length=8), nullable=False),
        sa.Column("last_week", sa.String(length=8), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'done', 'failed', 'expired')",
            name=op.f("ck_export_jobs_state"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_export_jobs_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_export_jobs_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_export_jobs_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_jobs")),
    )
    op.create_index("ix_export_jobs_user_id_state", "export_jobs", ["user_id", "state"])
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("opening_hours", JSON, nullable=True))
    with op.batch_alter_table("kiosk_chains") as batch:
        batch.add_column(sa.Column("silent_notified_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_chains") as batch:
        batch.drop_column("silent_notified_at")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("opening_hours")
    op.drop_index("ix_export_jobs_user_id_state", table_name="export_jobs")
    op.drop_table("export_jobs")
