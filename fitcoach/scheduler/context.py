"""Set-based loading of what send-time decisions need for a batch of claimed occurrences."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.scheduler import triggers as t
from fitcoach.scheduler.rhythm import Rhythm
from fitcoach.scheduler.snapshot import Prefs, prefs_from_row
from fitcoach.scheduler.timeutil import aware, local_midnight, local_now
from fitcoach.storage.models import Meal, MealItem, MessageLog, User, Workout, WorkoutSet
from fitcoach.storage.scheduling import (
    CoachPreference,
    ProactiveOccurrence,
    ProactiveState,
    Reminder,
)


@dataclass(slots=True)
class Person:
    """A person at send time: profile, preferences, last inbound message, fresh activity."""

    user_id: int
    name: str | None
    goal: str | None
    timezone: str
    unit_system: str
    prefs: Prefs
    rhythm: Rhythm = field(default_factory=Rhythm)
    streak_weeks: int = 0
    last_inbound_at: datetime | None = None
    channel: str | None = None
    conversation_id: str | None = None
    last_workout_at: datetime | None = None
    meals: list[tuple[datetime, float]] = field(default_factory=list)
    workouts: list[tuple[datetime, float]] = field(default_factory=list)
    active_reminders: set[int] = field(default_factory=set)


async def load_people(
    session: AsyncSession, occurrences: list[ProactiveOccurrence], now: datetime
) -> dict[int, Person]:
    """Everyone behind these occurrences, with only the data their triggers need."""
    ids = sorted({o.user_id for o in occurrences})
    if not ids:
        return {}
    people: dict[int, Person] = {}
    stmt = (
        select(User, CoachPreference, ProactiveState)
        .outerjoin(CoachPreference, CoachPreference.user_id == User.id)
        .outerjoin(ProactiveState, ProactiveState.user_id == User.id)
        .where(User.id.in_(ids))
    )
    for user, pref, state in await session.execute(stmt):
        people[user.id] = Person(
            user.id, user.name, user.goal, user.timezone or "UTC",
            user.unit_system or "metric", prefs_from_row(pref),
            Rhythm.decode(state.rhythm_days, state.rhythm_hour) if state else Rhythm(),
            (state.streak_weeks or 0) if state else 0,
        )
    await _last_inbound(session, people, ids)
    kinds: dict[str, list[int]] = defaultdict(list)
    for o in occurrences:
        kinds[o.trigger].append(o.user_id)
    since = now - timedelta(days=8)
    if kinds[t.INACTIVITY]:
        for user_id, last in await session.execute(
            select(Workout.user_id, func.max(Workout.logged_at))
            .where(Workout.user_id.in_(kinds[t.INACTIVITY]), Workout.logged_at >= since)
            .group_by(Workout.user_id)
        ):
            people[user_id].last_workout_at = aware(last)
    if kinds[t.MEAL] or kinds[t.WEEKLY_SUMMARY]:
        await _meals(session, people, kinds[t.MEAL] + kinds[t.WEEKLY_SUMMARY], since)
    if kinds[t.WEEKLY_SUMMARY]:
        await _workouts(session, people, kinds[t.WEEKLY_SUMMARY], since)
    if kinds[t.REMINDER]:
        for user_id, reminder_id in await session.execute(
            select(Reminder.user_id, Reminder.id).where(
                Reminder.user_id.in_(kinds[t.REMINDER]), Reminder.active.is_(True))
        ):
            people[user_id].active_reminders.add(reminder_id)
    return people


async def _last_inbound(session: AsyncSession, people: dict[int, Person], ids: list[int]) -> None:
    # The latest message by its arrival time (a message is logged when its turn ends, so
    # row ids follow the ends of turns, not arrivals).
    ranked = (
        select(
            MessageLog.user_id,
            MessageLog.channel,
            MessageLog.conversation_id,
            MessageLog.created_at,
            func.row_number()
            .over(
                partition_by=MessageLog.user_id,
                order_by=(MessageLog.created_at.desc(), MessageLog.id.desc()),
            )
            .label("rank"),
        )
        .where(MessageLog.user_id.in_(ids), MessageLog.direction == "in")
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.user_id, ranked.c.channel, ranked.c.conversation_id, ranked.c.created_at)
        .where(ranked.c.rank == 1)
    )
    for user_id, channel, conversation, created in rows:
        person = people[user_id]
        person.channel, person.conversation_id = channel, conversation
        person.last_inbound_at = aware(created)


async def _meals(
    session: AsyncSession, people: dict[int, Person], ids: list[int], since: datetime
) -> None:
    rows = await session.execute(
        select(Meal.user_id, Meal.logged_at, func.coalesce(func.sum(MealItem.kcal), 0.0))
        .outerjoin(MealItem, MealItem.meal_id == Meal.id)
        .where(Meal.user_id.in_(sorted(set(ids))), Meal.logged_at >= since)
        .group_by(Meal.id, Meal.user_id, Meal.logged_at)
    )
    for user_id, logged_at, kcal in rows:
        people[user_id].meals.append((aware(logged_at), float(kcal)))


async def _workouts(
    session: AsyncSession, people: dict[int, Person], ids: list[int], since: datetime
) -> None:
    volume = func.coalesce(func.sum(WorkoutSet.weight_kg * WorkoutSet.reps), 0.0)
    rows = await session.execute(
        select(Workout.user_id, Workout.logged_at, volume)
        .outerjoin(WorkoutSet, WorkoutSet.workout_id == Workout.id)
        .where(Workout.user_id.in_(sorted(set(ids))), Workout.logged_at >= since)
        .group_by(Workout.id, Workout.user_id, Workout.logged_at)
    )
    for user_id, logged_at, kg in rows:
        people[user_id].workouts.append((aware(logged_at), float(kg or 0.0)))


def payload(occ: ProactiveOccurrence) -> dict[str, Any]:
    """The occurrence's stored facts."""
    try:
        data = json.loads(occ.payload or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def weekly_facts(person: Person, week_start: date, now: datetime) -> dict[str, Any]:
    """Workouts, volume and average daily kcal of the local week so far."""
    start = local_midnight(week_start, person.timezone)
    workouts = [(at, kg) for at, kg in person.workouts if start <= at < now]
    kcal_by_day: dict[date, float] = defaultdict(float)
    for at, kcal in person.meals:
        if start <= at < now:
            kcal_by_day[local_now(at, person.timezone).date()] += kcal
    days = len(kcal_by_day)
    trained = {local_now(at, person.timezone).date() for at, _ in workouts}
    streak = person.streak_weeks
    if person.rhythm.known:  # the summary closes the week: it extends or breaks the streak
        streak = streak + 1 if len(trained) >= len(person.rhythm.days) else 0
    return {
        "workouts": len(workouts),
        "volume_kg": round(sum(kg for _, kg in workouts), 1),
        "avg_kcal": round(sum(kcal_by_day.values()) / days) if days else None,
        "meal_days": days,
        "streak_weeks_now": streak,
    }
