"""Set-based loading of what the planner needs for a batch of people (a few queries per chunk)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.scheduler.goals import parse_goal
from fitcoach.scheduler.rhythm import Rhythm
from fitcoach.scheduler.timeutil import aware, local_midnight, local_now
from fitcoach.storage.models import BodyWeight, Meal, User, Workout, WorkoutSet
from fitcoach.storage.scheduling import (
    DEFAULT_QUIET_END_MIN,
    DEFAULT_QUIET_START_MIN,
    CoachPreference,
    ProactiveState,
    Reminder,
)

CHUNK = 5000
RECENT_DAYS = 15


@dataclass(slots=True)
class Prefs:
    """A person's proactive-message preferences (defaults when they never set any)."""

    nudges_enabled: bool = True
    meal_reminders: bool = False
    quiet_start: int = DEFAULT_QUIET_START_MIN
    quiet_end: int = DEFAULT_QUIET_END_MIN
    daily_cap: int = 1
    paused_until: datetime | None = None
    unreachable_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class PersonalRecord:
    """A heavier weight than ever before on one exercise."""

    exercise_id: str
    name: str
    weight_kg: float
    previous_kg: float


@dataclass(slots=True)
class UserSnapshot:
    """One person as the planner sees them at ``now``."""

    user_id: int
    name: str | None
    goal: str | None
    timezone: str
    unit_system: str
    prefs: Prefs
    rhythm: Rhythm
    rhythm_on: date | None
    streak_weeks: int
    streak_week: date | None
    recent: list[datetime] = field(default_factory=list)
    history: list[datetime] | None = None
    prs: list[PersonalRecord] = field(default_factory=list)
    weights: list[tuple[datetime, float]] = field(default_factory=list)
    reminders: list[Any] = field(default_factory=list)
    """Active reminder rows (id, user_id, text, time_local, recurrence, weekdays, ...)."""
    meals_recently: bool = False


def prefs_from_row(row: Any) -> Prefs:
    """Prefs from a (possibly NULL, outer-joined) coach_preferences row."""
    if row is None or row.nudges_enabled is None:
        return Prefs()
    return Prefs(
        bool(row.nudges_enabled),
        bool(row.meal_reminders),
        int(row.quiet_start_min),
        int(row.quiet_end_min),
        int(row.daily_cap),
        aware(row.paused_until) if row.paused_until else None,
        aware(row.unreachable_since) if row.unreachable_since else None,
    )


async def load_snapshots(
    session: AsyncSession, user_ids: list[int], now: datetime, *, rhythm_weeks: int = 6,
    rhythm_refresh_days: int = 7, force_history: bool = False,
) -> list[UserSnapshot]:
    """Snapshots of these people, loaded with set-based queries in chunks."""
    result: list[UserSnapshot] = []
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        refresh = 0 if force_history else rhythm_refresh_days
        result += await _load_chunk(session, chunk, now, rhythm_weeks, refresh)
    return result


async def _load_chunk(
    session: AsyncSession, ids: list[int], now: datetime, weeks: int, refresh: int
) -> list[UserSnapshot]:
    people = await _people(session, ids)
    by_id = {p.user_id: p for p in people}
    recent_from = now - timedelta(days=RECENT_DAYS)
    for user_id, logged_at in await session.execute(
        select(Workout.user_id, Workout.logged_at).where(
            Workout.user_id.in_(ids), Workout.logged_at >= recent_from, Workout.logged_at < now
        )
    ):
        person = by_id[user_id]
        person.recent.append(local_now(logged_at, person.timezone))
    stale = [p for p in people if _rhythm_stale(p, now, refresh)]
    await _history(session, stale, now, weeks)
    await _personal_records(session, people, now)
    await _weights(session, [p for p in people if parse_goal(p.goal, now.date()).target_kg], now)
    r = Reminder
    for row in await session.execute(
        select(r.id, r.user_id, r.text, r.time_local, r.recurrence, r.weekdays, r.once_date,
               r.active).where(r.user_id.in_(ids), r.active.is_(True))
    ):
        by_id[row.user_id].reminders.append(row)
    for (user_id,) in await session.execute(
        select(Meal.user_id)
        .where(Meal.user_id.in_(ids), Meal.logged_at >= now - timedelta(days=8))
        .distinct()
    ):
        by_id[user_id].meals_recently = True
    return people


async def _people(session: AsyncSession, ids: list[int]) -> list[UserSnapshot]:
    p, st = CoachPreference, ProactiveState
    stmt = (
        select(User.id, User.name, User.goal, User.timezone, User.unit_system,
               p.nudges_enabled, p.meal_reminders, p.quiet_start_min, p.quiet_end_min,
               p.daily_cap, p.paused_until, p.unreachable_since, st.rhythm_days,
               st.rhythm_hour, st.rhythm_on, st.streak_weeks, st.streak_week)
        .outerjoin(p, p.user_id == User.id)
        .outerjoin(st, st.user_id == User.id)
        .where(User.id.in_(ids))
    )
    return [
        UserSnapshot(
            user_id=row.id, name=row.name, goal=row.goal, timezone=row.timezone or "UTC",
            unit_system=row.unit_system or "metric", prefs=prefs_from_row(row),
            rhythm=Rhythm.decode(row.rhythm_days, row.rhythm_hour), rhythm_on=row.rhythm_on,
            streak_weeks=row.streak_weeks or 0, streak_week=row.streak_week,
        )
        for row in await session.execute(stmt)
    ]


