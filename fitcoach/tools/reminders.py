"""Reminder and proactive-message tools: set/list/stop/pause reminders, quiet hours, opt-out.

The person comes only from ``runtime.context``; local times use their timezone."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.planner import plan_reminder
from fitcoach.scheduler.preferences import CoachSettings
from fitcoach.scheduler.reminder_rules import (
    describe_recurrence,
    next_occurrence,
    normalise_recurrence,
)
from fitcoach.scheduler.store import insert_planned
from fitcoach.scheduler.timeutil import hhmm, in_quiet, local_now, parse_hhmm
from fitcoach.tools.runtime import ToolServices, encode, trusted_context, write_once

Topic = Literal["nudges", "meal_reminders", "all"]


def make_reminder_tools(services: ToolServices) -> list[BaseTool]:
    """Every reminder/proactive tool bound to the given services."""
    return [
        make_set_reminder(services), make_list_reminders(services),
        make_stop_reminders(services), make_pause_reminders(services),
        make_set_quiet_hours(services), make_opt_out_nudges(services), make_opt_in(services),
    ]


def _question(tool_name: str, reason: str, question: str) -> str:
    return encode(tool_name, "needs_clarification", reason=reason, question=question)


def make_set_reminder(services: ToolServices) -> BaseTool:
    """Build the set_reminder tool."""

    @tool
    async def set_reminder(
        text: str, time_local: str, runtime: ToolRuntime[CoachContext, Any],
        recurrence: str | list[str] = "daily", date: str | None = None,
    ) -> str:
        """Set a reminder the person asked for. text: what to remind ("stretch");
        time_local: their local time ("21:00" or "9pm"); recurrence: "daily", "weekdays",
        "once" or weekday names (["mon", "thu"]); date: for "once", YYYY-MM-DD, "today" or
        "tomorrow"."""
        ctx = trusted_context(runtime)
        minutes = parse_hhmm(time_local)
        if minutes is None:
            return _question("set_reminder", "time", f"What time should I remind you to {text}?")
        rule = normalise_recurrence(recurrence)
        if rule is None:
            return _question("set_reminder", "recurrence",
                             "How often? Every day, on weekdays, once, or on certain days?")
        local = local_now(services.clock(), ctx.timezone)
        once = _once_date(date, local.date(), minutes, local.hour * 60 + local.minute)
        if rule[0] == "once" and once is None:
            return _question("set_reminder", "date", "On which date (YYYY-MM-DD)?")

        async def add(session: AsyncSession) -> str:
            prefs = CoachSettings(session, ctx.user_id)
            row = await prefs.get()
            if in_quiet(minutes, row.quiet_start_min, row.quiet_end_min):
                return _question(
                    "set_reminder", "quiet_hours",
                    f"{hhmm(minutes)} is inside your quiet hours ({hhmm(row.quiet_start_min)}–"
                    f"{hhmm(row.quiet_end_min)}), when I send nothing. Pick another time, or "
                    "change your quiet hours first.")
            reminder = await prefs.add_reminder(
                text=text.strip().rstrip(".")[:300], time_local=hhmm(minutes),
                recurrence=rule[0], weekdays=rule[1],
                once_date=once if rule[0] == "once" else None,
            )
            planned = plan_reminder(reminder, ctx.timezone, local.date(), SchedulerSettings())
            if planned is not None and planned.due_at > services.clock():
                await insert_planned(session, planned, services.clock())
            view = _view(reminder, local)
            return encode("set_reminder", "set", reminder=view, timezone=ctx.timezone)

        return await write_once(services.database, ctx.user_id, add)

    return set_reminder


def _once_date(value: str | None, today: date, minutes: int, now_min: int) -> date | None:
    if value in (None, ""):
        return today if minutes > now_min else today + timedelta(days=1)
    assert value is not None
    if value.lower() == "today":
        return today
    if value.lower() == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _view(reminder: Any, local: Any) -> dict[str, Any]:
    upcoming = next_occurrence(reminder, local)
    return {"id": reminder.id, "text": reminder.text, "time_local": reminder.time_local,
            "recurrence": describe_recurrence(reminder),
            "next": upcoming.isoformat() if upcoming else None}


def make_list_reminders(services: ToolServices) -> BaseTool:
    """Build the list_reminders tool."""

    @tool
    async def list_reminders(runtime: ToolRuntime[CoachContext, Any]) -> str:
        """List the person's active reminders and their proactive-message settings."""
        ctx = trusted_context(runtime)
        local = local_now(services.clock(), ctx.timezone)
        async with services.database.session() as session:
            prefs = CoachSettings(session, ctx.user_id)
            reminders = [_view(r, local) for r in await prefs.reminders()]
            row = await prefs.get()
            settings = _settings_view(row, services)
        return encode("list_reminders", "ok", reminders=reminders, settings=settings)

    return list_reminders


