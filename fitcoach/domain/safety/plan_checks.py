"""check_plan: every plan (generated, adapted or proposed by a model) passes these rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.plans.prescription import GOAL_LIMITS
from fitcoach.domain.plans.profile import PlanProfile
from fitcoach.domain.plans.swap import swap_options
from fitcoach.domain.plans.workout import (
    PlannedExercise,
    Preferences,
    WorkoutPlan,
    effective_equipment,
    preferences,
)
from fitcoach.domain.safety.contraindications import contraindication
from fitcoach.domain.safety.nutrition_checks import check_nutrition_targets
from fitcoach.domain.safety.violations import Violation

REPS_LIMITS = (1, 30)
REST_LIMITS = (30, 300)
RIR_LIMITS = (0, 5)
MAX_DAYS = 7


@dataclass(frozen=True, slots=True)
class PlanCheck:
    """Violations found and a corrected plan (the same plan when nothing was wrong)."""

    violations: tuple[Violation, ...]
    corrected: Plan

    @property
    def ok(self) -> bool:
        """True when the plan needed no change."""
        return not self.violations


def check_plan(plan: Plan | dict[str, Any], profile: PlanProfile | None = None) -> PlanCheck:
    """Check equipment, contraindications, catalog ids, duplicates, doses and nutrition."""
    if isinstance(plan, dict):
        plan = Plan.from_dict(plan)
    profile = profile or plan.profile
    found: list[Violation] = []
    workout = _check_workout(plan.workout, profile, found)
    n = plan.nutrition
    nutrition_check = check_nutrition_targets(profile, n.kcal, n.protein_g, n.carbs_g, n.fat_g)
    found.extend(nutrition_check.violations)
    nutrition = n
    if not nutrition_check.ok:
        c = nutrition_check.corrected
        nutrition = replace(
            n, kcal=c["kcal"], protein_g=c["protein_g"], carbs_g=c["carbs_g"], fat_g=c["fat_g"]
        )
    return PlanCheck(tuple(found), replace(plan, workout=workout, nutrition=nutrition))


def _check_workout(
    workout: WorkoutPlan, profile: PlanProfile, found: list[Violation]
) -> WorkoutPlan:
    days = list(workout.days)
    if len(days) > MAX_DAYS:
        found.append(Violation("days_count", f"{len(days)} training days; at most {MAX_DAYS}."))
        days = days[:MAX_DAYS]
    prefs = preferences(profile)
    fixed_days = []
    for day in days:
        items: list[PlannedExercise] = []
        for item in day.exercises:
            where = f"{day.name}: {item.name}"
            kept = _check_exercise(item, profile, prefs, {i.exercise_id for i in items}, where,
                                   found)
            if kept is not None:
                items.append(_check_dose(kept, profile, where, found))
        if not items:
            found.append(Violation("empty_day", f"{day.name} has no exercises.", day.name))
        fixed_days.append(replace(day, exercises=tuple(items)))
    return replace(workout, days=tuple(fixed_days))


def _check_exercise(
    item: PlannedExercise,
    profile: PlanProfile,
    prefs: Preferences,
    day_ids: set[str],
    where: str,
    found: list[Violation],
) -> PlannedExercise | None:
    exercise = get_exercise_catalog().get(item.exercise_id)
    if exercise is None:
        found.append(Violation("unknown_exercise", f"{item.exercise_id} is not in the catalog.",
                               where))
        return None
    if item.exercise_id in day_ids:
        found.append(Violation("duplicate_in_day", f"{exercise.name} appears twice.", where))
        return None
    problem = None
    reason = contraindication(exercise, profile.injuries)
    if reason is not None:
        problem = Violation("contraindicated", f"{exercise.name}: {reason}.", where)
    elif effective_equipment(exercise) not in profile.available_equipment:
        needs = effective_equipment(exercise)
        problem = Violation("equipment", f"{exercise.name} needs {needs}.", where)
    if problem is None:
        return item
    found.append(problem)
    options = swap_options(exercise.id, profile, exclude=day_ids, limit=1, prefs=prefs)
    if not options:
        return None
    alt = options[0]
    return replace(item, exercise_id=alt.id, name=alt.name, equipment=alt.equipment,
                   primary_muscles=alt.primary_muscles, load_kg=None)


def _check_dose(
    item: PlannedExercise, profile: PlanProfile, where: str, found: list[Violation]
) -> PlannedExercise:
    limits = GOAL_LIMITS[profile.goal]
    sets = _clamp(item.sets, (1, limits["sets"][1]), "sets_range", "sets", where, found)
    reps_min = _clamp(item.reps_min, REPS_LIMITS, "reps_range", "reps", where, found)
    reps_max = _clamp(item.reps_max, (reps_min, REPS_LIMITS[1]), "reps_range", "reps", where,
                      found)
    rest = _clamp(item.rest_s, REST_LIMITS, "rest_range", "rest", where, found)
    rir = _clamp(item.rir, RIR_LIMITS, "rir_range", "RIR", where, found)
    return replace(item, sets=sets, reps_min=reps_min, reps_max=reps_max, rest_s=rest, rir=rir)


def _clamp(
    value: int, limits: tuple[int, int], rule: str, label: str, where: str,
    found: list[Violation],
) -> int:
    low, high = limits
    if low <= value <= high:
        return value
    found.append(Violation(rule, f"{label} {value} is outside {low}-{high}.", where))
    return min(high, max(low, value))
