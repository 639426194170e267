"""inbox: drop the two indexes no query needs any more

``ix_inbox_conversation_order`` (channel, conversation_id, id) served the next-row lookup
until 0012 gave that lookup a partial index of the unfinished rows; ``ix_inbox_conversation_id``
served no query. Both were written on every status change (three per turn), and the first one
misled the planner: on a table without statistics yet (a new deployment, until autovacuum's
first ANALYZE), the lookup of one row by (channel, message_id) went through it with the
channel alone and filtered every row of that channel, once per finished turn. Without it the
unique (channel, message_id) index is the only one that matches.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 09:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_inbox_conversation_order", table_name="inbox")
    op.drop_index("ix_inbox_conversation_id", table_name="inbox")


def downgrade() -> None:
    op.create_index("ix_inbox_conversation_id", "inbox", ["conversation_id"], unique=False)
    op.create_index(
        "ix_inbox_conversation_order", "inbox", ["channel", "conversation_id", "id"], unique=False
    )
