"""Trigger names, their priority, and the context handed to templates and the compose hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

REMINDER = "reminder"
INACTIVITY = "inactivity"
MEAL = "meal"
WEEKLY_SUMMARY = "weekly_summary"
PR = "pr"
STREAK = "streak"
MILESTONE = "milestone"
DEADLINE = "deadline"

ALL_TRIGGERS = (REMINDER, INACTIVITY, MEAL, WEEKLY_SUMMARY, PR, STREAK, MILESTONE, DEADLINE)
UNSOLICITED_PRIORITY = (MILESTONE, PR, STREAK, DEADLINE, WEEKLY_SUMMARY, INACTIVITY)
"""Unsolicited triggers, most valuable first: the daily cap keeps the first ones."""
SOLICITED = frozenset({REMINDER, MEAL})
"""Asked for by the person: not counted against the daily cap."""
CANCEL_ON_REPLY = frozenset({INACTIVITY, MEAL})


@dataclass(frozen=True, slots=True)
class TriggerContext:
    """Everything known about one message to send (templates and the LLM compose hook)."""

    user_id: int
    trigger: str
    key: str
    local_date: date
    local_time: datetime
    name: str | None
    goal: str | None
    unit_system: str
    rhythm: str
    streak_weeks: int
    facts: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """Flat values for template placeholders."""
        first = (self.name or "").strip().split(" ")[0]
        values: dict[str, Any] = {
            "name": first or "there",
            "goal": self.goal or "your goal",
            "rhythm": self.rhythm or "your usual days",
            "streak_weeks": self.streak_weeks,
            "weekday": self.local_time.strftime("%A"),
        }
        values.update(self.facts)
        return values
