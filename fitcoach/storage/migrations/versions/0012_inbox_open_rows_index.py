"""inbox: partial index of the unfinished rows of each conversation

Every status change of an inbox row leaves a dead index entry behind until VACUUM runs; the
worker's "oldest unfinished row of this conversation" lookup through the status index or the
whole-conversation index read thousands of them per claim (17.7 M status-index entries read
for 3,000 messages in bench/load.py --messages 15; claims slowed down as the table grew). This
index holds only the unfinished rows, so the lookup reads a handful of entries.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('received', 'processing')")


def upgrade() -> None:
    op.create_index(
        "ix_inbox_open_by_conversation",
        "inbox",
        ["channel", "conversation_id", "id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_open_by_conversation", table_name="inbox")
