"""Plan tools against a real (SQLite) database; renderers for their results."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from langchain.tools import ToolRuntime
from sqlalchemy import Table

from fitcoach.agent.context import CoachContext
from fitcoach.agent.plan_replies import PLAN_RENDERERS
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.plans import PlanStore, PlanVersion
from fitcoach.storage.repositories import Journal, Profiles, UserDirectory, WorkoutSetRecord
from fitcoach.tools.plans import make_plan_tools
from fitcoach.tools.runtime import ToolServices

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    async with db.engine.begin() as conn:  # until the plan_versions migration exists
        table = cast(Table, PlanVersion.__table__)
        await conn.run_sync(lambda c: table.create(c, checkfirst=True))
    yield db
    await db.dispose()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _user(database: Database, external: str, **profile: Any) -> int:
    async with database.session() as session:
        user = await UserDirectory(session).resolve("web", external)
        if profile:
            await Profiles(session, user.id).update(**profile)
        return user.id


def _runtime(user_id: int) -> ToolRuntime[CoachContext, Any]:
    context = CoachContext(user_id=user_id, channel="web", conversation_id="c")
    return ToolRuntime(state={}, context=context, config={}, stream_writer=lambda _: None,
                       tool_call_id="t", store=None)


async def _call(tools: dict[str, Any], name: str, user_id: int, **args: Any) -> dict[str, Any]:
    raw = await tools[name].coroutine(runtime=_runtime(user_id), **args)
    result = json.loads(raw)
    if result["status"] != "needs_clarification":
        assert PLAN_RENDERERS[name](result)  # every result renders to text
    return result


async def test_plan_lifecycle(database: Database) -> None:
    clock = Clock(MONDAY)
    tools = {t.name: t for t in make_plan_tools(ToolServices(database=database, clock=clock))}
    assert set(tools) == {"get_plan", "todays_workout", "swap_exercise", "nutrition_targets",
                          "adjust_plan"}
    ann = await _user(database, "ann")
    asked = await _call(tools, "get_plan", ann)
    assert asked["status"] == "needs_clarification" and asked["missing"] == [
        "age", "height", "weight"]
    async with database.session() as session:
        await Profiles(session, ann).update(sex="female", birth_year=1994, height_cm=165,
                                            weight_kg=68)
    created = await _call(tools, "get_plan", ann, goal="strength", days_per_week=3,
                          equipment=["barbell", "dumbbell"], injuries=["shoulder"])
    assert created["status"] == "created" and created["version"] == 1
    assert len(created["days"]) == 3 and created["safety"]["violations"] == []
    assert "days_per_week" not in created["assumed"]
    current = await _call(tools, "get_plan", ann)
    assert current["status"] == "current" and current["version"] == 1

    today = await _call(tools, "todays_workout", ann)
    assert today["status"] == "training_day" and today["day"]["weekday"] == "Monday"
    clock.now = MONDAY + timedelta(days=1)
    rest = await _call(tools, "todays_workout", ann)
    assert rest["status"] == "rest_day" and rest["day"]["weekday"] == "Wednesday"

    first = created["days"][0]["exercises"][0]
    options = await _call(tools, "swap_exercise", ann, exercise=first["name"])
    assert options["status"] == "options" and options["options"]
    pick = options["options"][0]
    swapped = await _call(tools, "swap_exercise", ann, exercise=first["name"],
                          replace_with=pick["id"])
    assert swapped["status"] == "swapped" and swapped["version"] == 2
    after = await _call(tools, "get_plan", ann)
    ids = [e["exercise_id"] for e in after["days"][0]["exercises"]]
    assert pick["id"] in ids and first["exercise_id"] not in ids

    targets = await _call(tools, "nutrition_targets", ann)
    assert targets["targets"]["kcal"] >= 1200 and targets["eaten"]["kcal"] == 0

    async with database.session() as session:
        first_ex = after["days"][0]["exercises"][0]
        await Journal(session, ann).add_workout(
            [WorkoutSetRecord(exercise_name=first_ex["name"], exercise_id=first_ex["exercise_id"],
                              reps=12, weight_kg=50.0) for _ in range(first_ex["sets"])],
            source_text="log",
        )
    clock.now = MONDAY + timedelta(days=7)
    adjusted = await _call(tools, "adjust_plan", ann)
    assert adjusted["status"] == "adjusted"
    kinds = {c["kind"] for c in adjusted["changes"]}
    assert "increase_load" in kinds
    async with database.session() as session:
        history = await PlanStore(session, ann).history()
    assert [h.version for h in history] == [3, 2, 1]
    assert history[0].kind == "adapted" and history[0].diff


async def test_plans_are_private(database: Database) -> None:
    tools = {t.name: t for t in make_plan_tools(ToolServices(database=database))}
    ann = await _user(database, "ann", birth_year=1990, height_cm=170, weight_kg=70)
    bob = await _user(database, "bob")
    await _call(tools, "get_plan", ann, goal="general")
    for name in ("todays_workout", "nutrition_targets", "adjust_plan"):
        assert (await _call(tools, name, bob))["status"] == "no_plan"
    assert (await _call(tools, "swap_exercise", bob, exercise="squat"))["status"] == "no_plan"


async def test_invalid_chat_values_become_a_question(database: Database) -> None:
    tools = {t.name: t for t in make_plan_tools(ToolServices(database=database))}
    ann = await _user(database, "ann", birth_year=1990, height_cm=170, weight_kg=70)
    result = await _call(tools, "get_plan", ann, days_per_week=9)
    assert result["status"] == "needs_clarification" and result["field"] == "days_per_week"
