"""Scheduler storage operations: claims (SKIP LOCKED on PostgreSQL), the send ledger, audit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.scheduler.planner import DayPlan, Planned
from fitcoach.storage.database import Database
from fitcoach.storage.models import MessageLog, User
from fitcoach.storage.scheduling import (
    CoachPreference,
    ProactiveAudit,
    ProactiveOccurrence,
    ProactiveSend,
    ProactiveState,
)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
ClaimOutcome = Literal["won", "duplicate", "cap_reached"]
T = TypeVar("T")
_LOCKS: dict[str, asyncio.Lock] = {}


def dialect_of(session: AsyncSession) -> str:
    """"postgresql" or "sqlite"."""
    return session.get_bind().dialect.name


def _insert(session: AsyncSession, model: Any) -> Any:
    """A dialect INSERT on the model's Core table (skips the slower ORM bulk path)."""
    module: Any = postgresql if dialect_of(session) == "postgresql" else sqlite
    return module.insert(getattr(model, "__table__", model))


def process_lock(database: Database) -> asyncio.Lock:
    """In-process claim lock for embedded databases (one per database URL)."""
    return _LOCKS.setdefault(database.url, asyncio.Lock())


async def with_retry(action: Callable[[], Awaitable[T]], attempts: int = 8) -> T:
    """Retry an SQLite write that met a busy database (other scheduler writing)."""
    for attempt in range(attempts):
        try:
            return await action()
        except OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise RuntimeError("unreachable")


async def ensure_state_rows(session: AsyncSession) -> int:
    """One proactive_state row per user (new users are planned at once).

    The missing ids are read first and inserted as values: an INSERT … SELECT anti-joining
    the table it fills degrades quadratically on PostgreSQL when that table starts empty."""
    users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
    known = (await session.execute(select(func.count()).select_from(ProactiveState))).scalar_one()
    if users == known:
        return 0
    missing = list((await session.execute(
        select(User.id).where(User.id.not_in(select(ProactiveState.user_id)))
    )).scalars())
    stmt = _insert(session, ProactiveState).on_conflict_do_nothing()
    for start in range(0, len(missing), 5000):
        await session.execute(stmt, [{"user_id": uid, "next_plan_at": EPOCH, "streak_weeks": 0}
                                     for uid in missing[start : start + 5000]])
    return len(missing)


async def claim_planning(
    session: AsyncSession, now: datetime, limit: int, lease_s: float
) -> list[int]:
    """Users whose next local day must be planned; leased so other replicas skip them.

    Two steps in one transaction: lock the due rows (SKIP LOCKED: rows another replica holds
    are left to it), then move their ``next_plan_at`` forward by the lease."""
    st = ProactiveState
    due = (
        select(st.user_id).where(st.next_plan_at <= now).order_by(st.next_plan_at)
        .limit(limit).with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    stmt = (
        update(st).where(st.user_id.in_(ids), st.next_plan_at <= now)
        .values(next_plan_at=now + timedelta(seconds=lease_s))
        .returning(st.user_id).execution_options(synchronize_session=False)
    )
    return [row[0] for row in await session.execute(stmt)]


async def save_plans(
    session: AsyncSession, plans: list[DayPlan], now: datetime, instance: str
) -> int:
    """Store occurrences (existing keys kept), planning-time skips in the audit, and state."""
    rows = [_occurrence_row(p, now) for plan in plans for p in plan.planned]
    inserted: set[str] = set()
    if rows:
        stmt = _insert(session, ProactiveOccurrence).on_conflict_do_nothing(
            index_elements=["key"]).returning(ProactiveOccurrence.__table__.c.key)
        for start in range(0, len(rows), 2000):
            result = await session.execute(stmt, rows[start : start + 2000])
            inserted.update(r[0] for r in result)
    audits = [
        audit_row(now, p.user_id, p.trigger, p.key, "skipped", p.reason, "at planning", instance)
        for plan in plans for p in plan.planned if p.status == "skipped" and p.key in inserted
    ]
    if audits:
        await session.execute(_insert(session, ProactiveAudit), audits)
    updates = [
        {
            "b_user_id": plan.user_id, "next_plan_at": plan.next_plan_at,
            "plan_date": plan.local_date, "streak_weeks": plan.streak_weeks,
            "streak_week": plan.streak_week, "rhythm_days": plan.rhythm.encode(),
            "rhythm_hour": plan.rhythm.hour, "rhythm_on": plan.rhythm_on,
        }
        for plan in plans
    ]
    if updates:
        table = cast(Table, ProactiveState.__table__)
        stmt = table.update().where(table.c.user_id == bindparam("b_user_id")).values(
            {name: bindparam(name) for name in updates[0] if name != "b_user_id"})
        conn = await session.connection()
        await conn.execute(stmt, updates)
    return len(inserted)


def _occurrence_row(p: Planned, now: datetime) -> dict[str, Any]:
    return {
        "key": p.key, "user_id": p.user_id, "trigger": p.trigger, "local_date": p.local_date,
        "due_at": p.due_at, "expires_at": p.expires_at, "pending_since": p.pending_since,
        "unsolicited": p.unsolicited, "payload": json.dumps(p.payload, default=str),
        "status": p.status, "reason": p.reason, "attempts": 0, "created_at": now,
    }


async def insert_planned(session: AsyncSession, planned: Planned, now: datetime) -> bool:
    """Add one occurrence (e.g. a reminder set today); False when the key exists."""
    stmt = _insert(session, ProactiveOccurrence).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt.returning(ProactiveOccurrence.__table__.c.key),
                                   [_occurrence_row(planned, now)])
    return bool(result.all())


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, instance: str, stale_s: float
) -> list[ProactiveOccurrence]:
    """Atomically take due occurrences (and stale claims of crashed replicas)."""
    Occ = ProactiveOccurrence
    stale = now - timedelta(seconds=stale_s)
    ready = or_(
        and_(Occ.status == "pending", Occ.due_at <= now),
        and_(Occ.status == "claimed", Occ.claimed_at < stale),
    )
    due = (
        select(Occ.id).where(ready).order_by(Occ.due_at).limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.execute(due)).scalars())
    if not ids:
        return []
    stmt = (
        update(Occ)
        .where(Occ.id.in_(ids), ready)
        .values(status="claimed", claimed_by=instance, claimed_at=now, attempts=Occ.attempts + 1)
        .returning(Occ)
        .execution_options(synchronize_session=False)
    )
    return list((await session.execute(stmt)).scalars().all())


