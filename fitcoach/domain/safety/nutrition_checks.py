"""Deterministic limits on any energy/macro numbers, whoever proposed them (planner or model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fitcoach.domain.plans.nutrition import (
    ACTIVITY_FACTORS,
    KCAL_FLOOR,
    KCAL_PER_KG,
    MIN_FAT_FRACTION,
    activity_level,
    bmr_mifflin,
    kcal_floor,
    macros,
    protein_bounds_g,
)
from fitcoach.domain.plans.profile import PlanProfile
from fitcoach.domain.safety.violations import Violation

MAX_WEEKLY_CHANGE_PCT = 1.0
MACRO_ENERGY_TOLERANCE = 0.10
DEFICIT_TOLERANCE_KCAL = 50


@dataclass(frozen=True, slots=True)
class NutritionCheck:
    """Violations found and the nearest safe targets."""

    violations: tuple[Violation, ...]
    corrected: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing had to change."""
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "ok": self.ok,
            "violations": [v.as_dict() for v in self.violations],
            "corrected": self.corrected,
        }


def tdee(profile: PlanProfile) -> float:
    """Maintenance energy for the profile (Mifflin-St Jeor x activity factor)."""
    bmr = bmr_mifflin(profile.sex, profile.weight_kg, profile.height_cm, profile.age)
    return bmr * ACTIVITY_FACTORS[activity_level(profile)]


def deficit_blocked(profile: PlanProfile) -> str | None:
    """Why no deficit may be planned for this person, or None."""
    if profile.care_mode:
        return "a care concern was raised"
    if profile.age < 18:
        return "under 18"
    if profile.bmi < 18.5:
        return f"BMI {profile.bmi:.1f} is underweight"
    return None


def check_nutrition_targets(
    profile: PlanProfile,
    kcal: float,
    protein_g: float,
    carbs_g: float | None = None,
    fat_g: float | None = None,
) -> NutritionCheck:
    """Check daily targets against floors, the weekly-change band and macro ranges."""
    found: list[Violation] = []
    maintenance = tdee(profile)
    floor = kcal_floor(profile)
    fixed_kcal = float(kcal)
    if kcal < floor:
        sex_floor = KCAL_FLOOR[profile.sex]
        rule = "kcal_floor" if kcal < sex_floor else "kcal_below_bmr"
        bmr = bmr_mifflin(profile.sex, profile.weight_kg, profile.height_cm, profile.age)
        found.append(Violation(rule, f"{kcal:.0f} kcal is below the minimum {floor} kcal "
                                     f"(floor {sex_floor}, BMR {bmr:.0f})."))
        fixed_kcal = floor
    blocked = deficit_blocked(profile)
    if blocked and fixed_kcal < maintenance - DEFICIT_TOLERANCE_KCAL:
        found.append(Violation("no_deficit", f"No calorie deficit: {blocked}."))
        fixed_kcal = max(fixed_kcal, maintenance)
    limit_kcal = MAX_WEEKLY_CHANGE_PCT / 100 * profile.weight_kg * KCAL_PER_KG / 7
    change = kcal - maintenance
    too_fast_loss = change < -limit_kcal - 1
    too_fast_gain = change > limit_kcal + 1 and kcal > floor
    if too_fast_loss or too_fast_gain:
        pct = change * 7 / KCAL_PER_KG / profile.weight_kg * 100
        found.append(Violation("weekly_change", f"{pct:+.2f} % body weight per week is beyond "
                                                f"±{MAX_WEEKLY_CHANGE_PCT:g} %."))
        if too_fast_loss:
            fixed_kcal = max(fixed_kcal, maintenance - limit_kcal, floor)
        else:
            fixed_kcal = max(floor, min(fixed_kcal, maintenance + limit_kcal))
    kcal_int = max(floor, round(fixed_kcal))
    low, high = protein_bounds_g(profile)
    if not low - 0.5 <= protein_g <= high + 0.5:
        found.append(Violation("protein_range", f"Protein {protein_g:.0f} g is outside "
                                                f"{low}-{high} g (1.6-2.2 g/kg)."))
    if fat_g is not None and 9 * fat_g < MIN_FAT_FRACTION * kcal - 1:
        found.append(Violation("fat_min", f"Fat {fat_g:.0f} g is under 20 % of energy."))
    if carbs_g is not None and fat_g is not None:
        total = 4 * protein_g + 4 * carbs_g + 9 * fat_g
        if abs(total - kcal) > MACRO_ENERGY_TOLERANCE * kcal:
            found.append(Violation("macro_energy", f"Macros add up to {total:.0f} kcal, "
                                                   f"not {kcal:.0f}."))
    protein_fix, fat_fix, carbs_fix = macros(profile, kcal_int)
    if low <= protein_g <= high and not found:
        protein_fix = round(protein_g)
    corrected = {"kcal": kcal_int, "protein_g": protein_fix, "carbs_g": carbs_fix,
                 "fat_g": fat_fix}
    if not found:
        corrected = {
            "kcal": round(kcal),
            "protein_g": round(protein_g),
            "carbs_g": round(carbs_g) if carbs_g is not None else carbs_fix,
            "fat_g": round(fat_g) if fat_g is not None else fat_fix,
        }
    return NutritionCheck(tuple(found), corrected)
