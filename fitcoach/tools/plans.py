"""Plan tools: get_plan, todays_workout, swap_exercise, nutrition_targets, adjust_plan.

The person comes only from ``runtime.context``; plans are stored as versions (PlanStore)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.plans.adaptation import LoggedSet, adapt_workout
from fitcoach.domain.plans.generator import generate_plan
from fitcoach.domain.plans.patterns import SCHEDULES, WEEKDAYS
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.plans.profile import FULL_GYM, ProfileError, profile_from_mapping
from fitcoach.domain.plans.swap import swap_options
from fitcoach.domain.plans.workout import PlanDay, WorkoutPlan
from fitcoach.domain.safety.contraindications import normalize_name
from fitcoach.domain.safety.plan_checks import check_plan
from fitcoach.storage.plans import PlanStore, StoredPlan
from fitcoach.storage.repositories import Journal, Profiles
from fitcoach.tools.runtime import (
    ToolServices,
    encode,
    local_day_bounds,
    trusted_context,
    write_once,
    zone,
)

Goal = Literal["strength", "hypertrophy", "fat_loss", "endurance", "general"]
Level = Literal["beginner", "intermediate", "expert"]
_PROFILE_ARGS = (
    "goal",
    "days_per_week",
    "session_min",
    "equipment",
    "level",
    "injuries",
    "likes",
    "dislikes",
)
_NO_PLAN = "You don't have a plan yet. Shall I make one? Tell me your goal and days per week."


def make_plan_tools(services: ToolServices) -> list[BaseTool]:
    """Every plan tool bound to the given services."""
    return [
        make_get_plan(services),
        make_todays_workout(services),
        make_swap_exercise(services),
        make_nutrition_targets(services),
        make_adjust_plan(services),
    ]


def make_get_plan(services: ToolServices) -> BaseTool:
    """Build the get_plan tool."""

    @tool
    async def get_plan(
        runtime: ToolRuntime[CoachContext, Any],
        goal: Goal | None = None,
        days_per_week: int | None = None,
        session_min: int | None = None,
        equipment: list[str] | None = None,
        level: Level | None = None,
        injuries: list[str] | None = None,
        likes: list[str] | None = None,
        dislikes: list[str] | None = None,
        regenerate: bool = False,
    ) -> str:
        """Show the person's training and nutrition plan, or make a new one.

        Pass only what they said: goal, training days per week (1-7), minutes per session,
        equipment they have (e.g. ["dumbbell", "bands"] or ["gym"]), level, injuries or
        limitations (e.g. ["knee"]), exercises they like or dislike. With no arguments the
        current plan is shown; regenerate=true builds a fresh one from the profile.
        """
        context = trusted_context(runtime)
        given = {
            k: v
            for k, v in {
                "goal": goal,
                "days_per_week": days_per_week,
                "session_min": session_min,
                "equipment": equipment,
                "level": level,
                "injuries": injuries,
                "likes": likes,
                "dislikes": dislikes,
            }.items()
            if v is not None
        }

        if not given and not regenerate:
            # Showing the plan writes nothing: no effect to record.
            async with services.database.session() as session:
                shown = await PlanStore(session, context.user_id).latest()
            if shown is not None:
                return encode("get_plan", "current", **_plan_view(shown))

        async def make_plan(session: AsyncSession) -> str:
            user = await Profiles(session, context.user_id).get()
            store = PlanStore(session, context.user_id)
            current = await store.latest()
            base: dict[str, Any] = dict(current.plan.get("profile", {})) if current else {}
            assumed = [] if current else _defaults(base, user.goal, set(given))
            base.update(
                {
                    "sex": user.sex or base.get("sex"),
                    "height_cm": user.height_cm or base.get("height_cm"),
                    "weight_kg": user.weight_kg or base.get("weight_kg"),
                }
            )
            if user.birth_year:
                base["birth_year"] = user.birth_year
                base.pop("age", None)
            base.update(given)
            missing = [k for k in ("height_cm", "weight_kg") if not base.get(k)]
            if not base.get("age") and not base.get("birth_year"):
                missing.insert(0, "birth_year")
            if missing:
                return _ask_profile(missing)
            try:
                profile = profile_from_mapping(base, this_year=services.clock().year)
            except ProfileError as error:
                return encode(
                    "get_plan",
                    "needs_clarification",
                    reason="invalid",
                    field=error.field,
                    question=f"{error} Could you check it?",
                )
            plan = generate_plan(profile)
            diff = _profile_diff(current.plan.get("profile", {}) if current else {}, base)
            reason = "new plan" if current is None else "updated: " + (diff or "regenerated")
            stored = await store.add(plan.as_dict(), reason=reason, diff=diff)
            return encode("get_plan", "created", assumed=assumed, **_plan_view(stored))

        return await write_once(services.database, context.user_id, make_plan)

    return get_plan


def make_todays_workout(services: ToolServices) -> BaseTool:
    """Build the todays_workout tool."""

    @tool
    async def todays_workout(runtime: ToolRuntime[CoachContext, Any]) -> str:
        """Today's session from the person's plan (or the next one when today is a rest day)."""
        context = trusted_context(runtime)
        async with services.database.session() as session:
            current = await PlanStore(session, context.user_id).latest()
        if current is None:
            return encode("todays_workout", "no_plan", message=_NO_PLAN)
        workout = WorkoutPlan.from_dict(current.plan["workout"])
        today = services.clock().astimezone(zone(context.timezone)).weekday()
        for offset in range(7):
            weekday = WEEKDAYS[(today + offset) % 7]
            day = next((d for d in workout.days if d.weekday == weekday), None)
            if day is not None:
                status = "training_day" if offset == 0 else "rest_day"
                return encode(
                    "todays_workout",
                    status,
                    weekday=WEEKDAYS[today],
                    next_in_days=offset,
                    day=_day_view(day),
                    version=current.version,
                )
        return encode("todays_workout", "no_plan", message=_NO_PLAN)

    return todays_workout


def make_swap_exercise(services: ToolServices) -> BaseTool:
    """Build the swap_exercise tool."""

    @tool
    async def swap_exercise(
        exercise: str,
        runtime: ToolRuntime[CoachContext, Any],
        replace_with: str | None = None,
    ) -> str:
        """Offer alternatives for an exercise in the plan (same muscles, equipment the person
        has, safe for their injuries). With replace_with (an option's id or name) the plan
        is updated."""
        context = trusted_context(runtime)

        async def swap(session: AsyncSession) -> str:
            store = PlanStore(session, context.user_id)
            current = await store.latest()
            if current is None:
                return encode("swap_exercise", "no_plan", message=_NO_PLAN)
            plan = Plan.from_dict(current.plan)
            target = _find_in_plan(plan.workout, exercise)
            if target is None:
                return encode(
                    "swap_exercise",
                    "needs_clarification",
                    reason="not_in_plan",
                    question=f"“{exercise}” isn't in your plan. Which exercise should I swap?",
                    options=[
                        {"id": e.exercise_id, "name": e.name}
                        for e in _unique(plan.workout)[:6]
                    ],
                )
            same_day = {
                e.exercise_id
                for d in plan.workout.days
                if any(x.exercise_id == target for x in d.exercises)
                for e in d.exercises
            }
            options = swap_options(target, plan.profile, exclude=same_day, limit=5)
            name = get_exercise_catalog().get(target)
            original = name.name if name else target
            if replace_with is None:
                return encode(
                    "swap_exercise",
                    "options",
                    exercise_id=target,
                    name=original,
                    options=[
                        {"id": o.id, "name": o.name, "equipment": o.equipment} for o in options
                    ],
                )
            chosen = _pick(options, replace_with)
            if chosen is None:
                return encode(
                    "swap_exercise",
                    "needs_clarification",
                    reason="unknown_option",
                    question=f"Which alternative for {original} would you like?",
                    options=[{"id": o.id, "name": o.name} for o in options],
                )
            workout = _replace_everywhere(plan.workout, target, chosen.id)
            checked = check_plan(replace(plan, workout=workout), plan.profile).corrected
            stored = await store.add(
                checked.as_dict(),
                reason=f"swap {original} -> {chosen.name}",
                diff=f"{target} -> {chosen.id}",
                kind="swap",
            )
            return encode(
                "swap_exercise",
                "swapped",
                exercise_id=target,
                name=original,
                new_exercise_id=chosen.id,
                new_name=chosen.name,
                version=stored.version,
            )

        return await write_once(services.database, context.user_id, swap)

    return swap_exercise


def make_nutrition_targets(services: ToolServices) -> BaseTool:
    """Build the nutrition_targets tool."""

    @tool
    async def nutrition_targets(runtime: ToolRuntime[CoachContext, Any]) -> str:
        """Daily calorie and macro targets from the plan, and what was logged today."""
        context = trusted_context(runtime)
        async with services.database.session() as session:
            current = await PlanStore(session, context.user_id).latest()
            if current is None:
                return encode("nutrition_targets", "no_plan", message=_NO_PLAN)
            start, end = local_day_bounds(services.clock(), context.timezone)
            eaten = (await Journal(session, context.user_id).summary(start, end)).as_dict()
        targets = current.plan["nutrition"]
        keys = ("kcal", "protein_g", "carbs_g", "fat_g")
        care = bool(current.plan.get("safety", {}).get("care_mode"))
        return encode(
            "nutrition_targets",
            "ok",
            targets={k: targets[k] for k in (*keys, "bmr", "tdee", "weekly_change_kg")},
            eaten={k: eaten[k] for k in keys},
            remaining={k: round(targets[k] - eaten[k]) for k in keys},
            care_mode=care,
            notes=list(targets.get("notes", [])),
        )

    return nutrition_targets


def make_adjust_plan(services: ToolServices) -> BaseTool:
    """Build the adjust_plan tool."""

    @tool
    async def adjust_plan(runtime: ToolRuntime[CoachContext, Any]) -> str:
        """Adapt the plan to the workouts logged since it was made: add load when targets are
        met, trim volume or deload when sets fall short or sessions are missed."""
        context = trusted_context(runtime)

        async def adjust(session: AsyncSession) -> str:
            store = PlanStore(session, context.user_id)
            current = await store.latest()
            if current is None:
                return encode("adjust_plan", "no_plan", message=_NO_PLAN)
            rows = await store.logged_sets(current.created_at)
            plan = Plan.from_dict(current.plan)
            tz = zone(context.timezone)
            planned = _planned_sessions(
                current.created_at.astimezone(tz).date(),
                services.clock().astimezone(tz).date(),
                plan.profile.days_per_week,
            )
            logs = [
                LoggedSet(r.exercise_id, r.reps, r.weight_kg, str(r.workout_id)) for r in rows
            ]
            adaptation = adapt_workout(
                plan.workout,
                logs,
                sessions_done=len({r.workout_id for r in rows}),
                planned_sessions=planned,
            )
            if not adaptation.changes:
                return encode(
                    "adjust_plan", "unchanged", logged_sets=len(rows), planned_sessions=planned
                )
            checked = check_plan(replace(plan, workout=adaptation.workout), plan.profile)
            stored = await store.add(
                checked.corrected.as_dict(),
                reason=adaptation.summary,
                diff="\n".join(f"{c.name}: {c.before} -> {c.after} ({c.reason})"
                               for c in adaptation.changes),
                kind="adapted",
            )
            return encode(
                "adjust_plan",
                "adjusted",
                version=stored.version,
                changes=[c.as_dict() for c in adaptation.changes],
            )

        return await write_once(services.database, context.user_id, adjust)

    return adjust_plan


def _defaults(base: dict[str, Any], goal_text: str | None, given: set[str]) -> list[str]:
    """Fill defaults for a first plan; returns what was assumed (not said, not stored)."""
    defaults = {
        "goal": goal_text or "general",
        "days_per_week": 3,
        "session_min": 60,
        "equipment": list(FULL_GYM),
        "level": "beginner",
    }
    for key, value in defaults.items():
        base.setdefault(key, value)
    return [k for k in defaults if k not in given and (k != "goal" or not goal_text)]


def _ask_profile(missing: list[str]) -> str:
    labels = {"birth_year": "age", "height_cm": "height", "weight_kg": "weight"}
    wanted = ", ".join(labels[m] for m in missing)
    return encode(
        "get_plan",
        "needs_clarification",
        reason="missing_profile",
        missing=[labels[m] for m in missing],
        question=f"To build your plan I need your {wanted}. "
        "For example: “I'm 34, 178 cm, 82 kg”.",
    )


def _profile_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    parts = []
    for key in _PROFILE_ARGS:
        if key in after and before.get(key) != after.get(key):
            parts.append(f"{key}: {before.get(key)!r} -> {after.get(key)!r}")
    return "; ".join(parts)


def _day_view(day: PlanDay) -> dict[str, Any]:
    return {
        "name": day.name,
        "weekday": day.weekday,
        "est_min": day.est_min,
        "exercises": [
            {
                "exercise_id": e.exercise_id,
                "name": e.name,
                "sets": e.sets,
                "reps": e.reps,
                "rest_s": e.rest_s,
                "rir": e.rir,
                "load_kg": e.load_kg,
            }
            for e in day.exercises
        ],
    }


def _plan_view(stored: StoredPlan) -> dict[str, Any]:
    plan = stored.plan
    workout = plan["workout"]
    return {
        "version": stored.version,
        "reason": stored.reason,
        "split": workout.get("split"),
        "days": [_day_view(PlanDay.from_dict(d)) for d in workout["days"]],
        "progression": workout.get("progression", []),
        "nutrition": {
            k: plan["nutrition"][k]
            for k in ("kcal", "protein_g", "carbs_g", "fat_g", "bmr", "tdee", "weekly_change_kg")
        },
        "notes": plan.get("notes", []),
        "safety": plan.get("safety", {}),
        "profile": plan.get("profile", {}),
    }


def _unique(workout: WorkoutPlan) -> list[Any]:
    seen: dict[str, Any] = {}
    for e in workout.exercises():
        seen.setdefault(e.exercise_id, e)
    return list(seen.values())


def _find_in_plan(workout: WorkoutPlan, text: str) -> str | None:
    """The plan's exercise id meant by an id, a name or a catalog search."""
    items = _unique(workout)
    ids = {e.exercise_id for e in items}
    if text in ids:
        return text
    key = normalize_name(text)
    for e in items:
        if key and (key == normalize_name(e.name) or key in normalize_name(e.name)):
            return str(e.exercise_id)
    result = get_exercise_catalog().search(text, limit=5)
    for match in result.matches:
        if match.exercise.id in ids:
            return match.exercise.id
    return None


def _pick(options: list[Any], text: str) -> Any | None:
    key = normalize_name(text)
    for index, option in enumerate(options, start=1):
        if text in {option.id, str(index)} or key == normalize_name(option.name):
            return option
    for option in options:
        if key and key in normalize_name(option.name):
            return option
    return None


def _replace_everywhere(workout: WorkoutPlan, old: str, new: str) -> WorkoutPlan:
    exercise = get_exercise_catalog().get(new)
    assert exercise is not None
    days = []
    for day in workout.days:
        items = tuple(
            replace(
                e,
                exercise_id=exercise.id,
                name=exercise.name,
                equipment=exercise.equipment,
                primary_muscles=exercise.primary_muscles,
                load_kg=None,
            )
            if e.exercise_id == old
            else e
            for e in day.exercises
        )
        days.append(replace(day, exercises=items))
    return replace(workout, days=tuple(days))


def _planned_sessions(start: date, end: date, days_per_week: int) -> int:
    """Scheduled training days from ``start`` up to, not including, ``end`` (today)."""
    schedule = set(SCHEDULES[days_per_week])
    count = 0
    day = start
    while day < end:
        count += day.weekday() in schedule
        day += timedelta(days=1)
    return count
