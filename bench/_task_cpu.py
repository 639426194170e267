"""Per-phase CPU of a replica under load, exact under concurrency (bench instrument).

py-spy samples wall time (a niced worker preempted inside a loopback send looks busy there)
and cProfile with a CPU clock multiplies a worker's CPU by four. Here every asyncio task's
coroutine is wrapped: the CPU of each step it runs (``send``/``throw``) is added to the label
on top of that task's stack. Chosen coroutine methods (``PHASES``) push their label while they
run; a task started inside a phase counts for that phase (LangGraph's node tasks count as the
agent), any other task under its coroutine's name.
CPU spent outside any task step (uvloop's own callbacks: socket reads into aiohttp, asyncpg
or redis protocols, timers) is the rest of the process's CPU.

Enabled in ``bench/_replica.py`` by ``BENCH_TASK_CPU=<dir>``; writes ``<dir>/<pid>.json`` at
exit: ``{"process_cpu_s": …, "phases": {label: seconds}}``."""

from __future__ import annotations

import asyncio
import functools
import importlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any

PHASES: dict[str, str] = {
    "fitcoach.conversation_queue:ConversationQueue._claim_next": "claim",
    "fitcoach.conversation_queue:ConversationQueue.deliver": "deliver",
    "fitcoach.conversation:ConversationService._open_turn": "open turn",
    "fitcoach.conversation:ConversationService._memory_block": "memory lookup",
    "fitcoach.conversation:ConversationService._close_turn": "close turn",
    "fitcoach.conversation:ConversationService.submit": "accept webhook",
    "fitcoach.agent.coach:CoachAgent.respond": "agent",
    "langgraph.pregel.main:Pregel.aget_state": "agent: state read",
    "fitcoach.agent.graph:CoachRouting.awrap_model_call": "agent: routing middleware",
    "fitcoach.admin.prompt_service:PromptService.render_system_prompt": "agent: system prompt",
    "fitcoach.agent.summarization:InlineSummarization.awrap_model_call": "agent: summarization",
    "langchain_core.language_models.chat_models:BaseChatModel.ainvoke": "agent: LangChain model",
    "fitcoach.storage.postgres_saver:InlinePostgresSaver.aget_tuple": "agent: checkpoint read",
    "fitcoach.storage.postgres_saver:InlinePostgresSaver.aput": "agent: checkpoint write",
    "fitcoach.agent.gemini:CachedToolsGemini._agenerate": "agent: model call",
    "fitcoach.memory.extraction:MemoryExtractor.after_turn": "memory extraction",
    "fitcoach.channels.telegram.typing_indicator:TypingIndicator._run": "typing",
    "fitcoach.coordination:RedisCoordinator.allow": "redis: rate limit",
    "fitcoach.coordination:RedisCoordinator.try_lock": "redis: lock",
    "fitcoach.coordination:RedisLease.release": "redis: lock",
    "fitcoach.coordination:RedisLease.renew": "redis: lock",
    "fitcoach.coordination:RedisCoordinator.take_hand_off": "redis: hand-off",
    "fitcoach.coordination:RedisCoordinator.hand_off": "redis: hand-off",
    "fitcoach.coordination:RedisCoordinator.hand_off_or_mark": "redis: hand-off",
}

_spent: defaultdict[str, float] = defaultdict(float)
_current: _TimedCoroutine | None = None


class _TimedCoroutine(Coroutine[Any, Any, Any]):
    """A task's coroutine whose steps are timed against the task's label stack."""

    def __init__(self, coro: Coroutine[Any, Any, Any], label: str) -> None:
        self.coro = coro
        self.labels = [label]
        self.mark = 0.0

    def flush(self) -> None:
        now = time.process_time()
        _spent[self.labels[-1]] += now - self.mark
        self.mark = now

    def _step(self, method: Callable[..., Any], *args: Any) -> Any:
        global _current
        outer = _current
        _current = self
        self.mark = time.process_time()
        try:
            return method(*args)
        finally:
            self.flush()
            _current = outer
            if outer is not None:
                outer.mark = time.process_time()

    def send(self, value: Any) -> Any:
        return self._step(self.coro.send, value)

    def throw(self, *args: Any) -> Any:
        return self._step(self.coro.throw, *args)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self.coro.__await__()


def _task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    if asyncio.iscoroutine(coro) and not isinstance(coro, _TimedCoroutine):
        name = getattr(getattr(coro, "cr_code", None), "co_qualname", type(coro).__name__)
        inherited = _current.labels[-1] if _current is not None else "task "
        label = f"task {name}" if inherited.startswith("task ") else inherited
        coro = _TimedCoroutine(coro, label)
    return asyncio.Task(coro, loop=loop, **kwargs)


def _phase(label: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        task = _current
        if task is None:
            return await method(*args, **kwargs)
        task.flush()
        task.labels.append(label)
        try:
            return await method(*args, **kwargs)
        finally:
            task.flush()
            task.labels.pop()

    return timed


def _install_phases() -> None:
    for target, label in PHASES.items():
        module_name, _, path = target.partition(":")
        owner_name, _, method_name = path.partition(".")
        owner = getattr(importlib.import_module(module_name), owner_name)
        setattr(owner, method_name, _phase(label, getattr(owner, method_name)))


def enable(directory: str) -> None:
    """Time this process's tasks from the server's start; write the figures at exit."""
    import atexit

    import uvicorn.server

    _install_phases()
    serve = uvicorn.server.Server.serve

    async def serve_timed(self: Any, *args: Any, **kwargs: Any) -> None:
        asyncio.get_running_loop().set_task_factory(_task_factory)
        await serve(self, *args, **kwargs)

    uvicorn.server.Server.serve = serve_timed  # type: ignore[method-assign]
    started = time.process_time()  # imports and the app's construction are not counted

    def dump() -> None:
        figures = {
            "process_cpu_s": time.process_time() - started,
            "outside_tasks_s": time.process_time() - started - sum(_spent.values()),
            "phases": dict(sorted(_spent.items(), key=lambda item: -item[1])),
        }
        (Path(directory) / f"{os.getpid()}.json").write_text(json.dumps(figures, indent=1))

    atexit.register(dump)
