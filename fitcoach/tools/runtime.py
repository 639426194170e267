"""What every tool shares: services, the trusted user, local-time helpers, result encoding."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from langchain.tools import ToolRuntime
from langchain_core.language_models import BaseChatModel
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.agent.tool_replay import current_effect_key
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.tool_effects import claim_tool_effect

LB_TO_KG = 0.45359237


@dataclass(slots=True)
class ToolServices:
    """Dependencies the tools close over (never the user: that comes from the context)."""

    database: Database
    clock: Callable[[], datetime] = field(default=utcnow)
    media_dir: Path = Path("./var/media")
    vision_model: BaseChatModel | None = None
    """A model that can read images; None when running offline."""


def trusted_context(runtime: ToolRuntime[CoachContext, Any]) -> CoachContext:
    """The verified identity of the current person; refuses to run without one."""
    context = runtime.context
    if not isinstance(context, CoachContext):
        raise PermissionError("tools need a trusted CoachContext")
    return context


class _AlreadyApplied(Exception):
    def __init__(self, result: str) -> None:
        super().__init__("tool call already applied")
        self.result = result


async def write_once(
    database: Database, user_id: int, work: Callable[[AsyncSession], Awaitable[str]]
) -> str:
    """Run a writing tool's ``work`` in one transaction and return its result; when an
    earlier run of this turn already applied the same call (its COMMIT went through though
    the caller never heard it, or its replica died), roll this change back and return that
    run's result instead, so the person's data changes once."""
    key = current_effect_key()
    try:
        async with database.session() as session:
            result = await work(session)
            if key is not None:
                earlier = await claim_tool_effect(session, user_id, key, result)
                if earlier is not None:
                    raise _AlreadyApplied(earlier)
    except _AlreadyApplied as applied:
        return applied.result
    return result


def zone(name: str) -> ZoneInfo:
    """A timezone by IANA name, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day_bounds(now: datetime, timezone: str, days: int = 1) -> tuple[datetime, datetime]:
    """[start, end) of the local calendar day(s) ending today, as aware datetimes."""
    local_now = now.astimezone(zone(timezone))
    end = datetime.combine(local_now.date() + timedelta(days=1), time.min, tzinfo=local_now.tzinfo)
    return end - timedelta(days=days), end


def local_week_bounds(now: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the current local week."""
    local_now = now.astimezone(zone(timezone))
    monday = local_now.date() - timedelta(days=local_now.weekday())
    start = datetime.combine(monday, time.min, tzinfo=local_now.tzinfo)
    return start, start + timedelta(days=7)


def encode(tool: str, status: str, **payload: Any) -> str:
    """Tool results are JSON, so any model (and the offline one) can read them exactly."""
    return json.dumps({"tool": tool, "status": status, **payload}, ensure_ascii=False)


def kg_to_display(weight_kg: float, unit_system: str) -> str:
    """A weight in the person's preferred unit."""
    if unit_system == "imperial":
        return f"{weight_kg / LB_TO_KG:.1f} lb"
    return f"{weight_kg:g} kg"
