"""Tool declarations are converted once per tool set, and exactly as the library would."""

from __future__ import annotations

from google.genai import types
from langchain_core.tools import tool
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
    library = plain._format_tools(tools)  # type: ignore[arg-type]
    assert [t.model_dump() for t in first] == [t.model_dump() for t in library]  # type: ignore[union-attr]
    assert second == first and len(gemini._declarations) == 1
    assert second[0] is first[0]  # type: ignore[index]  # served from the cache
    other = cached._format_tools([convert_to_openai_tool(LogWeight)])
    assert other != first and len(gemini._declarations) == 2
    assert cached._format_tools(None) is None


@tool
def log_water(millilitres: int) -> str:
    """Log water drunk."""
    return f"{millilitres} ml"


def test_bound_tools_reuse_their_schemas_and_declarations() -> None:
    cached = CachedToolsGemini(model="gemini-2.5-flash", api_key="test")
    first = cached.bind_tools([log_water]).kwargs["tools"]  # type: ignore[attr-defined]
    second = cached.bind_tools([log_water]).kwargs["tools"]  # type: ignore[attr-defined]
    assert first is second and first == [convert_to_openai_tool(log_water)]
    declarations = cached._format_tools(first)
    assert declarations is not None and cached._format_tools(first) == declarations
    assert cached._format_tools(first)[0] is declarations[0]  # type: ignore[index]


def test_shared_declarations_survive_the_sdks_deep_copy_unchanged() -> None:
    cached = CachedToolsGemini(model="gemini-2.5-flash", api_key="test")
    declarations = cached._format_tools([convert_to_openai_tool(LogWeight)])
    assert declarations is not None
    config = types.GenerateContentConfig(tools=declarations, temperature=0.2)
    copied = config.model_copy(deep=True)
    assert copied.tools is not None and copied.tools is not config.tools
    assert copied.tools[0] is declarations[0]  # reused, not copied
    assert copied.model_dump() == config.model_dump()
    names = [d.name for d in copied.tools[0].function_declarations or []]  # type: ignore[union-attr]
    assert names == ["LogWeight"]
