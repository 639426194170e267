"""inbox: partial index of the answered rows whose reply is not marked sent yet

A conversation's next message may only be claimed once the replies before it went out;
otherwise, with two drains of one conversation (the Redis lock unreachable, each process on
its own lock), the reply to a later message could reach the person first. The claim looks
for an earlier reply another live claim is still sending; this index holds only the rows
between their finish and their delivery mark, so that lookup reads a handful of entries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-25 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSENT = sa.text("processed_at IS NOT NULL AND delivered_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_inbox_unsent_by_conversation",
        "inbox",
        ["channel", "conversation_id", "id"],
        unique=False,
        postgresql_where=UNSENT,
        sqlite_where=UNSENT,
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_unsent_by_conversation", table_name="inbox")
