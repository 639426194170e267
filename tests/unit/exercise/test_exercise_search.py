"""Exercise catalog search: slang, plurals, typos, equipment steering, data integrity."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.aliases import MOVEMENTS
from fitcoach.domain.exercise.catalog import (
    CONFIDENCE_THRESHOLD,
    ExerciseCatalog,
    get_exercise_catalog,
)


@pytest.fixture(scope="module")
def catalog() -> ExerciseCatalog:
    return get_exercise_catalog()


def test_catalog_loads_all_entries(catalog: ExerciseCatalog) -> None:
    assert len(catalog.all()) == 873
    ex = catalog.get("Barbell_Bench_Press_-_Medium_Grip")
    assert ex is not None
    assert ex.equipment == "barbell"
    assert "chest" in ex.primary_muscles
    assert catalog.get("nope") is None


def test_every_alias_target_exists(catalog: ExerciseCatalog) -> None:
    missing = [
        eid for _, variants in MOVEMENTS for eid in variants.values() if catalog.get(eid) is None
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("bench", "Barbell_Bench_Press_-_Medium_Grip"),
        ("squat", "Barbell_Full_Squat"),
        ("deadlift", "Barbell_Deadlift"),
        ("curl", "Barbell_Curl"),
        ("pushups", "Pushups"),
        ("pull ups", "Pullups"),
        ("pull-ups", "Pullups"),
        ("ohp", "Standing_Military_Press"),
        ("rdl", "Romanian_Deadlift"),
        ("chins", "Chin-Up"),
        ("skull crushers", "EZ-Bar_Skullcrusher"),
        ("lat pulldown", "Wide-Grip_Lat_Pulldown"),
        ("hip thrust", "Barbell_Hip_Thrust"),
        ("face pulls", "Face_Pull"),
        ("kb swings", "One-Arm_Kettlebell_Swings"),
    ],
)
def test_slang_and_defaults(catalog: ExerciseCatalog, query: str, expected: str) -> None:
    res = catalog.search(query)
    assert res.best is not None
    assert res.best.exercise.id == expected
    assert not res.ambiguous


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("db bench", "Dumbbell_Bench_Press"),
        ("dumbbell bench press", "Dumbbell_Bench_Press"),
        ("db curls", "Dumbbell_Bicep_Curl"),
        ("cable row", "Seated_Cable_Rows"),
        ("smith squat", "Smith_Machine_Squat"),
        ("ez bar curl", "EZ-Bar_Curl"),
    ],
)
def test_equipment_steers_variant(catalog: ExerciseCatalog, query: str, expected: str) -> None:
    best = catalog.search(query).best
    assert best is not None and best.exercise.id == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("bech press", "Barbell_Bench_Press_-_Medium_Grip"), ("deadlfit", "Barbell_Deadlift")],
)
def test_typos(catalog: ExerciseCatalog, query: str, expected: str) -> None:
    best = catalog.search(query).best
    assert best is not None and best.exercise.id == expected


@pytest.mark.parametrize("query", ["hello", "banana", "how am i doing", "20 kg dumbbells", ""])
def test_non_exercise_is_not_confident(catalog: ExerciseCatalog, query: str) -> None:
    res = catalog.search(query)
    assert res.confidence < CONFIDENCE_THRESHOLD
    assert res.ambiguous


def test_scores_ranked_and_bounded(catalog: ExerciseCatalog) -> None:
    res = catalog.search("incline dumbbell press", limit=5)
    scores = [m.score for m in res.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)
    assert 0.0 <= res.confidence <= 1.0
    assert len(res.matches) <= 5
