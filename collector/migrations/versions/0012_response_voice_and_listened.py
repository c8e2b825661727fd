"""The language a kiosk response was heard in, and whether "listen" was pressed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: The report counts gain the dimensions "voice" and "voice-listened": they are derived data,
#: emptied here and counted again from the responses at the next refresh.
COUNTS = ("report_counts", "report_group_counts", "report_cross", "report_counts_state")


def upgrade() -> None:
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("voice", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("listened", sa.Boolean(), nullable=True))
    for table in COUNTS:
        op.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names


def downgrade() -> None:
    for table in COUNTS:
        op.execute(f"DELETE FROM {table}")  # noqa: S608 - constant names
    with op.batch_alter_table("responses") as batch:
        batch.drop_column("listened")
        batch.drop_column("voice")
