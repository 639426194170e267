"""Chart series: user-scoped async queries that return plain, local-time data.

:class:`ChartData` is bound to one user at construction, like every repository; each query
filters by that user. Instants are bucketed into the person's local days and weeks here, so the
renderer only draws what it is given."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.charts.series import (
    OTHER,
    CaloriesSeries,
    VolumeSeries,
    WeightPoint,
    WeightSeries,
)
from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.storage.models import BodyWeight, Meal, MealItem, User, Workout, WorkoutSet
from fitcoach.storage.plans import PlanStore

LB_PER_KG = 2.20462262
ROLLING_DAYS = 7
MAX_MUSCLE_GROUPS = 6
"""Muscles beyond the largest six are drawn together as ``other``."""

_GOAL_WEIGHT = re.compile(
    r"\b(?:to|reach|hit|at|of|under|below|goal weight(?: is)?|target(?: weight)?(?: is)?)\s*:?\s*"
    r"(\d{2,3}(?:[.,]\d)?)\s*(kg|kgs|kilos?|lbs?|pounds?)\b",
    re.I,
)


def local_zone(name: str) -> ZoneInfo:
    """A timezone by IANA name, UTC when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def rolling_average(
    points: Sequence[tuple[datetime, float]], days: int = ROLLING_DAYS
) -> list[float]:
    """For each (time, value), the mean of the values in the ``days`` before it (inclusive)."""
    averages: list[float] = []
    start = 0
    total = 0.0
    for index, (at, value) in enumerate(points):
        total += value
        while points[start][0] <= at - timedelta(days=days):
            total -= points[start][1]
            start += 1
        averages.append(total / (index - start + 1))
    return averages


def goal_weight_from_text(text: str | None) -> float | None:
    """A target weight in kg from free text ("get down to 75 kg", "reach 165 lb"), if any."""
    if not text:
        return None
    match = _GOAL_WEIGHT.search(text)
    if match is None:
        return None
    value = float(match.group(1).replace(",", "."))
    if match.group(2).lower().startswith(("lb", "pound")):
        value /= LB_PER_KG
    return round(value, 1) if 30 <= value <= 300 else None


def goal_weight_from_plan(plan: dict[str, Any]) -> float | None:
    """A goal weight stored with the plan (top level or its profile), if any."""
    keys = ("goal_weight_kg", "target_weight_kg")
    for source in (plan, plan.get("profile") or {}):
        for key in keys:
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, int | float) and 30 <= value <= 300:
                return float(value)
    return None


def plan_care_mode(plan: dict[str, Any]) -> bool:
    """True when the plan asks for regular eating without targets (no lines to chase)."""
    return bool((plan.get("safety") or {}).get("care_mode")) or bool(
        (plan.get("profile") or {}).get("care_mode")
    )


