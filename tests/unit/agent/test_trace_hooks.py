"""LangSmith span bookkeeping: inline when nobody traces, LangSmith's thread pool otherwise."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Iterator
from typing import Any

import langsmith
import pytest
from langsmith._internal._aiter import aio_to_thread

from fitcoach.agent.trace_hooks import run_trace_hooks_inline


@pytest.fixture
def inline_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("LANGSMITH_TRACING", "LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)
    assert run_trace_hooks_inline()
    yield
    langsmith.set_runtime_overrides()


def _thread_of_bookkeeping(ctx: contextvars.Context) -> int:
    async def run() -> int:
        return int(await aio_to_thread(ctx, threading.get_ident))

    return asyncio.run(run())


def test_bookkeeping_runs_in_the_callers_thread_when_nobody_traces(inline_hooks: None) -> None:
    assert _thread_of_bookkeeping(contextvars.copy_context()) == threading.get_ident()


def test_bookkeeping_keeps_langsmiths_thread_pool_when_tracing(inline_hooks: None) -> None:
    with langsmith.tracing_context(enabled=True):
        ctx = contextvars.copy_context()
    assert _thread_of_bookkeeping(ctx) != threading.get_ident()


def test_traced_functions_still_return_their_result(inline_hooks: None) -> None:
    @langsmith.traceable(name="double")
    async def double(value: int) -> int:
        return value * 2

    async def run() -> Any:
        return await double(21)

    assert asyncio.run(run()) == 42
