"""Per-phase CPU of a replica under load, exact under concurrency (bench instrument).

py-spy samples wall time (a niced worker preempted inside a loopback send looks busy there)
and cProfile with a CPU clock multiplies a worker's CPU by four. Here every asyncio task's
coroutine is wrapped: the event loop thread's CPU of each step it runs (``send``/``throw``;
other threads' CPU is not in it) is added to the label
on top of that task's stack. Chosen coroutine methods (``PHASES``) push their label while they
run; a task started inside a phase counts for that phase (LangGraph's node tasks count as the
agent), any other task under its coroutine's name.
CPU of other threads (thread-pool jobs: embedded Chroma, file reads) is counted apart; the
event loop's CPU outside any task step (uvloop's own callbacks: socket reads into aiohttp,
asyncpg or redis protocols, timers) is the rest.

Enabled in ``bench/_replica.py`` by ``BENCH_TASK_CPU=<dir>``; writes ``<dir>/<pid>.json`` at
exit: ``{"process_cpu_s": …, "other_threads_s": …, "outside_tasks_s": …, "phases": {label:
seconds}}``, counted from the server's start."""

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
        now = time.thread_time()
        _spent[self.labels[-1]] += now - self.mark
        self.mark = now

    def _step(self, method: Callable[..., Any], *args: Any) -> Any:
        global _current
        outer = _current
        _current = self
        self.mark = time.thread_time()
        try:
            return method(*args)
        finally:
            self.flush()
            _current = outer
            if outer is not None:
                outer.mark = time.thread_time()

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

    started = [time.process_time(), time.thread_time()]

    async def serve_timed(self: Any, *args: Any, **kwargs: Any) -> None:
        # Imports and the app's construction are not counted.
        started[:] = [time.process_time(), time.thread_time()]
        loop = asyncio.get_running_loop()
        loop.set_task_factory(_task_factory)
        await loop.create_task(serve(self, *args, **kwargs))  # a timed task itself

    uvicorn.server.Server.serve = serve_timed  # type: ignore[method-assign]

    def dump() -> None:
        spent = time.process_time() - started[0]
        other_threads = spent - (time.thread_time() - started[1])
        figures = {
            "process_cpu_s": spent,
            "other_threads_s": other_threads,
            "outside_tasks_s": spent - other_threads - sum(_spent.values()),
            "phases": dict(sorted(_spent.items(), key=lambda item: -item[1])),
        }
        (Path(directory) / f"{os.getpid()}.json").write_text(json.dumps(figures, indent=1))

    atexit.register(dump)


def summary(directory: Path, names: dict[int, str], turns: int) -> list[str]:
    """Report lines: each replica's CPU per turn by phase (≥ 0.01 ms), from the files the
    replicas in ``names`` (pid → name) wrote; the whole run from the server's start to exit,
    start-up included."""
    lines = []
    for path in sorted(directory.glob("*.json")):
        name = names.get(int(path.stem), path.stem)
        figures = json.loads(path.read_text())
        phases = {
            **figures["phases"],
            "(other threads)": figures["other_threads_s"],
            "(outside task steps)": figures["outside_tasks_s"],
        }
        per_turn = {label: 1000 * s / max(turns, 1) for label, s in phases.items()}
        shown = sorted(((ms, label) for label, ms in per_turn.items() if ms >= 0.01), reverse=True)
        lines.append(
            f"  CPU by phase, {name} ({1000 * figures['process_cpu_s'] / max(turns, 1):.2f} ms "
            "per turn in all): " + ", ".join(f"{label} {ms:.2f}" for ms, label in shown)
        )
    return lines
