"""Quantity parsing and gram resolution."""

from __future__ import annotations

import pytest

from fitcoach.domain.nutrition.foods import get_food_database
from fitcoach.domain.nutrition.portions import resolve_portion, split_quantity


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("2 large eggs", (2.0, "large", "eggs")),
        ("150g chicken breast", (150.0, "g", "chicken breast")),
        ("150 g of chicken breast", (150.0, "g", "chicken breast")),
        ("1/2 cup rice", (0.5, "cup", "rice")),
        ("½ cup rice", (0.5, "cup", "rice")),
        ("1 1/2 cups milk", (1.5, "cup", "milk")),
        ("half a cup of rice", (0.5, "cup", "rice")),
        ("a banana", (1.0, None, "banana")),
        ("an apple", (1.0, None, "apple")),
        ("two slices of toast", (2.0, "slice", "toast")),
        ("a couple of eggs", (2.0, None, "eggs")),
        ("a few almonds", (3.0, None, "almonds")),
        ("a dozen eggs", (12.0, None, "eggs")),
        ("3 tbsp peanut butter", (3.0, "tbsp", "peanut butter")),
        ("8 fl oz orange juice", (8.0, "fl oz", "orange juice")),
        ("chicken breast 200g", (200.0, "g", "chicken breast")),
        ("banana", (None, None, "banana")),
    ],
)
def test_split_quantity(phrase: str, expected: tuple[float | None, str | None, str]) -> None:
    assert split_quantity(phrase) == expected


def _food(ndb: str):  # type: ignore[no-untyped-def]
    food = get_food_database().get(ndb)
    assert food is not None
    return food


def test_large_eggs() -> None:
    p = resolve_portion(_food("01123"), 2, "large")
    assert p.grams == 100 and not p.assumed


def test_typical_banana() -> None:
    p = resolve_portion(_food("09040"), None, None)
    assert p.grams == 118 and p.assumed


def test_mass_and_volume() -> None:
    assert resolve_portion(_food("05064"), 1, "lb").grams == pytest.approx(453.6)
    assert resolve_portion(_food("01079"), 1, "cup").grams == 244
    assert resolve_portion(_food("01079"), 250, "ml").grams == pytest.approx(254, rel=0.02)
    assert resolve_portion(_food("16098"), 2, "tbsp").grams == 32


def test_condiment_default_is_spoon_not_cup() -> None:
    assert resolve_portion(_food("01001"), None, None).grams < 20
