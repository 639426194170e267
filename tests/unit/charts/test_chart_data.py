"""Chart series from a real (SQLite) database: local-time buckets, targets, user scoping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from fitcoach.charts.data import (
    ChartData,
    goal_weight_from_plan,
    goal_weight_from_text,
    rolling_average,
)
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.plans import PlanStore
from fitcoach.storage.repositories import (
    Journal,
    MealItemRecord,
    Profiles,
    UserDirectory,
    WorkoutSetRecord,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
BENCH = "Barbell_Bench_Press_-_Medium_Grip"  # chest
SQUAT = "Barbell_Full_Squat"  # quadriceps


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'charts.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    yield db
    await db.dispose()


async def _user(database: Database, external: str) -> int:
    async with database.session() as session:
        return (await UserDirectory(session).resolve("web", external)).id


def _food(kcal: float) -> MealItemRecord:
    return MealItemRecord(
        ndb_no="01123", food_name="egg", grams=100, kcal=kcal, protein_g=10, carbs_g=1, fat_g=8
    )


def _set(exercise_id: str | None, reps: int, kg: float | None) -> WorkoutSetRecord:
    return WorkoutSetRecord(
        exercise_name=exercise_id or "mystery", exercise_id=exercise_id, reps=reps, weight_kg=kg
    )


async def test_volume_per_muscle_and_week(database: Database) -> None:
    ann = await _user(database, "ann")
    async with database.session() as session:
        journal = Journal(session, ann)
        await journal.add_workout(
            [_set(BENCH, 5, 80), _set(BENCH, 5, 80), _set(SQUAT, 5, 100)],
            source_text="",
            logged_at=NOW - timedelta(hours=2),
        )
        await journal.add_workout(
            [_set(BENCH, 10, 60)], source_text="", logged_at=NOW - timedelta(days=7)
        )
        await journal.add_workout(
            [_set(None, 10, 20), _set(BENCH, 10, None)],
            source_text="",
            logged_at=NOW - timedelta(days=1),
        )
        await journal.add_workout(
            [_set(BENCH, 5, 200)], source_text="", logged_at=NOW - timedelta(weeks=9)
        )  # outside the window
        series = await ChartData(session, ann).volume(NOW, "UTC", weeks=4)
    assert series.week_starts == (
        date(2026, 2, 9),
        date(2026, 2, 16),
        date(2026, 2, 23),
        date(2026, 3, 2),
    )
    assert series.by_muscle["chest"] == (0.0, 0.0, 600.0, 800.0)
    assert series.by_muscle["quadriceps"] == (0.0, 0.0, 0.0, 500.0)
    assert series.by_muscle["other"] == (0.0, 0.0, 0.0, 200.0)  # no catalog id
    assert list(series.by_muscle) == ["chest", "quadriceps", "other"]  # largest first
    assert series.sets == 5  # the unloaded set is not volume
    summary = series.summary()
    assert summary["this_week_kg"] == 1500 and summary["last_week_kg"] == 600
    assert summary["change_pct"] == 150 and summary["top_muscle"] == "chest"


async def test_weeks_and_days_follow_local_time(database: Database) -> None:
    bo = await _user(database, "bo")
    sunday_night_utc = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    async with database.session() as session:
        journal = Journal(session, bo)
        await journal.add_workout([_set(BENCH, 10, 50)], source_text="", logged_at=sunday_night_utc)
        await journal.add_meal([_food(700)], source_text="", logged_at=sunday_night_utc)
        data = ChartData(session, bo)
        utc = await data.volume(NOW, "UTC", weeks=4)
        berlin = await data.volume(NOW, "Europe/Berlin", weeks=4)
        kcal_utc = await data.calories(NOW, "UTC", days=7)
        kcal_berlin = await data.calories(NOW, "Europe/Berlin", days=7)
    assert utc.by_muscle["chest"] == (0.0, 0.0, 500.0, 0.0)
    assert berlin.by_muscle["chest"] == (0.0, 0.0, 0.0, 500.0)
    assert dict(zip(kcal_utc.days, kcal_utc.kcal, strict=True))[date(2026, 3, 1)] == 700
    assert dict(zip(kcal_berlin.days, kcal_berlin.kcal, strict=True))[date(2026, 3, 2)] == 700


async def test_calories_per_day_with_plan_target(database: Database) -> None:
    cy = await _user(database, "cy")
    async with database.session() as session:
        journal = Journal(session, cy)
        await journal.add_meal([_food(400), _food(200)], source_text="", logged_at=NOW)
        await journal.add_meal([_food(900)], source_text="", logged_at=NOW - timedelta(hours=3))
        await journal.add_meal([_food(2500)], source_text="", logged_at=NOW - timedelta(days=2))
        await journal.add_meal([_food(5000)], source_text="", logged_at=NOW - timedelta(days=20))
        data = ChartData(session, cy)
        no_plan = await data.calories(NOW, "UTC", days=14)
        await PlanStore(session, cy).add(
            {"nutrition": {"kcal": 2000}, "profile": {}}, reason="test"
        )
        with_plan = await data.calories(NOW, "UTC", days=7)
    assert no_plan.target_kcal is None and len(no_plan.days) == 14
    assert with_plan.days[-1] == date(2026, 3, 4) and len(with_plan.days) == 7
    assert with_plan.kcal[-1] == 1500 and with_plan.kcal[-3] == 2500
    assert with_plan.kcal.count(None) == 5  # days without a meal are gaps, not zeros
    summary = with_plan.summary()
    assert summary["target_kcal"] == 2000 and summary["average_kcal"] == 2000
    assert summary["days_over"] == 1 and summary["days_under"] == 1
    assert summary["today_kcal"] == 1500


async def test_care_mode_draws_no_targets(database: Database) -> None:
    di = await _user(database, "di")
    async with database.session() as session:
        await Profiles(session, di).update(goal="get down to 50 kg")
        journal = Journal(session, di)
        await journal.add_meal([_food(1800)], source_text="", logged_at=NOW)
        await journal.add_body_weight(60, logged_at=NOW)
        await PlanStore(session, di).add(
            {"nutrition": {"kcal": 2100}, "safety": {"care_mode": True}, "profile": {}},
            reason="test",
        )
        data = ChartData(session, di)
        calories = await data.calories(NOW, "UTC")
        weight = await data.weight(NOW, "UTC")
    assert calories.care_mode and calories.target_kcal is None
    assert weight.goal_kg is None


async def test_weight_rolling_average_and_goal(database: Database) -> None:
    ed = await _user(database, "ed")
    async with database.session() as session:
        await Profiles(session, ed).update(goal="lose fat and get down to 78 kg")
        journal = Journal(session, ed)
        # One weigh-in just before the window feeds the first average.
        for days_ago, kg in ((30, 90.0), (29, 84.0), (27, 82.0), (20, 81.0), (0, 80.0)):
            await journal.add_body_weight(kg, logged_at=NOW - timedelta(days=days_ago))
        series = await ChartData(session, ed).weight(NOW, "UTC", days=30)
    assert [p.kg for p in series.points] == [84.0, 82.0, 81.0, 80.0]
    # 7-day window (t - 7 days, t]: the weigh-in exactly a week earlier has left it.
    assert [round(p.avg_kg, 2) for p in series.points] == [87.0, 85.33, 81.0, 80.0]
    assert series.goal_kg == 78.0
    summary = series.summary()
    assert summary["latest_kg"] == 80.0 and summary["to_goal_kg"] == -2.0
    assert summary["days"] == 29 and summary["change_kg"] == -7.0


async def test_goal_from_plan_wins_over_profile_text(database: Database) -> None:
    fa = await _user(database, "fa")
    async with database.session() as session:
        await Profiles(session, fa).update(goal="reach 165 lb")
        data = ChartData(session, fa)
        assert await data.goal_weight() == pytest.approx(74.8, abs=0.1)
        await PlanStore(session, fa).add({"profile": {"goal_weight_kg": 72}}, reason="test")
        assert await data.goal_weight() == 72.0


async def test_other_users_data_never_appears(database: Database) -> None:
    mine, theirs = await _user(database, "mine"), await _user(database, "theirs")
    async with database.session() as session:
        other = Journal(session, theirs)
        await other.add_workout([_set(BENCH, 5, 100)], source_text="", logged_at=NOW)
        await other.add_meal([_food(3000)], source_text="", logged_at=NOW)
        await other.add_body_weight(99, logged_at=NOW)
        await PlanStore(session, theirs).add({"nutrition": {"kcal": 3333}}, reason="test")
        await Profiles(session, theirs).update(goal="get to 90 kg")
        await Journal(session, mine).add_body_weight(70, logged_at=NOW)
        data = ChartData(session, mine)
        volume = await data.volume(NOW, "UTC")
        calories = await data.calories(NOW, "UTC")
        weight = await data.weight(NOW, "UTC")
    assert volume.empty and volume.sets == 0
    assert calories.empty and calories.target_kcal is None
    assert [p.kg for p in weight.points] == [70.0] and weight.goal_kg is None


async def test_no_data_series_are_empty(database: Database) -> None:
    gu = await _user(database, "gu")
    async with database.session() as session:
        data = ChartData(session, gu)
        assert (await data.volume(NOW, "UTC")).empty
        assert (await data.weight(NOW, "UTC")).empty
        assert (await data.calories(NOW, "UTC")).empty


def test_rolling_average_is_time_based() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    points = [(t0, 80.0), (t0 + timedelta(days=1), 82.0), (t0 + timedelta(days=7), 84.0)]
    assert rolling_average(points) == [80.0, 81.0, 83.0]  # day 0 left the 7-day window


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("get down to 75 kg", 75.0),
        ("reach 165 lb by summer", 74.8),
        ("goal weight 80kg", 80.0),
        ("lose 5 kg", None),  # a change, not a target
        ("build muscle", None),
        (None, None),
    ],
)
def test_goal_weight_from_text(text: str | None, kg: float | None) -> None:
    assert goal_weight_from_text(text) == kg


def test_goal_weight_from_plan() -> None:
    assert goal_weight_from_plan({"target_weight_kg": 70}) == 70.0
    assert goal_weight_from_plan({"profile": {"goal_weight_kg": 65.5}}) == 65.5
    assert goal_weight_from_plan({"profile": {"weight_kg": 80}}) is None
