"""General rules added for phrasing the tuning sets never used (see bench/heldout.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitcoach.domain.nutrition.foods import (
    DATA_DIR,
    INDEX_FILE,
    FoodDatabase,
    build_index_rows,
    get_food_database,
    index_fingerprint,
)
from fitcoach.domain.nutrition.meals import parse_food, parse_meal
from fitcoach.domain.nutrition.portions import split_quantity


@pytest.fixture(scope="module")
def db() -> FoodDatabase:
    return get_food_database()


def _top(db: FoodDatabase, query: str) -> str | None:
    best = db.search(query).best
    return best.food.ndb if best else None


# ----------------------------------------------------------------------------- index file
def test_shipped_index_is_fresh() -> None:
    """food_index.json must match foods.tsv and the tokeniser (rebuild with --index-only)."""
    payload = (DATA_DIR / INDEX_FILE).read_text(encoding="utf-8")
    assert index_fingerprint(DATA_DIR) in payload[:200]


def test_precomputed_index_equals_in_memory_build(db: FoodDatabase) -> None:
    rebuilt = FoodDatabase(db.foods(), dict(db._aliases), index=None)
    for query in ("chicken breast", "big mac", "greek yogurt", "brocoli"):
        assert [m.food.ndb for m in rebuilt.search(query).matches] == [
            m.food.ndb for m in db.search(query).matches
        ]


def test_stale_index_is_ignored(tmp_path: Path) -> None:
    for name in ("foods.tsv", "food_weights.tsv", "food_groups.tsv", "food_synonyms.tsv"):
        (tmp_path / name).write_bytes((DATA_DIR / name).read_bytes())
    (tmp_path / INDEX_FILE).write_text('{"fingerprint": "stale", "rows": []}', encoding="utf-8")
    fresh = FoodDatabase.load(tmp_path)
    assert _top(fresh, "banana") == "09040"


def test_index_rows_cover_every_food(db: FoodDatabase) -> None:
    foods = db.foods()[:50]
    assert len(build_index_rows(foods)) == 50


# ----------------------------------------------------------------------------- search rules
@pytest.mark.parametrize(
    ("query", "ndb"),
    [
        ("houmous", "16158"),  # UK spelling
        ("rocket leaves", "11959"),  # UK rocket = arugula
        ("single cream", "01050"),
        ("sultanas", "09297"),
        ("kit kat bar", "19109"),  # brand words SR does not spell
        ("coca-cola", "14148"),
        ("full fat greek yoghurt", None),  # rewrite must not crash; any dairy is fine
    ],
)
def test_vocabulary(db: FoodDatabase, query: str, ndb: str | None) -> None:
    got = _top(db, query)
    if ndb is None:
        assert got is not None
    else:
        assert got == ndb


def test_soft_words_reach_the_curated_default(db: FoodDatabase) -> None:
    # "fillet", "crispy", "sticks" do not change the food ...
    assert _top(db, "salmon fillets") == db.search("salmon").best.food.ndb  # type: ignore[union-attr]
    assert _top(db, "crispy bacon rashers") is not None
    # ... "mashed" does
    assert _top(db, "mashed potato") != _top(db, "potato")


def test_cooked_is_dropped_only_for_a_cooked_default(db: FoodDatabase) -> None:
    assert _top(db, "cooked spaghetti") == "20121"
    # the broccoli default is raw: "cooked broccoli" must stay a cooked row
    best = db.search("steamed broccoli").best
    assert best is not None and "raw" not in best.food.name.lower()


def test_oil_and_regional_varieties_are_not_defaults(db: FoodDatabase) -> None:
    best = db.search("mackerel fillet").best
    assert best is not None and "oil" not in best.food.name.lower()
    best = db.search("boiled broccoli").best
    assert best is not None and "chinese" not in best.food.name.lower()


def test_crunchy_means_chunk_style(db: FoodDatabase) -> None:
    best = db.search("crunchy pb").best
    assert best is not None and "chunk" in best.food.name.lower()


def test_fast_food_dishes_are_not_penalised(db: FoodDatabase) -> None:
    best = db.search("chicken burrito").best
    assert best is not None and "burrito" in best.food.name.lower()


def test_no_cheese_variant_is_the_plain_item(db: FoodDatabase) -> None:
    assert _top(db, "burger king whopper") == "21252"


# ----------------------------------------------------------------------------- portions
@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("a 330ml can of coke", (330.0, "ml", "coke")),
        ("2 330ml cans of beer", (660.0, "ml", "beer")),
        ("a 16oz bottle of water", (16.0, "fl oz", "water")),
        ("an 8 oz steak", (8.0, "oz", "steak")),
        ("a tin of beans", (1.0, "can", "beans")),
        ("a pot of yoghurt", (1.0, "container", "yoghurt")),
    ],
)
def test_sized_containers(phrase: str, expected: tuple[float, str, str]) -> None:
    assert split_quantity(phrase) == expected


def _grams(phrase: str) -> float:
    item = parse_food(phrase)
    assert item is not None, phrase
    return item.grams


def test_oz_of_a_drink_is_fluid_ounces() -> None:
    assert _grams("8 oz apple juice") == pytest.approx(8 * 29.57 * 248 / 240, rel=0.06)


def test_glass_of_wine_is_its_serving() -> None:
    assert _grams("a glass of white wine") == pytest.approx(147, rel=0.05)


def test_scoop_of_ice_cream_is_half_a_cup() -> None:
    assert _grams("2 scoops of chocolate ice cream") == pytest.approx(2 * 66, rel=0.15)


def test_counted_pieces_from_multi_piece_measures() -> None:
    # "50 raisins = 26 g": one raisin is 0.52 g, not a serving
    assert _grams("20 raisins") == pytest.approx(20 * 26 / 50, rel=0.1)


def test_food_noun_unit_is_part_of_the_name() -> None:
    item = parse_food("4 egg whites")
    assert item is not None and item.food.name.lower().startswith("egg, white")
    assert item.grams == pytest.approx(4 * 33, rel=0.05)


def test_unit_steers_to_the_food_that_has_it() -> None:
    item = parse_food("2 slices of pepperoni pizza")
    assert item is not None
    assert any(m.description.startswith("slice") for m in item.food.measures)


def test_meal_with_uk_words() -> None:
    meal = parse_meal("a tin of tuna with rocket and 2 tbsp houmous")
    assert [i.ndb for i in meal.items] == ["15121", "11959", "16158"]
    assert not meal.unmatched
