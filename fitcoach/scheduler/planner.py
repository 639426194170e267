"""Plans one person's local day: which triggers occur, when, and why the others do not (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fitcoach.scheduler import triggers as t
from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.goals import DEADLINE_MARKS, crossed_milestone, parse_goal
from fitcoach.scheduler.reminder_rules import reminder_occurs_on
from fitcoach.scheduler.rhythm import (
    STREAK_MILESTONES,
    Rhythm,
    days_in_week,
    learn_rhythm,
    training_days,
    week_streak,
)
from fitcoach.scheduler.snapshot import UserSnapshot
from fitcoach.scheduler.timeutil import WEEKDAY_NAMES, at_local, local_midnight, local_now


@dataclass(slots=True)
class Planned:
    """One trigger occurrence: pending work, or skipped at planning time with a reason."""

    user_id: int
    trigger: str
    key: str
    local_date: date
    due_at: datetime
    expires_at: datetime
    unsolicited: bool
    payload: dict[str, Any] = field(default_factory=dict)
    pending_since: datetime | None = None
    status: str = "pending"
    reason: str = ""


@dataclass(slots=True)
class DayPlan:
    """The plan of one local day plus the state to store back."""

    user_id: int
    local_date: date
    planned: list[Planned]
    not_due: list[tuple[str, str]]
    rhythm: Rhythm
    rhythm_on: date | None
    streak_weeks: int
    streak_week: date
    next_plan_at: datetime


def plan_day(person: UserSnapshot, now: datetime, cfg: SchedulerSettings) -> DayPlan:
    """Everything that should happen for this person today (local), at ``now``."""
    today = local_now(now, person.timezone).date()
    rhythm, refreshed = person.rhythm, False
    if person.history is not None:
        rhythm = learn_rhythm(person.history, today, cfg.rhythm_weeks, cfg.rhythm_min_share)
        refreshed = True
    streak, streak_week = _streak(person, rhythm, today, cfg)
    plan = DayPlan(
        person.user_id, today, [], [], rhythm, today if refreshed else person.rhythm_on,
        streak, streak_week,
        local_midnight(today + timedelta(days=1), person.timezone),
    )
    ctx = _Ctx(person, today, cfg, plan)
    for reminder in person.reminders:
        planned = plan_reminder(reminder, person.timezone, today, cfg)
        if planned:
            plan.planned.append(planned)
    _meals(ctx)
    unsolicited = [
        p for p in (
            _milestone(ctx), _prs(ctx), _streak_celebration(ctx), _deadline(ctx),
            _weekly_summary(ctx), _inactivity(ctx),
        ) if p is not None
    ]
    _apply_cap_and_opt_out(person, unsolicited)
    plan.planned += unsolicited
    return plan


@dataclass(slots=True)
class _Ctx:
    person: UserSnapshot
    today: date
    cfg: SchedulerSettings
    plan: DayPlan

    def key(self, trigger: str, *parts: object) -> str:
        return ":".join([str(self.person.user_id), trigger, *map(str, parts)])

    def at(self, minutes: int) -> datetime:
        return at_local(self.today, minutes, self.person.timezone)

    def occurrence(
        self, trigger: str, key: str, due: int, expires: int, **payload: Any
    ) -> Planned:
        return Planned(
            self.person.user_id, trigger, key, self.today, self.at(due), self.at(expires),
            trigger not in t.SOLICITED, payload,
        )

    def skip(self, trigger: str, reason: str) -> None:
        self.plan.not_due.append((trigger, reason))


def plan_reminder(reminder: Any, tz: str, day: date, cfg: SchedulerSettings) -> Planned | None:
    """Today's occurrence of a reminder the person set, if it occurs today."""
    if not reminder.active or not reminder_occurs_on(reminder, day):
        return None
    hour, minute = (int(x) for x in reminder.time_local.split(":"))
    due = hour * 60 + minute
    return Planned(
        reminder.user_id, t.REMINDER, f"{reminder.user_id}:reminder:{reminder.id}:{day}",
        day, at_local(day, due, tz), at_local(day, due, tz) + timedelta(
            minutes=cfg.reminder_grace_min), False,
        {"text": reminder.text, "reminder_id": reminder.id},
    )


