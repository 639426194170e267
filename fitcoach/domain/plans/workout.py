"""Workout plan: a split by training days, catalog exercises per movement slot, and doses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from fitcoach.domain.exercise.catalog import Exercise, get_exercise_catalog
from fitcoach.domain.plans.patterns import (
    PATTERNS,
    SCHEDULES,
    SPLITS,
    TEMPLATES,
    WEEKDAYS,
    Pattern,
)
from fitcoach.domain.plans.prescription import exercise_minutes, prescribe
from fitcoach.domain.plans.profile import PlanProfile
from fitcoach.domain.safety.contraindications import is_contraindicated, normalize_name

TRAINING_CATEGORIES = frozenset({"strength", "powerlifting"})
WARM_UP_MIN = 8
MIN_EXERCISES = 3
MAX_EXERCISES = 8
#: Tried in order when a day's template leaves fewer than MIN_EXERCISES (e.g. no pulling
#: exercise without a bar): the day is still a useful session.
FALLBACK_PATTERNS = ("core", "glute", "hinge", "squat", "hpush", "lateral", "calves", "triceps")
_LEVEL_RANK = {"beginner": 0, "intermediate": 1, "expert": 2}
_EQUIPMENT_RANK = {
    "barbell": 0,
    "dumbbell": 1,
    "kettlebells": 2,
    "e-z curl bar": 2,
    "cable": 3,
    "machine": 3,
    "body only": 4,
    "bands": 5,
}

#: "body only" in the catalog, but they need a bar or parallel bars ("other" equipment).
_NEEDS_BAR = re.compile(
    r"\b(?:pull ?ups?|chin ?ups?|chins|muscle ?ups?|hanging|parallel bar)\b|^dips\b"
)


def effective_equipment(exercise: Exercise) -> str | None:
    """Catalog equipment, stricter where the catalog says body only but a bar is needed."""
    if exercise.equipment == "body only" and _NEEDS_BAR.search(normalize_name(exercise.name)):
        return "other"
    return exercise.equipment


@dataclass(frozen=True, slots=True)
class PlannedExercise:
    """One exercise of a day with its dose; ``load_kg`` is set once logs show a working weight."""

    exercise_id: str
    name: str
    sets: int
    reps_min: int
    reps_max: int
    rest_s: int
    rir: int
    role: str
    primary_muscles: tuple[str, ...]
    equipment: str | None
    load_kg: float | None = None

    @property
    def reps(self) -> str:
        """Rep range text ("6-10")."""
        return f"{self.reps_min}-{self.reps_max}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "exercise_id": self.exercise_id,
            "name": self.name,
            "sets": self.sets,
            "reps": self.reps,
            "reps_min": self.reps_min,
            "reps_max": self.reps_max,
            "rest_s": self.rest_s,
            "rir": self.rir,
            "role": self.role,
            "primary_muscles": list(self.primary_muscles),
            "equipment": self.equipment,
            "load_kg": self.load_kg,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedExercise:
        """Inverse of :meth:`as_dict`."""
        low, _, high = str(data.get("reps", "")).partition("-")
        return cls(
            exercise_id=str(data["exercise_id"]),
            name=str(data.get("name", data["exercise_id"])),
            sets=int(data["sets"]),
            reps_min=int(data.get("reps_min", low or 8)),
            reps_max=int(data.get("reps_max", high or low or 12)),
            rest_s=int(data["rest_s"]),
            rir=int(data.get("rir", 2)),
            role=str(data.get("role", "accessory")),
            primary_muscles=tuple(data.get("primary_muscles") or ()),
            equipment=data.get("equipment"),
            load_kg=data.get("load_kg"),
        )


@dataclass(frozen=True, slots=True)
class PlanDay:
    """One training day."""

    name: str
    weekday: str
    exercises: tuple[PlannedExercise, ...]
    est_min: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "name": self.name,
            "weekday": self.weekday,
            "est_min": self.est_min,
            "exercises": [e.as_dict() for e in self.exercises],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDay:
        """Inverse of :meth:`as_dict`."""
        return cls(
            name=str(data["name"]),
            weekday=str(data.get("weekday", "")),
            exercises=tuple(PlannedExercise.from_dict(e) for e in data.get("exercises", [])),
            est_min=int(data.get("est_min", 0)),
        )


@dataclass(frozen=True, slots=True)
class WorkoutPlan:
    """A week of training."""

    split: str
    days: tuple[PlanDay, ...]
    progression: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "split": self.split,
            "days": [d.as_dict() for d in self.days],
            "progression": list(self.progression),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorkoutPlan:
        """Inverse of :meth:`as_dict`."""
        return cls(
            split=str(data.get("split", "")),
            days=tuple(PlanDay.from_dict(d) for d in data.get("days", [])),
            progression=tuple(data.get("progression") or ()),
        )

    def exercises(self) -> list[PlannedExercise]:
        """Every planned exercise, day by day."""
        return [e for day in self.days for e in day.exercises]


@dataclass(frozen=True, slots=True)
class Preferences:
    """Exercise ids a person likes (ranked first) or dislikes (never chosen)."""

    liked: frozenset[str]
    disliked: frozenset[str]


def preferences(profile: PlanProfile) -> Preferences:
    """Resolve likes/dislikes (names or words) to catalog ids."""
    return Preferences(_matching_ids(profile.likes), _matching_ids(profile.dislikes))


def _matching_ids(phrases: tuple[str, ...]) -> frozenset[str]:
    if not phrases:
        return frozenset()
    catalog = get_exercise_catalog()
    ids: set[str] = set()
    for phrase in phrases:
        key = normalize_name(phrase).rstrip("s")
        if not key:
            continue
        ids.update(e.id for e in catalog.all() if key in normalize_name(e.name))
        result = catalog.search(phrase, limit=1)
        if result.best is not None and not result.ambiguous:
            ids.add(result.best.exercise.id)
    return frozenset(ids)


def allowed(exercise: Exercise, profile: PlanProfile, prefs: Preferences) -> bool:
    """May this exercise appear in the person's plan at all?"""
    return (
        exercise.category in TRAINING_CATEGORIES
        and exercise.equipment is not None
        and effective_equipment(exercise) in profile.available_equipment
        and (profile.level == "expert" or exercise.level != "expert")
        and exercise.id not in prefs.disliked
        and not is_contraindicated(exercise, profile.injuries)
    )


