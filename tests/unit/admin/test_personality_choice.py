"""Personality per person: offline intent rules, the set_personality tool, its replies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langchain.tools import ToolRuntime

from fitcoach.admin.personality_store import get_personality
from fitcoach.admin.prompt_service import PromptService
from fitcoach.agent.context import CoachContext
from fitcoach.agent.personality_intents import detect_personality_intent, normalise_personality
from fitcoach.agent.personality_replies import PERSONALITY_RENDERERS
from fitcoach.storage.database import Database
from fitcoach.tools.personality import make_set_personality
from fitcoach.tools.runtime import ToolServices
from tests.unit.admin.admin_support import add_person, open_database


@pytest.mark.parametrize(
    ("text", "personality"),
    [
        ("be tougher on me", "tough-love"),
        ("Please be harder on me, I keep skipping leg day", "tough-love"),
        ("I need some tough love", "tough-love"),
        ("don't go easy on me", "tough-love"),
        ("be more supportive", "supportive"),
        ("can you be a bit gentler", "supportive"),
        ("be gentler please", "supportive"),
        ("go easy on me this week", "supportive"),
        ("just give me the data", "data-driven"),
        ("just the numbers please", "data-driven"),
        ("no fluff", "data-driven"),
        ("switch to tough love mode", "tough-love"),
        ("/style data-driven", "data-driven"),
        ("supportive", "supportive"),
        ("can you be more strict with me?", "tough-love"),
        ("no more excuses", "tough-love"),
    ],
)
def test_personality_requests_are_detected(text: str, personality: str) -> None:
    found = detect_personality_intent(text)
    assert found == ("set_personality", {"personality": personality})


@pytest.mark.parametrize(
    "text",
    [
        "had a tough workout today",
        "bench 3x5 at 80kg",
        "had 2 large eggs and a banana",
        "how am I doing today?",
        "my data plan ran out lol",
        "I weigh 80 kg",
        "it was hard",
        "just give me the numbers for today",
        # the same words about oneself or others, not a request to the coach
        "my drill sergeant in the army made us do pushups",
        "my old coach used tough love and it didn't work",
        "should I be more strict with my diet?",
        "I need to be tougher on myself about snacking",
        "no more excuses, I'm starting today",
        "my trainer says be gentle with the knee",
        "can you be nicer to my friend when she joins?",
    ],
)
def test_ordinary_messages_are_not_personality_requests(text: str) -> None:
    assert detect_personality_intent(text) is None


def test_asking_for_the_styles_lists_them() -> None:
    assert detect_personality_intent("what coaching styles do you have?") == (
        "set_personality",
        {},
    )
    assert normalise_personality("Tough Love") == "tough-love"
    assert normalise_personality("data_driven") == "data-driven"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = await open_database(tmp_path / "personality.db")
    yield db
    await db.dispose()


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


async def _call(tool: Any, user_id: int, **args: Any) -> dict[str, Any]:
    result = await tool.coroutine(runtime=_runtime(user_id), **args)
    return dict(json.loads(result))


async def test_the_tool_stores_the_choice_for_the_trusted_user_only(database: Database) -> None:
    service = PromptService(database)
    tool = make_set_personality(ToolServices(database=database), service)
    schema: Any = tool.tool_call_schema
    assert "runtime" not in schema.model_json_schema()["properties"]  # the model can't set it
    ann = await add_person(database, "ann")
    bo = await add_person(database, "bo")
    result = await _call(tool, ann, personality="tough love")
    assert (result["status"], result["personality"], result["previous"]) == (
        "updated",
        "tough-love",
        "supportive",
    )
    async with database.session() as session:
        assert await get_personality(session, ann) == "tough-love"
        assert await get_personality(session, bo) is None
    assert (await _call(tool, ann, personality="tough-love"))["status"] == "unchanged"
    unknown = await _call(tool, ann, personality="sarcastic")
    assert unknown["status"] == "unknown" and len(unknown["choices"]) == 3
    current = await _call(tool, ann)
    assert (current["status"], current["personality"]) == ("current", "tough-love")
    from fitcoach.agent.context import CoachContext as Ctx

    text = await service.render_system_prompt(Ctx(user_id=ann, channel="web", conversation_id="c"))
    assert "Coaching style (Tough love)" in text


async def test_the_tool_works_without_a_shared_prompt_service(database: Database) -> None:
    tool = make_set_personality(ToolServices(database=database))
    ann = await add_person(database, "ann")
    assert (await _call(tool, ann, personality="data"))["personality"] == "data-driven"


def test_replies_are_specific() -> None:
    render = PERSONALITY_RENDERERS["set_personality"]
    choices = [{"name": "supportive", "label": "Supportive", "description": "Warm."}]
    updated = {
        "status": "updated",
        "personality": "tough-love",
        "label": "Tough love",
        "description": "Direct and demanding.",
        "previous": "supportive",
    }
    assert render(updated).startswith("Done: I'll coach you in Tough love mode")
    assert "already on Tough love" in render({"status": "unchanged", "label": "Tough love"})
    unknown = render({"status": "unknown", "requested": "sarcastic", "choices": choices})
    assert "“sarcastic”" in unknown and "• Supportive (supportive): Warm." in unknown
    current = render({"status": "current", "label": "Supportive", "choices": choices})
    assert "be tougher on me" in current