def _streak(
    person: UserSnapshot, rhythm: Rhythm, today: date, cfg: SchedulerSettings
) -> tuple[int, date]:
    """Week streak up to last week (incremental; from history after a refresh)."""
    last_monday = today - timedelta(days=today.weekday() + 7)
    per_week = len(rhythm.days) if rhythm.known else 0
    if per_week == 0:
        return 0, last_monday
    if person.streak_week == last_monday:
        return person.streak_weeks, last_monday
    if person.history is not None:
        days = training_days(person.history) | training_days(person.recent)
        return week_streak(days, last_monday, per_week, cfg.rhythm_weeks + 1), last_monday
    met = days_in_week(training_days(person.recent), last_monday,
                       last_monday + timedelta(days=6)) >= per_week
    if person.streak_week == last_monday - timedelta(days=7):
        return (person.streak_weeks + 1 if met else 0), last_monday
    return (1 if met else 0), last_monday


def _inactivity(c: _Ctx) -> Planned | None:
    rhythm, person = c.plan.rhythm, c.person
    yesterday = c.today - timedelta(days=1)
    if not rhythm.known:
        c.skip(t.INACTIVITY, "no training rhythm learned yet")
        return None
    if yesterday.weekday() not in rhythm.days:
        c.skip(t.INACTIVITY, f"yesterday was not a usual training day ({rhythm.label()})")
        return None
    days = training_days(person.recent) | training_days(person.history or [])
    if any(d >= yesterday - timedelta(days=1) for d in days if d < c.today):
        c.skip(t.INACTIVITY, "trained on or just before the usual day")
        return None
    last = max((d for d in days if d < c.today), default=None)
    if last is None:
        c.skip(t.INACTIVITY, "no workout in the recent weeks")
        return None
    lapse_week = (c.today - last).days // 7
    hour = rhythm.hour
    due = c.cfg.nudge_default_min if hour is None else min(
        max((hour - 1) * 60, c.cfg.nudge_earliest_min), c.cfg.nudge_latest_min)
    planned = c.occurrence(
        t.INACTIVITY, c.key(t.INACTIVITY, last, lapse_week), due, c.cfg.nudge_expires_min,
        missed_day=WEEKDAY_NAMES[yesterday.weekday()], last_workout=WEEKDAY_NAMES[last.weekday()],
        last_date=last.isoformat(), days_since=(c.today - last).days, rhythm=rhythm.label(),
    )
    planned.pending_since = local_midnight(c.today, person.timezone)
    return planned


def _meals(c: _Ctx) -> None:
    if not c.person.prefs.meal_reminders:
        c.skip(t.MEAL, "meal reminders not requested")
        return
    for meal, (start, check, expires) in (
        ("lunch", c.cfg.lunch_window), ("dinner", c.cfg.dinner_window)
    ):
        planned = c.occurrence(t.MEAL, c.key(f"meal_{meal}", c.today), check, expires, meal=meal)
        planned.pending_since = c.at(start)
        c.plan.planned.append(planned)


def _weekly_summary(c: _Ctx) -> Planned | None:
    if c.today.weekday() != c.cfg.summary_weekday:
        c.skip(t.WEEKLY_SUMMARY, "not the summary day")
        return None
    if not c.person.recent and not c.person.meals_recently:
        c.skip(t.WEEKLY_SUMMARY, "nothing logged recently")
        return None
    monday = c.today - timedelta(days=c.today.weekday())
    return c.occurrence(
        t.WEEKLY_SUMMARY, c.key(t.WEEKLY_SUMMARY, c.today), c.cfg.summary_min,
        c.cfg.summary_expires_min, week_start=monday.isoformat(),
    )


