"""Offline rules for reminder and proactive-message requests (merged into the offline model)."""

from __future__ import annotations

import re
from typing import Any

from fitcoach.scheduler.reminder_rules import weekday_index
from fitcoach.scheduler.timeutil import hhmm, parse_hhmm

_TIME = r"(\d{1,2}(?::\d{2})?\s*(?:am|pm)?|noon|midnight)"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_STOP = re.compile(
    r"\b(stop|cancel|delete|remove|no more|turn off)\b.{0,20}\b(remind(?:ing|ers?)?)\b"
    r"(?:\s+me)?(?:\s+(?:to|about)\s+(?P<what>.+?))?\s*[.!]?$", re.I)
_PAUSE = re.compile(
    r"\b(pause|snooze|hold)\b.{0,30}?\b(reminders?|messages|nudges|check-?ins)\b"
    r"(?:.*?\bfor\s+(?:a|an|one|(?P<n>\d+))?\s*(?P<unit>day|week|month)s?)?", re.I)
_BEFORE = re.compile(r"\b(?:no|don'?t send(?: me)?|not?)\s+(?:messages?|texts?|nudges|"
                     r"reminders?|pings?)\s+before\s+" + _TIME, re.I)
_AFTER = re.compile(r"\b(?:no|don'?t send(?: me)?|not?)\s+(?:messages?|texts?|nudges|"
                    r"reminders?|pings?)\s+after\s+" + _TIME, re.I)
_QUIET = re.compile(r"\bquiet hours?\b.*?(?:from\s+)?" + _TIME + r"\s*(?:to|-|–|until)\s*"
                    + _TIME, re.I)
_REMIND = re.compile(r"\bremind me\s+(?:to\s+)?(?P<text>.+?)\s+(?:at|@)\s+(?P<time>" + _TIME[1:-1]
                     + r")(?P<rest>.*)$", re.I)
_OPT_OUT = re.compile(r"\b(stop|no more|don'?t)\s+(messaging|texting|nudging|pinging)\s+me\b|"
                      r"\b(stop|turn off|disable)\s+(the\s+)?(nudges|check-?ins)\b", re.I)
_MEAL_OFF = re.compile(r"\b(stop|turn off|disable|no more)\s+(the\s+)?meal reminders?\b", re.I)
_MEAL_ON = re.compile(r"\b(turn on|enable|start|i want|send me)\s+(the\s+)?meal reminders?\b|"
                      r"\bremind me (?:to log|about) (?:my )?meals\b", re.I)
_OPT_IN = re.compile(r"\b(resume|turn on|enable|restart)\s+(the\s+)?(nudges|check-?ins|"
                     r"messages|reminders)\b|\byou can (message|text|nudge) me again\b", re.I)
_LIST = re.compile(r"\b(list|show|what are)\s+(my\s+)?reminders\b|\bmy reminders\b|"
                   r"\bwhat reminders\b", re.I)


def detect_reminder_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """(tool name, arguments) for a reminder request, or None."""
    text = text.strip()
    if not text:
        return None
    if _MEAL_OFF.search(text):
        return "opt_out_nudges", {"what": "meal_reminders"}
    if _MEAL_ON.search(text):
        return "opt_in", {"what": "meal_reminders"}
    stop = _STOP.search(text)
    if stop:
        what = stop.group("what")
        return "stop_reminders", ({"matching": what.strip()} if what else {})
    pause = _PAUSE.search(text)
    if pause:
        return "pause_reminders", {"days": _days(pause.group("n"), pause.group("unit"))}
    quiet = _quiet(text)
    if quiet is not None:
        return "set_quiet_hours", quiet
    if _OPT_OUT.search(text):
        return "opt_out_nudges", {"what": "nudges"}
    if _OPT_IN.search(text):
        return "opt_in", {"what": "nudges"}
    if _LIST.search(text):
        return "list_reminders", {}
    return _remind(text)


def _days(n: str | None, unit: str | None) -> int:
    count = int(n) if n else 1
    per = {"day": 1, "week": 7, "month": 30}.get((unit or "week").lower(), 7)
    return count * per


def _time(value: str) -> str:
    value = value.strip().lower()
    value = {"noon": "12:00", "midnight": "00:00"}.get(value, value)
    minutes = parse_hhmm(value)
    return hhmm(minutes) if minutes is not None else value


def _quiet(text: str) -> dict[str, Any] | None:
    both = _QUIET.search(text)
    if both:
        return {"start": _time(both.group(1)), "end": _time(both.group(2))}
    before, after = _BEFORE.search(text), _AFTER.search(text)
    if before or after:
        args = {}
        if after:
            args["start"] = _time(after.group(1))
        if before:
            args["end"] = _time(before.group(1))
        return args
    return None


def _remind(text: str) -> tuple[str, dict[str, Any]] | None:
    match = _REMIND.search(text)
    if not match:
        return None
    rest = match.group("rest").lower()
    args: dict[str, Any] = {"text": match.group("text").strip(" ,"),
                            "time_local": _time(match.group("time"))}
    days = [weekday_index(d) for d in re.findall(_DAY, rest)]
    if "weekday" in rest:
        args["recurrence"] = "weekdays"
    elif "tomorrow" in rest or "today" in rest or "once" in rest:
        args["recurrence"] = "once"
        args["date"] = "tomorrow" if "tomorrow" in rest else "today"
    elif days and all(d is not None for d in days) and "every day" not in rest:
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        args["recurrence"] = [names[d] for d in days if d is not None]
    else:
        args["recurrence"] = "daily"
    return "set_reminder", args
