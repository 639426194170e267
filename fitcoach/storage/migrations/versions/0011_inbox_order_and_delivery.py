"""inbox: per-conversation order index and delivery state

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_inbox_conversation_order", ["channel", "conversation_id", "id"], unique=False
        )
    # Messages answered before this revision count as delivered: nothing is re-sent.
    op.execute("UPDATE inbox SET delivered_at = processed_at WHERE processed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_conversation_order")
        batch_op.drop_column("delivered_at")