def fits(exercise: Exercise, pattern: Pattern) -> bool:
    """Does the exercise serve the movement slot?"""
    return (
        bool(exercise.primary_muscles)
        and exercise.primary_muscles[0] in pattern.muscles
        and (pattern.force is None or exercise.force == pattern.force)
        and (pattern.mechanic is None or exercise.mechanic == pattern.mechanic)
    )


def rank_key(
    exercise: Exercise, pattern: Pattern, profile: PlanProfile, prefs: Preferences
) -> tuple[int, int, int, int, str]:
    """Liked first, then the pattern's staples, closeness to the person's level, equipment."""
    staple = pattern.staples.index(exercise.id) if exercise.id in pattern.staples else 99
    level_gap = abs(_LEVEL_RANK[exercise.level] - _LEVEL_RANK[profile.level])
    return (
        0 if exercise.id in prefs.liked else 1,
        staple,
        level_gap,
        _EQUIPMENT_RANK.get(exercise.equipment or "", 6),
        exercise.id,
    )


def candidates(pattern: Pattern, profile: PlanProfile, prefs: Preferences) -> list[Exercise]:
    """Allowed exercises for a slot, best first (deterministic)."""
    pool = [
        e for e in get_exercise_catalog().all() if fits(e, pattern) and allowed(e, profile, prefs)
    ]
    return sorted(pool, key=lambda e: rank_key(e, pattern, profile, prefs))


def planned(exercise: Exercise, role: str, profile: PlanProfile) -> PlannedExercise:
    """The exercise with the dose for the person's goal and level."""
    dose = prescribe(profile.goal, profile.level, role)
    return PlannedExercise(
        exercise_id=exercise.id,
        name=exercise.name,
        sets=dose.sets,
        reps_min=dose.reps_min,
        reps_max=dose.reps_max,
        rest_s=dose.rest_s,
        rir=dose.rir,
        role=role,
        primary_muscles=exercise.primary_muscles,
        equipment=exercise.equipment,
    )


