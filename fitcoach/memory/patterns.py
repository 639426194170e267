"""Patterns learned from a person's logs, stored as memories (category ``patterns``).

Read-only over fitcoach.storage and scoped to one user: usual training days and time of
day, training frequency, frequent foods, typical daily calories. Re-running updates the
same slots (``pattern:*`` keys), so the memories follow the person's habits."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from fitcoach.memory.models import Change, Fact
from fitcoach.memory.store import MemoryStore
from fitcoach.storage.database import Database
from fitcoach.storage.models import Meal, MealItem, User, Workout

WINDOW_DAYS = 56
MIN_WORKOUTS = 4
MIN_FOOD_MEALS = 3
MIN_KCAL_DAYS = 3
_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_TIME_BUCKETS = (
    (5, 11, "in the morning"),
    (11, 14, "around midday"),
    (14, 17, "in the afternoon"),
    (17, 22, "in the evening"),
)


def _bucket(hour: int) -> str:
    for start, end, label in _TIME_BUCKETS:
        if start <= hour < end:
            return label
    return "at night"


def _short_food(name: str) -> str:
    parts = [p.strip() for p in name.split(",") if p.strip()]
    return ", ".join(parts[:2]) if parts else name


async def _load(
    database: Database, user_id: int, since: datetime
) -> tuple[str, list[datetime], list[tuple[int, datetime, str, float]]]:
    async with database.session() as session:
        user = await session.get(User, user_id)
        timezone = (user.timezone if user is not None else None) or "UTC"
        workouts = (
            await session.execute(
                select(Workout.logged_at).where(
                    Workout.user_id == user_id, Workout.logged_at >= since
                )
            )
        ).scalars()
        items = await session.execute(
            select(Meal.id, Meal.logged_at, MealItem.food_name, MealItem.kcal)
            .join(MealItem, MealItem.meal_id == Meal.id)
            .where(Meal.user_id == user_id, MealItem.user_id == user_id, Meal.logged_at >= since)
        )
        return timezone, list(workouts), [tuple(row) for row in items]  # type: ignore[misc]


def training_facts(times: list[datetime], window_days: int) -> list[Fact]:
    """Usual days, time of day and frequency from workout timestamps (local time)."""
    if len(times) < MIN_WORKOUTS:
        return []
    facts: list[Fact] = []
    dates = sorted({t.date() for t in times})
    weeks = max(1.0, min(window_days, (dates[-1] - dates[0]).days + 1) / 7)
    per_weekday = Counter(d.weekday() for d in dates)
    threshold = max(2.0, 0.5 * weeks)
    usual = [day for day in range(7) if per_weekday[day] >= threshold]
    confidence = round(min(0.95, 0.5 + len(times) / 40), 2)
    if usual:
        names = [_WEEKDAYS[d] for d in usual]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        facts.append(
            Fact(f"Usually trains on {joined}", "patterns", "pattern:training_days", confidence)
        )
    buckets = Counter(_bucket(t.hour) for t in times)
    label, count = buckets.most_common(1)[0]
    if count >= 3 and count / len(times) >= 0.5:
        hours = sorted(t.hour + t.minute / 60 for t in times if _bucket(t.hour) == label)
        median = statistics.median(hours)
        clock = f"{int(median):02d}:{round((median % 1) * 60) % 60:02d}"
        facts.append(
            Fact(
                f"Usually trains {label} (around {clock})",
                "patterns",
                "pattern:training_time",
                confidence,
            )
        )
    per_week = len(dates) / weeks
    facts.append(
        Fact(
            f"Trains about {per_week:.1f} days a week (last {round(weeks)} weeks)",
            "patterns",
            "pattern:training_frequency",
            confidence,
        )
    )
    return facts


def food_facts(rows: list[tuple[int, datetime, str, float]]) -> list[Fact]:
    """Frequent foods and typical daily calories from meal items (local time)."""
    facts: list[Fact] = []
    meals_per_food: defaultdict[str, set[int]] = defaultdict(set)
    kcal_per_day: defaultdict[Any, float] = defaultdict(float)
    meals_per_day: defaultdict[Any, set[int]] = defaultdict(set)
    for meal_id, logged_at, food_name, kcal in rows:
        meals_per_food[_short_food(food_name)].add(meal_id)
        kcal_per_day[logged_at.date()] += kcal
        meals_per_day[logged_at.date()].add(meal_id)
    frequent = sorted(
        ((len(ids), name) for name, ids in meals_per_food.items() if len(ids) >= MIN_FOOD_MEALS),
        reverse=True,
    )[:5]
    if frequent:
        names = "; ".join(name for _, name in frequent)
        facts.append(Fact(f"Often eats: {names}", "patterns", "pattern:frequent_foods", 0.8))
    full_days = [kcal_per_day[d] for d, meals in meals_per_day.items() if len(meals) >= 2]
    if len(full_days) >= MIN_KCAL_DAYS:
        typical = int(round(statistics.median(full_days) / 50.0) * 50)
        facts.append(
            Fact(
                f"Typically eats about {typical} kcal a day ({len(full_days)} logged days)",
                "patterns",
                "pattern:daily_kcal",
                round(min(0.95, 0.5 + len(full_days) / 30), 2),
            )
        )
    return facts


async def learn_patterns(
    database: Database,
    user_id: int,
    store: MemoryStore,
    now: datetime,
    *,
    window_days: int = WINDOW_DAYS,
) -> list[Change]:
    """Learn this person's habits from the last ``window_days`` of logs and store them."""
    if store.user_id != user_id:
        raise PermissionError("the memory store belongs to another person")
    since = now - timedelta(days=window_days)
    timezone, workout_times, item_rows = await _load(database, user_id, since)
    tz = zone(timezone)
    local_times = [_aware(t).astimezone(tz) for t in workout_times]
    local_rows = [(m, _aware(t).astimezone(tz), f, k) for m, t, f, k in item_rows]
    facts = training_facts(local_times, window_days) + food_facts(local_rows)
    if not facts:
        return []
    return await asyncio.to_thread(
        lambda: [store.add(f, source="learned from logs", origin="pattern") for f in facts]
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone(name: str) -> ZoneInfo:
    """A timezone by IANA name, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
