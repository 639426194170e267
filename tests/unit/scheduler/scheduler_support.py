"""Test support for the scheduler: a recording deliverer, a settable clock, seeding helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fitcoach.channels.base import OutboundMessage
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.storage.database import Database
from fitcoach.storage.models import (
    Base,
    BodyWeight,
    Meal,
    MealItem,
    MessageLog,
    User,
    Workout,
    WorkoutSet,
)
from fitcoach.storage.scheduling import CoachPreference, Reminder


@dataclass
class Delivery:
    """One recorded delivery."""

    user_id: int
    channel: str
    conversation_id: str
    text: str
    at: datetime


@dataclass
class Clock:
    """A controllable clock (always timezone-aware UTC)."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RecordingDeliverer:
    """Records every delivery; people in ``blocked`` answer "blocked", in ``failing`` fail."""

    clock: Clock | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    failing: set[int] = field(default_factory=set)

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        if user_id in self.blocked:
            return DeliveryResult.blocked("403 Forbidden: bot was blocked by the user")
        if user_id in self.failing:
            return DeliveryResult.failed("timeout")
        at = self.clock() if self.clock else datetime.now(UTC)
        self.deliveries.append(Delivery(user_id, channel, conversation_id, message.text, at))
        return DeliveryResult.sent("ok")

    def to(self, user_id: int) -> list[Delivery]:
        return [d for d in self.deliveries if d.user_id == user_id]


async def create_schema(database: Database) -> None:
    """All tables (the app's and the scheduler's) on an empty database."""
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def add_user(
    database: Database, name: str, tz: str = "UTC", goal: str | None = None,
    units: str = "metric", inbound_at: datetime | None = None, **prefs: object,
) -> int:
    """A person who wrote once on telegram (so there is a last active channel)."""
    async with database.session() as session:
        user = User(name=name, timezone=tz, unit_system=units, goal=goal)
        session.add(user)
        await session.flush()
        session.add(MessageLog(
            user_id=user.id, channel="telegram", conversation_id=f"chat-{user.id}",
            direction="in", text="hi", created_at=inbound_at or datetime(2000, 1, 1, tzinfo=UTC),
        ))
        if prefs:
            session.add(CoachPreference(user_id=user.id, **prefs))
        return user.id


async def add_workout(
    database: Database, user_id: int, at: datetime,
    sets: list[tuple[str, float, int]] | None = None,
) -> None:
    """A workout with (exercise_id, weight_kg, reps) sets."""
    async with database.session() as session:
        workout = Workout(user_id=user_id, logged_at=at, source_text="gym")
        for i, (ex, kg, reps) in enumerate(sets or [("barbell_squat", 60.0, 5)]):
            workout.sets.append(WorkoutSet(
                user_id=user_id, position=i, exercise_id=ex,
                exercise_name=ex.replace("_", " ").title(), weight_kg=kg, reps=reps,
            ))
        session.add(workout)


async def add_inbound(database: Database, user_id: int, at: datetime, text: str = "hey") -> None:
    """The person wrote to the bot at ``at``."""
    async with database.session() as session:
        session.add(MessageLog(user_id=user_id, channel="telegram",
                               conversation_id=f"chat-{user_id}", direction="in", text=text,
                               created_at=at))


async def add_meal(database: Database, user_id: int, at: datetime, kcal: float = 600) -> None:
    """A one-item meal."""
    async with database.session() as session:
        meal = Meal(user_id=user_id, logged_at=at, source_text="food")
        meal.items.append(MealItem(user_id=user_id, ndb_no="01123", food_name="Food", grams=100,
                                   kcal=kcal, protein_g=10, carbs_g=10, fat_g=10))
        session.add(meal)


async def add_weight(database: Database, user_id: int, at: datetime, kg: float) -> None:
    """A weigh-in."""
    async with database.session() as session:
        session.add(BodyWeight(user_id=user_id, logged_at=at, weight_kg=kg))


async def add_reminder(database: Database, user_id: int, text: str, time_local: str,
                       recurrence: str = "daily", weekdays: str = "") -> int:
    """A reminder row as the tool would store it."""
    async with database.session() as session:
        row = Reminder(user_id=user_id, text=text, time_local=time_local,
                       recurrence=recurrence, weekdays=weekdays)
        session.add(row)
        await session.flush()
        return row.id


async def seed_rhythm(
    database: Database, user_id: int, tz: str, days: tuple[int, ...], hour: int,
    first_monday: datetime, weeks: int, kg: float = 60.0,
) -> None:
    """Workouts on ``days`` at local ``hour`` for ``weeks`` weeks from ``first_monday``."""
    from zoneinfo import ZoneInfo

    start = first_monday.date()
    for week in range(weeks):
        for day in days:
            local = datetime.combine(start + timedelta(days=7 * week + day),
                                     datetime.min.time(), tzinfo=ZoneInfo(tz))
            await add_workout(database, user_id, local.replace(hour=hour).astimezone(UTC),
                              [("barbell_bench_press", kg, 5)])


async def run_ticks(engine: object, clock: Clock, until: datetime, minutes: float = 10) -> None:
    """Tick every ``minutes`` until ``until`` (exclusive)."""
    while clock.now < until:
        await engine.tick()  # type: ignore[attr-defined]
        clock.advance(minutes=minutes)
