"""Prompt tokens per turn: fitcoach's bounded prompt vs a naive full-history agent.

Replays a scripted 100-turn conversation through the real graph and tools with a recording
model that answers like a remote model (tool calls from the grounded parsers) and counts every
prompt it receives (system + tool schemas + messages, approximate tokens: 4 chars/token).

Run from the repo root: ``python bench/tokens.py``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain.agents import create_agent  # noqa: E402
from langchain_core.callbacks import CallbackManagerForLLMRun  # noqa: E402
from langchain_core.language_models import BaseChatModel, LanguageModelInput  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage  # noqa: E402
from langchain_core.messages.utils import count_tokens_approximately  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langchain_core.runnables import Runnable  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402
from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from pydantic import Field  # noqa: E402

from fitcoach.agent.coach import CoachAgent  # noqa: E402
from fitcoach.agent.context import CoachContext  # noqa: E402
from fitcoach.agent.graph import build_agent_graph  # noqa: E402
from fitcoach.agent.offline_model import OfflineChatModel  # noqa: E402
from fitcoach.agent.prompts import coach_prompt  # noqa: E402
from fitcoach.storage.database import Database  # noqa: E402
from fitcoach.storage.migrate import upgrade_database_async  # noqa: E402
from fitcoach.storage.repositories import UserDirectory  # noqa: E402
from fitcoach.tools import ToolServices, build_tools  # noqa: E402

SCRIPT = [
    "hi, I'm starting to train again",
    "had 2 large eggs and a banana for breakfast",
    "bench 3x5 at 80kg",
    "what should I eat before an evening run?",
    "had a chicken breast with 1 cup of rice for lunch",
    "ran 5k in 27 min",
    "how am I doing today?",
    "is it ok to train when my legs are sore?",
    "squat 5x5 100kg",
    "a greek yogurt and a handful of almonds",
    "I weigh 81 kg",
    "how much protein should I aim for?",
    "2 slices of whole wheat toast with peanut butter",
    "3x12 pushups",
    "how was my week",
    "any tips to sleep better after late workouts?",
    "an apple and a coffee",
    "deadlift 3x5 140kg",
    "cycled 40 min",
    "I'm feeling unmotivated this week, any advice?",
]
TURNS = 100


class RecordingModel(BaseChatModel):
    """Behaves like a remote tool-calling model and records each prompt's size."""

    tools: list[dict[str, Any]] = Field(default_factory=list)
    log: list[tuple[int, int]] = Field(default_factory=list)  # (turn, prompt tokens)
    turn: int = 0

    @property
    def _llm_type(self) -> str:
        return "recording"

    def bind_tools(
        self, tools: Sequence[Any], **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        schemas = [convert_to_openai_tool(t) for t in tools]
        return self.model_copy(update={"tools": schemas})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        tokens = count_tokens_approximately(messages, tools=self.tools or None)
        self.log.append((self.turn, tokens))
        if not self.tools:  # a summarisation call
            text = "Summary: the person logs meals and training and asks general questions."
            return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])
        names = tuple(t["function"]["name"] for t in self.tools)
        reply = OfflineChatModel(tool_names=names).respond(messages)
        if not reply.tool_calls and not any(
            isinstance(m, AIMessage) and m.tool_calls for m in messages[-3:]
        ):
            # A chatty model answers questions at some length.
            reply = AIMessage(str(reply.content) + " " + "Here is some friendly advice. " * 20)
        return ChatResult(generations=[ChatGeneration(message=reply)])


async def replay(
    label: str, graph_factory: Any, database: Database, user_id: int
) -> dict[str, Any]:
    model = RecordingModel(log=[])
    graph = graph_factory(model)
    agent = CoachAgent(graph)
    context = CoachContext(user_id=user_id, channel="bench", conversation_id=label)
    for turn in range(TURNS):
        model.turn = turn
        await agent.respond(SCRIPT[turn % len(SCRIPT)], context, thread_id=label)
    per_turn = [0] * TURNS
    for turn, tokens in model.log:
        per_turn[turn] = max(per_turn[turn], tokens)
    called = [t for t in per_turn if t]
    logging_turns = [i for i in range(TURNS) if _is_logging(SCRIPT[i % len(SCRIPT)])]
    model_free = [i for i in logging_turns if per_turn[i] == 0]
    return {
        "label": label,
        "per_turn": per_turn,
        "max": max(called) if called else 0,
        "median": statistics.median(called) if called else 0,
        "turn100": per_turn[-1],
        "model_calls": len(model.log),
        "logging_model_free_share": len(model_free) / len(logging_turns),
    }


def _is_logging(text: str) -> bool:
    from fitcoach.agent.intents import detect_intent

    intent = detect_intent(text)
    return intent is not None and intent.tool in ("log_meal", "log_workout", "log_body_weight")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await upgrade_database_async(url)
        database = Database(url)
        async with database.session() as session:
            user = await UserDirectory(session).resolve("bench", "tokens")
        tools = build_tools(ToolServices(database=database))
        prompt = coach_prompt()

        def fitcoach(fast_path: bool) -> Any:
            return lambda model: build_agent_graph(
                model, tools, prompt, InMemorySaver(), fast_path=fast_path
            )

        def naive(model: BaseChatModel) -> Any:
            return create_agent(
                model, tools, system_prompt=prompt.render(), checkpointer=InMemorySaver()
            )

        runs = [
            await replay("fitcoach", fitcoach(True), database, user.id),
            await replay("fitcoach-no-fast-path", fitcoach(False), database, user.id),
            await replay("naive-full-history", naive, database, user.id),
        ]
        await database.dispose()

    print(
        "prompt tokens per turn (largest prompt sent to the model in that turn; 0 = no model call)"
    )
    print("turn " + " ".join(f"{r['label']:>22}" for r in runs))
    for turn in [*range(0, TURNS, 10), TURNS - 1]:
        print(f"{turn + 1:>4} " + " ".join(f"{r['per_turn'][turn]:>22}" for r in runs))
    print()
    for r in runs:
        print(
            f"{r['label']:>22}: max {r['max']}, median {r['median']:.0f}, turn 100 {r['turn100']}, "
            f"model calls {r['model_calls']}, logging turns with no model call "
            f"{r['logging_model_free_share']:.0%}"
        )
    bounded, naive_run = runs[1], runs[2]
    ratio = naive_run["turn100"] / max(1, bounded["turn100"])
    print(
        f"\nnaive / fitcoach at turn 100: {ratio:.1f}x (target >= 5x); "
        f"fitcoach max prompt {bounded['max']} tokens (target <= 3000); "
        f"fast path share {runs[0]['logging_model_free_share']:.0%} (target >= 70%)"
    )


if __name__ == "__main__":
    asyncio.run(main())
