"""one-time passes for the staff page's duty form

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 13:30:00
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_passes",
        sa.Column("pass_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pass_hash", name=op.f("pk_staff_passes")),
    )
    op.create_index(
        op.f("ix_staff_passes_expires_at"), "staff_passes", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_passes_expires_at"), table_name="staff_passes")
    op.drop_table("staff_passes")
