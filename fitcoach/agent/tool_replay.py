"""A turn run again after a failure does not repeat the tools' effects.

When a turn fails because the database went away after a tool had written (a meal logged,
then the checkpoint write refused), the turn is run again from its last checkpoint, and the
model asks for the same tool calls. Within one turn, :class:`ReplayToolEffects` remembers the
result of every tool call that completed and, on a later attempt, answers the same call (same
tool, same arguments, same position among such calls) with that result instead of running
the tool again: the meal is logged once. Outside a turn opened with :func:`tool_journal`
nothing is remembered.

The journal lives in memory, so it cannot help when the database applied a tool's change but
the connection dropped before the client heard so (the tool never completed), or when the
replica died mid-turn. For those, each call of a turn that names its message gets an *effect
key* (:func:`current_effect_key`), the same on every run of that message; writing tools store
their result under it with their change (:func:`fitcoach.tools.runtime.write_once`). The
effect key names the tool and how many calls of that tool came before it in the turn, not the
arguments: a real model asked the same message again may word them differently ("2 large
eggs", "two large eggs"), and that second wording must not log a second meal."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command


class ToolJournal:
    """The completed tool calls of one turn, across its attempts."""

    def __init__(self, turn: str | None = None) -> None:
        self.turn = turn
        """The message this turn answers (channel and message id), when it has one."""
        self.results: dict[tuple[str, int], ToolMessage] = {}
        self._seen: Counter[str] = Counter()
        self._seen_of_tool: Counter[str] = Counter()
        self.replayed = 0

    def new_attempt(self) -> None:
        """Start counting calls afresh (the results stay)."""
        self._seen.clear()
        self._seen_of_tool.clear()

    def key(self, name: str, args: Any) -> tuple[str, int]:
        """This call's identity within the turn: tool, arguments, and how many such calls
        came before it. Counts the call (call it once per tool call)."""
        call = f"{name}:{json.dumps(args, sort_keys=True, default=str)}"
        self._seen[call] += 1
        self._seen_of_tool[name] += 1
        return call, self._seen[call]

    def effect_key(self, name: str) -> str | None:
        """The key across runs of this turn, in any process, of the call of tool ``name``
        just counted by :meth:`key`: the message, the tool, and the call's position among
        that tool's calls (not its arguments). None without a turn."""
        if self.turn is None:
            return None
        position = self._seen_of_tool[name]
        return hashlib.sha256(f"{self.turn}\0{name}\0{position}".encode()).hexdigest()


_JOURNAL: ContextVar[ToolJournal | None] = ContextVar("fitcoach_tool_journal", default=None)
_EFFECT_KEY: ContextVar[str | None] = ContextVar("fitcoach_tool_effect_key", default=None)


def current_effect_key() -> str | None:
    """The effect key of the tool call running now (None outside a turn with a message)."""
    return _EFFECT_KEY.get()


@contextlib.contextmanager
def tool_journal(turn: str | None = None) -> Iterator[ToolJournal]:
    """Remember tool results for the attempts of one turn run inside this block; ``turn``
    names the message it answers, so its calls get effect keys."""
    journal = ToolJournal(turn)
    token = _JOURNAL.set(journal)
    try:
        yield journal
    finally:
        _JOURNAL.reset(token)


class ReplayToolEffects(AgentMiddleware[Any, Any, Any]):
    """Answers a tool call already completed in an earlier attempt of this turn from the
    journal; runs (and records) every other."""

    async def awrap_tool_call(
        self,
        request: ToolCallRequest,
        handler: Callable[[ToolCallRequest], Awaitable[ToolMessage | Command[Any]]],
    ) -> ToolMessage | Command[Any]:
        journal = _JOURNAL.get()
        if journal is None:
            return await handler(request)
        call = request.tool_call
        key = journal.key(call["name"], call.get("args"))
        done = journal.results.get(key)
        if done is not None:
            journal.replayed += 1
            return done.model_copy(update={"tool_call_id": call["id"]})
        token = _EFFECT_KEY.set(journal.effect_key(call["name"]))
        try:
            result = await handler(request)
        finally:
            _EFFECT_KEY.reset(token)
        if isinstance(result, ToolMessage) and result.status != "error":
            journal.results[key] = result
        return result
