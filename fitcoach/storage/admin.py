"""Tables of the admin feature: prompt versions, admin tokens, the audit log, personalities.

- ``prompt_versions``: append-only history of admin overrides of one prompt document. The
  newest row of a document is in effect; ``content`` NULL means "no override, use the file".
- ``admin_tokens``: API tokens with a role; only the SHA-256 of a token is stored.
- ``admin_audit``: every admin call that changed something (who, what, when, details).
- ``personality_choices``: the coaching personality a person picked in chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from fitcoach.storage.models import Base, utcnow


class PromptVersion(Base):
    """One version of an admin override of a prompt document (``coach``, ``channels``...)."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("document", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str | None] = mapped_column(Text)
    """The whole document as YAML; NULL when this version returns to the file."""
    action: Mapped[str] = mapped_column(String(16), default="set")
    """``set`` or ``rollback``."""
    restored_version: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AdminToken(Base):
    """An admin API token: a name, a role and the token's hash (never the token)."""

    __tablename__ = "admin_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AdminAudit(Base):
    """One admin action that changed something (or read message contents)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    client: Mapped[str] = mapped_column(String(64), default="")


class PersonalityChoice(Base):
    """The coaching personality a person chose ("be tougher on me")."""

    __tablename__ = "personality_choices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    personality: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


ADMIN_TABLES: list[Table] = [
    Base.metadata.tables[name]
    for name in ("prompt_versions", "admin_tokens", "admin_audit", "personality_choices")
]


async def ensure_admin_tables(engine: AsyncEngine) -> None:
    """Create the admin tables when missing (a no-op once the Alembic migration ran)."""
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=ADMIN_TABLES)
