"""The contraindication table: aliases, and the exercises it rules out."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.safety.contraindications import (
    canonical_injury,
    is_contraindicated,
    load_contraindications,
    resolve_injuries,
)


def test_table_loads_with_the_issue_injuries() -> None:
    assert {"knee", "lower back", "shoulder", "wrist"} <= set(load_contraindications())


@pytest.mark.parametrize(
    ("phrase", "injury"),
    [("knees", "knee"), ("bad left knee", "knee"), ("lower back pain", "lower back"),
     ("rotator cuff", "shoulder"), ("carpal tunnel", "wrist"), ("asthma", None)],
)
def test_aliases(phrase: str, injury: str | None) -> None:
    assert canonical_injury(phrase) == injury


def test_unknown_injuries_are_reported() -> None:
    assert resolve_injuries(["knee", "asthma", "Knees"]) == (["knee"], ["asthma"])


@pytest.mark.parametrize(
    ("exercise_id", "injury", "bad"),
    [
        ("Freehand_Jump_Squat", "knee", True),
        ("Barbell_Full_Squat", "knee", True),
        ("Leg_Press", "knee", False),
        ("Barbell_Deadlift", "lower back", True),
        ("Good_Morning", "lower back", True),
        ("Seated_Cable_Rows", "lower back", False),
        ("Standing_Military_Press", "shoulder", True),
        ("Standing_Barbell_Press_Behind_Neck", "shoulder", True),
        ("Dumbbell_Shoulder_Press", "shoulder", True),
        ("Seated_Cable_Rows", "shoulder", False),
        ("Pushups", "wrist", True),
        ("Leg_Press", "wrist", False),
    ],
)
def test_rules(exercise_id: str, injury: str, bad: bool) -> None:
    exercise = get_exercise_catalog().get(exercise_id)
    assert exercise is not None
    assert is_contraindicated(exercise, [injury]) is bad


def test_no_plyometrics_with_a_knee_injury() -> None:
    plyo = [e for e in get_exercise_catalog().all() if e.category == "plyometrics"]
    assert plyo and all(is_contraindicated(e, ["knee"]) for e in plyo)
