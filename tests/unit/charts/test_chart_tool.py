"""show_chart end to end against SQLite: file under the person's folder, captions, no-data,
scoping, and the images a turn hands to the reply."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage, ToolMessage

from fitcoach.agent.chart_replies import CHART_RENDERERS, images_from_turn
from fitcoach.agent.context import CoachContext
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.plans import PlanStore
from fitcoach.storage.repositories import Journal, MealItemRecord, UserDirectory, WorkoutSetRecord
from fitcoach.tools.charts import chart_weeks, make_show_chart, save_chart
from fitcoach.tools.runtime import ToolServices

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chart_tool.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    yield db
    await db.dispose()


async def _user(database: Database, external: str) -> int:
    async with database.session() as session:
        return (await UserDirectory(session).resolve("web", external)).id


def _runtime(user_id: int, unit_system: str = "metric") -> ToolRuntime[CoachContext, Any]:
    context = CoachContext(
        user_id=user_id,
        channel="web",
        conversation_id="c",
        timezone="Europe/Berlin",
        unit_system=unit_system,
    )
    return ToolRuntime(
        state={},
        context=context,
        config={},
        stream_writer=lambda _: None,
        tool_call_id="t",
        store=None,
    )


async def _chart(services: ToolServices, user_id: int, kind: str, **kw: Any) -> dict[str, Any]:
    tool = make_show_chart(services)
    assert tool.name == "show_chart"
    raw = await tool.coroutine(runtime=_runtime(user_id, **kw), kind=kind)  # type: ignore[attr-defined]
    result: dict[str, Any] = json.loads(raw)
    assert CHART_RENDERERS["show_chart"](result)
    return result


async def _log_everything(database: Database, user_id: int) -> None:
    async with database.session() as session:
        journal = Journal(session, user_id)
        for day in range(10):
            at = NOW - timedelta(days=day)
            await journal.add_body_weight(82 + day * 0.1, logged_at=at)
            await journal.add_meal(
                [
                    MealItemRecord(
                        ndb_no="01123",
                        food_name="egg",
                        grams=100,
                        kcal=1800 + day * 40,
                        protein_g=10,
                        carbs_g=1,
                        fat_g=8,
                    )
                ],
                source_text="",
                logged_at=at,
            )
            await journal.add_workout(
                [
                    WorkoutSetRecord(
                        exercise_name="bench",
                        exercise_id="Barbell_Bench_Press_-_Medium_Grip",
                        reps=5,
                        weight_kg=80,
                    )
                ],
                source_text="",
                logged_at=at,
            )
        await PlanStore(session, user_id).add({"nutrition": {"kcal": 2000}}, reason="test")


async def test_charts_are_written_under_the_persons_folder(
    database: Database, tmp_path: Path
) -> None:
    ann, bo = await _user(database, "ann"), await _user(database, "bo")
    await _log_everything(database, ann)
    services = ToolServices(database=database, clock=lambda: NOW, media_dir=tmp_path / "media")
    for kind in ("volume", "weight", "calories"):
        result = await _chart(services, ann, kind)
        assert result["status"] == "ok" and result["kind"] == kind
        path = Path(result["image"]["path"])
        assert result["image"]["mime_type"] == "image/png"
        assert path.is_absolute() and path.parent == (tmp_path / "media" / str(ann) / "charts")
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    calories = await _chart(services, ann, "calories")
    assert calories["summary"]["target_kcal"] == 2000
    assert "Target 2,000 kcal" in CHART_RENDERERS["show_chart"](calories)
    # Bo has logged nothing: friendly no-data answers, no image, nothing of Ann's.
    for kind, hint in (("volume", "workouts"), ("weight", "weigh"), ("calories", "meals")):
        empty = await _chart(services, bo, kind)
        assert empty["status"] == "no_data" and "image" not in empty
        assert hint in empty["message"]
    assert not (tmp_path / "media" / str(bo)).exists()


async def test_imperial_caption(database: Database, tmp_path: Path) -> None:
    cy = await _user(database, "cy")
    await _log_everything(database, cy)
    services = ToolServices(database=database, clock=lambda: NOW, media_dir=tmp_path)
    weight = await _chart(services, cy, "weight", unit_system="imperial")
    assert " lb" in CHART_RENDERERS["show_chart"](weight)
    assert weight["summary"]["latest_kg"] == 82.0  # numbers stay metric in the JSON


def test_captions_carry_the_key_numbers() -> None:
    render = CHART_RENDERERS["show_chart"]
    volume = render(
        {
            "status": "ok",
            "kind": "volume",
            "summary": {
                "weeks": 8,
                "total_kg": 42000,
                "sets": 120,
                "this_week_kg": 6000,
                "last_week_kg": 5000,
                "change_pct": 20,
                "per_muscle_kg": {"chest": 15000, "other": 20000, "lats": 7000},
            },
        }
    )
    assert "42,000 kg in 120 sets" in volume and "+20%" in volume
    assert "chest 15,000 kg, lats 7,000 kg" in volume and "other" not in volume.split("Most")[1]
    weight = render(
        {
            "status": "ok",
            "kind": "weight",
            "summary": {
                "points": 9,
                "first_date": "2026-01-01",
                "days": 28,
                "latest_kg": 80.2,
                "average_kg": 80.5,
                "change_kg": -1.5,
                "weekly_change_kg": -0.38,
                "goal_kg": 78.0,
                "to_goal_kg": -2.5,
            },
        }
    )
    assert "80.5 kg" in weight and "−1.5 kg over 28 days" in weight
    assert "Goal 78.0 kg: 2.5 kg to go" in weight and "1 Jan" in weight
    care = render(
        {
            "status": "ok",
            "kind": "calories",
            "summary": {
                "start": "2026-02-20",
                "end": "2026-03-05",
                "days_logged": 5,
                "average_kcal": 1900,
                "today_kcal": None,
                "target_kcal": None,
                "care_mode": True,
            },
        }
    )
    assert "no target" in care and "1,900 kcal" in care
    assert render({"status": "no_data", "message": "log a few workouts first"}).startswith("log")


def test_chart_weeks_are_clamped() -> None:
    assert chart_weeks("volume", None) == 8 and chart_weeks("volume", 1) == 4
    assert chart_weeks("calories", 4) == 2 and chart_weeks("weight", 100) == 52


def test_images_from_turn(tmp_path: Path) -> None:
    root = tmp_path / "media"
    chart = save_chart(root / "1" / "charts", PNG_SIGNATURE + b"rest")
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(PNG_SIGNATURE)

    def result(path: Path) -> ToolMessage:
        content = json.dumps(
            {
                "tool": "show_chart",
                "status": "ok",
                "image": {"path": str(path), "mime_type": "image/png"},
            }
        )
        return ToolMessage(content=content, tool_call_id="x")

    turn = [
        AIMessage(content=""),
        result(chart),
        result(chart),
        result(outside),
        result(tmp_path / "missing.png"),
        ToolMessage(content="not json", tool_call_id="y"),
    ]
    images = images_from_turn(turn, allowed_root=root)
    assert [(i.kind, i.mime_type, i.ref) for i in images] == [("image", "image/png", str(chart))]
    assert images[0].size_bytes == len(PNG_SIGNATURE) + 4
    assert len(images_from_turn(turn)) == 2  # without a root, any existing file


def test_old_charts_are_pruned(tmp_path: Path) -> None:
    folder = tmp_path / "charts"
    old = save_chart(folder, b"old")
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    new = save_chart(folder, b"new")
    assert not old.exists() and new.read_bytes() == b"new"
    assert not list(folder.glob(".part-*"))
