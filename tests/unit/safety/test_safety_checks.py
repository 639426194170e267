"""check_nutrition_targets and check_plan catch and correct unsafe numbers and exercises."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fitcoach.domain.plans.generator import generate_plan
from fitcoach.domain.plans.profile import profile_from_mapping
from fitcoach.domain.plans.workout import PlannedExercise
from fitcoach.domain.safety.nutrition_checks import check_nutrition_targets
from fitcoach.domain.safety.plan_checks import check_plan

WOMAN: dict[str, Any] = {
    "sex": "female", "age": 30, "height_cm": 165, "weight_kg": 70, "goal": "fat_loss",
    "days_per_week": 3, "session_min": 60, "equipment": ["dumbbell"], "level": "beginner",
    "injuries": ["knee"],
}


def _rules(check: Any) -> set[str]:
    return {v.rule for v in check.violations}


def test_model_proposed_crash_diet_is_corrected() -> None:
    profile = profile_from_mapping(WOMAN)
    check = check_nutrition_targets(profile, kcal=900, protein_g=60, carbs_g=80, fat_g=10)
    assert {"kcal_floor", "weekly_change", "protein_range", "fat_min"} <= _rules(check)
    fixed = check.corrected
    assert fixed["kcal"] >= 1200
    fixed_check = check_nutrition_targets(profile, **fixed)
    assert fixed_check.ok, fixed_check.violations


def test_bmr_floor_for_men() -> None:
    man = profile_from_mapping({**WOMAN, "sex": "male", "weight_kg": 100, "height_cm": 185})
    check = check_nutrition_targets(man, kcal=1600, protein_g=180)
    assert "kcal_below_bmr" in _rules(check)


def test_no_deficit_for_a_teenager() -> None:
    teen = profile_from_mapping({**WOMAN, "age": 16})
    assert "no_deficit" in _rules(check_nutrition_targets(teen, kcal=1500, protein_g=120))


def test_sound_targets_pass() -> None:
    plan = generate_plan(profile_from_mapping(WOMAN))
    n = plan.nutrition
    assert check_nutrition_targets(plan.profile, n.kcal, n.protein_g, n.carbs_g, n.fat_g).ok


def test_check_plan_replaces_unsafe_and_unavailable_exercises() -> None:
    plan = generate_plan(profile_from_mapping(WOMAN))
    day = plan.workout.days[0]
    first = day.exercises[0]
    jump = replace(first, exercise_id="Freehand_Jump_Squat", name="Freehand Jump Squat")
    barbell = replace(first, exercise_id="Barbell_Bench_Press_-_Medium_Grip", name="Bench",
                      primary_muscles=("chest",), equipment="barbell")
    bogus = replace(first, exercise_id="Made_Up_Lift", name="Made up")
    duplicate = day.exercises[1]
    heavy = replace(day.exercises[2], sets=12, rest_s=5)
    items = (jump, barbell, bogus, duplicate, duplicate, heavy)
    bad_day = replace(day, exercises=items)
    bad = replace(plan, workout=replace(plan.workout, days=(bad_day, *plan.workout.days[1:])))
    check = check_plan(bad.as_dict())
    assert {"contraindicated", "equipment", "unknown_exercise", "duplicate_in_day",
            "sets_range", "rest_range"} <= _rules(check)
    fixed = check.corrected
    again = check_plan(fixed)
    assert again.ok, again.violations
    ids = [e.exercise_id for e in fixed.workout.days[0].exercises]
    assert "Freehand_Jump_Squat" not in ids and "Made_Up_Lift" not in ids
    assert len(ids) == len(set(ids))


def test_generated_plans_need_no_correction() -> None:
    plan = generate_plan(profile_from_mapping(WOMAN))
    assert check_plan(plan).ok
    assert isinstance(plan.workout.days[0].exercises[0], PlannedExercise)
