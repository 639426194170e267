"""Every plan of the profile matrix passes the issue's acceptance rules, deterministically."""

from __future__ import annotations

import json

import pytest

from fitcoach.domain.exercise.catalog import get_exercise_catalog
from fitcoach.domain.plans.audit import audit_plan
from fitcoach.domain.plans.generator import generate_plan
from fitcoach.domain.plans.matrix import EDGE_CASES, profile_matrix
from fitcoach.domain.plans.plan import Plan
from fitcoach.domain.plans.profile import profile_from_mapping
from fitcoach.domain.safety.contraindications import contraindication

MATRIX = profile_matrix()


def test_matrix_is_large_and_covers_every_dimension() -> None:
    assert len(MATRIX) >= 50
    profiles = [profile_from_mapping(data) for _, data in MATRIX]
    assert {p.goal for p in profiles} == {
        "strength", "hypertrophy", "fat_loss", "endurance", "general"
    }
    assert {p.level for p in profiles} == {"beginner", "intermediate", "expert"}
    assert {p.days_per_week for p in profiles} == set(range(1, 8))
    assert {p.sex for p in profiles} == {"male", "female", None}
    assert min(p.age for p in profiles) == 17
    assert max(p.age for p in profiles) == 75


@pytest.mark.parametrize(("label", "data"), MATRIX, ids=[label for label, _ in MATRIX])
def test_every_plan_passes_the_acceptance_rules(label: str, data: dict[str, object]) -> None:
    profile = profile_from_mapping(data)
    plan = generate_plan(profile)
    assert audit_plan(plan) == []
    assert plan.safety["violations"] == []
    catalog = get_exercise_catalog()
    available = set(profile.equipment) | {"body only"}
    for day in plan.workout.days:
        ids = [e.exercise_id for e in day.exercises]
        assert len(ids) == len(set(ids))
        assert day.exercises, day.name
        roles = [e.role for e in day.exercises]
        assert roles == sorted(roles, key=lambda r: r != "compound")  # compounds first
        for item in day.exercises:
            exercise = catalog.get(item.exercise_id)
            assert exercise is not None
            assert exercise.equipment in available
            assert contraindication(exercise, profile.injuries) is None
            assert isinstance(item.sets, int) and isinstance(item.rest_s, int)
    n = plan.nutrition
    floor = 1200 if profile.sex == "female" else 1500
    assert n.kcal >= floor and n.kcal >= n.bmr
    assert 9 * n.fat_g >= 0.2 * n.kcal


def test_generation_is_deterministic() -> None:
    for _, data in MATRIX[::7]:
        first = generate_plan(profile_from_mapping(data)).as_dict()
        second = generate_plan(profile_from_mapping(dict(data))).as_dict()
        assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_plans_round_trip_through_json() -> None:
    for _, data in MATRIX[::11]:
        plan = generate_plan(profile_from_mapping(data))
        again = Plan.from_dict(json.loads(json.dumps(plan.as_dict())))
        assert again.as_dict() == plan.as_dict()


def test_edge_cases_behave_as_documented() -> None:
    plans = {k: generate_plan(profile_from_mapping(v)) for k, v in EDGE_CASES.items()}
    small = plans["45 kg woman, 150 cm, fast loss"].nutrition
    assert small.kcal == 1200 and "kcal_floor" in small.limited_by
    light = plans["45 kg woman wanting fast loss"].nutrition
    assert "low_bmi" in light.limited_by and light.weekly_change_pct >= -0.51
    teen = plans["17-year-old wanting to cut"].nutrition
    assert teen.weekly_change_kg == 0 and "minor" in teen.limited_by
    big = plans["150 kg man, fat loss"].nutrition
    assert big.kcal >= big.bmr
    assert big.protein_g < 1.6 * 150  # protein from an adjusted weight, not 150 kg
    assert plans["unknown injury and sex"].safety["unknown_injuries"] == ["asthma"]
    one_day = plans["1 day, strength, everything hurts"]
    assert len(one_day.workout.days) == 1 and len(one_day.workout.days[0].exercises) >= 3
