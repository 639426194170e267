"""PlanProfile: the normalised, validated inputs of a plan (from a file, the chat or storage)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

GOALS = ("strength", "hypertrophy", "fat_loss", "endurance", "general")
LEVELS = ("beginner", "intermediate", "expert")
PACES = ("slow", "moderate", "fast")

#: Catalog equipment values a person can have (``body only`` is always available).
EQUIPMENT = (
    "barbell",
    "dumbbell",
    "body only",
    "cable",
    "machine",
    "kettlebells",
    "bands",
    "medicine ball",
    "exercise ball",
    "e-z curl bar",
    "foam roll",
    "other",
)
FULL_GYM = ("barbell", "dumbbell", "cable", "machine", "e-z curl bar", "body only", "other")

_GOAL_WORDS: tuple[tuple[str, str], ...] = (
    ("hypertroph", "hypertrophy"),
    ("muscle", "hypertrophy"),
    ("bulk", "hypertrophy"),
    ("size", "hypertrophy"),
    ("strength", "strength"),
    ("strong", "strength"),
    ("powerlift", "strength"),
    ("fat", "fat_loss"),
    ("lose", "fat_loss"),
    ("loss", "fat_loss"),
    ("cut", "fat_loss"),
    ("lean", "fat_loss"),
    ("slim", "fat_loss"),
    ("endurance", "endurance"),
    ("marathon", "endurance"),
    ("run", "endurance"),
    ("stamina", "endurance"),
    ("cardio", "endurance"),
    ("general", "general"),
    ("health", "general"),
    ("fit", "general"),
    ("maintain", "general"),
)
_EQUIPMENT_WORDS: dict[str, tuple[str, ...]] = {
    "gym": FULL_GYM,
    "full gym": FULL_GYM,
    "commercial gym": FULL_GYM,
    "bodyweight": ("body only",),
    "body weight": ("body only",),
    "none": ("body only",),
    "nothing": ("body only",),
    "no equipment": ("body only",),
    "dumbbells": ("dumbbell",),
    "barbells": ("barbell",),
    "kettlebell": ("kettlebells",),
    "band": ("bands",),
    "resistance bands": ("bands",),
    "cables": ("cable",),
    "machines": ("machine",),
    "ez bar": ("e-z curl bar",),
    "ez curl bar": ("e-z curl bar",),
    "pull-up bar": ("other",),
    "pull up bar": ("other",),
    "swiss ball": ("exercise ball",),
    "stability ball": ("exercise ball",),
}
_LEVEL_WORDS = {"novice": "beginner", "advanced": "expert", "intermediate": "intermediate"}


class ProfileError(ValueError):
    """A profile value that is missing or out of range; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True, slots=True)
class PlanProfile:
    """Everything a plan depends on. Same profile -> same plan."""

    sex: str | None
    age: int
    height_cm: float
    weight_kg: float
    goal: str = "general"
    days_per_week: int = 3
    session_min: int = 60
    equipment: tuple[str, ...] = FULL_GYM
    level: str = "beginner"
    injuries: tuple[str, ...] = ()
    likes: tuple[str, ...] = ()
    dislikes: tuple[str, ...] = ()
    pace: str = "moderate"
    activity_level: str | None = None
    care_mode: bool = False
    extras: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def available_equipment(self) -> frozenset[str]:
        """Equipment values usable in this plan (body only is always available)."""
        return frozenset((*self.equipment, "body only"))

    @property
    def bmi(self) -> float:
        """Body-mass index (kg/m²)."""
        return self.weight_kg / (self.height_cm / 100) ** 2

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (lists instead of tuples)."""
        data = asdict(self)
        data.pop("extras")
        for key in ("equipment", "injuries", "likes", "dislikes"):
            data[key] = list(data[key])
        return data


def normalize_goal(text: str | None) -> str:
    """Map free text ("lose weight", "build muscle") to one of :data:`GOALS`."""
    if not text:
        return "general"
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in GOALS:
        return key
    low = text.lower()
    for word, goal in _GOAL_WORDS:
        if word in low:
            return goal
    return "general"


def normalize_equipment(items: Any) -> tuple[str, ...]:
    """Catalog equipment values from free words; unknown words are ignored."""
    if items is None:
        return FULL_GYM
    if isinstance(items, str):
        items = [part for part in re.split(r"[,;/]| and ", items) if part.strip()]
    found: list[str] = []
    for raw in items:
        word = str(raw).strip().lower()
        values = (word,) if word in EQUIPMENT else _EQUIPMENT_WORDS.get(word, ())
        if not values and word.endswith("s") and word[:-1] in EQUIPMENT:
            values = (word[:-1],)
        for value in values:
            if value not in found:
                found.append(value)
    return tuple(sorted(found)) if found else ("body only",)


def normalize_level(text: str | None) -> str:
    """beginner / intermediate / expert."""
    if not text:
        return "beginner"
    word = text.strip().lower()
    if word in LEVELS:
        return word
    return _LEVEL_WORDS.get(word, "beginner")


def normalize_sex(text: str | None) -> str | None:
    """male / female / None (unknown or other)."""
    if not text:
        return None
    word = text.strip().lower()
    if word in {"m", "male", "man"}:
        return "male"
    if word in {"f", "female", "woman"}:
        return "female"
    return None


def _words(items: Any) -> tuple[str, ...]:
    if not items:
        return ()
    if isinstance(items, str):
        items = items.split(",")
    return tuple(sorted({str(i).strip().lower() for i in items if str(i).strip()}))


def _number(
    data: Mapping[str, Any], name: str, low: float, high: float, default: float | None = None
) -> float:
    value = data.get(name, default)
    if value is None:
        value = default
    if value is None or value == "":
        raise ProfileError(name, f"{name} is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ProfileError(name, f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise ProfileError(name, f"{name} must be within {low:g}–{high:g}, got {number:g}")
    return number


def profile_from_mapping(data: Mapping[str, Any], *, this_year: int | None = None) -> PlanProfile:
    """Build and validate a profile from a loose mapping (file, chat or stored plan)."""
    if data.get("age") is None and data.get("birth_year") is not None and this_year:
        data = {**data, "age": this_year - int(data["birth_year"])}
    age = int(_number(data, "age", 13, 100))
    days = int(_number(data, "days_per_week", 1, 7, default=3))
    session = int(_number(data, "session_min", 15, 180, default=60))
    pace = str(data.get("pace") or "moderate").lower()
    return PlanProfile(
        sex=normalize_sex(data.get("sex")),
        age=age,
        height_cm=_number(data, "height_cm", 120, 230),
        weight_kg=_number(data, "weight_kg", 30, 300),
        goal=normalize_goal(data.get("goal")),
        days_per_week=days,
        session_min=session,
        equipment=normalize_equipment(data.get("equipment")),
        level=normalize_level(data.get("level")),
        injuries=_words(data.get("injuries") or data.get("limitations")),
        likes=_words(data.get("likes")),
        dislikes=_words(data.get("dislikes")),
        pace=pace if pace in PACES else "moderate",
        activity_level=data.get("activity_level"),
        care_mode=bool(data.get("care_mode", False)),
    )
