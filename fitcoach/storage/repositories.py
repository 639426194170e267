"""Repositories. Everything but :class:`UserDirectory` is bound to one user at construction,
and every query it runs is filtered by that user: callers cannot reach another person's rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fitcoach.storage.models import (
    BodyWeight,
    ChannelIdentity,
    Meal,
    MealItem,
    MessageLog,
    User,
    Workout,
    WorkoutSet,
    utcnow,
)

_MESSAGE_LOG_INSERT = insert(cast(Table, MessageLog.__table__))

PROFILE_FIELDS = frozenset(
    {"name", "sex", "birth_year", "height_cm", "weight_kg", "timezone", "unit_system", "goal"}
)


NEW_PERSON_DEFAULTS = {"timezone": "UTC", "unit_system": "metric"}
"""A person's settings until they tell us otherwise."""


class UserDirectory:
    """Finds people by their channel identity; the only place that maps identities to users."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def resolve(self, channel: str, external_id: str, name: str | None = None) -> User:
        """The user behind a channel identity, created on first contact."""
        user = await self.find(channel, external_id)
        if user is not None:
            return user
        return await self.create(channel, external_id, name)

    async def create(self, channel: str, external_id: str, name: str | None = None) -> User:
        """A new user for an identity just found unknown (first contact); the existing one
        when another worker created it meanwhile."""
        user = User(name=name, **NEW_PERSON_DEFAULTS)
        user.identities.append(ChannelIdentity(channel=channel, external_id=external_id))
        try:
            async with self.session.begin_nested():
                self.session.add(user)
                await self.session.flush()
        except IntegrityError:
            # Another worker created the same identity concurrently: use theirs.
            found = await self.find(channel, external_id)
            if found is None:
                raise
            return found
        return user

    async def find(self, channel: str, external_id: str) -> User | None:
        """The user with this identity, if any."""
        stmt = (
            select(User)
            .join(ChannelIdentity)
            .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, user_id: int) -> User | None:
        """The user with this id."""
        return await self.session.get(User, user_id)


@dataclass(frozen=True, slots=True)
class MealItemRecord:
    """A grounded food item ready to be stored."""

    ndb_no: str
    food_name: str
    grams: float
    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float = 0.0
    sugar_g: float = 0.0
    sodium_mg: float = 0.0
    portion: str = ""
    portion_assumed: bool = False


@dataclass(frozen=True, slots=True)
class WorkoutSetRecord:
    """One set of a catalog exercise or one cardio bout, ready to be stored."""

    exercise_name: str
    exercise_id: str | None = None
    activity_code: str | None = None
    reps: int | None = None
    weight_kg: float | None = None
    rir: float | None = None
    rpe: float | None = None
    duration_min: float | None = None
    distance_km: float | None = None
    kcal: float | None = None


@dataclass(slots=True)
class PeriodSummary:
    """What a person logged between two instants."""

    kcal: float = 0.0
    protein_g: float = 0.0
    carbs_g: float = 0.0
    fat_g: float = 0.0
    fiber_g: float = 0.0
    sugar_g: float = 0.0
    sodium_mg: float = 0.0
    meals: int = 0
    workouts: int = 0
    sets: int = 0
    volume_kg: float = 0.0
    cardio_min: float = 0.0
    cardio_kcal: float = 0.0
    exercises: list[str] = field(default_factory=list)
    latest_weight_kg: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Rounded, JSON-ready figures."""
        return {
            "kcal": round(self.kcal),
            "protein_g": round(self.protein_g, 1),
            "carbs_g": round(self.carbs_g, 1),
            "fat_g": round(self.fat_g, 1),
            "fiber_g": round(self.fiber_g, 1),
            "sugar_g": round(self.sugar_g, 1),
            "sodium_mg": round(self.sodium_mg),
            "meals": self.meals,
            "workouts": self.workouts,
            "sets": self.sets,
            "volume_kg": round(self.volume_kg, 1),
            "cardio_min": round(self.cardio_min, 1),
            "cardio_kcal": round(self.cardio_kcal),
            "exercises": self.exercises,
            "latest_weight_kg": self.latest_weight_kg,
        }


