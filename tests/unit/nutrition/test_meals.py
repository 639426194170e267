"""Meal splitting, totals and non-food rejection."""

from __future__ import annotations

import pytest

from fitcoach.domain.nutrition.meals import parse_food, parse_meal


def test_eggs_and_banana() -> None:
    meal = parse_meal("had 2 large eggs and a banana for breakfast")
    assert meal.meal_type == "breakfast"
    assert [i.ndb for i in meal.items] == ["01123", "09040"]
    assert [round(i.grams) for i in meal.items] == [100, 118]
    assert round(meal.items[0].nutrients.kcal) == 143
    assert round(meal.items[1].nutrients.kcal) == 105
    assert meal.confident
    assert round(meal.totals.kcal) == 248


@pytest.mark.parametrize(
    "text",
    [
        "bench 3x5 at 80kg",
        "how am I doing today?",
        "undo",
        "I weigh 80 kg",
        "hello",
        "ran 5k in 27 min",
        "what should I eat?",
        "squat 5x5 100 kg",
    ],
)
def test_non_food_not_confident(text: str) -> None:
    assert parse_meal(text).confident is False


def test_splitting_and_lead_ins() -> None:
    meal = parse_meal("2 scrambled eggs, toast with butter and a coffee")
    assert [i.ndb for i in meal.items] == ["01132", "18070", "01001", "14209"]
    meal = parse_meal("for lunch I had mac and cheese")
    assert meal.meal_type == "lunch"
    assert len(meal.items) == 1
    assert "macaroni" in meal.items[0].food.name.lower()
    meal = parse_meal("just had a big mac and medium fries")
    assert meal.items[0].ndb == "21237"
    assert len(meal.items) == 2


def test_parse_food() -> None:
    item = parse_food("150g chicken breast")
    assert item is not None
    assert item.ndb == "05064" and item.grams == 150
    assert round(item.nutrients.kcal) == 248
