"""analyze_food_photo: vision model → USDA grounding → person confirms → meal logged."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool
from langgraph.types import interrupt
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.agent.context import CoachContext
from fitcoach.agent.photos import PhotoAnalysis, analyze_photo
from fitcoach.domain.nutrition.foods import Food, get_food_database
from fitcoach.domain.nutrition.meals import parse_meal
from fitcoach.storage.media import MediaStore
from fitcoach.storage.repositories import Journal, MealItemRecord
from fitcoach.tools.meals import meal_record
from fitcoach.tools.runtime import ToolServices, encode, trusted_context, write_once

CONFIRM_KIND = "confirm_photo_meal"
_YES = re.compile(r"^\s*(y|yes|yep|yeah|ok|okay|sure|correct|confirm|log it|1)\b", re.I)
_NO = re.compile(r"^\s*(n|no|nope|cancel|don'?t|do not|2)\b", re.I)


def make_analyze_food_photo(services: ToolServices) -> BaseTool:
    """Build the analyze_food_photo tool."""

    @tool
    async def analyze_food_photo(photo_id: str, runtime: ToolRuntime[CoachContext, Any]) -> str:
        """Estimate the foods in a photo the person sent (their message shows [photo:<id>]).

        Shows the items with gram and calorie ranges and asks the person to confirm or correct
        before anything is logged. Never estimate calories yourself.
        """
        context = trusted_context(runtime)
        async with services.database.session() as session:
            media = await MediaStore(session, context.user_id, services.media_dir).get(photo_id)
            if media is None or media.kind != "image":
                return encode("analyze_food_photo", "error", message="I can't find that photo.")
            path, mime, cached = Path(media.path), media.mime_type, media.analysis
        if services.vision_model is None:
            return encode(
                "analyze_food_photo",
                "needs_model",
                message="Reading food photos needs an AI model, and I'm running offline. "
                "Tell me what's on the plate in words and I'll log it.",
            )
        if cached:
            analysis = PhotoAnalysis.model_validate_json(cached)
        else:
            analysis = await analyze_photo(services.vision_model, path, mime)
            async with services.database.session() as session:
                store = MediaStore(session, context.user_id, services.media_dir)
                await store.save_analysis(photo_id, analysis.model_dump_json())
        items, unknown = ground(analysis)
        if not items:
            return encode(
                "analyze_food_photo",
                "needs_clarification",
                reason="no_food",
                question="I couldn't recognise any food in that photo. What did you eat?",
            )
        answer = interrupt(
            {
                "kind": CONFIRM_KIND,
                "question": confirmation_text(items, unknown),
                "options": ["Yes, log it", "No"],
            }
        )
        return await _decide(services, context, str(answer), items)

    return analyze_food_photo


def ground(analysis: PhotoAnalysis) -> tuple[list[dict[str, Any]], list[str]]:
    """Each recognised item matched to a USDA food, with nutrient ranges for its gram range."""
    database = get_food_database()
    items: list[dict[str, Any]] = []
    unknown: list[str] = []
    for item in analysis.items:
        best = database.search(item.name, limit=1).best
        if best is None:
            unknown.append(item.name)
            continue
        low, high = sorted((item.grams_low, item.grams_high))
        items.append(_item(best.food, item.name, low, high, item.confidence))
    return items, unknown


def _item(food: Food, seen_as: str, low: float, high: float, confidence: float) -> dict[str, Any]:
    per100 = food.per_100g
    return {
        "seen_as": seen_as,
        "ndb": food.ndb,
        "name": food.name,
        "grams_low": round(low),
        "grams_high": round(high),
        "confidence": round(confidence, 2),
        "kcal_low": round(per100.kcal * low / 100),
        "kcal_high": round(per100.kcal * high / 100),
        "protein_low": round(per100.protein_g * low / 100, 1),
        "protein_high": round(per100.protein_g * high / 100, 1),
    }


def confirmation_text(items: list[dict[str, Any]], unknown: list[str]) -> str:
    """The question shown before logging a photo meal."""
    lines = ["From your photo I see:"]
    for i in items:
        lines.append(
            f"• {i['name']}: {i['grams_low']}–{i['grams_high']} g, "
            f"{i['kcal_low']}–{i['kcal_high']} kcal"
        )
    kcal_low = sum(i["kcal_low"] for i in items)
    kcal_high = sum(i["kcal_high"] for i in items)
    protein_low = sum(i["protein_low"] for i in items)
    protein_high = sum(i["protein_high"] for i in items)
    lines.append(
        f"Total ≈ {kcal_low}–{kcal_high} kcal, protein {protein_low:g}–{protein_high:g} g."
    )
    if unknown:
        lines.append("I couldn't identify: " + ", ".join(unknown) + ".")
    lines.append(
        "Shall I log it (middle of each range)? Reply yes or no, or correct me, "
        "e.g. “it was 200 g rice and a chicken breast”."
    )
    return "\n".join(lines)


async def _decide(
    services: ToolServices, context: CoachContext, answer: str, items: list[dict[str, Any]]
) -> str:
    if _YES.match(answer):
        records = [_record(i) for i in items]
        source = "photo: " + ", ".join(i["seen_as"] for i in items)
    elif _NO.match(answer):
        return encode("analyze_food_photo", "cancelled")
    else:
        corrected = parse_meal(answer)
        if not corrected.confident:
            return encode(
                "analyze_food_photo",
                "needs_clarification",
                reason="correction_unclear",
                question="I didn't log it. Tell me the meal in words, e.g. "
                "“200 g rice and a chicken breast”, and I'll log that.",
            )
        records = [
            meal_record(m.food, m.grams, m.nutrients, m.portion.description, assumed=False)
            for m in corrected.items
        ]
        source = f"photo, corrected: {answer}"

    async def log(session: AsyncSession) -> str:
        meal = await Journal(session, context.user_id).add_meal(records, source_text=source)
        return encode(
            "analyze_food_photo",
            "logged",
            meal_id=meal.id,
            items=[
                {"name": r.food_name, "ndb": r.ndb_no, "grams": r.grams, "kcal": round(r.kcal)}
                for r in records
            ],
            kcal=round(sum(r.kcal for r in records)),
        )

    return await write_once(services.database, context.user_id, log)


def _record(item: dict[str, Any]) -> MealItemRecord:
    food = get_food_database().get(item["ndb"])
    assert food is not None  # grounded above
    grams = (item["grams_low"] + item["grams_high"]) / 2
    nutrients = food.per_100g.scaled(grams / 100)
    return meal_record(food, grams, nutrients, "estimated from photo", assumed=True)
