"""Counter officers (a role that only issues receipt slips) and the province's procedure list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(
            op.f("ck_users_role"), "role IN ('admin', 'manager', 'viewer', 'counter')"
        )
    op.create_table(
        "procedures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(code) BETWEEN 1 AND 64", name=op.f("ck_procedures_code_length")),
        sa.CheckConstraint(
            "length(name) BETWEEN 1 AND 300", name=op.f("ck_procedures_name_length")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedures")),
        sa.UniqueConstraint("code", name=op.f("uq_procedures_code")),
    )


def downgrade() -> None:
    op.drop_table("procedures")
    op.execute("UPDATE users SET active = false, role = 'viewer' WHERE role = 'counter'")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_role"), type_="check")
        batch.create_check_constraint(
            op.f("ck_users_role"), "role IN ('admin', 'manager', 'viewer')"
        )
