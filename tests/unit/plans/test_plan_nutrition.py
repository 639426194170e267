"""Mifflin-St Jeor, activity, goal adjustment, floors and macros."""

from __future__ import annotations

from typing import Any

import pytest

from fitcoach.domain.plans.nutrition import bmr_mifflin, nutrition_targets
from fitcoach.domain.plans.profile import ProfileError, profile_from_mapping

BASE: dict[str, Any] = {
    "sex": "male", "age": 30, "height_cm": 180, "weight_kg": 80, "goal": "general",
    "days_per_week": 3, "session_min": 60, "equipment": ["dumbbell"], "level": "beginner",
}


def _targets(**changes: Any) -> Any:
    return nutrition_targets(profile_from_mapping({**BASE, **changes}))


def test_mifflin_st_jeor_reference_values() -> None:
    assert bmr_mifflin("male", 80, 180, 30) == pytest.approx(1780)
    assert bmr_mifflin("female", 60, 165, 30) == pytest.approx(1320.25)


def test_maintenance_for_general_goal() -> None:
    t = _targets()
    assert t.tdee == round(1780 * 1.375)
    assert t.kcal == t.tdee and t.weekly_change_kg == 0


@pytest.mark.parametrize(("pace", "pct"), [("slow", -0.5), ("moderate", -0.75), ("fast", -1.0)])
def test_fat_loss_rate_follows_pace(pace: str, pct: float) -> None:
    t = _targets(goal="fat_loss", pace=pace, days_per_week=5, weight_kg=95)
    assert t.weekly_change_pct == pytest.approx(pct, abs=0.01)
    assert 1.6 * t.protein_reference_kg <= t.protein_g <= 2.2 * t.protein_reference_kg


def test_never_below_bmr_or_sex_floor() -> None:
    t = _targets(sex="female", goal="fat_loss", pace="fast", weight_kg=52, height_cm=150,
                 age=60, days_per_week=1)
    assert t.kcal >= 1200 and t.kcal >= t.bmr
    assert t.limited_by


def test_no_deficit_for_minors_underweight_or_care_mode() -> None:
    assert _targets(goal="fat_loss", age=16).weekly_change_kg == 0
    assert _targets(goal="fat_loss", weight_kg=55).weekly_change_kg == 0  # BMI 17
    assert _targets(goal="fat_loss", care_mode=True).weekly_change_kg == 0


def test_hypertrophy_surplus_is_small_and_obese_recomposition() -> None:
    assert _targets(goal="hypertrophy").weekly_change_pct == pytest.approx(0.25, abs=0.01)
    assert _targets(goal="hypertrophy", weight_kg=120).weekly_change_kg == 0


def test_macros_add_up_and_fat_is_at_least_20_percent() -> None:
    t = _targets(goal="fat_loss")
    assert abs(4 * t.protein_g + 4 * t.carbs_g + 9 * t.fat_g - t.kcal) <= 0.02 * t.kcal
    assert 9 * t.fat_g >= 0.2 * t.kcal


def test_invalid_profiles_are_rejected_with_the_field() -> None:
    with pytest.raises(ProfileError) as error:
        profile_from_mapping({**BASE, "weight_kg": 5})
    assert error.value.field == "weight_kg"
    with pytest.raises(ProfileError):
        profile_from_mapping({**BASE, "age": 9})
    with pytest.raises(ProfileError):
        profile_from_mapping({**BASE, "days_per_week": 9})


def test_free_text_is_normalised() -> None:
    p = profile_from_mapping({**BASE, "goal": "lose weight", "equipment": "dumbbells, bands",
                              "level": "advanced", "sex": "F"})
    assert (p.goal, p.level, p.sex) == ("fat_loss", "expert", "female")
    assert p.equipment == ("bands", "dumbbell")
