"""Energy and macro targets: Mifflin-St Jeor BMR x activity -> TDEE, goal adjustment, macros.

Rules (sources in docs/plans.md): loss 0.5-1 % of body weight a week at ~7,700 kcal/kg; lean
gain +0.25 %/week; protein 1.6-2.2 g/kg (of an adjusted weight above BMI 25); fat >= 20 % of
energy (25 % chosen); carbs the rest; never below 1,200 kcal (women) / 1,500 kcal (men) or BMR.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from fitcoach.domain.plans.profile import PlanProfile

KCAL_PER_KG = 7700.0
ACTIVITY_FACTORS = {
    "sedentary": 1.2,
    "light": 1.375,
    "moderate": 1.55,
    "active": 1.725,
    "very_active": 1.9,
}
KCAL_FLOOR = {"female": 1200, "male": 1500, None: 1500}
PROTEIN_RANGE_G_PER_KG = (1.6, 2.2)
MIN_FAT_FRACTION = 0.20
FAT_FRACTION = 0.25
LOSS_RATE_PCT = {"slow": 0.5, "moderate": 0.75, "fast": 1.0}
SLOW_LOSS_PCT = 0.5
LOW_NORMAL_BMI = 20.0
GAIN_RATE_PCT = 0.25
MIN_CARBS_G = 50
_PROTEIN_BY_GOAL = {
    "fat_loss": 2.0,
    "strength": 1.8,
    "hypertrophy": 1.8,
    "endurance": 1.6,
    "general": 1.6,
}


@dataclass(frozen=True, slots=True)
class NutritionTargets:
    """Daily targets with how they were derived."""

    kcal: int
    protein_g: int
    carbs_g: int
    fat_g: int
    bmr: int
    tdee: int
    activity_level: str
    activity_factor: float
    weekly_change_kg: float
    weekly_change_pct: float
    protein_reference_kg: float
    kcal_floor: int
    limited_by: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        data = asdict(self)
        data["limited_by"] = list(self.limited_by)
        data["notes"] = list(self.notes)
        return data


def bmr_mifflin(sex: str | None, weight_kg: float, height_cm: float, age: int) -> float:
    """Mifflin-St Jeor resting energy (kcal/day); unknown sex uses the midpoint constant."""
    constant = {"male": 5.0, "female": -161.0}.get(sex or "", -78.0)
    return 10.0 * weight_kg + 6.25 * height_cm - 5.0 * age + constant


def activity_level(profile: PlanProfile) -> str:
    """Explicit level, else from training days (1-3 light, 4-5 moderate, 6-7 active)."""
    if profile.activity_level in ACTIVITY_FACTORS:
        return str(profile.activity_level)
    days = profile.days_per_week
    level = "light" if days <= 3 else "moderate" if days <= 5 else "active"
    if profile.session_min < 30 and level != "light":
        level = "light" if level == "moderate" else "moderate"
    return level


def kcal_floor(profile: PlanProfile) -> int:
    """The lowest daily energy we ever suggest: the sex floor or BMR, whichever is higher."""
    bmr = bmr_mifflin(profile.sex, profile.weight_kg, profile.height_cm, profile.age)
    return max(KCAL_FLOOR[profile.sex], math.ceil(bmr))


def protein_reference_kg(profile: PlanProfile) -> float:
    """Body weight used for protein: actual up to BMI 25, above it 40 % of the excess counts."""
    at_bmi25 = 25.0 * (profile.height_cm / 100) ** 2
    if profile.weight_kg <= at_bmi25:
        return round(profile.weight_kg, 1)
    return round(at_bmi25 + 0.4 * (profile.weight_kg - at_bmi25), 1)


def planned_rate_pct(profile: PlanProfile) -> tuple[float, list[str], list[str]]:
    """Weekly change as % of body weight (negative = loss), with limits and notes."""
    limited: list[str] = []
    notes: list[str] = []
    if profile.goal == "fat_loss":
        blockers = []
        if profile.care_mode:
            blockers.append("care_mode")
        if profile.age < 18:
            blockers.append("minor")
            notes.append(
                "Under 18: no calorie deficit; growth needs the energy. Focus on "
                "training habits and food quality, and talk to a doctor or parent."
            )
        if profile.bmi < 18.5:
            blockers.append("underweight")
            notes.append(
                f"BMI {profile.bmi:.1f} is below 18.5, so I won't plan weight loss. "
                "Please talk to a doctor or dietitian about your goal."
            )
        if blockers:
            return 0.0, blockers, notes
        rate = LOSS_RATE_PCT[profile.pace]
        if profile.age >= 65 and rate > SLOW_LOSS_PCT:
            rate = SLOW_LOSS_PCT
            limited.append("older_adult")
            notes.append("65+: loss kept at 0.5 %/week to protect muscle and bone.")
        if profile.bmi < LOW_NORMAL_BMI and rate > SLOW_LOSS_PCT:
            rate = SLOW_LOSS_PCT
            limited.append("low_bmi")
            notes.append(f"BMI {profile.bmi:.1f} is already at the low end of healthy, so loss "
                         "is kept slow (0.5 %/week); a doctor can help set a safe goal weight.")
        return -rate, limited, notes
    if profile.goal == "hypertrophy":
        if profile.bmi >= 30 or profile.care_mode:
            notes.append(
                "Eating at maintenance: with training you can build muscle without "
                "a surplus (recomposition)."
            )
            return 0.0, ["recomposition"], notes
        return GAIN_RATE_PCT, limited, notes
    return 0.0, limited, notes


def nutrition_targets(profile: PlanProfile) -> NutritionTargets:
    """Daily kcal and macros for a profile, within every floor and range."""
    bmr = bmr_mifflin(profile.sex, profile.weight_kg, profile.height_cm, profile.age)
    level = activity_level(profile)
    factor = ACTIVITY_FACTORS[level]
    tdee = bmr * factor
    rate, limited, notes = planned_rate_pct(profile)
    change_kg = rate / 100 * profile.weight_kg
    kcal = tdee + change_kg * KCAL_PER_KG / 7
    floor = kcal_floor(profile)
    if kcal < floor:
        limited.append("bmr" if math.ceil(bmr) >= KCAL_FLOOR[profile.sex] else "kcal_floor")
        notes.append(
            f"Energy held at {floor} kcal, the minimum I suggest without medical "
            "supervision; the loss will be slower than planned."
        )
        kcal = float(floor)
    kcal_int = max(floor, round(kcal))
    protein, fat, carbs = macros(profile, kcal_int)
    weekly_kg = (kcal_int - tdee) * 7 / KCAL_PER_KG
    return NutritionTargets(
        kcal=kcal_int,
        protein_g=protein,
        carbs_g=carbs,
        fat_g=fat,
        bmr=round(bmr),
        tdee=round(tdee),
        activity_level=level,
        activity_factor=factor,
        weekly_change_kg=round(weekly_kg, 2),
        weekly_change_pct=round(weekly_kg / profile.weight_kg * 100, 2),
        protein_reference_kg=protein_reference_kg(profile),
        kcal_floor=floor,
        limited_by=tuple(limited),
        notes=tuple(notes),
    )


def protein_bounds_g(profile: PlanProfile) -> tuple[int, int]:
    """Whole-gram protein range (1.6-2.2 g/kg of the reference weight)."""
    ref = protein_reference_kg(profile)
    low, high = PROTEIN_RANGE_G_PER_KG
    return math.ceil(low * ref), math.floor(high * ref)


def macros(profile: PlanProfile, kcal: int) -> tuple[int, int, int]:
    """(protein_g, fat_g, carbs_g) for a day of ``kcal``."""
    low, high = protein_bounds_g(profile)
    per_kg = _PROTEIN_BY_GOAL[profile.goal]
    if profile.age >= 65:
        per_kg = max(per_kg, 1.8)
    protein = min(high, max(low, round(per_kg * protein_reference_kg(profile))))
    fat = max(math.ceil(MIN_FAT_FRACTION * kcal / 9), round(FAT_FRACTION * kcal / 9))
    carbs = (kcal - 4 * protein - 9 * fat) // 4
    if carbs < MIN_CARBS_G:
        protein = max(low, protein - math.ceil((MIN_CARBS_G - carbs) * 4 / 4))
        carbs = max(0, (kcal - 4 * protein - 9 * fat) // 4)
    return protein, fat, int(carbs)
