"""Swap an exercise: same primary muscles, available equipment, not contraindicated."""

from __future__ import annotations

from collections.abc import Iterable

from fitcoach.domain.exercise.catalog import Exercise, get_exercise_catalog
from fitcoach.domain.plans.patterns import PATTERNS
from fitcoach.domain.plans.profile import PlanProfile
from fitcoach.domain.plans.workout import Preferences, allowed, preferences

_STAPLES = {i for p in PATTERNS.values() for i in p.staples}
_LEVEL_RANK = {"beginner": 0, "intermediate": 1, "expert": 2}


def swap_options(
    exercise_id: str,
    profile: PlanProfile,
    *,
    exclude: Iterable[str] = (),
    limit: int = 5,
    prefs: Preferences | None = None,
) -> list[Exercise]:
    """Alternatives for an exercise, best first; empty when it is unknown or none fit."""
    catalog = get_exercise_catalog()
    original = catalog.get(exercise_id)
    if original is None:
        return []
    prefs = prefs or preferences(profile)
    skip = {exercise_id, *exclude}
    muscles = set(original.primary_muscles)
    pool = [
        e
        for e in catalog.all()
        if e.id not in skip and set(e.primary_muscles) == muscles and allowed(e, profile, prefs)
    ]

    def key(e: Exercise) -> tuple[int, int, int, int, int, int, str]:
        return (
            0 if e.id in prefs.liked else 1,
            0 if e.mechanic == original.mechanic else 1,
            0 if e.force == original.force else 1,
            0 if e.id in _STAPLES else 1,
            0 if e.equipment != original.equipment else 1,
            abs(_LEVEL_RANK[e.level] - _LEVEL_RANK[profile.level]),
            e.id,
        )

    return sorted(pool, key=key)[:limit]
