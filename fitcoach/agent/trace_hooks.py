"""LangSmith's span bookkeeping runs inline when nobody traces.

``langchain``'s agent wraps every middleware's model-call hook in ``langsmith.traceable``,
which runs its span set-up and tear-down in the default thread pool: two thread hops per
middleware per model call, also when tracing is off and the work is a few dictionary reads.
LangSmith's public ``set_runtime_overrides`` hook lets a process choose how that work runs;
here it runs in the caller's context directly unless tracing is enabled, when LangSmith's
own thread-pool path is kept."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import langsmith
from langsmith.utils import tracing_is_enabled


async def _inline_unless_tracing(
    default: Callable[..., Awaitable[Any]],
    ctx: contextvars.Context,
    func: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    if ctx.run(tracing_is_enabled):
        return await default(ctx, func, *args, **kwargs)
    return ctx.run(func, *args, **kwargs)


def run_trace_hooks_inline() -> bool:
    """Install the override (once per process); False when this LangSmith has no hook."""
    set_overrides = getattr(langsmith, "set_runtime_overrides", None)
    if set_overrides is None:
        return False
    set_overrides(aio_to_thread=_inline_unless_tracing)
    return True
