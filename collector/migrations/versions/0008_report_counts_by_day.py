"""Report counts per local day, ISO week and month, with channel and the sum of answers, and
counts per breakdown group; they replace the weekly counts, and the counts are made again from
scratch

The new counts are made from the responses still stored: where retention has deleted responses
(RETENTION_RESPONSE_MONTHS), their weeks' old counts, which cannot be split into days, are lost.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As in collector.models.responses at this revision.
LEFT_OUT_WHERE = {
    "sqlite": "(flags LIKE '%\"suspect-burst\"%') OR (coalesce(chain_ok, 1) = 0)",
    "postgresql": "(flags @> CAST('[\"suspect-burst\"]' AS jsonb)) OR (chain_ok IS FALSE)",
}


def upgrade() -> None:
    op.drop_index(op.f("ix_report_weekly_counts_unit_id_week"), table_name="report_weekly_counts")
    op.drop_table("report_weekly_counts")
    op.create_table(
        "report_counts",
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("unofficial", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("no_opinion", sa.Integer(), nullable=False),
        sa.Column("value_sum", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "answered >= 0 AND satisfied >= 0 AND no_opinion >= 0 AND value_sum >= 0",
            name=op.f("ck_report_counts_counts"),
        ),
        sa.CheckConstraint(
            "grain IN ('day', 'week', 'month')", name=op.f("ck_report_counts_grain")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_report_counts_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "grain",
            "unit_id",
            "bucket",
            "questionnaire",
            "questionnaire_version",
            "channel",
            "code",
            "unofficial",
            name=op.f("pk_report_counts"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_report_counts_grain_bucket"), "report_counts", ["grain", "bucket"], unique=False
    )
    op.create_table(
        "report_group_counts",
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("unofficial", sa.Boolean(), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "responses >= 0 AND answered >= 0 AND satisfied >= 0 AND low >= 0",
            name=op.f("ck_report_group_counts_counts"),
        ),
        sa.CheckConstraint(
            "grain IN ('day', 'week', 'month')", name=op.f("ck_report_group_counts_grain")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_report_group_counts_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "grain",
            "unit_id",
            "bucket",
            "questionnaire",
            "dimension",
            "value",
            "unofficial",
            name=op.f("pk_report_group_counts"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_report_group_counts_grain_bucket"),
        "report_group_counts",
        ["grain", "bucket"],
        unique=False,
    )
    op.create_index(
        "ix_responses_left_out",
        "responses",
        ["unit_id", "submitted_at"],
        unique=False,
        sqlite_where=sa.text(LEFT_OUT_WHERE["sqlite"]),
        postgresql_where=sa.text(LEFT_OUT_WHERE["postgresql"]),
    )
    # Everything is counted again, into the new tables, at the next refresh.
    op.execute("DELETE FROM report_counts_state")


def downgrade() -> None:
    op.drop_index("ix_responses_left_out", table_name="responses")
    op.drop_index(op.f("ix_report_group_counts_grain_bucket"), table_name="report_group_counts")
    op.drop_table("report_group_counts")
    op.drop_index(op.f("ix_report_counts_grain_bucket"), table_name="report_counts")
    op.drop_table("report_counts")
    op.create_table(
        "report_weekly_counts",
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire", sa.String(length=32), nullable=False),
        sa.Column("questionnaire_version", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("unofficial", sa.Boolean(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("no_opinion", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "answered >= 0 AND satisfied >= 0 AND no_opinion >= 0",
            name=op.f("ck_report_weekly_counts_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_report_weekly_counts_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "week",
            "unit_id",
            "questionnaire",
            "questionnaire_version",
            "code",
            "unofficial",
            name=op.f("pk_report_weekly_counts"),
        ),
    )
    op.create_index(
        op.f("ix_report_weekly_counts_unit_id_week"), "report_weekly_counts", ["unit_id", "week"]
    )
    op.execute("DELETE FROM report_counts_state")