@dataclass(frozen=True, slots=True)
class RemovedEntry:
    """What undo removed."""

    kind: str
    description: str


class Profiles:
    """The current user's profile."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    async def get(self) -> User:
        """The current user (must exist)."""
        user = await self.session.get(User, self.user_id)
        if user is None:
            raise LookupError("current user does not exist")
        return user

    async def update(self, **changes: Any) -> User:
        """Set the given profile fields; unknown fields are rejected."""
        unknown = set(changes) - PROFILE_FIELDS
        if unknown:
            raise ValueError(f"unknown profile fields: {sorted(unknown)}")
        user = await self.get()
        for name, value in changes.items():
            setattr(user, name, value)
        await self.session.flush()
        return user


class Journal:
    """Meals, workouts and body weight of the current user."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    async def add_meal(
        self,
        items: list[MealItemRecord],
        *,
        source_text: str,
        meal_type: str | None = None,
        logged_at: datetime | None = None,
    ) -> Meal:
        """Store a meal with its items."""
        meal = Meal(user_id=self.user_id, source_text=source_text, meal_type=meal_type)
        if logged_at is not None:
            meal.logged_at = logged_at
        for item in items:
            meal.items.append(MealItem(user_id=self.user_id, **_fields(item)))
        self.session.add(meal)
        await self.session.flush()
        return meal

    async def add_workout(
        self, sets: list[WorkoutSetRecord], *, source_text: str, logged_at: datetime | None = None
    ) -> Workout:
        """Store a workout with its sets in order."""
        workout = Workout(user_id=self.user_id, source_text=source_text)
        if logged_at is not None:
            workout.logged_at = logged_at
        for position, record in enumerate(sets):
            workout.sets.append(
                WorkoutSet(user_id=self.user_id, position=position, **_fields(record))
            )
        self.session.add(workout)
        await self.session.flush()
        return workout

    async def add_body_weight(
        self, weight_kg: float, logged_at: datetime | None = None
    ) -> BodyWeight:
        """Store a body-weight entry and keep the profile's weight current."""
        entry = BodyWeight(user_id=self.user_id, weight_kg=weight_kg)
        if logged_at is not None:
            entry.logged_at = logged_at
        self.session.add(entry)
        user = await self.session.get(User, self.user_id)
        if user is not None:
            user.weight_kg = weight_kg
        await self.session.flush()
        return entry

    async def undo_last(self) -> RemovedEntry | None:
        """Delete the most recent meal, workout or body-weight entry."""
        candidates: list[tuple[datetime, int, str, Any]] = []
        models: tuple[tuple[Any, str], ...] = (
            (Meal, "meal"),
            (Workout, "workout"),
            (BodyWeight, "body_weight"),
        )
        for model, kind in models:
            row = (
                await self.session.execute(
                    select(model)
                    .where(model.user_id == self.user_id)
                    .order_by(model.logged_at.desc(), model.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
            if row is not None:
                candidates.append((_aware(row.logged_at), row.id, kind, row))
        if not candidates:
            return None
        _, _, kind, row = max(candidates, key=lambda c: (c[0], c[1]))
        description = await self._describe(kind, row)
        await self.session.delete(row)
        await self.session.flush()
        return RemovedEntry(kind=kind, description=description)

    async def _describe(self, kind: str, row: Any) -> str:
        if kind == "body_weight":
            return f"body weight {row.weight_kg:g} kg"
        if kind == "meal":
            items = (
                await self.session.execute(select(MealItem).where(MealItem.meal_id == row.id))
            ).scalars()
            return "meal: " + ", ".join(i.food_name for i in items)
        sets = (
            await self.session.execute(select(WorkoutSet).where(WorkoutSet.workout_id == row.id))
        ).scalars()
        return "workout: " + ", ".join(sorted({s.exercise_name for s in sets}))

    async def summary(self, start: datetime, end: datetime) -> PeriodSummary:
        """Totals logged in [start, end)."""
        result = PeriodSummary()
        nutrient_cols = [
            MealItem.kcal,
            MealItem.protein_g,
            MealItem.carbs_g,
            MealItem.fat_g,
            MealItem.fiber_g,
            MealItem.sugar_g,
            MealItem.sodium_mg,
        ]
        row = (
            await self.session.execute(
                select(
                    *[func.coalesce(func.sum(c), 0.0) for c in nutrient_cols],
                    func.count(func.distinct(Meal.id)),
                )
                .select_from(MealItem)
                .join(Meal, MealItem.meal_id == Meal.id)
                .where(Meal.user_id == self.user_id, Meal.logged_at >= start, Meal.logged_at < end)
            )
        ).one()
        totals = tuple(row)
        (
            result.kcal,
            result.protein_g,
            result.carbs_g,
            result.fat_g,
            result.fiber_g,
            result.sugar_g,
            result.sodium_mg,
        ) = (float(value) for value in totals[:7])
        result.meals = int(totals[7])
        workouts = (
            (
                await self.session.execute(
                    select(Workout)
                    .options(selectinload(Workout.sets))
                    .where(
                        Workout.user_id == self.user_id,
                        Workout.logged_at >= start,
                        Workout.logged_at < end,
                    )
                )
            )
            .scalars()
            .all()
        )
        result.workouts = len(workouts)
        names: dict[str, None] = {}
        for workout in workouts:
            for s in workout.sets:
                names[s.exercise_name] = None
                if s.reps is not None:
                    result.sets += 1
                    result.volume_kg += (s.weight_kg or 0.0) * s.reps
                result.cardio_min += s.duration_min or 0.0
                result.cardio_kcal += s.kcal or 0.0
        result.exercises = list(names)
        latest = (
            await self.session.execute(
                select(BodyWeight.weight_kg)
                .where(BodyWeight.user_id == self.user_id, BodyWeight.logged_at < end)
                .order_by(BodyWeight.logged_at.desc(), BodyWeight.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        result.latest_weight_kg = latest
        return result

    async def best_sets(self, exercise_ids: list[str]) -> dict[str, tuple[float, int]]:
        """Heaviest (weight_kg, reps) per exercise so far, for PR detection."""
        if not exercise_ids:
            return {}
        rows = await self.session.execute(
            select(WorkoutSet.exercise_id, WorkoutSet.weight_kg, WorkoutSet.reps).where(
                WorkoutSet.user_id == self.user_id,
                WorkoutSet.exercise_id.in_(exercise_ids),
                WorkoutSet.weight_kg.is_not(None),
            )
        )
        best: dict[str, tuple[float, int]] = {}
        for exercise_id, weight, reps in rows:
            if exercise_id is None or weight is None:
                continue
            current = best.get(exercise_id)
            if current is None or (weight, reps or 0) > current:
                best[exercise_id] = (weight, reps or 0)
        return best


class MessageHistory:
    """The message log of the current user."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    async def record(
        self,
        *,
        channel: str,
        conversation_id: str,
        direction: str,
        text: str,
        external_message_id: str | None = None,
        created_at: datetime | None = None,
    ) -> None:
        """Append one message (one plain INSERT, no ORM unit of work)."""
        await self.session.execute(
            _MESSAGE_LOG_INSERT,
            {
                "user_id": self.user_id,
                "channel": channel,
                "conversation_id": conversation_id,
                "direction": direction,
                "text": text,
                "external_message_id": external_message_id,
                "created_at": created_at or utcnow(),
            },
        )

    async def recent(self, conversation_id: str, limit: int = 50) -> list[MessageLog]:
        """The last messages of a conversation, oldest first."""
        rows = (
            (
                await self.session.execute(
                    select(MessageLog)
                    .where(
                        MessageLog.user_id == self.user_id,
                        MessageLog.conversation_id == conversation_id,
                    )
                    .order_by(MessageLog.id.desc())
                    .limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return list(reversed(rows))

    async def delete_all(self) -> int:
        """Remove the user's whole message log."""
        result = await self.session.execute(
            delete(MessageLog).where(MessageLog.user_id == self.user_id)
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
