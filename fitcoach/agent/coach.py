"""CoachAgent: runs one turn of the agent graph for one person and returns the reply."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from fitcoach.agent.context import CoachContext
from fitcoach.agent.graph import ROUTE_KEY
from fitcoach.agent.offline_model import _text
from fitcoach.metrics import FALLBACKS, MODEL_CALLS, MODEL_TOKENS, TOOL_CALLS

LIMITED_MODE_NOTE = (
    "(I'm in limited mode right now, so I can log meals, workouts and weigh-ins and report "
    "progress, but not chat freely.)"
)


@dataclass(frozen=True, slots=True)
class AgentReply:
    """What the agent answered in one turn."""

    text: str
    options: list[str] = field(default_factory=list)
    tools_called: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)

    @property
    def used_fallback(self) -> bool:
        """True when the remote model failed and the offline model answered."""
        return "fallback" in self.routes


class CoachAgent:
    """A thin runner around the compiled graph: one thread per conversation."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph

    async def respond(self, text: str, context: CoachContext, thread_id: str) -> AgentReply:
        """Run one turn and collect the reply, tool calls and routes."""
        message_id = f"in-{uuid.uuid4().hex}"
        result = await self.graph.ainvoke(
            {"messages": [HumanMessage(content=text, id=message_id)]},
            config={"configurable": {"thread_id": thread_id}},
            context=context,
        )
        reply = summarize_turn(result["messages"], message_id)
        record_metrics(result["messages"], message_id)
        return reply


def summarize_turn(messages: list[BaseMessage], human_id: str) -> AgentReply:
    """The reply made of the messages after the human message with this id."""
    start = next((i for i, m in enumerate(messages) if m.id == human_id), -1)
    turn = messages[start + 1 :]
    ai_messages = [m for m in turn if isinstance(m, AIMessage)]
    routes = [str(m.response_metadata.get(ROUTE_KEY, "")) for m in ai_messages]
    tools = [call["name"] for m in ai_messages for call in m.tool_calls]
    final = next((m for m in reversed(ai_messages) if not m.tool_calls and _text(m).strip()), None)
    text = (
        _text(final).strip()
        if final
        else "Sorry, I couldn't put a reply together. Could you rephrase?"
    )
    if "fallback" in routes:
        text = f"{text}\n\n{LIMITED_MODE_NOTE}"
    return AgentReply(text=text, options=_options(turn), tools_called=tools, routes=routes)


def _options(turn: list[BaseMessage]) -> list[str]:
    for message in reversed(turn):
        if isinstance(message, ToolMessage):
            try:
                result = json.loads(_text(message))
            except ValueError:
                return []
            if isinstance(result, dict) and result.get("status") == "needs_clarification":
                return [str(o["name"]) for o in result.get("options") or []]
            return []
    return []


def record_metrics(messages: list[BaseMessage], human_id: str) -> None:
    """Count this turn's model calls by route, tokens and tool calls."""
    start = next((i for i, m in enumerate(messages) if m.id == human_id), -1)
    for message in messages[start + 1 :]:
        if not isinstance(message, AIMessage):
            continue
        route = str(message.response_metadata.get(ROUTE_KEY, "unknown"))
        MODEL_CALLS.labels(route).inc()
        if route == "fallback":
            FALLBACKS.inc()
        usage = message.usage_metadata
        if usage:
            MODEL_TOKENS.labels("input").inc(usage.get("input_tokens", 0))
            MODEL_TOKENS.labels("output").inc(usage.get("output_tokens", 0))
        for call in message.tool_calls:
            TOOL_CALLS.labels(call["name"]).inc()
