"""the language a response was heard in, and whether "listen" was pressed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voice", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("listened", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_column("listened")
        batch_op.drop_column("voice")
