"""Tool declarations are converted once per tool set, and exactly as the library would."""

from __future__ import annotations

from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_google_genai import ChatGoogleGenerativeAI
from pydantic import BaseModel, Field

from fitcoach.agent import gemini
from fitcoach.agent.gemini import CachedToolsGemini


class LogMeal(BaseModel):
    """Log a meal."""

    text: str = Field(description="what was eaten")
    grams: float | None = None


class LogWeight(BaseModel):
    """Log body weight."""

    kg: float


def test_declarations_are_converted_once_and_match_the_library() -> None:
    options = {"model": "gemini-2.5-flash", "api_key": "test"}
    cached = CachedToolsGemini(**options)
    plain = ChatGoogleGenerativeAI(**options)
    tools = [convert_to_openai_tool(LogMeal), convert_to_openai_tool(LogWeight)]
    gemini._declarations.clear()
    first = cached._format_tools(tools)
    second = cached._format_tools([dict(t) for t in tools])  # equal schemas, new objects
    assert first == plain._format_tools(tools)  # type: ignore[arg-type]
    assert second == first and len(gemini._declarations) == 1
    assert second[0] is first[0]  # type: ignore[index]  # served from the cache
    other = cached._format_tools([convert_to_openai_tool(LogWeight)])
    assert other != first and len(gemini._declarations) == 2
    assert cached._format_tools(None) is None
