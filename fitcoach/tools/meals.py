"""log_meal: ground a free-text meal in USDA SR and store it."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.domain.nutrition.foods import (
    CONFIDENCE_THRESHOLD,
    Food,
    Nutrients,
    get_food_database,
)
from fitcoach.domain.nutrition.meals import MealItem, MealParse, parse_meal
from fitcoach.domain.nutrition.portions import resolve_portion
from fitcoach.domain.safety.limits import check_grams
from fitcoach.storage.repositories import Journal, MealItemRecord
from fitcoach.tools.runtime import (
    ToolServices,
    encode,
    local_day_bounds,
    trusted_context,
    write_once,
)

MAX_OPTIONS = 4


def make_log_meal(services: ToolServices) -> BaseTool:
    """Build the log_meal tool bound to the given services."""

    @tool
    async def log_meal(
        description: str,
        runtime: ToolRuntime[CoachContext, Any],
        meal_type: str | None = None,
        choices: dict[str, str] | None = None,
    ) -> str:
        """Log food the person ate, from their own words (e.g. "2 large eggs and a banana").

        Nutrition comes from the USDA database; never pass numbers you estimated yourself.
        meal_type: breakfast, lunch, dinner or snack when known.
        choices: after a clarifying question, maps an item phrase to the NDB number the person
        picked from the options the tool offered.
        """
        context = trusted_context(runtime)
        parsed = parse_meal(description)
        items = [_apply_choice(item, choices) for item in parsed.items]
        question = _clarification(parsed, items, choices or {})
        if question is not None:
            return encode("log_meal", "needs_clarification", description=description, **question)
        records = [_record(item) for item in items]

        async def log(session: AsyncSession) -> str:
            journal = Journal(session, context.user_id)
            meal = await journal.add_meal(
                records, source_text=description, meal_type=meal_type or parsed.meal_type
            )
            start, end = local_day_bounds(services.clock(), context.timezone)
            day = await journal.summary(start, end)
            return encode(
                "log_meal",
                "logged",
                meal_id=meal.id,
                meal_type=meal.meal_type,
                items=[_item_view(item) for item in items],
                totals=_totals(records),
                day_totals=day.as_dict(),
                source="USDA SR",
            )

        return await write_once(services.database, context.user_id, log)

    return log_meal


def _apply_choice(item: MealItem, choices: dict[str, str] | None) -> MealItem:
    if not choices or item.phrase not in choices:
        return item
    food = get_food_database().get(choices[item.phrase])
    if food is None:
        return item
    quantity = None if item.portion.assumed else item.portion.quantity
    portion = resolve_portion(food, quantity, item.portion.unit)
    return MealItem(
        phrase=item.phrase,
        food=food,
        portion=portion,
        nutrients=food.per_100g.scaled(portion.grams / 100.0),
        confidence=1.0,
        alternatives=(),
    )


def _clarification(
    parsed: MealParse, items: list[MealItem], choices: dict[str, str]
) -> dict[str, Any] | None:
    if not items and not parsed.unmatched:
        return {
            "reason": "no_food",
            "question": "I couldn't find any food in that. What did you eat?",
        }
    if parsed.unmatched:
        phrase = parsed.unmatched[0]
        return {
            "reason": "unknown_food",
            "phrase": phrase,
            "question": f"I couldn't find “{phrase}” in the USDA food database. "
            "Could you describe it differently (e.g. the main ingredient)?",
            "understood": [_item_view(i) for i in items],
        }
    for item in items:
        problems = check_grams(item.food.name, item.grams)
        if problems:
            return {"reason": "implausible", "phrase": item.phrase, "question": problems[0].message}
    for item in items:
        if item.phrase in choices or item.confidence >= CONFIDENCE_THRESHOLD:
            continue
        options = [item.food, *[m.food for m in item.alternatives if m.food.ndb != item.ndb]]
        return {
            "reason": "ambiguous",
            "phrase": item.phrase,
            "question": f"Which one did you mean by “{item.phrase}”?",
            "options": [{"ndb": f.ndb, "name": f.name} for f in options[:MAX_OPTIONS]],
            "understood": [_item_view(i) for i in items if i is not item],
        }
    return None


def _record(item: MealItem) -> MealItemRecord:
    return meal_record(
        item.food,
        item.grams,
        item.nutrients,
        item.portion.description,
        assumed=item.portion.assumed,
    )


def meal_record(
    food: Food, grams: float, nutrients: Nutrients, portion: str, *, assumed: bool
) -> MealItemRecord:
    """The stored form of one grounded food: its NDB_No, grams and nutrients for them."""
    return MealItemRecord(
        ndb_no=food.ndb,
        food_name=food.name,
        grams=round(grams, 1),
        kcal=nutrients.kcal,
        protein_g=nutrients.protein_g,
        carbs_g=nutrients.carbs_g,
        fat_g=nutrients.fat_g,
        fiber_g=nutrients.fiber_g,
        sugar_g=nutrients.sugar_g,
        sodium_mg=nutrients.sodium_mg,
        portion=portion,
        portion_assumed=assumed,
    )


def _item_view(item: MealItem) -> dict[str, Any]:
    return {
        "phrase": item.phrase,
        "ndb": item.ndb,
        "name": item.food.name,
        "grams": round(item.grams, 1),
        "portion": item.portion.description,
        "assumed_portion": item.portion.assumed,
        **item.nutrients.rounded(),
    }


def _totals(records: list[MealItemRecord]) -> dict[str, float]:
    return {
        "kcal": round(sum(r.kcal for r in records)),
        "protein_g": round(sum(r.protein_g for r in records), 1),
        "carbs_g": round(sum(r.carbs_g for r in records), 1),
        "fat_g": round(sum(r.fat_g for r in records), 1),
        "fiber_g": round(sum(r.fiber_g for r in records), 1),
        "sugar_g": round(sum(r.sugar_g for r in records), 1),
        "sodium_mg": round(sum(r.sodium_mg for r in records)),
    }
