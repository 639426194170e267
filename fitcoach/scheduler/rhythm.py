"""A person's training rhythm and streaks, learned from their own workout history (pure)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from fitcoach.scheduler.timeutil import WEEKDAY_SHORT

STREAK_MILESTONES = frozenset({2, 3, 4, 6, 8, 10, 12, 16, 20, 26, 39, 52})


@dataclass(frozen=True, slots=True)
class Rhythm:
    """Usual training weekdays (0 = Monday) and the usual local hour."""

    days: tuple[int, ...] = ()
    hour: int | None = None

    @property
    def known(self) -> bool:
        """At least two usual training days were learned."""
        return len(self.days) >= 2

    def label(self) -> str:
        """E.g. "Mon/Wed/Fri"."""
        return "/".join(WEEKDAY_SHORT[d] for d in self.days)

    def encode(self) -> str:
        """Storage form, e.g. "0,2,4"."""
        return ",".join(str(d) for d in self.days)

    @classmethod
    def decode(cls, days: str | None, hour: int | None) -> Rhythm:
        """From the stored form."""
        parsed = tuple(int(d) for d in (days or "").split(",") if d.strip().isdigit())
        return cls(parsed, hour)


def learn_rhythm(
    local_times: Iterable[datetime], today: date, weeks: int = 6, min_share: float = 0.5
) -> Rhythm:
    """Weekdays trained in at least ``min_share`` of the observed weeks (≥ 2 times)."""
    start = today - timedelta(days=7 * weeks)
    moments = sorted(t for t in local_times if start <= t.date() < today)
    if not moments:
        return Rhythm()
    observed = max(1, min(weeks, math.ceil((today - moments[0].date()).days / 7)))
    weeks_by_day: dict[int, set[date]] = {}
    for moment in moments:
        monday = moment.date() - timedelta(days=moment.weekday())
        weeks_by_day.setdefault(moment.weekday(), set()).add(monday)
    need = max(2, math.ceil(min_share * observed))
    days = tuple(sorted(d for d, seen in weeks_by_day.items() if len(seen) >= need))
    hour = int(median(m.hour for m in moments))
    return Rhythm(days, hour)


def training_days(local_times: Iterable[datetime]) -> set[date]:
    """Distinct local dates with a workout."""
    return {t.date() for t in local_times}


def days_in_week(days: set[date], monday: date, until: date) -> int:
    """Training days in the week starting ``monday``, up to and including ``until``."""
    return sum(1 for d in days if monday <= d <= until)


def week_streak(days: set[date], last_monday: date, per_week: int, weeks: int) -> int:
    """Consecutive weeks ending with the week of ``last_monday`` with ≥ per_week days."""
    streak = 0
    for back in range(weeks):
        monday = last_monday - timedelta(days=7 * back)
        if days_in_week(days, monday, monday + timedelta(days=6)) >= per_week:
            streak += 1
        else:
            break
    return streak
