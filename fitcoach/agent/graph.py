"""The coach agent graph: one LangGraph agent whatever the model.

Routing per model call (middleware):
- fast path: a message the grounded parsers understand completely is served by the offline
  model (tool call, then reply) with no remote model call;
- fallback: when the remote model fails (error, timeout, 429), the offline model answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import structlog
from langchain.agents import create_agent
from langchain.agents.middleware import (
    AgentMiddleware,
    ModelRequest,
    ModelResponse,
)
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool
from langgraph.errors import GraphBubbleUp
from langgraph.types import Checkpointer

from fitcoach.agent.budget import (
    SUMMARY_KEEP_MESSAGES,
    SUMMARY_TRIGGER_TOKENS,
    is_summary,
    trim_history,
)
from fitcoach.agent.context import CoachContext
from fitcoach.agent.intents import detect_intent
from fitcoach.agent.offline_model import OfflineChatModel, _text
from fitcoach.agent.prompts import CoachPrompt, PromptRenderer
from fitcoach.agent.summarization import InlineSummarization
from fitcoach.agent.tool_replay import ReplayToolEffects
from fitcoach.memory.intents import detect_memory_intent

log = structlog.get_logger(__name__)

ROUTE_KEY = "fitcoach_route"


class CoachRouting(AgentMiddleware[Any, CoachContext, Any]):
    """Renders the system prompt per person; routes to the offline model (fast path, fallback)."""

    def __init__(
        self,
        prompt: CoachPrompt,
        offline: BaseChatModel,
        remote: bool,
        fast_path: bool = True,
        prompts: PromptRenderer | None = None,
    ) -> None:
        super().__init__()
        self.prompt = prompt
        self.prompts = prompts
        self.offline = offline
        self.remote = remote
        self.fast_path = fast_path

    async def awrap_model_call(
        self,
        request: ModelRequest[CoachContext],
        handler: Callable[[ModelRequest[CoachContext]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        context = request.runtime.context if request.runtime else None
        memory = context.memory_context if isinstance(context, CoachContext) else ""
        if isinstance(context, CoachContext) and self.prompts is not None:
            if request.messages and isinstance(request.messages[-1], ToolMessage):
                # A tool of this turn may have changed the style or the profile: read again.
                context = dataclasses.replace(context, missing_facts=None)
            system = await self.prompts.render_system_prompt(context)
        else:
            summary = context.profile_summary if isinstance(context, CoachContext) else ""
            system = self.prompt.render(summary)
        system += f"\n\n{memory}" if memory else ""
        request = request.override(
            system_message=SystemMessage(system),
            messages=cast("list[AnyMessage]", trim_history(request.messages)),
        )
        if not self.remote:
            return _mark(await handler(request), "offline")
        if self.fast_path and _fast_path(request.messages):
            return _mark(await handler(request.override(model=self.offline)), "fast_path")
        try:
            return _mark(await handler(request), "model")
        except GraphBubbleUp:
            raise
        except Exception as exc:  # any model failure must still end in a reply
            log.warning("model_failed_fallback_offline", error_type=type(exc).__name__)
            return _mark(await handler(request.override(model=self.offline)), "fallback")


def _fast_path(messages: Sequence[BaseMessage]) -> bool:
    """True for the first call on a fully understood message, or the reply after its tools."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return message.response_metadata.get(ROUTE_KEY) == "fast_path"
        if isinstance(message, HumanMessage) and not is_summary(message):
            if isinstance(message.content, list) and any(
                isinstance(b, dict) and b.get("type") != "text" for b in message.content
            ):
                return False
            text = _text(message)
            if detect_memory_intent(text):
                return True
            intent = detect_intent(text)
            return intent is not None and intent.certain
    return False


def _mark(response: ModelResponse[Any], route: str) -> ModelResponse[Any]:
    for message in response.result:
        if isinstance(message, AIMessage):
            message.response_metadata[ROUTE_KEY] = route
    return response


def build_agent_graph(
    model: BaseChatModel,
    tools: list[BaseTool],
    prompt: CoachPrompt,
    checkpointer: Checkpointer | None,
    *,
    fast_path: bool = True,
    prompts: PromptRenderer | None = None,
) -> Any:
    """Compile the agent graph for this model and these tools."""
    offline = OfflineChatModel()
    remote = not isinstance(model, OfflineChatModel)
    middleware: list[AgentMiddleware[Any, Any, Any]] = []
    if remote:
        # Older turns become a rolling summary (written by the remote model) in the state.
        middleware.append(
            InlineSummarization(
                model,
                trigger=("tokens", SUMMARY_TRIGGER_TOKENS),
                keep=("messages", SUMMARY_KEEP_MESSAGES),
            )
        )
    middleware.append(CoachRouting(prompt, offline, remote, fast_path=fast_path, prompts=prompts))
    middleware.append(ReplayToolEffects())
    return create_agent(
        model,
        tools,
        system_prompt=prompt.render(),
        middleware=middleware,
        context_schema=CoachContext,
        checkpointer=checkpointer,
    )
