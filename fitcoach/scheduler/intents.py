"""Offline rules for reminder and proactive-message requests (merged into the offline model)."""

from __future__ import annotations

import re
from typing import Any

from fitcoach.scheduler.reminder_rules import weekday_index
from fitcoach.scheduler.timeutil import hhmm, parse_hhmm

# a time of day: "7", "7:30", "9.30pm", "7 p.m.", not "100kg" or "0830"
_TIME = (
    r"((?<![\d.:])\d{1,2}(?:[:.]\d{2})?(?![\d])\s*(?:am|pm|a\.m\.?|p\.m\.?)?"
    r"(?!\s*(?:kg|kgs|lbs?|km|k\b|%|x\b|reps?|sets?|mins?|minutes?|hours?|h\b))|noon|midnight)"
)
_DAY = r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?\b"
_STOP = re.compile(
    r"\b(stop|cancel|delete|remove|turn off)\b.{0,20}?\b(remind(?:ing|ers?)?)\b"
    r"(?:\s+me)?(?:\s+(?:to|about)\s+(?P<what>.+?))?\s*(?:[,;]|\bbut\b|[.!]?$)"
    r"|\bno more (reminders|reminding)\b",
    re.I,
)
# "cancel my creatine reminder": the one named before the word
_STOP_NAMED = re.compile(
    r"\b(?:stop|cancel|delete|remove|turn off)\s+(?:the\s+|my\s+|that\s+)?"
    r"(?P<what>(?!all\b|every\b|any\b)[\w'-]+(?:\s+[\w'-]+)?)\s+reminders?\b",
    re.I,
)
_NEGATED = re.compile(
    r"\b(?:don'?t|do not|never|not)\s+(?:\w+\s+)?(?:stop|cancel|delete|remove)\b", re.I
)
_PAUSE = re.compile(
    r"\b(pause|snooze|hold)\b.{0,30}?\b(reminders?|messages|nudges|check-?ins)\b"
    r"(?:.*?\bfor\s+(?:a|an|one|(?P<n>\d+))?\s*(?P<unit>day|week|month)s?)?",
    re.I,
)
_BEFORE = re.compile(
    r"\b(?:no|don'?t send(?: me)?|not?)\s+(?:messages?|texts?|nudges|"
    r"reminders?|pings?)\s+before\s+" + _TIME,
    re.I,
)
_AFTER = re.compile(
    r"\b(?:no|don'?t send(?: me)?|not?)\s+(?:messages?|texts?|nudges|"
    r"reminders?|pings?)\s+after\s+" + _TIME,
    re.I,
)
_QUIET = re.compile(
    r"\bquiet hours?\b.*?(?:from\s+)?" + _TIME + r"\s*(?:to|-|–|until)\s*" + _TIME, re.I
)
_REMIND = re.compile(
    r"\bremind me\s+(?:to\s+)?(?P<text>.+?)\s+(?:at|@)\s+(?P<time>"
    + _TIME[1:-1]
    + r")(?P<rest>.*)$",
    re.I,
)
_OPT_OUT = re.compile(
    r"\b(stop|no more|don'?t)\s+(messaging|texting|nudging|pinging)\s+me\b|"
    r"\b(stop|turn off|disable)\s+(the\s+)?(nudges|check-?ins)\b",
    re.I,
)
_MEAL_OFF = re.compile(r"\b(stop|turn off|disable|no more)\s+(the\s+)?meal reminders?\b", re.I)
_MEAL_ON = re.compile(
    r"\b(turn on|enable|start|i want|send me)\s+(the\s+)?meal reminders?\b|"
    r"\bremind me (?:to log|about) (?:my )?meals\b",
    re.I,
)
_OPT_IN = re.compile(
    r"\b(resume|turn on|enable|restart)\s+(the\s+)?(nudges|check-?ins|"
    r"messages|reminders)\b|\byou can (message|text|nudge) me again\b",
    re.I,
)
_LIST = re.compile(
    r"\b(list|show|what are)\s+(all\s+)?(my\s+)?reminders\b|"
    r"^\W*(?:all\s+)?my reminders\W*$|\bwhat reminders\b",
    re.I,
)


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
    if stop and not _NEGATED.search(text):
        named = _STOP_NAMED.search(text)
        if named and named.group("what").lower() in {"last", "first", "next", "latest", "new"}:
            return None  # "delete the last reminder": which one is for the model to ask
        what = stop.group("what") or (named.group("what") if named else None)
        return "stop_reminders", ({"matching": what.strip(" ,")} if what else {})
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


