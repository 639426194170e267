"""The offline model: a real chat model that needs no network and no key.

It reads the latest human message with the grounded parsers and answers with tool calls, then
turns the tool results into a specific reply. It is the default without an API key and the
fallback whenever a remote model fails."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from fitcoach.agent.intents import Intent, detect_intent, pick_option
from fitcoach.agent.replies import render_tool_result
from fitcoach.memory.intents import detect_memory_intent
from fitcoach.memory.rules import extract_with_rules

HELP_TEXT = (
    "I'm your fitness coach. Tell me what you eat and how you train, and I'll keep the numbers "
    "straight from the USDA food database and the exercise catalog. Try:\n"
    "• “had 2 large eggs and a banana for breakfast”\n"
    "• “bench 3x5 at 80kg” or “ran 5k in 27 min”\n"
    "• “I weigh 80 kg”\n"
    "• “how am I doing today?” or “this week”\n"
    "• “make me a plan, 3 days a week with dumbbells” and “what's my workout today?”\n"
    "• “show my weight trend” or “chart my calories”\n"
    "• “undo” to remove the last entry"
)
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|yo|hiya|good (morning|afternoon|evening)|/start)\b", re.I
)
_THANKS = re.compile(r"\b(thanks|thank you|thx|cheers)\b", re.I)
_HELP = re.compile(r"^\s*(/?help|what can you do|\?)", re.I)
VOICE_NEEDS_MODEL = (
    "I got your voice note, but transcribing audio needs an AI model, and I'm running in "
    "offline mode. Could you type it instead?"
)


class OfflineChatModel(BaseChatModel):
    """Intent parser + reply composer behind the standard chat-model interface."""

    tool_names: tuple[str, ...] = ()

    @property
    def _llm_type(self) -> str:
        return "fitcoach-offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Remember which tools exist; only those are ever called."""
        names = tuple(
            tool.name
            if isinstance(tool, BaseTool)
            else convert_to_openai_tool(tool)["function"]["name"]
            for tool in tools
        )
        return self.model_copy(update={"tool_names": names})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages))])

    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        """The next assistant message for this conversation."""
        last_human = _last_index(messages, HumanMessage)
        if last_human is None:
            return AIMessage(content=HELP_TEXT)
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content="\n".join(render_tool_result(_text(m)) for m in results))
        human = messages[last_human]
        text = _text(human).strip()
        if not text and _has_block(human, "audio"):
            return AIMessage(content=VOICE_NEEDS_MODEL)
        memory = detect_memory_intent(text)
        intent = (
            _follow_up(messages[:last_human], text)
            or (Intent(memory[0], memory[1], certain=True) if memory else None)
            or detect_intent(text)
        )
        if intent is not None and intent.tool in self.tool_names:
            return AIMessage(
                content="",
                tool_calls=[
                    {
                        "name": intent.tool,
                        "args": intent.args,
                        "id": f"call_{uuid.uuid4().hex[:12]}",
                        "type": "tool_call",
                    }
                ],
            )
        return AIMessage(content=_small_talk(text))


def _small_talk(text: str) -> str:
    facts = extract_with_rules(text)
    if facts:
        noted = "; ".join(fact.text[0].lower() + fact.text[1:] for fact in facts)
        return f"Thanks for telling me, I'll keep that in mind: {noted}."
    if _GREETING.search(text):
        return "Hi! " + HELP_TEXT
    if _THANKS.search(text):
        return "Any time! Keep it up."
    if _HELP.search(text):
        return HELP_TEXT
    return (
        "I didn't catch a meal, workout or weigh-in in that, and in offline mode I can only "
        "handle those. " + HELP_TEXT
    )


def _follow_up(history: list[BaseMessage], text: str) -> Intent | None:
    """An answer to the clarifying question the coach just asked, as a new tool call."""
    previous = _last_index(history, ToolMessage)
    if previous is None or _last_index(history, HumanMessage) is None:
        return None
    if previous < (_last_index(history, HumanMessage) or 0):
        return None
    try:
        result = json.loads(_text(history[previous]))
    except ValueError:
        return None
    if not isinstance(result, dict) or result.get("status") not in (
        "needs_clarification",
        "options",
    ):
        return None
    options = result.get("options") or []
    choice = pick_option(text, options)
    if choice is None:
        return None
    if result.get("tool") == "log_meal":
        return Intent(
            "log_meal",
            {"description": result["description"], "choices": {result["phrase"]: choice["ndb"]}},
        )
    if result.get("tool") == "swap_exercise":
        if result.get("reason") == "not_in_plan":
            return Intent("swap_exercise", {"exercise": choice["name"]})
        original = result.get("name") or result.get("exercise_id")
        if original:
            return Intent("swap_exercise", {"exercise": original, "replace_with": choice["id"]})
        return None
    if result.get("tool") == "log_workout":
        return Intent(
            "log_workout",
            {"description": result["description"], "choices": {result["phrase"]: choice["id"]}},
        )
    return None


def _last_index(messages: list[BaseMessage], kind: type[BaseMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], kind):
            return index
    return None


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(
        block if isinstance(block, str) else str(block.get("text", ""))
        for block in content
        if isinstance(block, str) or block.get("type") == "text"
    )


def _has_block(message: BaseMessage, kind: str) -> bool:
    content = message.content
    return isinstance(content, list) and any(
        isinstance(block, dict) and str(block.get("type", "")).startswith(kind) for block in content
    )