def _prs(c: _Ctx) -> Planned | None:
    if not c.person.prs:
        c.skip(t.PR, "no personal record yesterday")
        return None
    prs = sorted(c.person.prs, key=lambda p: p.weight_kg - p.previous_kg, reverse=True)
    top = prs[0]
    return c.occurrence(
        t.PR, c.key(t.PR, c.today - timedelta(days=1)), c.cfg.celebrate_min,
        c.cfg.celebrate_expires_min, exercise=top.name, weight_kg=top.weight_kg,
        previous_kg=top.previous_kg, count=len(prs),
        others=", ".join(p.name for p in prs[1:]),
    )


def _streak_celebration(c: _Ctx) -> Planned | None:
    rhythm = c.plan.rhythm
    per_week = len(rhythm.days) if rhythm.known else 0
    yesterday = c.today - timedelta(days=1)
    days = training_days(c.person.recent)
    if per_week == 0 or yesterday not in days:
        c.skip(t.STREAK, "no weekly target reached yesterday")
        return None
    monday = yesterday - timedelta(days=yesterday.weekday())
    if days_in_week(days, monday, yesterday) != per_week or days_in_week(
        days, monday, yesterday - timedelta(days=1)
    ) != per_week - 1:
        c.skip(t.STREAK, "no weekly target reached yesterday")
        return None
    weeks = c.plan.streak_weeks if monday == c.plan.streak_week else c.plan.streak_weeks + 1
    if weeks not in STREAK_MILESTONES:
        c.skip(t.STREAK, f"week streak {weeks} is not a milestone")
        return None
    return c.occurrence(
        t.STREAK, c.key(t.STREAK, monday), c.cfg.celebrate_min, c.cfg.celebrate_expires_min,
        weeks=weeks, per_week=per_week,
    )


def _weight_goal(c: _Ctx) -> tuple[float | None, Any]:
    goal = parse_goal(c.person.goal, c.today)
    return goal.target_kg, goal


def _milestone(c: _Ctx) -> Planned | None:
    target, _ = _weight_goal(c)
    weights = c.person.weights
    if target is None or len(weights) < 2:
        c.skip(t.MILESTONE, "no weight target or too few weigh-ins")
        return None
    (last_at, current), (_, before) = weights[-1], weights[-2]
    if last_at.date() != c.today - timedelta(days=1):
        c.skip(t.MILESTONE, "no weigh-in yesterday")
        return None
    start = weights[0][1]
    mark = crossed_milestone(start, before, current, target)
    if mark is None:
        c.skip(t.MILESTONE, "no new milestone crossed")
        return None
    return c.occurrence(
        t.MILESTONE, c.key(t.MILESTONE, f"{target:g}", mark), c.cfg.celebrate_min,
        c.cfg.celebrate_expires_min, percent=mark, current_kg=current, target_kg=target,
        start_kg=start, remaining_kg=round(abs(target - current), 1),
    )


def _deadline(c: _Ctx) -> Planned | None:
    target, goal = _weight_goal(c)
    if goal.deadline is None:
        c.skip(t.DEADLINE, "no goal deadline")
        return None
    left = (goal.deadline - c.today).days
    if left not in DEADLINE_MARKS:
        c.skip(t.DEADLINE, f"{left} days to the deadline is not a check-in mark")
        return None
    current = c.person.weights[-1][1] if c.person.weights else None
    remaining = round(abs(target - current), 1) if target and current else None
    return c.occurrence(
        t.DEADLINE, c.key(t.DEADLINE, goal.deadline, left), c.cfg.deadline_min,
        c.cfg.celebrate_expires_min, deadline=goal.deadline.strftime("%B %-d"), days_left=left,
        current_kg=current, target_kg=target, remaining_kg=remaining,
    )


def _apply_cap_and_opt_out(person: UserSnapshot, planned: list[Planned]) -> None:
    """Opted out: skip all; otherwise keep the ``daily_cap`` most valuable ones."""
    order = {name: i for i, name in enumerate(t.UNSOLICITED_PRIORITY)}
    planned.sort(key=lambda p: order[p.trigger])
    for index, item in enumerate(planned):
        if not person.prefs.nudges_enabled:
            item.status, item.reason = "skipped", "opted_out"
        elif index >= person.prefs.daily_cap:
            item.status, item.reason = "skipped", "cap_reached"