def _settings_view(row: Any, services: ToolServices) -> dict[str, Any]:
    paused = row.paused_until
    if paused is not None and paused.tzinfo is None:
        from datetime import UTC

        paused = paused.replace(tzinfo=UTC)
    return {
        "nudges": bool(row.nudges_enabled), "meal_reminders": bool(row.meal_reminders),
        "quiet_hours": f"{hhmm(row.quiet_start_min)}–{hhmm(row.quiet_end_min)}",
        "paused_until": paused.date().isoformat()
        if paused and paused > services.clock() else None,
    }


def make_stop_reminders(services: ToolServices) -> BaseTool:
    """Build the stop_reminders tool."""

    @tool
    async def stop_reminders(
        runtime: ToolRuntime[CoachContext, Any], matching: str | None = None
    ) -> str:
        """Stop the person's reminders ("stop reminding me"); matching: only those whose
        text contains this."""
        ctx = trusted_context(runtime)
        async with services.database.session() as session:
            stopped = await CoachSettings(session, ctx.user_id).stop_reminders(matching)
        return encode("stop_reminders", "stopped", stopped=stopped)

    return stop_reminders


def make_pause_reminders(services: ToolServices) -> BaseTool:
    """Build the pause_reminders tool."""

    @tool
    async def pause_reminders(runtime: ToolRuntime[CoachContext, Any], days: int = 7) -> str:
        """Pause all reminders and check-ins for some days ("pause reminders for a week")."""
        ctx = trusted_context(runtime)
        days = max(1, min(days, 90))
        until = services.clock() + timedelta(days=days)
        async with services.database.session() as session:
            await CoachSettings(session, ctx.user_id).pause(until)
        local_until = local_now(until, ctx.timezone).date()
        return encode("pause_reminders", "paused", days=days, until=local_until.isoformat())

    return pause_reminders


def make_set_quiet_hours(services: ToolServices) -> BaseTool:
    """Build the set_quiet_hours tool."""

    @tool
    async def set_quiet_hours(
        runtime: ToolRuntime[CoachContext, Any], start: str | None = None,
        end: str | None = None,
    ) -> str:
        """Set the person's quiet hours (local): no messages from ``start`` until ``end``.
        "no messages before 8am" → end="08:00"; "nothing after 10pm" → start="22:00"."""
        ctx = trusted_context(runtime)
        changes: dict[str, int] = {}
        for name, value in (("quiet_start_min", start), ("quiet_end_min", end)):
            if value:
                minutes = parse_hhmm(value)
                if minutes is None:
                    return _question("set_quiet_hours", "time", f"I couldn't read “{value}” as "
                                     "a time. Try e.g. 22:00 or 7am.")
                changes[name] = minutes
        if not changes:
            return _question("set_quiet_hours", "nothing",
                             "From when until when should I stay quiet?")
        async with services.database.session() as session:
            row = await CoachSettings(session, ctx.user_id).update(**changes)
            quiet = (row.quiet_start_min, row.quiet_end_min)
            held = [r.text for r in await CoachSettings(session, ctx.user_id).reminders()
                    if in_quiet(parse_hhmm(r.time_local) or 0, *quiet)]
        return encode("set_quiet_hours", "updated", start=hhmm(quiet[0]), end=hhmm(quiet[1]),
                      reminders_in_quiet_hours=held)

    return set_quiet_hours


def make_opt_out_nudges(services: ToolServices) -> BaseTool:
    """Build the opt_out_nudges tool."""

    @tool
    async def opt_out_nudges(runtime: ToolRuntime[CoachContext, Any], what: Topic = "nudges"
                             ) -> str:
        """Stop unprompted check-ins ("stop messaging me"): what="nudges" (check-ins,
        celebrations, weekly summary), "meal_reminders", or "all" (also stops reminders)."""
        ctx = trusted_context(runtime)
        async with services.database.session() as session:
            prefs = CoachSettings(session, ctx.user_id)
            stopped: list[str] = []
            if what in ("nudges", "all"):
                await prefs.update(nudges_enabled=False)
            if what in ("meal_reminders", "all"):
                await prefs.update(meal_reminders=False)
            if what == "all":
                stopped = await prefs.stop_reminders()
        return encode("opt_out_nudges", "opted_out", what=what, stopped_reminders=stopped)

    return opt_out_nudges


def make_opt_in(services: ToolServices) -> BaseTool:
    """Build the opt_in tool."""

    @tool
    async def opt_in(runtime: ToolRuntime[CoachContext, Any],
                     what: Literal["nudges", "meal_reminders"] = "nudges") -> str:
        """Turn proactive messages back on: what="nudges" (check-ins, celebrations, weekly
        summary; also ends a pause) or "meal_reminders" (a nudge when lunch/dinner is not
        logged)."""
        ctx = trusted_context(runtime)
        async with services.database.session() as session:
            prefs = CoachSettings(session, ctx.user_id)
            if what == "nudges":
                await prefs.update(nudges_enabled=True, paused_until=None)
            else:
                await prefs.update(meal_reminders=True, nudges_enabled=True)
        return encode("opt_in", "opted_in", what=what)

    return opt_in
