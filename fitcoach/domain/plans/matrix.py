"""A deterministic matrix of test profiles: goals x levels x equipment x injuries x people."""

from __future__ import annotations

from itertools import product
from typing import Any

from fitcoach.domain.plans.profile import GOALS, LEVELS

EQUIPMENT_SETS: dict[str, list[str]] = {
    "full gym": ["barbell", "dumbbell", "cable", "machine", "e-z curl bar", "other"],
    "dumbbells only": ["dumbbell"],
    "bodyweight only": ["body only"],
    "kettlebells + bands": ["kettlebells", "bands"],
}
INJURY_SETS: dict[str, list[str]] = {
    "none": [],
    "knee": ["knee"],
    "lower back": ["lower back"],
    "shoulder + wrist": ["shoulder", "wrist"],
}
PEOPLE: list[dict[str, Any]] = [
    {"sex": "female", "age": 30, "height_cm": 165, "weight_kg": 62},
    {"sex": "male", "age": 35, "height_cm": 180, "weight_kg": 85},
    {"sex": "female", "age": 52, "height_cm": 158, "weight_kg": 78},
    {"sex": "male", "age": 24, "height_cm": 172, "weight_kg": 68},
    {"sex": "male", "age": 17, "height_cm": 176, "weight_kg": 70},
    {"sex": "female", "age": 75, "height_cm": 160, "weight_kg": 64},
    {"sex": "male", "age": 45, "height_cm": 185, "weight_kg": 150},
    {"sex": None, "age": 40, "height_cm": 170, "weight_kg": 72},
]
SESSIONS = (30, 45, 60, 75, 90)

#: Named edge cases from the issue.
EDGE_CASES: dict[str, dict[str, Any]] = {
    "45 kg woman wanting fast loss": {
        "sex": "female", "age": 28, "height_cm": 155, "weight_kg": 45, "goal": "fat_loss",
        "pace": "fast", "days_per_week": 5, "session_min": 45, "equipment": ["dumbbell"],
        "level": "beginner", "injuries": [],
    },
    "45 kg woman, 150 cm, fast loss": {
        "sex": "female", "age": 28, "height_cm": 150, "weight_kg": 45, "goal": "fat_loss",
        "pace": "fast", "days_per_week": 3, "session_min": 45, "equipment": ["body only"],
        "level": "beginner", "injuries": [],
    },
    "150 kg man, fat loss": {
        "sex": "male", "age": 40, "height_cm": 182, "weight_kg": 150, "goal": "fat_loss",
        "pace": "fast", "days_per_week": 3, "session_min": 60, "equipment": ["machine", "cable"],
        "level": "beginner", "injuries": ["knee", "lower back"],
    },
    "17-year-old wanting to cut": {
        "sex": "male", "age": 17, "height_cm": 178, "weight_kg": 82, "goal": "fat_loss",
        "days_per_week": 4, "session_min": 60, "equipment": ["barbell", "dumbbell"],
        "level": "beginner", "injuries": [],
    },
    "75-year-old, bands": {
        "sex": "female", "age": 75, "height_cm": 160, "weight_kg": 62, "goal": "general",
        "days_per_week": 2, "session_min": 40, "equipment": ["bands"], "level": "beginner",
        "injuries": ["knee", "wrist"],
    },
    "bodyweight only, 7 days": {
        "sex": "male", "age": 29, "height_cm": 175, "weight_kg": 70, "goal": "endurance",
        "days_per_week": 7, "session_min": 30, "equipment": [], "level": "intermediate",
        "injuries": ["ankle"],
    },
    "dumbbells only, expert hypertrophy": {
        "sex": "female", "age": 33, "height_cm": 170, "weight_kg": 66, "goal": "hypertrophy",
        "days_per_week": 6, "session_min": 75, "equipment": ["dumbbell"], "level": "expert",
        "injuries": ["elbow"], "likes": ["hammer curl"], "dislikes": ["lunges"],
    },
    "1 day, strength, everything hurts": {
        "sex": "male", "age": 60, "height_cm": 175, "weight_kg": 90, "goal": "strength",
        "days_per_week": 1, "session_min": 90, "equipment": ["barbell", "dumbbell", "machine"],
        "level": "intermediate", "injuries": ["knee", "lower back", "shoulder", "wrist", "hip"],
    },
    "unknown injury and sex": {
        "sex": "other", "age": 38, "height_cm": 168, "weight_kg": 59, "goal": "fat_loss",
        "days_per_week": 3, "session_min": 45, "equipment": ["kettlebells"],
        "level": "intermediate", "injuries": ["asthma"],
    },
}


def profile_matrix() -> list[tuple[str, dict[str, Any]]]:
    """(label, profile mapping) for every combination plus the edge cases; deterministic."""
    rows: list[tuple[str, dict[str, Any]]] = []
    combos = product(GOALS, LEVELS, EQUIPMENT_SETS.items(), INJURY_SETS.items())
    for index, (goal, level, (eq_name, eq), (inj_name, inj)) in enumerate(combos):
        person = PEOPLE[index % len(PEOPLE)]
        profile = {
            **person,
            "goal": goal,
            "level": level,
            "equipment": eq,
            "injuries": inj,
            "days_per_week": index % 7 + 1,
            "session_min": SESSIONS[index % len(SESSIONS)],
            "pace": ("slow", "moderate", "fast")[index % 3],
        }
        label = f"{goal}/{level}/{eq_name}/{inj_name}/{person['sex']}-{person['age']}"
        rows.append((label, profile))
    rows.extend(EDGE_CASES.items())
    return rows