def _time(value: str, context: str = "") -> str:
    value = value.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    value = value.replace("a.m", "am").replace("p.m", "pm").replace(".", ":")
    value = {"noon": "12:00", "midnight": "00:00"}.get(value, value)
    minutes = parse_hhmm(value)
    if minutes is None:
        return value
    if not value.endswith(("am", "pm")) and minutes < 12 * 60:
        hour = minutes // 60
        # "at 8 at night", "at 4 in the afternoon", "log my lunch at 1": the afternoon
        if _LATER.search(context) or 1 <= hour <= 5:
            minutes += 12 * 60
    return hhmm(minutes)


_LATER = re.compile(r"\b(?:night|tonight|evening|afternoon|pm|dinner|supper)\b", re.I)
_EXCEPT = re.compile(r"\b(?:except|but not|not on|excluding|apart from|other than)\b", re.I)
_LEADING_WHEN = re.compile(
    r"\s+(?:every|each|on)\s+(?P<when>(?:day|morning|evening|night|weekday)s?|"
    + _DAY[2:-2]
    + r"(?:\s*(?:,|and|&)?\s*"  # "on monday wednesday and friday"
    + _DAY[2:-2]
    + r")*)\s*$",
    re.I,
)
_ONE_OFF = re.compile(r"^\W*(?:only\s+|just\s+)?(?P<when>today|tomorrow|tonight|once)\b\W*$")


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


_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# "remind me at 7am to take creatine", "remind me every monday at 7am to weigh in"
_REMIND_TIME_FIRST = re.compile(
    r"\bremind me\s+(?P<when>(?:(?:every|each|on)\s+\w+\s+)?)(?:at|@)\s+(?P<time>"
    + _TIME[1:-1]
    + r")(?P<rest>[^,.]*?)\s*,?\s+(?:to|about)\s+(?P<text>.+?)[.!]?$",
    re.I,
)


def _remind(text: str) -> tuple[str, dict[str, Any]] | None:
    first = _REMIND_TIME_FIRST.search(text)
    match = first or _REMIND.search(text)
    if not match:
        return None
    what = match.group("text").strip(" ,")
    rest = match.group("rest").lower()
    if first:
        rest = f" {first.group('when').lower()} {rest}"
    # "remind me to weigh myself every monday at 7am": the day came before the time
    lead = _LEADING_WHEN.search(what)
    if lead:
        what = what[: lead.start()].strip(" ,")
        rest = f" {lead.group('when').lower()} {rest}"
    args: dict[str, Any] = {"text": what, "time_local": _time(match.group("time"), rest)}
    args["recurrence"] = _recurrence(rest, args)
    return "set_reminder", args


def _recurrence(rest: str, args: dict[str, Any]) -> str | list[str]:
    one_off = _ONE_OFF.match(rest)
    if one_off:
        args["date"] = "tomorrow" if one_off.group("when") == "tomorrow" else "today"
        return "once"
    weekend = bool(re.search(r"\bweekends?\b", rest))
    if re.search(r"\bmon(?:day)?\s*(?:-|to|through|–)\s*fri(?:day)?\b|\bweekdays?\b", rest) or (
        weekend and _EXCEPT.search(rest)
    ):
        return "weekdays"
    days = [weekday_index(d) for d in re.findall(_DAY, rest)]
    if weekend:
        days += [5, 6]
    found = sorted({d for d in days if d is not None})
    if not found or "every day" in rest:
        return "daily"
    if _EXCEPT.search(rest):  # "except sundays": every other day of the week
        return [_NAMES[d] for d in range(7) if d not in found]
    return [_NAMES[d] for d in found]
