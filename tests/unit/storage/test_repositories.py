"""Repositories are scoped to one user; migrations build the schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.repositories import (
    Journal,
    MealItemRecord,
    MessageHistory,
    Profiles,
    UserDirectory,
    WorkoutSetRecord,
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    yield db
    await db.dispose()


EGG = MealItemRecord(
    ndb_no="01123", food_name="Egg", grams=100, kcal=143, protein_g=12.6, carbs_g=0.7, fat_g=9.5
)


async def test_identity_resolves_to_the_same_user(database: Database) -> None:
    async with database.session() as session:
        first = await UserDirectory(session).resolve("telegram", "42", name="Ann")
        again = await UserDirectory(session).resolve("telegram", "42")
        other = await UserDirectory(session).resolve("slack", "42")
    assert first.id == again.id
    assert other.id != first.id


async def test_journal_only_sees_its_own_user(database: Database) -> None:
    async with database.session() as session:
        ann = await UserDirectory(session).resolve("web", "ann")
        bob = await UserDirectory(session).resolve("web", "bob")
        await Journal(session, ann.id).add_meal([EGG], source_text="egg")
        await Journal(session, ann.id).add_workout(
            [
                WorkoutSetRecord(
                    exercise_name="Squat", exercise_id="Barbell_Squat", reps=5, weight_kg=100
                )
            ],
            source_text="squat",
        )
    now = datetime.now(UTC)
    async with database.session() as session:
        bob_summary = await Journal(session, bob.id).summary(
            now - timedelta(days=1), now + timedelta(days=1)
        )
        ann_summary = await Journal(session, ann.id).summary(
            now - timedelta(days=1), now + timedelta(days=1)
        )
        assert await Journal(session, bob.id).undo_last() is None
        assert await Journal(session, bob.id).best_sets(["Barbell_Squat"]) == {}
    assert bob_summary.kcal == 0 and bob_summary.workouts == 0
    assert ann_summary.kcal == 143 and ann_summary.volume_kg == 500


async def test_undo_removes_only_the_latest_entry(database: Database) -> None:
    async with database.session() as session:
        user = await UserDirectory(session).resolve("web", "u")
        journal = Journal(session, user.id)
        await journal.add_meal([EGG], source_text="egg")
        await journal.add_body_weight(80.0)
        removed = await journal.undo_last()
        assert removed is not None and removed.kind == "body_weight"
        removed = await journal.undo_last()
        assert removed is not None and removed.kind == "meal"
        assert await journal.undo_last() is None


async def test_profile_rejects_unknown_fields(database: Database) -> None:
    async with database.session() as session:
        user = await UserDirectory(session).resolve("web", "p")
        with pytest.raises(ValueError):
            await Profiles(session, user.id).update(id=999)
        updated = await Profiles(session, user.id).update(height_cm=180.0)
        assert updated.height_cm == 180.0


async def test_message_history_is_per_user(database: Database) -> None:
    async with database.session() as session:
        ann = await UserDirectory(session).resolve("web", "ann")
        bob = await UserDirectory(session).resolve("web", "bob")
        await MessageHistory(session, ann.id).record(
            channel="web", conversation_id="c", direction="in", text="hello"
        )
        assert await MessageHistory(session, bob.id).recent("c") == []
        assert [m.text for m in await MessageHistory(session, ann.id).recent("c")] == ["hello"]
