"""A simulated week for 20 people with different rhythms, timezones and wishes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from fitcoach.scheduler import SchedulerSettings, TickEngine
from fitcoach.scheduler.preview import preview
from fitcoach.scheduler.timeutil import at_local, in_quiet, local_now, minutes_of
from fitcoach.storage.database import Database
from fitcoach.storage.scheduling import CoachPreference, ProactiveAudit, ProactiveSend
from tests.unit.scheduler.scheduler_support import (
    Clock,
    RecordingDeliverer,
    add_inbound,
    add_meal,
    add_reminder,
    add_user,
    add_workout,
    create_schema,
    seed_rhythm,
)

MON = datetime(2026, 3, 2, tzinfo=UTC)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
         "America/Los_Angeles", "Asia/Kolkata")
RHYTHMS = ((0, 2, 4), (1, 3), (0, 1, 3, 5), (5, 6), (0, 3, 5))


@dataclass
class Person:
    user_id: int
    tz: str
    days: tuple[int, ...]
    hour: int
    lapses: bool
    opt_out_day: int | None


async def _setup(db: Database) -> list[Person]:
    people = []
    for i in range(20):
        tz, days, hour = ZONES[i % 7], RHYTHMS[i % 5], 7 + (i * 3) % 13
        prefs: dict[str, object] = {"meal_reminders": i % 4 == 0}
        if i % 6 == 5:
            prefs.update(quiet_start_min=21 * 60, quiet_end_min=9 * 60)
        uid = await add_user(db, f"Person {i}", tz, goal="get stronger", **prefs)
        await seed_rhythm(db, uid, tz, days, hour, MON - timedelta(weeks=6), 6)
        if i % 3 == 0:
            await add_reminder(db, uid, "stretch", "20:30")
        people.append(Person(uid, tz, days, hour, lapses=i % 2 == 1,
                             opt_out_day=2 if i == 7 else None))
    return people


def _events(people: list[Person]) -> list[tuple[datetime, str, Person]]:
    """Workouts (lapsing people stop after their first day), lunches, an opt-out."""
    events = []
    for p in people:
        for offset in range(7):
            day = MON.date() + timedelta(days=offset)
            if day.weekday() in p.days and not (p.lapses and offset > 0):
                events.append((at_local(day, p.hour * 60, p.tz), "workout", p))
            if p.user_id % 2 == 0:
                events.append((at_local(day, 12 * 60 + 30, p.tz), "meal", p))
        if p.opt_out_day is not None:
            events.append((at_local(MON.date() + timedelta(days=p.opt_out_day), 8 * 60, p.tz),
                           "opt_out", p))
    return sorted(events, key=lambda e: e[0])


async def _apply(db: Database, kind: str, p: Person, at: datetime) -> None:
    if kind == "workout":
        await add_workout(db, p.user_id, at)
        await add_inbound(db, p.user_id, at, "did my workout")
    elif kind == "meal":
        await add_meal(db, p.user_id, at)
    else:
        await add_inbound(db, p.user_id, at, "stop messaging me")
        async with db.session() as session:
            await session.execute(update(CoachPreference).where(
                CoachPreference.user_id == p.user_id).values(nudges_enabled=False))


async def test_simulated_week(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'week.db'}")
    try:
        await create_schema(db)
        people = await _setup(db)
        by_id = {p.user_id: p for p in people}
        events = _events(people)
        clock = Clock(MON - timedelta(hours=14))  # Monday has begun nowhere yet
        sent = RecordingDeliverer(clock)
        engine = TickEngine(db, sent, clock, SchedulerSettings(instance_id="week"))
        end = MON + timedelta(days=7, hours=12)
        explained = None
        while clock.now < end:
            while events and events[0][0] <= clock.now:
                at, kind, person = events.pop(0)
                await _apply(db, kind, person, at)
            if clock.now == MON + timedelta(days=3, hours=8):  # Thursday 08:00 UTC
                explained = await preview(db, clock.now)
            await engine.tick()
            clock.advance(minutes=10)
        async with db.session() as session:
            sends = (await session.execute(select(ProactiveSend))).scalars().all()
            audit = (await session.execute(select(ProactiveAudit))).scalars().all()
            prefs = {p.user_id: p for p in (await session.execute(
                select(CoachPreference))).scalars()}
        # Every due message once: one ledger row per delivery, no key twice.
        assert len(sends) == len(sent.deliveries) and all(s.status == "sent" for s in sends)
        assert len({s.key for s in sends}) == len(sends)
        kinds = Counter(s.trigger for s in sends)
        for d in sent.deliveries:
            person, pref = by_id[d.user_id], prefs[d.user_id]
            local = local_now(d.at, person.tz)
            assert not in_quiet(minutes_of(local), pref.quiet_start_min, pref.quiet_end_min)
            assert 8 <= local.hour < 22
        # At most one unsolicited message per person per local day.
        per_day = Counter((s.user_id, s.local_date) for s in sends
                          if s.trigger not in ("reminder", "meal"))
        assert max(per_day.values()) == 1
        # Nothing unsolicited after the opt-out.
        opted = next(p for p in people if p.opt_out_day is not None)
        cutoff = at_local(MON.date() + timedelta(days=2), 8 * 60, opted.tz)
        assert not [s for s in sends if s.user_id == opted.user_id and s.trigger != "reminder"
                    and s.sent_at is not None and s.sent_at.replace(tzinfo=UTC) > cutoff]
        # Lapsing people got a nudge; steady ones did not.
        nudged = {s.user_id for s in sends if s.trigger == "inactivity"}
        assert nudged and nudged <= {p.user_id for p in people if p.lapses}
        start = MON - timedelta(hours=14)
        expected_reminders = sum(
            start - timedelta(hours=2)
            <= at_local(MON.date() + timedelta(days=k), 20 * 60 + 30, p.tz) < end
            for i, p in enumerate(people) if i % 3 == 0 for k in range(-1, 9)
        )
        assert kinds["reminder"] == expected_reminders
        assert kinds["weekly_summary"] >= 15
        # The preview explains every decision.
        assert explained and {r.user_id for r in explained} == set(by_id)
        assert all(r.reason for r in explained)
        reasons = Counter(f"{a.decision}:{a.reason}" for a in audit)
        for d in sent.deliveries[:: max(1, len(sent.deliveries) // 12)]:
            local = local_now(d.at, by_id[d.user_id].tz).strftime("%a %H:%M")
            print(f"  user {d.user_id:>2} {by_id[d.user_id].tz:<19} {local}  {d.text[:80]}")
        print("\nsimulated week:", dict(sorted(kinds.items())), "deliveries", len(sends))
        print("audit:", dict(sorted(reasons.items())))
        print("preview Thu 08:00 UTC:", dict(Counter(f"{r.trigger}:{r.decision}:{r.reason}"
                                                   for r in explained if r.decision != "not_due")))
    finally:
        await db.dispose()
