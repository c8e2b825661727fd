"""The respondents' cross-products per report bucket (`report_cross`) and the sums of squares of
each breakdown group (`report_group_counts`), for respondent-clustered intervals; the counts are
made again from scratch

As in 0008, the counts are made from the responses still stored: where retention has deleted
responses (RETENTION_RESPONSE_MONTHS), their days' counts are lost with them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQUARES = ("satisfied_sq", "satisfied_answered", "answered_sq")


def _recount() -> None:
    """Every count is made again at the next refresh: the old rows would be added to twice."""
    for table in ("report_counts", "report_group_counts", "report_counts_state"):
        op.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names


def upgrade() -> None:
    _recount()
    op.create_table(
        "report_cross",
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("unofficial", sa.Boolean(), nullable=False),
        sa.Column("codes", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("grain IN ('day', 'week', 'month')", name=op.f("ck_report_cross_grain")),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_report_cross_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "grain",
            "unit_id",
            "bucket",
            "questionnaire",
            "questionnaire_version",
            "channel",
            "unofficial",
            name=op.f("pk_report_cross"),
        ),
    )
    op.create_index(
        op.f("ix_report_cross_grain_bucket"), "report_cross", ["grain", "bucket"], unique=False
    )
    with op.batch_alter_table("report_group_counts") as batch:
        for name in SQUARES:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            "squares", "satisfied_sq >= 0 AND satisfied_answered >= 0 AND answered_sq >= 0"
        )
    with op.batch_alter_table("report_group_counts") as batch:
        for name in SQUARES:
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    _recount()
    with op.batch_alter_table("report_group_counts") as batch:
        batch.drop_constraint(op.f("ck_report_group_counts_squares"), type_="check")
        for name in SQUARES:
            batch.drop_column(name)
    op.drop_index(op.f("ix_report_cross_grain_bucket"), table_name="report_cross")
    op.drop_table("report_cross")
