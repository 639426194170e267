"""CoachAgent: runs one turn of the agent graph for one person and returns the reply."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.types import Command

from fitcoach.agent.chart_replies import images_from_turn
from fitcoach.agent.context import CoachContext
from fitcoach.agent.graph import ROUTE_KEY
from fitcoach.agent.offline_model import VOICE_NEEDS_MODEL, _text
from fitcoach.agent.voice import transcribe
from fitcoach.channels.base import Attachment
from fitcoach.domain.safety.screening import screen_message
from fitcoach.metrics import FALLBACKS, MODEL_CALLS, MODEL_TOKENS, SAFETY_FLAGS, TOOL_CALLS

if TYPE_CHECKING:
    from fitcoach.storage.checkpoints import ReadAhead

log = structlog.get_logger(__name__)

LIMITED_MODE_NOTE = (
    "(I'm in limited mode right now, so I can log meals, workouts and weigh-ins and report "
    "progress, but not chat freely.)"
)
VOICE_FAILED = "I couldn't make out that voice note. Could you type it instead?"


@dataclass(frozen=True, slots=True)
class AgentReply:
    """What the agent answered in one turn."""

    text: str
    options: list[str] = field(default_factory=list)
    tools_called: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    transcript: str | None = None
    files: list[Path] = field(default_factory=list)
    images: list[Attachment] = field(default_factory=list)

    @property
    def used_fallback(self) -> bool:
        """True when the remote model failed and the offline model answered."""
        return "fallback" in self.routes


@dataclass(frozen=True, slots=True)
class AudioClip:
    """A stored voice note."""

    path: Path
    mime_type: str


class CoachAgent:
    """A thin runner around the compiled graph: one thread per conversation."""

    def __init__(
        self,
        graph: Any,
        transcriber: BaseChatModel | None = None,
        media_root: Path | None = None,
        read_ahead: ReadAhead | None = None,
    ) -> None:
        self.graph = graph
        self.transcriber = transcriber
        self.media_root = media_root
        self.read_ahead = read_ahead
        """Reads a thread's checkpoint once for the turn and tells whether the thread may wait
        for an answer; without it every turn loads the thread's state to look for a pending
        confirmation."""

    async def respond(
        self,
        text: str,
        context: CoachContext,
        thread_id: str,
        *,
        photo_ids: Sequence[str] = (),
        audio: Sequence[AudioClip] = (),
    ) -> AgentReply:
        """Run one turn (or resume a pending confirmation) and collect the reply."""
        transcript = None
        if audio:
            if self.transcriber is None:
                return AgentReply(text=VOICE_NEEDS_MODEL)
            try:
                transcript = await transcribe(self.transcriber, audio[0].path, audio[0].mime_type)
            except Exception as exc:
                log.warning("transcription_failed", error_type=type(exc).__name__)
                return AgentReply(text=VOICE_FAILED)
            text = f"{text}\n{transcript}".strip()
            if not transcript:
                return AgentReply(text=VOICE_FAILED)
        screen = screen_message(text)
        if screen.flagged and (
            screen.urgent or screen.needs_referral or screen.stop_deficit_advice
        ):
            # Health and safety first: a plain, caring reply and a referral, no coaching numbers.
            SAFETY_FLAGS.labels(",".join(sorted(screen.flags))).inc()
            return AgentReply(text=screen.reply, routes=["safety"], transcript=transcript)
        config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
        opened = self.read_ahead(thread_id) if self.read_ahead else nullcontext(True)
        async with opened as may_await_answer:
            state = await self.graph.aget_state(config) if may_await_answer else None
            result, turn = await self._run(text, context, config, state, photo_ids)
        record_metrics(turn)
        reply = summarize_turn(turn, result.get("__interrupt__") or ())
        reply = replace(reply, images=images_from_turn(turn, allowed_root=self.media_root))
        if transcript is not None:
            reply = replace(reply, text=f"🎙 “{transcript}”\n\n{reply.text}", transcript=transcript)
        return reply

    async def _run(
        self,
        text: str,
        context: CoachContext,
        config: dict[str, Any],
        state: Any,
        photo_ids: Sequence[str],
    ) -> tuple[dict[str, Any], list[BaseMessage]]:
        """Resume a pending confirmation with this answer, or run a new turn; the result and
        the messages the turn added."""
        if state is not None and state.interrupts and not photo_ids:
            before = len(state.values.get("messages", []))
            result = await self.graph.ainvoke(
                Command(resume=text), config=config, context=context, durability="exit"
            )
            turn = result["messages"][before:]
        else:
            message_id = f"in-{uuid.uuid4().hex}"
            content = " ".join([text, *(f"[photo:{pid}]" for pid in photo_ids)]).strip()
            result = await self.graph.ainvoke(
                {"messages": [HumanMessage(content=content, id=message_id)]},
                config=config,
                context=context,
                # One checkpoint per turn (at its end or interrupt), not one per step: a turn
                # cut short by a crash is re-run whole from the inbox anyway.
                durability="exit",
            )
            turn = messages_after(result["messages"], message_id)
        return result, turn


def messages_after(messages: list[BaseMessage], human_id: str) -> list[BaseMessage]:
    """The messages this turn added after the human message with this id."""
    start = next((i for i, m in enumerate(messages) if m.id == human_id), -1)
    return messages[start + 1 :]


def summarize_turn(turn: list[BaseMessage], interrupts: Sequence[Any] = ()) -> AgentReply:
    """The reply made of one turn's messages (and a pending confirmation, if any)."""
    ai_messages = [m for m in turn if isinstance(m, AIMessage)]
    routes = [str(m.response_metadata.get(ROUTE_KEY, "")) for m in ai_messages]
    tools = [call["name"] for m in ai_messages for call in m.tool_calls]
    if interrupts:
        value = getattr(interrupts[0], "value", {}) or {}
        return AgentReply(
            text=str(value.get("question", "Please confirm.")),
            options=[str(o) for o in value.get("options", [])],
            tools_called=tools,
            routes=routes,
        )
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
            if isinstance(result, dict) and result.get("status") in (
                "needs_clarification",
                "options",
            ):
                return [str(o["name"]) for o in result.get("options") or []]
            return []
    return []


def record_metrics(turn: list[BaseMessage]) -> None:
    """Count this turn's model calls by route, tokens and tool calls."""
    for message in turn:
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