class ChartData:
    """The current user's chart series (bound at construction; every query filters by it)."""

    def __init__(
        self,
        session: AsyncSession,
        user_id: int,
        muscles_of: Callable[[str], tuple[str, ...]] | None = None,
    ) -> None:
        self.session = session
        self.user_id = user_id
        self._muscles_of = muscles_of or _catalog_muscles

    async def volume(self, now: datetime, timezone: str, weeks: int = 8) -> VolumeSeries:
        """Volume per primary muscle for the last ``weeks`` local weeks (this one included)."""
        tz = local_zone(timezone)
        today = now.astimezone(tz).date()
        monday = today - timedelta(days=today.weekday())
        week_starts = tuple(monday - timedelta(weeks=i) for i in range(weeks - 1, -1, -1))
        start = _local_midnight(week_starts[0], tz)
        end = _local_midnight(monday + timedelta(days=7), tz)
        rows = await self.session.execute(
            select(WorkoutSet.exercise_id, WorkoutSet.reps, WorkoutSet.weight_kg, Workout.logged_at)
            .join(Workout, WorkoutSet.workout_id == Workout.id)
            .where(
                WorkoutSet.user_id == self.user_id,
                Workout.user_id == self.user_id,
                Workout.logged_at >= start,
                Workout.logged_at < end,
                WorkoutSet.reps.is_not(None),
                WorkoutSet.weight_kg.is_not(None),
            )
        )
        index = {week: i for i, week in enumerate(week_starts)}
        raw: dict[str, list[float]] = defaultdict(lambda: [0.0] * weeks)
        sets = 0
        for exercise_id, reps, weight_kg, logged_at in rows:
            volume = float(reps or 0) * float(weight_kg or 0.0)
            if volume <= 0:
                continue
            day = _aware(logged_at).astimezone(tz).date()
            week = index.get(day - timedelta(days=day.weekday()))
            if week is None:
                continue
            muscles = self._muscles_of(exercise_id) if exercise_id else ()
            muscles = muscles or (OTHER,)
            for muscle in muscles:
                raw[muscle][week] += volume / len(muscles)
            sets += 1
        return VolumeSeries(
            week_starts=week_starts,
            by_muscle=_group_muscles(raw),
            timezone=timezone,
            sets=sets,
        )

    async def weight(self, now: datetime, timezone: str, days: int = 84) -> WeightSeries:
        """Weigh-ins of the last ``days`` local days with a 7-day rolling average."""
        tz = local_zone(timezone)
        today = now.astimezone(tz).date()
        start = _local_midnight(today - timedelta(days=days - 1), tz)
        end = _local_midnight(today + timedelta(days=1), tz)
        rows = await self.session.execute(
            select(BodyWeight.logged_at, BodyWeight.weight_kg)
            .where(
                BodyWeight.user_id == self.user_id,
                BodyWeight.logged_at >= start - timedelta(days=ROLLING_DAYS),
                BodyWeight.logged_at < end,
            )
            .order_by(BodyWeight.logged_at, BodyWeight.id)
        )
        raw = [(_aware(at).astimezone(tz), float(kg)) for at, kg in rows]
        averages = rolling_average(raw)
        points = tuple(
            WeightPoint(at=at, kg=kg, avg_kg=avg)
            for (at, kg), avg in zip(raw, averages, strict=True)
            if at >= start
        )
        return WeightSeries(points=points, goal_kg=await self.goal_weight(), timezone=timezone)

    async def calories(self, now: datetime, timezone: str, days: int = 14) -> CaloriesSeries:
        """Calories per local day for the last ``days`` days (today included)."""
        tz = local_zone(timezone)
        today = now.astimezone(tz).date()
        day_list = tuple(today - timedelta(days=i) for i in range(days - 1, -1, -1))
        start = _local_midnight(day_list[0], tz)
        end = _local_midnight(today + timedelta(days=1), tz)
        rows = await self.session.execute(
            select(Meal.logged_at, func.coalesce(func.sum(MealItem.kcal), 0.0))
            .join(MealItem, MealItem.meal_id == Meal.id)
            .where(
                Meal.user_id == self.user_id,
                MealItem.user_id == self.user_id,
                Meal.logged_at >= start,
                Meal.logged_at < end,
            )
            .group_by(Meal.id, Meal.logged_at)
        )
        per_day: dict[date, float] = {}
        for logged_at, kcal in rows:
            day = _aware(logged_at).astimezone(tz).date()
            per_day[day] = per_day.get(day, 0.0) + float(kcal)
        target, care = await self.calorie_target()
        return CaloriesSeries(
            days=day_list,
            kcal=tuple(per_day.get(day) for day in day_list),
            target_kcal=None if care else target,
            care_mode=care,
            timezone=timezone,
        )

    async def calorie_target(self) -> tuple[int | None, bool]:
        """(daily kcal target of the latest plan, care mode); (None, False) without a plan."""
        plan = await PlanStore(self.session, self.user_id).latest()
        if plan is None:
            return None, False
        care = plan_care_mode(plan.plan)
        kcal = (plan.plan.get("nutrition") or {}).get("kcal")
        return (int(kcal) if isinstance(kcal, int | float) and kcal > 0 else None), care

    async def goal_weight(self) -> float | None:
        """Goal weight from the latest plan, else from the profile's goal text; None in care
        mode (no weight target is drawn then)."""
        plan = await PlanStore(self.session, self.user_id).latest()
        if plan is not None:
            if plan_care_mode(plan.plan):
                return None
            from_plan = goal_weight_from_plan(plan.plan)
            if from_plan is not None:
                return from_plan
        user = await self.session.get(User, self.user_id)
        return goal_weight_from_text(user.goal if user is not None else None)


def _catalog_muscles(exercise_id: str) -> tuple[str, ...]:
    exercise = get_exercise_catalog().get(exercise_id)
    return exercise.primary_muscles if exercise is not None else ()


def _group_muscles(raw: dict[str, list[float]]) -> dict[str, tuple[float, ...]]:
    """Largest muscles first (ties by name); the rest and unknown exercises as ``other``."""
    ranked = sorted((m for m in raw if m != OTHER), key=lambda m: (-sum(raw[m]), m))
    keep = ranked[:MAX_MUSCLE_GROUPS]
    grouped: dict[str, tuple[float, ...]] = {m: tuple(raw[m]) for m in keep}
    rest = [raw[m] for m in ranked[MAX_MUSCLE_GROUPS:]]
    if OTHER in raw:
        rest.append(raw[OTHER])
    if rest:
        grouped[OTHER] = tuple(sum(values) for values in zip(*rest, strict=True))
    return grouped
