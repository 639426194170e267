"""Scheduler benchmark: one tick over 100k people (target ≤ 5 s per tick).

Seeds N people (7 timezones, 2-3 workouts a week for 6 weeks, a fifth with a daily reminder,
a tenth with meal reminders) into a fresh PostgreSQL database with COPY, then times:
a cold planning tick (everyone's local day planned, rhythm learned from history), a steady
tick, a warm planning tick (next day, rhythm cached), and a sending tick (no-op deliverer).

    python bench/scheduler.py [--people 100000] [--admin-url postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from fitcoach.channels.base import OutboundMessage
from fitcoach.scheduler import DeliveryResult, SchedulerSettings, TickEngine
from fitcoach.storage.database import Database
from fitcoach.storage.models import Base
from fitcoach.storage.scheduling import SCHEDULING_TABLES  # noqa: F401  (registers tables)

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Los_Angeles",
    "Asia/Kolkata",
)
MON = datetime(2026, 3, 2, tzinfo=UTC)


class NullDeliverer:
    """Accepts everything instantly."""

    sent = 0

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        self.sent += 1
        return DeliveryResult.sent()


async def seed(dsn: str, people: int) -> None:
    rnd = random.Random(7)
    conn = await asyncpg.connect(dsn)
    try:
        now = MON - timedelta(days=1)
        await conn.copy_records_to_table(
            "users",
            columns=["id", "name", "timezone", "unit_system", "goal", "created_at", "updated_at"],
            records=[
                (i, f"P{i}", ZONES[i % 7], "metric", "get stronger", now, now)
                for i in range(1, people + 1)
            ],
        )
        await conn.copy_records_to_table(
            "message_log",
            columns=["user_id", "channel", "conversation_id", "direction", "text", "created_at"],
            records=[
                (i, "telegram", str(i), "in", "hi", now - timedelta(days=2))
                for i in range(1, people + 1)
            ],
        )
        workouts, sets, wid = [], [], 0
        for i in range(1, people + 1):
            days = rnd.sample(range(7), rnd.choice((2, 3)))
            for week in range(6):
                for d in days:
                    wid += 1
                    at = MON - timedelta(weeks=6 - week, days=-d, hours=-rnd.randint(6, 20))
                    if at >= now:
                        continue
                    workouts.append((wid, i, at, "gym"))
                    sets.append((wid, i, 0, "barbell_squat", "Squat", 5, 60.0 + week))
        await conn.copy_records_to_table(
            "workouts", columns=["id", "user_id", "logged_at", "source_text"], records=workouts
        )
        await conn.copy_records_to_table(
            "workout_sets",
            columns=[
                "workout_id",
                "user_id",
                "position",
                "exercise_id",
                "exercise_name",
                "reps",
                "weight_kg",
            ],
            records=sets,
        )
        await conn.copy_records_to_table(
            "reminders",
            columns=[
                "user_id",
                "text",
                "time_local",
                "recurrence",
                "weekdays",
                "active",
                "created_at",
            ],
            records=[
                (i, "stretch", "20:30", "daily", "", True, now) for i in range(1, people + 1, 5)
            ],
        )
        await conn.copy_records_to_table(
            "coach_preferences",
            columns=[
                "user_id",
                "nudges_enabled",
                "meal_reminders",
                "quiet_start_min",
                "quiet_end_min",
                "daily_cap",
                "updated_at",
            ],
            records=[(i, True, True, 22 * 60, 8 * 60, 1, now) for i in range(1, people + 1, 10)],
        )
        for table in ("users", "workouts"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await conn.execute("ANALYZE")
        print(f"seeded {people} people, {len(workouts)} workouts, {len(sets)} sets")
    finally:
        await conn.close()


async def main(people: int, admin_url: str) -> None:
    admin = await asyncpg.connect(admin_url)
    name = f"fitcoach_bench_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = admin_url.rsplit("/", 1)[0] + "/" + name
    database = Database("postgresql+asyncpg://" + dsn.split("://", 1)[1])
    try:
        async with database.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await seed(dsn, people)
        clock_now = [MON - timedelta(hours=14)]  # Monday begins in the east
        deliverer = NullDeliverer()
        engine = TickEngine(
            database,
            deliverer,
            lambda: clock_now[0],
            SchedulerSettings(instance_id="bench", batch_size=2000, send_concurrency=64),
        )

        async def tick(label: str, at: datetime) -> None:
            clock_now[0] = at
            before = deliverer.sent
            start = time.perf_counter()
            report = await engine.tick()
            took = time.perf_counter() - start
            print(
                f"{label:<44} {took:6.2f} s  planned={report.planned_people:>6} "
                f"occurrences={report.planned_occurrences:>6} claimed={report.claimed:>6} "
                f"sent={deliverer.sent - before:>6}  (plan {report.plan_s:.2f} s, "
                f"send {report.send_s:.2f} s)"
            )

        # By MON+14h every local Monday has begun: everyone needs planning (cold: rhythm
        # learned from 6 weeks of history). Each tick plans at most plan_batch_size people.
        start = MON + timedelta(hours=14)
        for i in range(12):
            await tick(f"planning tick {i + 1} (cold)", start + timedelta(minutes=i))
        await tick("steady tick (100k people, nothing new)", start + timedelta(minutes=15))
        await tick("sending tick (Berlin 20:30 reminders)", MON + timedelta(hours=19, minutes=31))
        nxt = MON + timedelta(days=1, hours=14)
        for i in range(12):
            await tick(f"planning tick {i + 1} (warm, rhythm cached)", nxt + timedelta(minutes=i))
        await tick("steady tick (100k people, nothing new)", nxt + timedelta(minutes=15))
    finally:
        await database.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    asyncio.run(main(args.people, args.admin_url))
