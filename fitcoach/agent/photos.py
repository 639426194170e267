"""Food photos: the vision model names foods and estimates grams; USDA gives the numbers."""

from __future__ import annotations

import base64
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

VISION_PROMPT = (
    "List every food and drink visible in this photo as separate items. For each, give a "
    "plain generic food name as in a nutrition database (e.g. 'white rice, cooked', 'broccoli, "
    "steamed', 'chicken breast, grilled'), your estimate of its weight in grams as a range "
    "(low and high), and your confidence from 0 to 1. Do not estimate calories."
)


class PhotoItem(BaseModel):
    """One food the vision model sees."""

    name: str = Field(description="generic food name, e.g. 'white rice, cooked'")
    grams_low: float = Field(ge=0, le=3000)
    grams_high: float = Field(ge=0, le=3000)
    confidence: float = Field(ge=0, le=1)


class PhotoAnalysis(BaseModel):
    """Structured output of the vision model for one photo."""

    items: list[PhotoItem] = Field(default_factory=list)


async def analyze_photo(model: BaseChatModel, path: Path, mime_type: str) -> PhotoAnalysis:
    """Ask the vision model what is on the plate (names and gram ranges only)."""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    message = HumanMessage(
        content=[
            {"type": "text", "text": VISION_PROMPT},
            {"type": "image", "base64": data, "mime_type": mime_type},
        ]
    )
    structured = model.with_structured_output(PhotoAnalysis)
    result = await structured.ainvoke([message])
    if isinstance(result, PhotoAnalysis):
        return result
    return PhotoAnalysis.model_validate(result)
