"""The rolling summary folded into the model call: the same history as LangChain's
``SummarizationMiddleware`` node, no graph step of its own, and no lost reply when the
summary fails."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import Field

from fitcoach.agent import graph as graph_module
from fitcoach.agent.budget import SUMMARY_KEEP_MESSAGES, is_summary
from fitcoach.agent.context import CoachContext
from fitcoach.agent.graph import build_agent_graph
from fitcoach.agent.prompts import coach_prompt
from fitcoach.agent.summarization import InlineSummarization
from tests.unit.admin.admin_support import RecordingChatModel

# ~500 tokens a message: the history passes the summary trigger after a few turns.
LONG_QUESTION = "What do you think about the plan I wrote for this week, step by step? " * 28


class ScriptedChatModel(RecordingChatModel):
    """Answers each coach call with a numbered reply and each summary request (a call
    without the coach's system prompt) with a fixed summary, or fails those."""

    calls: list[list[BaseMessage]] = Field(default_factory=list)
    summaries: int = 0
    fail_summaries: bool = False

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        if not any(isinstance(m, SystemMessage) for m in messages):
            self.summaries += 1
            if self.fail_summaries:
                raise RuntimeError("summary model unavailable")
            return ChatResult(generations=[ChatGeneration(message=AIMessage("They plan."))])
        self.calls.append(list(messages))
        reply = AIMessage(f"Reply {len(self.calls)}.")
        return ChatResult(generations=[ChatGeneration(message=reply)])


def context() -> CoachContext:
    return CoachContext(user_id=1, channel="web", conversation_id="1")


async def converse(graph: Any, turns: int) -> tuple[list[str], list[BaseMessage]]:
    config: dict[str, Any] = {"configurable": {"thread_id": "t1"}}
    replies = []
    for n in range(turns):
        result = await graph.ainvoke(
            {"messages": [HumanMessage(f"{n}: {LONG_QUESTION}")]},
            config=config,
            context=context(),
            durability="exit",
        )
        replies.append(str(result["messages"][-1].content))
    state = await graph.aget_state(config)
    return replies, list(state.values["messages"])


def shape(messages: list[BaseMessage]) -> list[tuple[str, str]]:
    return [(m.type, str(m.content)) for m in messages]


def build(model: ScriptedChatModel) -> Any:
    return build_agent_graph(model, [], coach_prompt(), InMemorySaver())


async def test_the_fold_is_the_one_the_middleware_node_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inline_model = ScriptedChatModel()
    inline_replies, inline_history = await converse(build(inline_model), 8)

    node_model = ScriptedChatModel()
    monkeypatch.setattr(graph_module, "InlineSummarization", SummarizationMiddleware)
    node_replies, node_history = await converse(build(node_model), 8)

    assert inline_model.summaries >= 1 and inline_model.summaries == node_model.summaries
    assert inline_replies == node_replies == [f"Reply {n}." for n in range(1, 9)]
    assert shape(inline_history) == shape(node_history)
    assert is_summary(inline_history[0]) and "They plan." in str(inline_history[0].content)
    assert len(inline_history) <= SUMMARY_KEEP_MESSAGES + 2
    assert inline_history[-1].content == "Reply 8."
    # Each coach call saw what the node-based agent sent (the folded history after a fold).
    assert [shape(c) for c in inline_model.calls] == [shape(c) for c in node_model.calls]
    assert any(is_summary(m) for m in inline_model.calls[-1])


async def test_no_graph_step_is_added_for_it() -> None:
    graph = build(ScriptedChatModel())
    nodes = set(graph.get_graph().nodes)
    assert not any("Summarization" in node for node in nodes), nodes
    assert "model" in nodes


async def test_a_failing_summary_costs_no_reply() -> None:
    model = ScriptedChatModel(fail_summaries=True)
    replies, history = await converse(build(model), 8)
    assert model.summaries >= 1  # it was tried, on the turns past the trigger
    assert replies == [f"Reply {n}." for n in range(1, 9)]
    assert not any(is_summary(m) for m in history)
    assert len(history) == 16  # nothing folded, nothing lost


def test_it_is_the_library_middleware_with_its_settings() -> None:
    middleware = InlineSummarization(ScriptedChatModel(), trigger=("tokens", 10))
    assert isinstance(middleware, SummarizationMiddleware)
