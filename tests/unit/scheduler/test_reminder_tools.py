"""Reminder tools: the person comes from the runtime context; results render to replies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from sqlalchemy import select

from fitcoach.agent.context import CoachContext
from fitcoach.agent.reminder_replies import REMINDER_RENDERERS
from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.storage.database import Database
from fitcoach.storage.scheduling import CoachPreference, ProactiveOccurrence
from fitcoach.tools.reminders import make_reminder_tools
from fitcoach.tools.runtime import ToolServices
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_user,
    create_schema,
    run_ticks,
)

NOW = datetime(2026, 3, 2, 10, tzinfo=UTC)  # Monday 11:00 in Berlin


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'tools.db'}")
    await create_schema(database)
    yield database
    await database.dispose()


async def _call(db: Database, clock: Clock, user_id: int, name: str, **args: Any) -> dict:
    tools = {t.name: t for t in make_reminder_tools(ToolServices(database=db, clock=clock))}
    context = CoachContext(user_id=user_id, channel="telegram", conversation_id="c",
                           timezone="Europe/Berlin")
    runtime = ToolRuntime(state={}, context=context, config={}, stream_writer=lambda _: None,
                          tool_call_id="t", store=None)
    result = json.loads(await tools[name].coroutine(runtime=runtime, **args))
    if result["status"] != "needs_clarification":
        assert REMINDER_RENDERERS[name](result)
    return result


async def test_set_reminder_today_is_sent_at_local_time(db: Database) -> None:
    uid = await add_user(db, "Ann", "Europe/Berlin")
    clock = Clock(NOW)
    result = await _call(db, clock, uid, "set_reminder", text="stretch", time_local="9pm")
    assert result["reminder"]["next"] == "2026-03-02"
    sent = RecordingDeliverer(clock)
    await run_ticks(TickEngine(db, sent, clock, SchedulerSettings()), clock,
                    NOW + timedelta(days=2))
    assert [d.at.hour for d in sent.deliveries] == [20, 20]  # 21:00 CET
    stop = await _call(db, clock, uid, "stop_reminders")
    assert stop["stopped"] == ["stretch"]
    await run_ticks(TickEngine(db, sent, clock, SchedulerSettings()), clock,
                    NOW + timedelta(days=3))
    assert len(sent.deliveries) == 2
    async with db.session() as session:
        reasons = (await session.execute(select(ProactiveOccurrence.reason))).scalars().all()
    assert "reminder_stopped" in reasons


async def test_reminder_in_quiet_hours_asks_first(db: Database) -> None:
    uid = await add_user(db, "Ben", "Europe/Berlin")
    result = await _call(db, Clock(NOW), uid, "set_reminder", text="meds", time_local="23:00")
    assert result["status"] == "needs_clarification" and "quiet hours" in result["question"]


async def test_preferences_tools(db: Database) -> None:
    uid = await add_user(db, "Cleo", "Europe/Berlin")
    clock = Clock(NOW)
    assert (await _call(db, clock, uid, "set_quiet_hours", end="7am"))["end"] == "07:00"
    assert (await _call(db, clock, uid, "pause_reminders", days=7))["until"] == "2026-03-09"
    await _call(db, clock, uid, "opt_out_nudges")
    await _call(db, clock, uid, "opt_in", what="meal_reminders")
    listed = await _call(db, clock, uid, "list_reminders")
    assert listed["settings"]["quiet_hours"] == "22:00–07:00"
    async with db.session() as session:
        pref = await session.get(CoachPreference, uid)
    assert pref is not None and pref.meal_reminders and pref.paused_until is not None
    assert (await _call(db, clock, uid, "set_reminder", text="x", time_local="noonish")
            )["status"] == "needs_clarification"
