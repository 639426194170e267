"""The admin audit log: every admin call that changed something."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.admin.auth import Actor
from fitcoach.storage.admin import AdminAudit


async def record_audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    client: str = "",
) -> AdminAudit:
    """Add one audit entry in the caller's transaction (so it commits with the change)."""
    row = AdminAudit(
        actor=actor.name,
        role=actor.role,
        action=action,
        target=target[:200],
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        client=client[:64],
    )
    session.add(row)
    await session.flush()
    return row


async def list_audit(
    session: AsyncSession, *, action: str | None = None, actor: str | None = None, limit: int = 100
) -> list[AdminAudit]:
    """Newest entries first, optionally filtered by action prefix or actor."""
    stmt = select(AdminAudit).order_by(AdminAudit.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(AdminAudit.action.startswith(action))
    if actor:
        stmt = stmt.where(AdminAudit.actor == actor)
    return list((await session.execute(stmt)).scalars())
