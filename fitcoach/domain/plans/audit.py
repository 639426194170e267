"""audit_plan: the issue's acceptance rules, checked independently of the generator.

Used by the test matrix and ``bench/plans_matrix.py``; every rule is re-derived here from the
published numbers, not from the planner's own tables."""

from __future__ import annotations

from collections.abc import Callable

from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.safety.contraindications import contraindication, normalize_name

#: goal -> (sets, reps, rest_s) inclusive ranges every exercise must sit in; RIR 1-3 for all.
DOSE_RANGES: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "strength": ((2, 5), (3, 10), (120, 180)),
    "hypertrophy": ((2, 4), (6, 12), (90, 120)),
    "fat_loss": ((2, 4), (10, 20), (30, 60)),
    "endurance": ((2, 4), (12, 25), (30, 60)),
    "general": ((2, 3), (8, 15), (60, 90)),
}
STRENGTH_COMPOUND = ((3, 5), (3, 6), (180, 180))
_INJURY_WORDS: dict[str, Callable[[str, str, str], bool]] = {
    "knee": lambda name, cat, _: "jump" in name or cat == "plyometrics",
    "lower back": lambda name, _, __: "deadlift" in name or "good morning" in name,
    "shoulder": lambda name, _, kind: kind == "overhead_press" or "behind the neck" in name,
}


def _kind(ex_force: str | None, ex_mech: str | None, muscles: tuple[str, ...]) -> str:
    if ex_force == "push" and ex_mech == "compound" and "shoulders" in muscles:
        return "overhead_press"
    return ""


def audit_plan(plan: Plan) -> list[tuple[str, str]]:
    """(rule, detail) for every broken acceptance rule; empty when the plan is fine."""
    found: list[tuple[str, str]] = []
    found += _audit_workout(plan)
    found += _audit_nutrition(plan)
    return found


def _audit_workout(plan: Plan) -> list[tuple[str, str]]:
    p = plan.profile
    catalog = get_exercise_catalog()
    found: list[tuple[str, str]] = []
    if len(plan.workout.days) != p.days_per_week:
        found.append(("days_count", f"{len(plan.workout.days)} days for {p.days_per_week}"))
    sets_r, reps_r, rest_r = DOSE_RANGES[p.goal]
    available = set(p.equipment) | {"body only"}
    for day in plan.workout.days:
        if not day.exercises:
            found.append(("empty_day", day.name))
        ids = [e.exercise_id for e in day.exercises]
        if len(ids) != len(set(ids)):
            found.append(("duplicate_in_day", day.name))
        for e in day.exercises:
            ex = catalog.get(e.exercise_id)
            if ex is None:
                found.append(("unknown_exercise", e.exercise_id))
                continue
            if ex.equipment not in available:
                found.append(("equipment", f"{ex.id} needs {ex.equipment}"))
            name = normalize_name(ex.name)
            kind = _kind(ex.force, ex.mechanic, ex.primary_muscles)
            if contraindication(ex, p.injuries) is not None:
                found.append(("contraindicated", f"{ex.id} for {p.injuries}"))
            for injury, bad in _INJURY_WORDS.items():
                if injury in p.injuries and bad(name, ex.category, kind):
                    found.append(("contraindicated", f"{ex.id} for {injury}"))
            ranges = (sets_r, reps_r, rest_r)
            if p.goal == "strength" and e.role == "compound":
                ranges = STRENGTH_COMPOUND
                if p.level == "beginner":
                    ranges = ((2, 5), (3, 6), (180, 180))
            (s_lo, s_hi), (r_lo, r_hi), (t_lo, t_hi) = ranges
            if not s_lo <= e.sets <= s_hi:
                found.append(("sets_range", f"{ex.id}: {e.sets}"))
            if not (r_lo <= e.reps_min <= e.reps_max <= r_hi):
                found.append(("reps_range", f"{ex.id}: {e.reps}"))
            if not t_lo <= e.rest_s <= t_hi:
                found.append(("rest_range", f"{ex.id}: {e.rest_s}"))
            if not 1 <= e.rir <= 3:
                found.append(("rir_range", f"{ex.id}: {e.rir}"))
    return found


def _audit_nutrition(plan: Plan) -> list[tuple[str, str]]:
    p, n = plan.profile, plan.nutrition
    found: list[tuple[str, str]] = []
    constant = {"male": 5.0, "female": -161.0}.get(p.sex or "", -78.0)
    bmr = 10 * p.weight_kg + 6.25 * p.height_cm - 5 * p.age + constant
    floor = 1200 if p.sex == "female" else 1500
    if n.kcal < floor:
        found.append(("kcal_floor", f"{n.kcal} < {floor}"))
    if n.kcal < bmr - 0.5:
        found.append(("kcal_below_bmr", f"{n.kcal} < {bmr:.0f}"))
    at25 = 25 * (p.height_cm / 100) ** 2
    ref = p.weight_kg if p.weight_kg <= at25 else at25 + 0.4 * (p.weight_kg - at25)
    if not 1.6 * ref - 1 <= n.protein_g <= 2.2 * ref + 1:
        found.append(("protein_range", f"{n.protein_g} g for {ref:.1f} kg"))
    if 9 * n.fat_g < 0.2 * n.kcal:
        found.append(("fat_min", f"{n.fat_g} g of {n.kcal} kcal"))
    energy = 4 * n.protein_g + 4 * n.carbs_g + 9 * n.fat_g
    if abs(energy - n.kcal) > 0.05 * n.kcal:
        found.append(("macro_energy", f"{energy} vs {n.kcal}"))
    pct = (n.kcal - n.tdee) * 7 / 7700 / p.weight_kg * 100
    if abs(pct) > 1.0 + 0.02:
        found.append(("weekly_change", f"{pct:+.2f} %"))
    if p.goal == "fat_loss" and not n.limited_by and not -1.02 <= pct <= -0.48:
        found.append(("weekly_change", f"fat loss at {pct:+.2f} %/week"))
    if p.goal != "fat_loss" and pct < -0.02:
        found.append(("weekly_change", f"deficit {pct:+.2f} % for goal {p.goal}"))
    return found
