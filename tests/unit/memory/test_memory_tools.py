"""The memory tools (trusted context only) and their replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool

from fitcoach.agent.context import CoachContext
from fitcoach.agent.memory_replies import MEMORY_RENDERERS
from fitcoach.memory.embeddings import OfflineEmbeddingFunction
from fitcoach.memory.store import MemoryService, make_chroma_client
from fitcoach.tools.memory import build_memory_tools


def _runtime(user_id: int) -> ToolRuntime[CoachContext, Any]:
    context = CoachContext(user_id=user_id, channel="web", conversation_id="c")
    return ToolRuntime(
        state={},
        context=context,
        config={},
        stream_writer=lambda _: None,
        tool_call_id="t",
        store=None,
    )


@pytest.fixture
def tools(tmp_path: Path) -> dict[str, BaseTool]:
    service = MemoryService(make_chroma_client(tmp_path), OfflineEmbeddingFunction())
    return {t.name: t for t in build_memory_tools(service)}


async def call(tools: dict[str, BaseTool], name: str, user_id: int, **args: Any) -> dict[str, Any]:
    coroutine = tools[name].coroutine
    assert coroutine is not None
    result: dict[str, Any] = json.loads(await coroutine(runtime=_runtime(user_id), **args))
    return result


def render(result: dict[str, Any]) -> str:
    return MEMORY_RENDERERS[result["tool"]](result)


def test_no_tool_takes_a_user_id(tools: dict[str, BaseTool]) -> None:
    for tool in tools.values():
        schema = json.dumps(tool.tool_call_schema.model_json_schema()).lower()
        assert "user" not in schema and "runtime" not in schema


async def test_remember_recall_forget_round_trip(tools: dict[str, BaseTool]) -> None:
    saved = await call(tools, "remember", 1, text="I have a bad left knee and I hate running")
    assert saved["status"] == "saved"
    assert "Has a bad left knee" in render(saved) and "Dislikes running" in render(saved)
    await call(tools, "remember", 1, text="my partner's name is Sam")
    listed = await call(tools, "recall_memories", 1)
    text = render(listed)
    assert listed["count"] == 3
    assert "Injuries and constraints:" in text and "• Has a bad left knee" in text
    assert "About you:" in text and "Their partner's name is Sam" in text
    only = await call(tools, "recall_memories", 1, category="challenges")
    assert list(only["categories"]) == ["challenges"]
    forgot = await call(tools, "forget_memory", 1, what="that I hate running")
    assert render(forgot) == "OK, I forgot:\n• Dislikes running"
    missing = await call(tools, "forget_memory", 1, what="my tattoos")
    assert missing["status"] == "not_found" and "tattoos" in render(missing)


async def test_contradiction_is_reported(tools: dict[str, BaseTool]) -> None:
    await call(tools, "remember", 1, text="I'm vegetarian")
    changed = await call(tools, "remember", 1, text="I eat meat again")
    assert "instead of: Is vegetarian" in render(changed)


async def test_tools_only_reach_the_current_person(tools: dict[str, BaseTool]) -> None:
    await call(tools, "remember", 2, text="I'm allergic to peanuts")
    assert (await call(tools, "recall_memories", 1))["count"] == 0
    forgot = await call(tools, "forget_memory", 1, what="peanuts allergy")
    assert forgot["status"] == "not_found"
    wiped = await call(tools, "forget_memory", 1, what="everything", everything=True)
    assert wiped["count"] == 0
    assert (await call(tools, "recall_memories", 2))["count"] == 1


async def test_forget_everything(tools: dict[str, BaseTool]) -> None:
    await call(tools, "remember", 1, text="I'm vegan. I work night shifts")
    wiped = await call(tools, "forget_memory", 1, what="everything", everything=True)
    assert render(wiped).startswith("Done: I deleted everything") and wiped["count"] == 2
    empty = await call(tools, "recall_memories", 1)
    assert render(empty).startswith("I don't remember anything about you yet")
