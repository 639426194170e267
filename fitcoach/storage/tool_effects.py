"""The tool calls of unfinished turns that changed a person's data, so a turn run again
changes it once.

A writing tool stores its result under the call's effect key in the same transaction as its
change. When a turn runs again (the database went away before the client heard the COMMIT,
or the replica died), the same call finds its key taken: the new change is rolled back and
the stored result is answered instead. Rows are only needed while their turn can still run
again; :func:`purge_tool_effects` drops old ones."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import cast

from sqlalchemy import DateTime, ForeignKey, String, Table, Text, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import Executable

from fitcoach.storage.database import Database
from fitcoach.storage.models import Base, utcnow


class ToolEffect(Base):
    """The result of one writing tool call of one turn."""

    __tablename__ = "tool_effects"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 of the turn's message, the tool, its arguments and its position."""
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


@cache
def _insert_if_new(dialect: str) -> Executable:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(cast(Table, ToolEffect.__table__)).on_conflict_do_nothing(index_elements=["key"])


async def claim_tool_effect(
    session: AsyncSession, user_id: int, key: str, result: str
) -> str | None:
    """Store this call's result with the caller's change; None when it is the first, else
    the result stored by the earlier run (the caller must then roll its change back)."""
    inserted = await session.execute(
        _insert_if_new(session.get_bind().dialect.name),
        {"key": key, "user_id": user_id, "result": result, "created_at": utcnow()},
    )
    if getattr(inserted, "rowcount", 0):
        return None
    earlier = await session.scalar(
        select(ToolEffect.result).where(ToolEffect.key == key, ToolEffect.user_id == user_id)
    )
    if earlier is None:
        # The key belongs to someone else: never answer with their data.
        raise PermissionError("tool effect key taken by another person")
    return earlier


async def purge_tool_effects(database: Database, older_than: datetime) -> int:
    """Drop the effects recorded before ``older_than`` (their turns are long finished)."""
    async with database.session(single_statement=True) as session:
        result = await session.execute(delete(ToolEffect).where(ToolEffect.created_at < older_than))
    return int(getattr(result, "rowcount", 0) or 0)
