"""Plausibility limits for logged values: impossible numbers are questioned, never logged."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LOAD_KG = 600.0  # above every raw powerlifting record
MAX_REPS_PER_SET = 300
MAX_SETS = 40
MAX_SESSION_MIN = 24 * 60
MAX_ITEM_GRAMS = 3000.0
BODY_WEIGHT_KG = (25.0, 350.0)
HEIGHT_CM = (100.0, 250.0)
MAX_SPEED_KMH = {"run": 25.0, "walk": 12.0, "cycle": 80.0, "swim": 8.0}


@dataclass(frozen=True, slots=True)
class Problem:
    """A value that cannot be right, with a friendly explanation."""

    field: str
    message: str


def check_strength(
    name: str, sets: int, reps: tuple[int, ...], weight_kg: float | None
) -> list[Problem]:
    """Problems with one strength entry."""
    problems: list[Problem] = []
    if weight_kg is not None and not 0 <= weight_kg <= MAX_LOAD_KG:
        problems.append(
            Problem(
                "weight_kg",
                f"{weight_kg:g} kg on {name} is beyond any human "
                f"record (max {MAX_LOAD_KG:g} kg). Was it a typo?",
            )
        )
    if not 1 <= sets <= MAX_SETS:
        problems.append(Problem("sets", f"{sets} sets of {name} looks off. How many sets was it?"))
    if any(not 1 <= r <= MAX_REPS_PER_SET for r in reps):
        problems.append(
            Problem(
                "reps",
                f"The reps for {name} ({', '.join(map(str, reps))}) "
                "look off. How many reps per set?",
            )
        )
    return problems


def check_cardio(kind: str, duration_min: float | None, distance_km: float | None) -> list[Problem]:
    """Problems with one cardio entry."""
    problems: list[Problem] = []
    if duration_min is not None and not 0 < duration_min <= MAX_SESSION_MIN:
        problems.append(
            Problem(
                "duration_min",
                f"{duration_min / 60:.1f} hours of {kind} in one "
                "go is more than a day. How long was it?",
            )
        )
    if distance_km is not None and distance_km <= 0:
        problems.append(Problem("distance_km", "The distance must be more than zero."))
    limit = MAX_SPEED_KMH.get(kind)
    if limit and duration_min and distance_km and duration_min > 0:
        speed = distance_km / (duration_min / 60)
        if speed > limit:
            problems.append(
                Problem(
                    "speed",
                    f"{distance_km:g} km in {duration_min:g} min is "
                    f"{speed:.0f} km/h, too fast for {kind}. Check the numbers?",
                )
            )
    return problems


def check_grams(name: str, grams: float) -> list[Problem]:
    """Problems with one food portion."""
    if grams <= 0:
        return [Problem("grams", f"The amount of {name} must be more than zero.")]
    if grams > MAX_ITEM_GRAMS:
        return [
            Problem(
                "grams",
                f"{grams:g} g of {name} in one sitting is a lot. Was that the right amount?",
            )
        ]
    return []


def check_body_weight(weight_kg: float) -> list[Problem]:
    """Problems with a body-weight entry."""
    low, high = BODY_WEIGHT_KG
    if not low <= weight_kg <= high:
        return [
            Problem(
                "weight_kg",
                f"{weight_kg:g} kg is outside a plausible adult body weight "
                f"({low:g}–{high:g} kg). Could you check it?",
            )
        ]
    return []


def check_height(height_cm: float) -> list[Problem]:
    """Problems with a height."""
    low, high = HEIGHT_CM
    if not low <= height_cm <= high:
        return [
            Problem(
                "height_cm", f"{height_cm:g} cm is outside {low:g}–{high:g} cm. Could you check it?"
            )
        ]
    return []
