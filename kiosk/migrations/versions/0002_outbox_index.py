"""outbox index on (sent_at, seq)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 02:20:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_sent_at")
        batch_op.create_index("ix_responses_outbox", ["sent_at", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_outbox")
        batch_op.create_index("ix_responses_sent_at", ["sent_at"], unique=False)
