"""Patterns learned from a small database of logs, scoped to one person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fitcoach.memory.embeddings import OfflineEmbeddingFunction
from fitcoach.memory.patterns import learn_patterns
from fitcoach.memory.store import MemoryService, make_chroma_client
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.repositories import (
    Journal,
    MealItemRecord,
    Profiles,
    UserDirectory,
    WorkoutSetRecord,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday
OATS = MealItemRecord(
    "08120", "Cereals, oats, regular and quick, not fortified, dry", 80, 303, 10.6, 54, 5.3
)
EGG = MealItemRecord("01123", "Egg, whole, raw, fresh", 100, 143, 12.6, 0.7, 9.5)
RICE = MealItemRecord("20045", "Rice, white, long-grain, regular, cooked", 300, 390, 8, 85, 1)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'patterns.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    yield db
    await db.dispose()


async def _user(database: Database, external: str, timezone: str) -> int:
    async with database.session() as session:
        user = await UserDirectory(session).resolve("web", external)
        await Profiles(session, user.id).update(timezone=timezone)
        return user.id


async def test_learns_training_days_time_foods_and_calories(
    database: Database, tmp_path: Path
) -> None:
    ann = await _user(database, "ann", "Europe/Berlin")
    other = await _user(database, "bob", "UTC")
    squat = WorkoutSetRecord("Squat", exercise_id="squat", reps=5, weight_kg=80)
    async with database.session() as session:
        journal = Journal(session, ann)
        for week in range(4):
            for weekday in (0, 3):  # Mondays and Thursdays, 06:30 UTC = 07:30 Berlin
                day = NOW - timedelta(weeks=week + 1) + timedelta(days=weekday)
                when = day.replace(hour=6, minute=30)
                await journal.add_workout([squat], source_text="squats", logged_at=when)
        for day in range(5):
            morning = (NOW - timedelta(days=day + 1)).replace(hour=7)
            await journal.add_meal([OATS, EGG], source_text="oats and egg", logged_at=morning)
            await journal.add_meal([RICE], source_text="rice", logged_at=morning.replace(hour=18))
        bob = Journal(session, other)
        for day in range(10):  # another person's habits must not leak in
            evening = (NOW - timedelta(days=day + 1)).replace(hour=21)
            await bob.add_workout([squat], source_text="squats", logged_at=evening)
    service = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    store = service.for_user(ann)
    changes = await learn_patterns(database, ann, store, NOW)
    texts = {c.memory.key: c.memory.text for c in changes}
    assert texts["pattern:training_days"] == "Usually trains on Mondays and Thursdays"
    assert texts["pattern:training_time"] == "Usually trains in the morning (around 07:30)"
    assert texts["pattern:frequent_foods"].startswith("Often eats: ")
    assert "Cereals, oats" in texts["pattern:frequent_foods"]
    assert texts["pattern:daily_kcal"] == "Typically eats about 850 kcal a day (5 logged days)"
    assert all(c.memory.category == "patterns" for c in changes)
    again = await learn_patterns(database, ann, store, NOW)
    assert {c.action for c in again} == {"unchanged"}
    assert len(store.all()) == len(changes)
    assert service.for_user(other).all() == []


async def test_too_few_logs_learn_nothing(database: Database, tmp_path: Path) -> None:
    ann = await _user(database, "ann", "UTC")
    service = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    assert await learn_patterns(database, ann, service.for_user(ann), NOW) == []
    with pytest.raises(PermissionError):
        await learn_patterns(database, ann, service.for_user(ann + 1), NOW)
