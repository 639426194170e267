"""Read-only view of the proactive scheduler's decision log (``proactive_audit``)."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.scheduling import ProactiveAudit


async def scheduler_audit(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    trigger: str | None = None,
    decision: str | None = None,
    limit: int = 100,
) -> list[ProactiveAudit] | None:
    """Newest decisions first; None when the scheduler tables do not exist yet."""
    connection = await session.connection()
    exists = await connection.run_sync(lambda c: inspect(c).has_table("proactive_audit"))
    if not exists:
        return None
    stmt = select(ProactiveAudit).order_by(ProactiveAudit.id.desc()).limit(limit)
    if user_id is not None:
        stmt = stmt.where(ProactiveAudit.user_id == user_id)
    if trigger:
        stmt = stmt.where(ProactiveAudit.trigger == trigger)
    if decision:
        stmt = stmt.where(ProactiveAudit.decision == decision)
    return list((await session.execute(stmt)).scalars())
