"""check_progress and undo_last_entry."""

from __future__ import annotations

from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.storage.repositories import Journal
from fitcoach.tools.runtime import (
    ToolServices,
    encode,
    local_day_bounds,
    local_week_bounds,
    trusted_context,
    write_once,
)


def make_check_progress(services: ToolServices) -> BaseTool:
    """Build the check_progress tool."""

    @tool
    async def check_progress(
        runtime: ToolRuntime[CoachContext, Any], period: Literal["today", "week"] = "today"
    ) -> str:
        """Report what the person logged today or this week: calories, macros, workouts."""
        context = trusted_context(runtime)
        now = services.clock()
        if period == "week":
            start, end = local_week_bounds(now, context.timezone)
        else:
            start, end = local_day_bounds(now, context.timezone)
        async with services.database.session() as session:
            summary = await Journal(session, context.user_id).summary(start, end)
        return encode(
            "check_progress",
            "ok",
            period=period,
            start=start.date().isoformat(),
            end=end.date().isoformat(),
            totals=summary.as_dict(),
            unit_system=context.unit_system,
        )

    return check_progress


def make_undo_last_entry(services: ToolServices) -> BaseTool:
    """Build the undo_last_entry tool."""

    @tool
    async def undo_last_entry(runtime: ToolRuntime[CoachContext, Any]) -> str:
        """Remove the person's most recent log entry (meal, workout or weigh-in)."""
        context = trusted_context(runtime)

        async def undo(session: AsyncSession) -> str:
            removed = await Journal(session, context.user_id).undo_last()
            if removed is None:
                return encode("undo_last_entry", "nothing")
            return encode(
                "undo_last_entry", "removed", kind=removed.kind, description=removed.description
            )

        return await write_once(services.database, context.user_id, undo)

    return undo_last_entry
