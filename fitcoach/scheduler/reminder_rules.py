"""Recurrence rules of reminders people set (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from fitcoach.scheduler.timeutil import WEEKDAY_SHORT

_DAY_ALIASES = {name.lower(): i for i, name in enumerate(WEEKDAY_SHORT)} | {
    "tues": 1, "wednes": 2, "thur": 3, "thurs": 3,
}


def weekday_index(name: str) -> int | None:
    """"monday", "Mon", "tue" → 0, 0, 1."""
    key = name.strip().lower()
    for alias, index in _DAY_ALIASES.items():
        if key.startswith(alias):
            return index
    return None


def normalise_recurrence(recurrence: str | Sequence[str]) -> tuple[str, str] | None:
    """("daily"|"weekdays"|"once"|"weekly", "0,2,4") from what the tool was given."""
    if isinstance(recurrence, str):
        value = recurrence.strip().lower()
        if value in {"daily", "every day", "everyday"}:
            return "daily", ""
        if value in {"weekdays", "workdays"}:
            return "weekdays", "0,1,2,3,4"
        if value in {"once", "one-off", "today", "tomorrow"}:
            return "once", ""
        items: Sequence[str] = [v for v in value.replace(" and ", ",").split(",") if v.strip()]
    else:
        items = recurrence
    days = sorted({d for d in (weekday_index(v) for v in items) if d is not None})
    if not days or len(days) != len(list(items)):
        return None
    return "weekly", ",".join(str(d) for d in days)


def reminder_occurs_on(reminder: Any, day: date) -> bool:
    """Whether a reminder fires on this local date."""
    if reminder.recurrence == "daily":
        return True
    if reminder.recurrence == "once":
        return bool(reminder.once_date == day)
    days = {int(d) for d in (reminder.weekdays or "").split(",") if d.strip().isdigit()}
    return day.weekday() in days


def describe_recurrence(reminder: Any) -> str:
    """Human words: "every day", "on weekdays", "on Mon/Wed", "on 2026-03-05"."""
    if reminder.recurrence == "daily":
        return "every day"
    if reminder.recurrence == "once":
        return f"on {reminder.once_date.isoformat()}" if reminder.once_date else "once"
    if reminder.recurrence == "weekdays":
        return "on weekdays"
    days = [WEEKDAY_SHORT[int(d)] for d in (reminder.weekdays or "").split(",") if d]
    return "on " + "/".join(days)


def next_occurrence(reminder: Any, local: datetime) -> date | None:
    """The next local date (today included if its time is still ahead) it fires on."""
    hour, minute = (int(x) for x in reminder.time_local.split(":"))
    start = local.date() if (local.hour, local.minute) < (hour, minute) else (
        local.date() + timedelta(days=1))
    for offset in range(8 if reminder.recurrence != "once" else 400):
        day = start + timedelta(days=offset)
        if reminder_occurs_on(reminder, day):
            return day
    return None
