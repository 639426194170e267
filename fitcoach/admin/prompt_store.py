"""Prompt override versions in the database (append-only; the newest row is in effect)."""

from __future__ import annotations

import difflib

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.admin import PromptVersion


class PromptVersions:
    """Reads and appends prompt override versions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_id(self) -> int:
        """The newest row id over all documents (0 when none): the cheap change check."""
        value = await self.session.scalar(select(func.max(PromptVersion.id)))
        return int(value or 0)

    async def active(self) -> dict[str, PromptVersion]:
        """The newest version of each document that has any."""
        newest = select(func.max(PromptVersion.id)).group_by(PromptVersion.document)
        stmt = select(PromptVersion).where(PromptVersion.id.in_(newest))
        return {row.document: row for row in (await self.session.execute(stmt)).scalars()}

    async def history(self, document: str, limit: int = 50) -> list[PromptVersion]:
        """A document's versions, newest first."""
        stmt = (
            select(PromptVersion)
            .where(PromptVersion.document == document)
            .order_by(PromptVersion.version.desc())
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def get(self, document: str, version: int) -> PromptVersion | None:
        """One version of a document."""
        stmt = select(PromptVersion).where(
            PromptVersion.document == document, PromptVersion.version == version
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def last_version(self, document: str) -> int:
        """The newest version number of a document (0 when it has none)."""
        value = await self.session.scalar(
            select(func.max(PromptVersion.version)).where(PromptVersion.document == document)
        )
        return int(value or 0)

    async def add(
        self,
        document: str,
        version: int,
        content: str | None,
        *,
        author: str,
        comment: str,
        diff: str,
        action: str = "set",
        restored_version: int | None = None,
    ) -> PromptVersion:
        """Append a version of a document ((document, version) is unique: races fail)."""
        row = PromptVersion(
            document=document,
            version=version,
            content=content,
            action=action,
            restored_version=restored_version,
            author=author,
            comment=comment,
            diff=diff,
        )
        self.session.add(row)
        await self.session.flush()
        return row


def unified_diff(before: str, after: str, before_label: str, after_label: str) -> str:
    """A unified diff of two YAML texts."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), before_label, after_label, lineterm=""
    )
    return "\n".join(lines)
