"""Reads a weight target and a deadline out of the free-text goal (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

LB_TO_KG = 0.45359237
MILESTONES = (25, 50, 75, 100)
DEADLINE_MARKS = (28, 14, 7, 1)
_WEIGHT = re.compile(r"(\d{2,3}(?:[.,]\d)?)\s*(kg|kgs|kilos?|lbs?|pounds?)\b", re.I)
_ISO = re.compile(r"\bby\s+(\d{4})-(\d{2})-(\d{2})\b", re.I)
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
_NAMED = re.compile(
    r"\bby\s+(?:the\s+)?(?:(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)|([a-z]+)\s+(\d{1,2})"
    r"(?:st|nd|rd|th)?)(?:,?\s+(\d{4}))?",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Goal:
    """What we could read from the goal text."""

    target_kg: float | None = None
    deadline: date | None = None


def parse_goal(text: str | None, today: date) -> Goal:
    """Target weight (kg) and deadline, when the goal states them."""
    if not text:
        return Goal()
    target = None
    weight = _WEIGHT.search(text)
    if weight:
        value = float(weight.group(1).replace(",", "."))
        target = round(value * LB_TO_KG, 1) if weight.group(2).lower()[0] in "lp" else value
    return Goal(target, _deadline(text, today))


def _deadline(text: str, today: date) -> date | None:
    iso = _ISO.search(text)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    named = _NAMED.search(text)
    if not named:
        return None
    day_s, month_s = (named.group(1), named.group(2)) if named.group(1) else (
        named.group(4), named.group(3))
    month = _month(month_s)
    if month is None:
        return None
    year = int(named.group(5)) if named.group(5) else today.year
    try:
        found = date(year, month, int(day_s))
    except ValueError:
        return None
    if not named.group(5) and found < today:
        found = found.replace(year=year + 1)
    return found


def _month(name: str) -> int | None:
    name = name.lower()
    for index, month in enumerate(_MONTHS, start=1):
        if len(name) >= 3 and month.startswith(name):
            return index
    return None


def progress_pct(start_kg: float, current_kg: float, target_kg: float) -> float:
    """Share of the way from the start weight to the target, in percent (0 when no way)."""
    span = target_kg - start_kg
    if abs(span) < 0.1:
        return 0.0
    return max(0.0, (current_kg - start_kg) / span * 100.0)


def crossed_milestone(start: float, before: float, now: float, target: float) -> int | None:
    """The highest milestone reached by the latest weigh-in that the previous one had not."""
    was, is_ = progress_pct(start, before, target), progress_pct(start, now, target)
    reached = [m for m in MILESTONES if was < m <= is_ + 1e-9]
    return reached[-1] if reached else None
