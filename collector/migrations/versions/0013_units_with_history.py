"""Units with history: a validity period on every unit and the links of a reorganisation
(merged, split, renamed) from the units that ceased to those that follow them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
    op.create_table(
        "unit_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("effective", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "change IN ('merge', 'split', 'rename')", name=op.f("ck_unit_links_change")
        ),
        sa.CheckConstraint(
            "predecessor_id <> successor_id", name=op.f("ck_unit_links_not_own_successor")
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"], ["units.id"], name=op.f("fk_unit_links_predecessor_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"], ["units.id"], name=op.f("fk_unit_links_successor_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_links")),
        sa.UniqueConstraint(
            "predecessor_id",
            "successor_id",
            name=op.f("uq_unit_links_predecessor_id"),
        ),
    )
    op.create_index(
        op.f("ix_unit_links_predecessor_id"), "unit_links", ["predecessor_id"], unique=False
    )
    op.create_index(
        op.f("ix_unit_links_successor_id"), "unit_links", ["successor_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_unit_links_successor_id"), table_name="unit_links")
    op.drop_index(op.f("ix_unit_links_predecessor_id"), table_name="unit_links")
    op.drop_table("unit_links")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("valid_to")
        batch.drop_column("valid_from")
