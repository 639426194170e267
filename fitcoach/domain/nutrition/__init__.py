"""Grounded nutrition engine: USDA SR food search, portions and meal parsing."""

from fitcoach.domain.nutrition.foods import (
    CONFIDENCE_THRESHOLD,
    Food,
    FoodDatabase,
    FoodMatch,
    FoodSearchResult,
    HouseholdMeasure,
    Nutrients,
    get_food_database,
)
from fitcoach.domain.nutrition.meals import MealItem, MealParse, parse_food, parse_meal
from fitcoach.domain.nutrition.portions import Portion, resolve_portion, split_quantity

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "Food",
    "FoodDatabase",
    "FoodMatch",
    "FoodSearchResult",
    "HouseholdMeasure",
    "MealItem",
    "MealParse",
    "Nutrients",
    "Portion",
    "get_food_database",
    "parse_food",
    "parse_meal",
    "resolve_portion",
    "split_quantity",
]
