"""Each trigger end to end on SQLite with a controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.storage.database import Database
from fitcoach.storage.scheduling import ProactiveAudit
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_meal,
    add_reminder,
    add_user,
    add_weight,
    add_workout,
    create_schema,
    run_ticks,
    seed_rhythm,
)

MON = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
SIX_WEEKS_BEFORE = MON - timedelta(weeks=6)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sched.db'}")
    await create_schema(database)
    yield database
    await database.dispose()


def engine(db: Database, clock: Clock, deliverer: RecordingDeliverer) -> TickEngine:
    return TickEngine(db, deliverer, clock, SchedulerSettings(instance_id="test"))


async def test_inactivity_follows_the_persons_rhythm(db: Database) -> None:
    uid = await add_user(db, "Ann", "Europe/Berlin")
    await seed_rhythm(db, uid, "Europe/Berlin", (0, 2, 4), 18, SIX_WEEKS_BEFORE, 6)
    await add_workout(db, uid, datetime(2026, 3, 2, 17, tzinfo=UTC))  # Monday, then nothing
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    assert len(sent.deliveries) == 1
    nudge = sent.deliveries[0]
    local = nudge.at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert local.strftime("%A") == "Thursday" and local.hour == 17  # an hour before usual
    assert "Wednesday" in nudge.text or "Monday" in nudge.text or "Missed" in nudge.text


async def test_no_inactivity_nudge_when_they_trained(db: Database) -> None:
    uid = await add_user(db, "Ben")
    await seed_rhythm(db, uid, "UTC", (0, 2, 4), 7, SIX_WEEKS_BEFORE, 7)
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=5))
    assert [d for d in sent.deliveries if "training day" in d.text] == []


async def test_pr_celebrated_next_morning(db: Database) -> None:
    uid = await add_user(db, "Cleo", units="imperial")
    await add_workout(db, uid, MON - timedelta(days=10), [("barbell_squat", 100, 5)])
    await add_workout(db, uid, MON + timedelta(hours=18), [("barbell_squat", 105, 3)])
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=2))
    [pr] = sent.deliveries
    assert pr.at.date() == (MON + timedelta(days=1)).date() and pr.at.hour == 9
    assert "231.5 lb" in pr.text and "220.5 lb" in pr.text and "Barbell Squat" in pr.text


async def test_streak_milestone(db: Database) -> None:
    uid = await add_user(db, "Dan")
    await seed_rhythm(db, uid, "UTC", (0, 3), 12, SIX_WEEKS_BEFORE + timedelta(weeks=3), 3)
    await add_workout(db, uid, MON + timedelta(hours=12))
    await add_workout(db, uid, MON + timedelta(days=3, hours=12))  # completes week 4
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=5))
    texts = [d.text for d in sent.deliveries]
    assert len(texts) == 1 and "4" in texts[0], texts


async def test_weekly_summary_sunday_evening(db: Database) -> None:
    uid = await add_user(db, "Eve", "America/New_York")
    for day in (0, 2, 4):
        await add_workout(db, uid, MON + timedelta(days=day, hours=22),
                          [("barbell_bench_press", 50, 10)])
    for day in range(6):
        await add_meal(db, uid, MON + timedelta(days=day, hours=17), kcal=2000)
    clock = Clock(MON + timedelta(days=6))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=7, hours=6))
    [summary] = sent.deliveries
    assert summary.at == datetime(2026, 3, 8, 23, 0, tzinfo=UTC)  # 19:00 EDT (after DST)
    assert "3" in summary.text and "1,500 kg" in summary.text and "2,000 kcal" in summary.text


async def test_meal_reminder_only_when_asked_and_missing(db: Database) -> None:
    asked = await add_user(db, "Fay", meal_reminders=True)
    logged = await add_user(db, "Gus", meal_reminders=True)
    await add_user(db, "Hal")  # never asked
    await add_meal(db, logged, MON + timedelta(hours=12))
    await add_meal(db, logged, MON + timedelta(hours=18))
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=1))
    assert [(d.user_id, d.at.hour) for d in sent.deliveries] == [(asked, 14), (asked, 20)]
    assert "lunch" in sent.deliveries[0].text and "dinner" in sent.deliveries[1].text


async def test_weight_milestone_and_deadline(db: Database) -> None:
    uid = await add_user(db, "Ivy", goal="get down to 75 kg by 2026-04-01")
    await add_weight(db, uid, MON - timedelta(days=60), 85)
    await add_weight(db, uid, MON - timedelta(days=5), 80.5)
    await add_weight(db, uid, MON + timedelta(hours=7), 79.8)
    clock = Clock(MON + timedelta(days=1))
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=4))
    [milestone, deadline] = sent.deliveries
    assert "50%" in milestone.text and "75 kg" in milestone.text
    assert deadline.at.date().isoformat() == "2026-03-04" and "28 days" in deadline.text


async def test_reminders_fire_at_local_time_uncapped(db: Database) -> None:
    uid = await add_user(db, "Jo", "Asia/Tokyo")
    await add_reminder(db, uid, "stretch", "21:00")
    await add_reminder(db, uid, "log lunch", "13:00", "weekdays", "0,1,2,3,4")
    clock = Clock(MON - timedelta(hours=9))  # Monday 00:00 in Tokyo
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=7) - timedelta(hours=9))
    stretch = [d for d in sent.deliveries if "stretch" in d.text]
    lunch = [d for d in sent.deliveries if "lunch" in d.text]
    assert len(stretch) == 7 and len(lunch) == 5
    assert {d.at.hour for d in stretch} == {12} and {d.at.hour for d in lunch} == {4}


async def test_every_decision_is_audited(db: Database) -> None:
    uid = await add_user(db, "Kim", nudges_enabled=False)
    await add_workout(db, uid, MON - timedelta(days=10), [("barbell_squat", 100, 5)])
    await add_workout(db, uid, MON + timedelta(hours=18), [("barbell_squat", 110, 3)])
    clock = Clock(MON)
    sent = RecordingDeliverer(clock)
    await run_ticks(engine(db, clock, sent), clock, MON + timedelta(days=2))
    assert sent.deliveries == []
    async with db.session() as session:
        rows = (await session.execute(select(ProactiveAudit))).scalars().all()
    assert [(r.trigger, r.decision, r.reason) for r in rows] == [("pr", "skipped", "opted_out")]
