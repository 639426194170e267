"""generate_plan(profile): workout + nutrition + notes, passed through the safety layer."""

from __future__ import annotations

from dataclasses import replace

from fitcoach.domain.plans.nutrition import nutrition_targets
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.plans.profile import PlanProfile
from fitcoach.domain.plans.workout import MIN_EXERCISES, WorkoutPlan, build_workout
from fitcoach.domain.safety.contraindications import load_contraindications, resolve_injuries
from fitcoach.domain.safety.plan_checks import check_plan

CARE_NOTE = (
    "Your wellbeing comes first: this plan has no calorie deficit and no weigh-ins. If food or "
    "body image feels hard, a doctor or an eating-disorder service can help."
)


def generate_plan(profile: PlanProfile) -> Plan:
    """A deterministic, safety-checked plan for the profile."""
    workout = build_workout(profile)
    nutrition = nutrition_targets(profile)
    notes = plan_notes(profile, workout) + list(nutrition.notes)
    draft = Plan(profile=profile, workout=workout, nutrition=nutrition, notes=tuple(notes))
    check = check_plan(draft, profile)
    known, unknown = resolve_injuries(profile.injuries)
    safety = {
        "checked": True,
        "violations": [v.as_dict() for v in check.violations],
        "corrected": not check.ok,
        "injuries": known,
        "unknown_injuries": unknown,
        "kcal_floor": nutrition.kcal_floor,
        "limited_by": list(nutrition.limited_by),
        "care_mode": profile.care_mode,
    }
    return replace(check.corrected, safety=safety)


def plan_notes(profile: PlanProfile, workout: WorkoutPlan) -> list[str]:
    """Why the plan looks the way it does, and what to watch for."""
    notes = [
        f"{profile.days_per_week} day(s) a week -> {workout.split} split; compound lifts "
        "first, then accessories.",
        "Warm up 5-10 min and do 1-2 lighter sets before the first lift of the day.",
    ]
    table = load_contraindications()
    known, unknown = resolve_injuries(profile.injuries)
    for injury in known:
        entry = table[injury]
        notes.append(f"Avoided for your {injury}: {entry.reason.split(': ', 1)[-1]}.")
        if entry.advice:
            notes.append(entry.advice)
    for phrase in unknown:
        notes.append(f"I have no exercise rules for “{phrase}”: ask a physiotherapist which "
                     "movements to avoid, and stop anything that hurts.")
    if profile.level == "beginner" and profile.days_per_week >= 5:
        notes.append("As a beginner, 3-4 days a week usually bring the same progress with "
                     "better recovery.")
    for day in workout.days:
        if len(day.exercises) < MIN_EXERCISES:
            notes.append(f"{day.name}: only {len(day.exercises)} exercise(s) fit your "
                         "equipment and limitations; more equipment would round it out.")
        elif day.est_min > profile.session_min + 5:
            notes.append(f"{day.name} takes about {day.est_min} min; trim the last accessory "
                         "if you are short of time.")
    if profile.goal in {"fat_loss", "endurance", "general"}:
        notes.append("Add 150-300 min a week of moderate cardio (brisk walking, cycling), as "
                     "the WHO recommends; build up gradually.")
    if profile.age < 18:
        notes.append("Under 18: learn technique with light loads, ideally with a qualified "
                     "coach; no maximal lifts.")
    if profile.age >= 65:
        notes.append("65+: include balance work (e.g. single-leg stands) and check with your "
                     "doctor before starting if you have a heart or joint condition.")
    if profile.care_mode:
        notes.append(CARE_NOTE)
    elif profile.goal in {"fat_loss", "hypertrophy"}:
        notes.append("Weigh in 2-3 mornings a week and judge the weekly average, not one day.")
    return notes