def _rhythm_stale(person: UserSnapshot, now: datetime, refresh: int) -> bool:
    today = local_now(now, person.timezone).date()
    return person.rhythm_on is None or (today - person.rhythm_on).days >= refresh


async def _history(
    session: AsyncSession, people: list[UserSnapshot], now: datetime, weeks: int
) -> None:
    if not people:
        return
    by_id = {p.user_id: p for p in people}
    for p in people:
        p.history = []
    rows = await session.execute(
        select(Workout.user_id, Workout.logged_at).where(
            Workout.user_id.in_(list(by_id)),
            Workout.logged_at >= now - timedelta(days=7 * weeks + 8),
            Workout.logged_at < now,
        )
    )
    for user_id, logged_at in rows:
        person = by_id[user_id]
        assert person.history is not None
        person.history.append(local_now(logged_at, person.timezone))


def yesterday_bounds(person: UserSnapshot, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the person's local yesterday, in UTC."""
    today = local_now(now, person.timezone).date()
    return (
        local_midnight(today - timedelta(days=1), person.timezone),
        local_midnight(today, person.timezone),
    )


async def _personal_records(
    session: AsyncSession, people: list[UserSnapshot], now: datetime
) -> None:
    """PRs of yesterday: heaviest set per exercise id above every earlier set."""
    groups: dict[datetime, list[UserSnapshot]] = defaultdict(list)
    for person in people:
        today = local_now(now, person.timezone).date()
        if any(t.date() == today - timedelta(days=1) for t in person.recent):
            groups[yesterday_bounds(person, now)[0]].append(person)
    for start, members in groups.items():
        end = yesterday_bounds(members[0], now)[1]
        ids = [m.user_id for m in members]
        best_today: dict[tuple[int, str], tuple[float, str]] = {}
        for user_id, ex_id, ex_name, weight in await session.execute(
            select(
                WorkoutSet.user_id, WorkoutSet.exercise_id, WorkoutSet.exercise_name,
                func.max(WorkoutSet.weight_kg),
            )
            .join(Workout, Workout.id == WorkoutSet.workout_id)
            .where(
                Workout.user_id.in_(ids), Workout.logged_at >= start, Workout.logged_at < end,
                WorkoutSet.exercise_id.is_not(None), WorkoutSet.weight_kg.is_not(None),
            )
            .group_by(WorkoutSet.user_id, WorkoutSet.exercise_id, WorkoutSet.exercise_name)
        ):
            if ex_id is None or weight is None:
                continue
            current = best_today.get((user_id, ex_id))
            if current is None or weight > current[0]:
                best_today[(user_id, ex_id)] = (float(weight), ex_name)
        if not best_today:
            continue
        exercise_ids = sorted({ex for _, ex in best_today})
        by_id = {m.user_id: m for m in members}
        for user_id, ex_id, previous in await session.execute(
            select(WorkoutSet.user_id, WorkoutSet.exercise_id, func.max(WorkoutSet.weight_kg))
            .join(Workout, Workout.id == WorkoutSet.workout_id)
            .where(
                WorkoutSet.user_id.in_(sorted({u for u, _ in best_today})),
                WorkoutSet.exercise_id.in_(exercise_ids),
                Workout.logged_at < start,
                WorkoutSet.weight_kg.is_not(None),
            )
            .group_by(WorkoutSet.user_id, WorkoutSet.exercise_id)
        ):
            if ex_id is None:
                continue
            today_best = best_today.get((user_id, ex_id))
            if today_best and previous is not None and today_best[0] > float(previous):
                by_id[user_id].prs.append(
                    PersonalRecord(ex_id, today_best[1], today_best[0], float(previous))
                )


async def _weights(session: AsyncSession, people: list[UserSnapshot], now: datetime) -> None:
    if not people:
        return
    by_id = {p.user_id: p for p in people}
    rows = await session.execute(
        select(BodyWeight.user_id, BodyWeight.logged_at, BodyWeight.weight_kg)
        .where(
            BodyWeight.user_id.in_(list(by_id)),
            BodyWeight.logged_at >= now - timedelta(days=365),
            BodyWeight.logged_at < now,
        )
        .order_by(BodyWeight.user_id, BodyWeight.logged_at)
    )
    for user_id, logged_at, weight in rows:
        person = by_id[user_id]
        person.weights.append((local_now(logged_at, person.timezone), float(weight)))