def build_day(
    template: str,
    weekday: str,
    profile: PlanProfile,
    prefs: Preferences,
    pool_cache: dict[str, list[Exercise]] | None = None,
) -> PlanDay:
    """Fill a day template within the session time (at least 3 exercises when possible)."""
    chosen: list[PlannedExercise] = []
    used: set[str] = set()
    minutes = float(WARM_UP_MIN)
    pool_cache = {} if pool_cache is None else pool_cache
    for pattern_name, variant in TEMPLATES[template]:
        if len(chosen) >= MAX_EXERCISES:
            break
        pattern = PATTERNS[pattern_name]
        if pattern_name not in pool_cache:
            pool_cache[pattern_name] = candidates(pattern, profile, prefs)
        pool = [e for e in pool_cache[pattern_name] if e.id not in used]
        if not pool:
            continue
        exercise = pool[variant] if variant < len(pool) else pool[0]
        item = planned(exercise, pattern.role, profile)
        cost = exercise_minutes(prescribe(profile.goal, profile.level, pattern.role))
        if len(chosen) >= MIN_EXERCISES and minutes + cost > profile.session_min:
            break
        chosen.append(item)
        used.add(exercise.id)
        minutes += cost
    for pattern_name in FALLBACK_PATTERNS:
        if len(chosen) >= MIN_EXERCISES:
            break
        pattern = PATTERNS[pattern_name]
        if pattern_name not in pool_cache:
            pool_cache[pattern_name] = candidates(pattern, profile, prefs)
        pool = [e for e in pool_cache[pattern_name] if e.id not in used]
        if pool:
            chosen.append(planned(pool[0], pattern.role, profile))
            used.add(pool[0].id)
            minutes += exercise_minutes(prescribe(profile.goal, profile.level, pattern.role))
    chosen.sort(key=lambda e: 0 if e.role == "compound" else 1)
    return PlanDay(name=template, weekday=weekday, exercises=tuple(chosen), est_min=round(minutes))


def build_workout(profile: PlanProfile) -> WorkoutPlan:
    """The week: split by days per week, each day filled from the catalog."""
    split, templates = SPLITS[profile.days_per_week]
    prefs = preferences(profile)
    schedule = SCHEDULES[profile.days_per_week]
    cache: dict[str, list[Exercise]] = {}
    days = tuple(
        build_day(template, WEEKDAYS[schedule[i]], profile, prefs, cache)
        for i, template in enumerate(templates)
    )
    return WorkoutPlan(split=split, days=days, progression=progression_rules(profile))


def progression_rules(profile: PlanProfile) -> tuple[str, ...]:
    """Plain-language progression rules for the goal."""
    rules = [
        "Double progression: when every set reaches the top of the rep range at the target "
        "RIR, add load next session (+2.5 kg upper body, +5 kg lower body; +1-2 kg with "
        "dumbbells or kettlebells); otherwise add a rep or two at the same load.",
        "If you finish below 80 % of the planned reps, or miss sessions, keep or lower the "
        "load and trim a set; after two weeks like that, take a deload week.",
        "Deload every 4-8 weeks or when performance drops two sessions in a row: about half "
        "the sets at ~10 % lighter loads.",
    ]
    if profile.goal == "strength":
        rules.insert(
            0,
            "Main lifts first, fresh; keep 1-3 reps in reserve and stop a set when "
            "technique breaks down.",
        )
    if profile.goal in {"endurance", "fat_loss"}:
        rules.append("Add steps or cardio time gradually, at most ~10 % more per week.")
    return tuple(rules)


def with_exercise(
    plan: WorkoutPlan, day_index: int, position: int, exercise: PlannedExercise
) -> WorkoutPlan:
    """A copy of the plan with one exercise replaced."""
    day = plan.days[day_index]
    items = list(day.exercises)
    items[position] = exercise
    days = list(plan.days)
    days[day_index] = replace(day, exercises=tuple(items))
    return replace(plan, days=tuple(days))
