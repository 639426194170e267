"""Split, exercise choice, preferences and swaps."""

from __future__ import annotations

from typing import Any

import pytest

from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.plans.profile import profile_from_mapping
from fitcoach.domain.plans.swap import swap_options
from fitcoach.domain.plans.workout import build_workout
from fitcoach.domain.safety.contraindications import is_contraindicated

BASE: dict[str, Any] = {
    "sex": "female", "age": 30, "height_cm": 168, "weight_kg": 63, "goal": "hypertrophy",
    "days_per_week": 3, "session_min": 60, "equipment": ["gym"], "level": "intermediate",
}


def _profile(**changes: Any) -> Any:
    return profile_from_mapping({**BASE, **changes})


@pytest.mark.parametrize(
    ("days", "split"),
    [(1, "full body"), (3, "full body"), (4, "upper/lower"), (6, "push/pull/legs")],
)
def test_split_by_days(days: int, split: str) -> None:
    plan = build_workout(_profile(days_per_week=days))
    assert plan.split == split and len(plan.days) == days
    assert len({d.weekday for d in plan.days}) == days


def test_full_gym_plan_uses_classic_compound_lifts_first() -> None:
    plan = build_workout(_profile(goal="strength", days_per_week=4))
    upper, lower = plan.days[0], plan.days[1]
    assert upper.exercises[0].exercise_id == "Barbell_Bench_Press_-_Medium_Grip"
    assert lower.exercises[0].exercise_id == "Barbell_Squat"
    assert all(e.sets >= 3 and e.rest_s == 180 for e in upper.exercises if e.role == "compound")


def test_beginners_do_fewer_sets_than_experts() -> None:
    beginner = build_workout(_profile(level="beginner")).exercises()
    expert = build_workout(_profile(level="expert")).exercises()
    assert sum(e.sets for e in beginner) / len(beginner) < sum(e.sets for e in expert) / len(
        expert
    )


def test_bodyweight_only_has_no_bar_exercises() -> None:
    plan = build_workout(_profile(equipment=["body only"], days_per_week=6))
    names = [e.name.lower() for e in plan.exercises()]
    assert not any("pull-up" in n or "pullup" in n or "chin" in n for n in names)
    assert all(len(d.exercises) >= 3 for d in plan.days)


def test_likes_rank_first_and_dislikes_are_never_chosen() -> None:
    plan = build_workout(_profile(equipment=["dumbbell"], likes=["hammer curl"],
                                  dislikes=["squat"], days_per_week=3, session_min=90))
    ids = [e.exercise_id for e in plan.exercises()]
    assert "Hammer_Curls" in ids
    assert not any("squat" in e.name.lower() for e in plan.exercises())


def test_swap_alternatives_share_primary_muscles_and_respect_limits() -> None:
    profile = _profile(equipment=["dumbbell", "cable"], injuries=["shoulder"])
    catalog = get_exercise_catalog()
    for exercise_id in ("Dumbbell_Bench_Press", "Lying_Leg_Curls", "Barbell_Squat",
                        "Seated_Cable_Rows"):
        original = catalog.get(exercise_id)
        assert original is not None
        options = swap_options(exercise_id, profile, exclude={"Dumbbell_Flyes"})
        assert options, exercise_id
        for option in options:
            assert set(option.primary_muscles) == set(original.primary_muscles)
            assert option.equipment in {"dumbbell", "cable", "body only"}
            assert not is_contraindicated(option, profile.injuries)
            assert option.id not in {exercise_id, "Dumbbell_Flyes"}


def test_swap_of_unknown_exercise_is_empty() -> None:
    assert swap_options("No_Such_Exercise", _profile()) == []
