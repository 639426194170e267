"""What every tool shares: services, the trusted user, local-time helpers, result encoding."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from langchain.tools import ToolRuntime
from langchain_core.language_models import BaseChatModel

from fitcoach.agent.context import CoachContext
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow

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
