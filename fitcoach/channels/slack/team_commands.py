"""Team commands in a channel (``/coach join``, ``@Coach leaderboard``, …) → a parsed command.

Pure functions. Only these exact forms are team commands; anything else stays a message for
the coach (so "challenge me with a hard workout" is still coaching):

- ``challenge start [goal] [timezone] [once]`` (also ``new``/``begin``), ``challenge stop``
  (``end``/``cancel``/``finish``), ``challenge`` / ``challenge status`` / ``challenge help``
- ``join`` / ``leave`` (optionally followed by ``challenge``), ``leaderboard`` /
  ``standings``"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal
from zoneinfo import available_timezones

Action = Literal["start", "stop", "status", "join", "leave", "leaderboard"]

_SIMPLE = re.compile(
    r"^(?P<verb>join|leave|opt[ -]?in|opt[ -]?out|leaderboard|standings|scores?)"
    r"(?:\s+(?:the\s+)?(?:team\s+)?challenge)?[.!]?$"
)
_CHALLENGE = re.compile(r"^(?:team\s+)?challenges?(?:\s+(?P<rest>.*))?$")
_STARTS = ("start", "new", "begin", "create")
_STOPS = ("stop", "end", "cancel", "finish")
_STATUS = ("", "status", "info", "help", "?")
_ONCE = re.compile(r"\b(?:once|one[- ]off|this week only|no repeat)\b")
_TZ_PREFIX = re.compile(r"^(?:tz|timezone)[=:]", re.I)
# Goal keywords: the first goal any word matches wins, checked in this order.
_GOAL_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("minutes", ("minute", "minutes", "min", "mins", "time", "duration", "hours")),
    ("days", ("day", "days", "streak", "consistency", "consistent")),
    ("distance", ("distance", "km", "kms", "kilometers", "kilometres", "miles", "running")),
    ("workouts", ("workout", "workouts", "session", "sessions", "training", "trainings")),
)
_FILLER = frozenset(
    [
        "most",
        "total",
        "count",
        "number",
        "of",
        "the",
        "a",
        "in",
        "this",
        "week",
        "weekly",
        "per",
        "logged",
        "active",
        "team",
    ]
)
GOAL_HELP = (
    "Goals: `workouts` (most workouts), `minutes` (total active minutes), `days` (most "
    "active days) or `distance` (km). Add a timezone such as `Europe/Berlin` to count the "
    "week there, and `once` for a single week."
)


@dataclass(frozen=True, slots=True)
class TeamCommand:
    """A team command; ``error`` says what was wrong with an otherwise recognised one."""

    action: Action
    goal: str = "workouts"
    timezone: str | None = None
    recurring: bool = True
    error: str | None = None


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def canonical_zone(word: str) -> str | None:
    """``europe/berlin`` → ``Europe/Berlin``; None when not an IANA zone."""
    return _zones().get(_TZ_PREFIX.sub("", word).lower())


def parse_team_command(text: str) -> TeamCommand | None:
    """The team command in ``text`` (already cleaned of the bot mention), or None."""
    lowered = " ".join(text.lower().split())
    simple = _SIMPLE.match(lowered)
    if simple:
        verb = simple.group("verb")
        if verb.startswith(("join", "opt in", "opt-in", "optin")):
            return TeamCommand("join")
        if verb.startswith(("leave", "opt")):
            return TeamCommand("leave")
        return TeamCommand("leaderboard")
    challenge = _CHALLENGE.match(lowered)
    if challenge is None:
        return None
    rest = (challenge.group("rest") or "").strip()
    first, _, tail = rest.partition(" ")
    if rest in _STATUS:
        return TeamCommand("status")
    if first in _STOPS and not tail.strip(" .!"):
        return TeamCommand("stop")
    if first in ("leaderboard", "standings"):
        return TeamCommand("leaderboard")
    if first in ("join", "leave"):
        return TeamCommand(first)  # type: ignore[arg-type]
    if first in _STARTS:
        return _start(tail)
    return None


def _start(words: str) -> TeamCommand:
    recurring = _ONCE.search(words) is None
    words = _ONCE.sub(" ", words)
    timezone: str | None = None
    goal: str | None = None
    unknown: list[str] = []
    for raw in words.replace(",", " ").split():
        word = raw.strip(".!?\"'()")
        if "/" in word or word == "utc" or _TZ_PREFIX.match(word):
            timezone = canonical_zone(word)
            if timezone is None:
                return TeamCommand("start", error=f"I don't know the timezone `{raw}`.")
            continue
        matched = next((g for g, keys in _GOAL_WORDS if word in keys), None)
        if matched is not None:
            goal = goal or matched
        elif word and word not in _FILLER:
            unknown.append(word)
    if goal is None and unknown:
        return TeamCommand("start", error=f"I can't count “{' '.join(unknown)}”. {GOAL_HELP}")
    return TeamCommand("start", goal=goal or "workouts", timezone=timezone, recurring=recurring)
