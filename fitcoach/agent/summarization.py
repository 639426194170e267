"""The rolling summary of older turns, folded into the model call.

LangChain's ``SummarizationMiddleware`` works in ``before_model``, for which ``create_agent``
adds a graph node that runs before every model call: one more LangGraph step per call
(≈ 0.6–1.2 ms of CPU per turn in bench/agent_turn.py) although it summarizes only when the
history passes the trigger, a few times in a long conversation. :class:`InlineSummarization`
is that middleware with the same trigger, cut-off and summary, run from ``awrap_model_call``
instead: the model is called on the folded history, and the fold reaches the state through
the call's ``ExtendedModelResponse`` command (applied by the ``add_messages`` reducer after
the model's own message). A summary that fails to come back (model down) no longer fails the
turn: the call goes ahead on the unfolded history, which the prompt trims anyway."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from langchain.agents.middleware import (
    AgentMiddleware,
    ExtendedModelResponse,
    ModelRequest,
    ModelResponse,
    SummarizationMiddleware,
)
from langgraph.errors import GraphBubbleUp
from langgraph.types import Command

log = structlog.get_logger(__name__)


class InlineSummarization(SummarizationMiddleware):
    """``SummarizationMiddleware`` run inside the model call, with no graph step of its own."""

    # The base class's hooks: create_agent adds a node only for a middleware that overrides them.
    before_model = AgentMiddleware.before_model
    abefore_model = AgentMiddleware.abefore_model

    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any] | ExtendedModelResponse[Any]:
        try:
            fold = await SummarizationMiddleware.abefore_model(
                self, {"messages": request.messages}, request.runtime
            )
        except GraphBubbleUp:
            raise
        except Exception as exc:  # a missing summary must not cost the reply
            log.warning("summarization_failed", error_type=type(exc).__name__)
            fold = None
        if not fold:
            return await handler(request)
        # [RemoveMessage(REMOVE_ALL_MESSAGES), summary, *kept messages]
        folded = list(fold["messages"])
        response = await handler(request.override(messages=folded[1:]))
        # The model node adds its reply first; this update then replaces the whole history
        # with the fold followed by that reply.
        return ExtendedModelResponse(
            model_response=response,
            command=Command(update={"messages": [*folded, *response.result]}),
        )