async def claim_sends(
    session: AsyncSession, items: list[tuple[ProactiveOccurrence, int]], now: datetime,
    stale_s: float,
) -> dict[str, ClaimOutcome]:
    """Bulk :func:`claim_send`: insert keys with ON CONFLICT DO NOTHING, slot by slot."""
    outcome: dict[str, ClaimOutcome] = {}
    waiting = list(items)
    slot = 0
    while waiting:
        rows = []
        for occ, cap in waiting:
            if occ.unsolicited and slot >= cap:
                continue
            rows.append({
                "key": occ.key, "user_id": occ.user_id, "trigger": occ.trigger,
                "local_date": occ.local_date, "status": "claimed", "claimed_at": now,
                "created_at": now, "text": "", "detail": "", "attempts": 1,
                "cap_slot": f"{occ.user_id}:{occ.local_date}:{slot}" if occ.unsolicited
                else None,
            })
        if not rows:
            break
        stmt = _insert(session, ProactiveSend).on_conflict_do_nothing().returning(
            ProactiveSend.__table__.c.key)
        won = {r[0] for r in await session.execute(stmt, rows)}
        outcome.update(dict.fromkeys(won, "won"))
        tried = {r["key"] for r in rows}
        existing = {
            row.key: row for row in (await session.execute(
                select(ProactiveSend).where(ProactiveSend.key.in_(tried - won))
            )).scalars()
        } if tried - won else {}
        still = []
        for occ, cap in waiting:
            if occ.key in won:
                continue
            if occ.key in existing:
                outcome[occ.key] = await _retake(session, existing[occ.key], now, stale_s)
            elif occ.unsolicited and slot + 1 < cap:
                still.append((occ, cap))
            else:
                outcome[occ.key] = "cap_reached"
        waiting, slot = still, slot + 1
    for occ, _ in items:
        outcome.setdefault(occ.key, "cap_reached")
    return outcome


async def _retake(
    session: AsyncSession, send: ProactiveSend, now: datetime, stale_s: float
) -> ClaimOutcome:
    """A failed (or crashed mid-send) key may be retried by exactly one claimant."""
    S = ProactiveSend
    stale = now - timedelta(seconds=stale_s)
    retryable = or_(S.status == "failed", and_(S.status == "claimed", S.claimed_at < stale))
    result = await session.execute(
        update(S).where(S.id == send.id, retryable)
        .values(status="claimed", claimed_at=now, attempts=S.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return "won" if getattr(result, "rowcount", 0) == 1 else "duplicate"


async def set_unreachable(session: AsyncSession, user_id: int, since: datetime | None) -> None:
    """Mark (or with None, clear) a person as unreachable (they blocked the bot)."""
    stmt = _insert(session, CoachPreference).values(
        user_id=user_id, unreachable_since=since, updated_at=datetime.now(UTC)
    )
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id"], set_={"unreachable_since": since}
    ))


def audit_row(
    at: datetime, user_id: int, trigger: str, key: str, decision: str, reason: str,
    detail: str, instance: str,
) -> dict[str, Any]:
    """One audit entry as a row mapping."""
    return {"at": at, "user_id": user_id, "trigger": trigger, "key": key,
            "decision": decision, "reason": reason, "detail": detail[:1000],
            "instance": instance}


async def write_audit(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Append audit rows."""
    if rows:
        await session.execute(_insert(session, ProactiveAudit), rows)


async def bulk_settle(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Settle (or re-queue) many occurrences: rows of b_id, status, reason, due_at."""
    if rows:
        table = cast(Table, ProactiveOccurrence.__table__)
        stmt = table.update().where(table.c.id == bindparam("b_id")).values(
            status=bindparam("status"), reason=bindparam("reason"),
            due_at=bindparam("due_at"), claimed_by=None)
        await (await session.connection()).execute(stmt, rows)


async def bulk_finish(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Store many delivery outcomes: rows of b_key, status, text, channel, ..."""
    if rows:
        table = cast(Table, ProactiveSend.__table__)
        stmt = table.update().where(table.c.key == bindparam("b_key")).values(
            {name: bindparam(name) for name in rows[0] if name != "b_key"})
        await (await session.connection()).execute(stmt, rows)


async def write_message_log(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Record sent proactive messages in the message log (direction "out")."""
    if rows:
        await session.execute(_insert(session, MessageLog), rows)
