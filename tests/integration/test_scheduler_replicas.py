"""Several schedulers on ONE database (SQLite file, PostgreSQL) and restarts: each message once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.scheduler import store as sched_store
from fitcoach.scheduler.timeutil import at_local
from fitcoach.storage.database import Database
from fitcoach.storage.scheduling import ProactiveSend
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_reminder,
    add_user,
    add_workout,
    create_schema,
    seed_rhythm,
)

MON = datetime(2026, 3, 2, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney")


async def _people(db: Database, count: int = 30) -> None:
    for i in range(count):
        tz = ZONES[i % len(ZONES)]
        uid = await add_user(db, f"P{i}", tz)
        await add_reminder(db, uid, f"stretch {i}", f"{9 + i % 12:02d}:30")
        await seed_rhythm(db, uid, tz, (0, 2, 4), 18, MON - timedelta(weeks=6), 6)
        await add_workout(db, uid, MON + timedelta(hours=12))


def _expected_reminders(count: int, start: datetime, end: datetime) -> int:
    """Reminder occurrences due in [start - grace, end) across everyone's local days."""
    grace = timedelta(minutes=SchedulerSettings().reminder_grace_min)
    total = 0
    for i in range(count):
        tz = ZONES[i % len(ZONES)]
        for offset in range(-1, 6):
            due = at_local(start.date() + timedelta(days=offset), (9 + i % 12) * 60 + 30, tz)
            total += start - grace <= due < end
    return total


def _engine(db: Database, clock: Clock, sent: RecordingDeliverer, name: str) -> TickEngine:
    return TickEngine(
        db, sent, clock, SchedulerSettings(instance_id=name, batch_size=7, stale_claim_s=120)
    )


async def _assert_once(db: Database, sent: RecordingDeliverer) -> None:
    async with db.session() as session:
        rows = (await session.execute(select(ProactiveSend))).scalars().all()
    assert rows and all(r.status == "sent" for r in rows)
    texts = Counter((d.user_id, d.text, d.at.date()) for d in sent.deliveries)
    assert len(sent.deliveries) == len(rows), "a delivery without (or beyond) its key"
    assert max(texts.values()) == 1


async def _two_replicas(db_a: Database, db_b: Database) -> RecordingDeliverer:
    await _people(db_a)
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    a, b = _engine(db_a, clock, sent, "a"), _engine(db_b, clock, sent, "b")
    while clock.now < MON + timedelta(days=4):
        await asyncio.gather(a.tick(), b.tick(), a.tick())
        clock.advance(minutes=15)
    return sent


async def test_two_schedulers_on_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db_a = Database(f"sqlite+aiosqlite:///{path}")
    db_b = Database(f"sqlite+aiosqlite:///{path}?timeout=30")  # other URL: no shared lock
    try:
        await create_schema(db_a)
        sent = await _two_replicas(db_a, db_b)
        expected = _expected_reminders(30, MON, MON + timedelta(days=4))
        assert len([d for d in sent.deliveries if "stretch" in d.text]) == expected
        nudged = [
            d for d in sent.deliveries if "stretch" not in d.text and "week" not in d.text.lower()
        ]
        assert len(nudged) == 30  # everyone missed Wednesday: one nudge each
        await _assert_once(db_a, sent)
    finally:
        await db_a.dispose()
        await db_b.dispose()


@pytest.mark.postgres
async def test_two_schedulers_on_one_postgres(pg_url: str) -> None:
    db_a, db_b = Database(pg_url), Database(pg_url)
    try:
        await create_schema(db_a)
        sent = await _two_replicas(db_a, db_b)
        expected = _expected_reminders(30, MON, MON + timedelta(days=4))
        assert len([d for d in sent.deliveries if "stretch" in d.text]) == expected
        await _assert_once(db_a, sent)
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def test_restart_in_the_middle_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}")
    try:
        await create_schema(db)
        await _people(db, 10)
        clock = Clock(MON)
        sent = RecordingDeliverer(clock)
        first = _engine(db, clock, sent, "first")
        while clock.now < MON + timedelta(days=1, hours=14, minutes=30):
            await first.tick()
            clock.advance(minutes=15)
        clock.now = MON + timedelta(days=1, hours=14, minutes=30)  # two reminders are due
        # A replica crashes right after claiming due work (before sending anything) and the
        # service is down for an hour (within the reminders' grace window).
        async with db.session() as session:
            claimed = await sched_store.claim_due(session, clock.now, 100, "crashed", 120)
        assert claimed
        clock.advance(hours=1)
        second = _engine(db, clock, sent, "second")  # a fresh process on the same DB
        while clock.now < MON + timedelta(days=3):
            await second.tick()
            clock.advance(minutes=15)
        expected = _expected_reminders(10, MON, MON + timedelta(days=3))
        assert len([d for d in sent.deliveries if "stretch" in d.text]) == expected
        await _assert_once(db, sent)
    finally:
        await db.dispose()
