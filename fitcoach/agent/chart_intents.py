"""Offline rules for chart requests: "show my weight trend", "chart my calories", "/chart weight".

A request needs a chart word (chart, graph, plot, trend, visualise, "over time") or the
``/chart`` command, plus a subject; "volume per muscle" is a chart request on its own."""

from __future__ import annotations

import math
import re
from typing import Any

_COMMAND = re.compile(r"^\s*/(?:chart|graph|plot)s?(?:@\w+)?\b\s*(.*)$", re.I)
_CHART_WORD = re.compile(
    r"\b(?:charts?|graphs?|plot(?:ted)?|trends?|trending|visuali[sz]e|visuali[sz]ation|"
    r"diagram|over time|history)\b",
    re.I,
)
_VOLUME_ALONE = re.compile(
    r"\b(?:volume|tonnage|sets)\s+(?:per|by|for each|each)\s+muscles?(?:\s+groups?)?\b|"
    r"\bweekly\s+(?:training\s+)?volume\b|\bmuscle[- ]group\s+volume\b",
    re.I,
)
_STRONG_VOLUME = re.compile(
    r"\b(?:volume|tonnage|muscles?|muscle groups?|weight[- ]?(?:training|lifting)|"
    r"weightlifting)\b",
    re.I,
)
_SUBJECTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("calories", re.compile(r"\b(?:calories|calorie|kcal|cals?|intake|eating|food|diet)\b", re.I)),
    ("weight", re.compile(r"\b(?:body\s*weight|weight|weigh-?ins?|scale|weighing)\b", re.I)),
    (
        "volume",
        re.compile(
            r"\b(?:volume|tonnage|muscles?|muscle groups?|training|workouts?|lifting|lifts|"
            r"strength|gym|sets)\b",
            re.I,
        ),
    ),
)
_WEEKS = re.compile(r"\b(\d{1,2})\s*(?:weeks?|wks?)\b", re.I)
_DAYS = re.compile(r"\b(\d{1,3})\s*days?\b", re.I)
_MONTHS = re.compile(r"\b(\d{1,2})\s*months?\b", re.I)
_PERIODS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(?:this|last|past|the past|a|one)\s+month\b|\bmonthly\b", re.I), 4),
    (re.compile(r"\b(?:this|last|past)\s+week\b", re.I), 1),
    (re.compile(r"\bfortnight\b", re.I), 2),
    (re.compile(r"\b(?:quarter)\b", re.I), 13),
    (re.compile(r"\b(?:this|last|past)\s+year\b", re.I), 52),
)


# a question about training ("how many sets per muscle group per week?"), not a request
_ADVICE_QUESTION = re.compile(
    r"^\s*(?:how many|how much|what(?:'s| is)? (?:a |the )?(?:good|best|right|ideal)|should|is|are"
    r"|does|do)\b",
    re.I,
)
# "history" and "trend" also name other things ("my weight history is complicated", "is the
# carnivore diet trending"): with only those, a request word (or a short message) is needed
_REQUEST = re.compile(
    r"\b(?:show|see|view|display|draw|send|give|chart|graph|plot|visuali[sz]e|how(?:'s| is) my)\b",
    re.I,
)
_STRONG_CHART_WORD = re.compile(
    r"\b(?:charts?|graphs?|plot(?:ted)?|visuali[sz]e|visuali[sz]ation|diagram|over time)\b",
    re.I,
)


def detect_chart_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """("show_chart", {"kind": ..., ["weeks": n]}) for a chart request, or None."""
    command = _COMMAND.match(text)
    if command is not None:
        rest = command.group(1)
        kind = _kind(rest)
        return ("show_chart", _args(kind, rest)) if kind else None
    if _ADVICE_QUESTION.match(text) and not _STRONG_CHART_WORD.search(text):
        return None
    general_question = text.rstrip().endswith("?") and not re.search(r"\bmy\b", text, re.I)
    if _VOLUME_ALONE.search(text) and not general_question:
        return "show_chart", _args("volume", text)
    if not _CHART_WORD.search(text):
        return None
    short = len(text.split()) <= 4  # "weight history", "my weight trend"
    if not (_STRONG_CHART_WORD.search(text) or _REQUEST.search(text) or short):
        return None  # only "history" or "trending", and nothing asks to see it
    kind = _kind(text)
    return ("show_chart", _args(kind, text)) if kind else None


def _kind(text: str) -> str | None:
    """Volume words win ("weight training volume"); otherwise the first subject mentioned
    ("weight and calories chart" -> weight)."""
    if _STRONG_VOLUME.search(text):
        return "volume"
    found = [(m.start(), kind) for kind, p in _SUBJECTS if (m := p.search(text))]
    return min(found)[1] if found else None


def _args(kind: str, text: str) -> dict[str, Any]:
    args: dict[str, Any] = {"kind": kind}
    weeks = _weeks(text)
    if weeks is not None:
        args["weeks"] = weeks
    return args


def _weeks(text: str) -> int | None:
    if m := _WEEKS.search(text):
        return max(1, int(m.group(1)))
    if m := _DAYS.search(text):
        return max(1, math.ceil(int(m.group(1)) / 7))
    if m := _MONTHS.search(text):
        return max(1, round(int(m.group(1)) * 30.4 / 7))
    for pattern, weeks in _PERIODS:
        if pattern.search(text):
            return weeks
    return None
