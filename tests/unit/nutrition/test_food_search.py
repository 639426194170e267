"""Food search: defaults, plurals, typos, synonyms, brands."""

from __future__ import annotations

import pytest

from fitcoach.domain.nutrition.foods import Nutrients, get_food_database


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("egg", {"01123"}),
        ("eggs", {"01123"}),
        ("banana", {"09040"}),
        ("bananas", {"09040"}),
        ("chicken breast", {"05064"}),
        ("rice", {"20045"}),
        ("milk", {"01077", "01079"}),
        ("coffee", {"14209"}),
        ("oj", {"09206"}),
        ("pb", {"16098", "16097"}),
        ("big mac", {"21237"}),
        ("coke", {"14148"}),
        ("chiken brest", {"05064"}),
        ("brocoli", {"11090", "11091"}),
        ("scrambled eggs", {"01132"}),
        ("whole wheat toast", {"18076"}),
        ("grilled salmon", {"15237", "15209"}),
    ],
)
def test_top1(query: str, expected: set[str]) -> None:
    result = get_food_database().search(query)
    assert result.best is not None
    assert result.best.food.ndb in expected, [m.food.name for m in result.matches]


def test_egg_never_eggplant() -> None:
    for q in ("egg", "eggs", "2 eggs", "boiled egg", "fried eggs"):
        best = get_food_database().search(q).best
        assert best is not None
        assert "eggplant" not in best.food.name.lower()


def test_generic_before_branded_and_no_baby_food() -> None:
    db = get_food_database()
    for q in ("oatmeal", "apple sauce", "yogurt", "fries", "carrots"):
        best = db.search(q).best
        assert best is not None
        assert best.food.group_code != "0300", (q, best.food.name)
        assert "McDONALD" not in best.food.name


def test_confidence_and_ambiguity() -> None:
    db = get_food_database()
    assert not db.search("banana").ambiguous
    assert db.search("zzzz qqq").ambiguous
    assert db.search("").matches == ()


def test_get_and_nutrients() -> None:
    food = get_food_database().get("1123")
    assert food is not None and food.ndb == "01123"
    assert food.per_100g.kcal == 143
    n = food.per_100g.scaled(0.5) + Nutrients.zero()
    assert n.rounded()["kcal"] == 72.0
    assert n.rounded()["protein_g"] == 6.3


@pytest.mark.parametrize(
    "query",
    ["what should i change", "tips for staying motivated this week", "how do i find energy"],
)
def test_a_floor_no_food_can_reach_gives_no_matches(query: str) -> None:
    db = get_food_database()
    unbounded = db.search(query)
    assert unbounded.matches  # weak matches exist ...
    assert all(m.score < 45 for m in unbounded.matches)  # ... all below the floor
    assert db.search(query, floor=45).matches == ()


@pytest.mark.parametrize(
    "query", ["chicken breast", "chiken brest", "big mac", "oat milk latte", "energy to train"]
)
def test_a_floor_changes_nothing_when_a_food_can_reach_it(query: str) -> None:
    db = get_food_database()
    assert db.search(query, floor=45) == db.search(query)
