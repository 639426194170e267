"""Quiet hours, the daily cap, opt-out, pause, cancel-on-reply, blocked people, retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.storage.database import Database
from fitcoach.storage.scheduling import CoachPreference, ProactiveAudit, ProactiveSend
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_inbound,
    add_reminder,
    add_user,
    add_weight,
    add_workout,
    create_schema,
    run_ticks,
    seed_rhythm,
)

MON = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'respect.db'}")
    await create_schema(database)
    yield database
    await database.dispose()


def engine(db: Database, clock: Clock, deliverer: RecordingDeliverer) -> TickEngine:
    return TickEngine(db, deliverer, clock, SchedulerSettings(instance_id="test"))


async def _lapsed(db: Database, name: str, **prefs: object) -> int:
    """Trains Mon/Wed/Fri at 18:00 UTC; last workout Monday → nudge due Thursday 17:00."""
    uid = await add_user(db, name, **prefs)
    await seed_rhythm(db, uid, "UTC", (0, 2, 4), 18, MON - timedelta(weeks=6), 6)
    await add_workout(db, uid, MON + timedelta(hours=18))
    return uid


async def _audit(db: Database) -> list[tuple[str, str, str]]:
    async with db.session() as session:
        rows = (await session.execute(select(ProactiveAudit).order_by(ProactiveAudit.id))).scalars()
        return [(r.trigger, r.decision, r.reason) for r in rows]


async def test_quiet_hours_defer_until_they_end(db: Database) -> None:
    await _lapsed(db, "Ann", quiet_start_min=16 * 60, quiet_end_min=18 * 60)
    clock = Clock(MON + timedelta(days=3))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    [nudge] = sent.deliveries
    assert nudge.at == MON + timedelta(days=3, hours=18)
    assert ("inactivity", "deferred", "quiet_hours") in await _audit(db)


async def test_quiet_hours_past_the_window_skip(db: Database) -> None:
    await _lapsed(db, "Ben", quiet_start_min=16 * 60, quiet_end_min=23 * 60)
    clock = Clock(MON + timedelta(days=3))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    assert sent.deliveries == []
    assert ("inactivity", "skipped", "quiet_hours") in await _audit(db)


async def test_opt_out_stops_nudges_but_not_reminders(db: Database) -> None:
    uid = await _lapsed(db, "Cleo")
    await add_reminder(db, uid, "drink water", "12:00")
    clock = Clock(MON + timedelta(days=3))
    sent = RecordingDeliverer(clock)
    async with db.session() as session:
        session.add(CoachPreference(user_id=uid, nudges_enabled=False))
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    assert [d.text for d in sent.deliveries if "water" not in d.text] == []
    assert len(sent.deliveries) == 1
    assert ("inactivity", "skipped", "opted_out") in await _audit(db)


async def test_pending_nudge_cancelled_when_they_write_first(db: Database) -> None:
    uid = await _lapsed(db, "Dan")
    clock = Clock(MON + timedelta(days=3))
    sent = RecordingDeliverer(clock)
    eng = engine(db, clock, sent)
    await run_ticks(eng, clock, MON + timedelta(days=3, hours=12))
    await add_inbound(db, uid, clock.now, "busy week, will train tomorrow")
    await run_ticks(eng, clock, MON + timedelta(days=4))
    assert sent.deliveries == []
    assert ("inactivity", "skipped", "cancelled_by_reply") in await _audit(db)


async def test_daily_cap_keeps_the_most_valuable(db: Database) -> None:
    uid = await add_user(db, "Eve", goal="reach 75 kg by 2026-03-31")
    await add_weight(db, uid, MON - timedelta(days=30), 85)
    await add_weight(db, uid, MON - timedelta(days=3), 80.5)
    await add_weight(db, uid, MON + timedelta(hours=7), 79.9)  # 50 % + deadline in 28 days
    clock = Clock(MON + timedelta(days=1))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=2))
    [only] = sent.deliveries
    assert "50%" in only.text
    assert ("deadline", "skipped", "cap_reached") in await _audit(db)


async def test_blocked_person_is_unreachable_until_they_write(db: Database) -> None:
    uid = await add_user(db, "Fay")
    await add_reminder(db, uid, "stretch", "20:00")
    clock = Clock(MON)
    sent = RecordingDeliverer(clock, blocked={uid})
    eng = engine(db, clock, sent)
    await run_ticks(eng, clock, MON + timedelta(days=1))
    sent.blocked.clear()
    await run_ticks(eng, clock, MON + timedelta(days=2))
    assert sent.deliveries == []
    assert ("reminder", "skipped", "unreachable") in await _audit(db)
    await add_inbound(db, uid, clock.now, "I'm back")
    await run_ticks(eng, clock, MON + timedelta(days=3))
    assert len(sent.deliveries) == 1
    async with db.session() as session:
        pref = await session.get(CoachPreference, uid)
        assert pref is not None and pref.unreachable_since is None


async def test_failed_delivery_is_retried_once_sent(db: Database) -> None:
    uid = await add_user(db, "Gus")
    await add_reminder(db, uid, "stretch", "20:00")
    clock = Clock(MON + timedelta(hours=19))
    sent = RecordingDeliverer(clock, failing={uid})
    eng = engine(db, clock, sent)
    await run_ticks(eng, clock, MON + timedelta(hours=20, minutes=5))
    sent.failing.clear()
    await run_ticks(eng, clock, MON + timedelta(hours=22))
    assert len(sent.deliveries) == 1
    async with db.session() as session:
        [row] = (await session.execute(select(ProactiveSend))).scalars().all()
    assert row.status == "sent" and row.attempts == 2


async def test_pause_holds_everything(db: Database) -> None:
    uid = await _lapsed(db, "Hal", paused_until=MON + timedelta(days=7))
    await add_reminder(db, uid, "stretch", "20:00")
    clock = Clock(MON + timedelta(days=3))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    assert sent.deliveries == []
    assert {r for _, _, r in await _audit(db)} == {"paused"}
