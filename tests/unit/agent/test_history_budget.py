"""The history kept in each prompt: the same messages ``trim_messages`` keeps, counted once."""

from __future__ import annotations

import random

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    trim_messages,
)
from langchain_core.messages.utils import count_tokens_approximately

from fitcoach.agent.budget import latest_within, trim_history


def random_history(rng: random.Random, length: int) -> list[BaseMessage]:
    messages: list[BaseMessage] = []
    for n in range(length):
        kind = rng.choice(["human", "ai", "tool_call", "tool", "image", "system"])
        text = " ".join(
            rng.choice(["squat", "5x5", "oats", "🏃", "kcal", "é"])
            for _ in range(rng.randint(0, 60))
        )
        if kind == "human":
            messages.append(HumanMessage(text, id=f"h{n}"))
        elif kind == "ai":
            messages.append(AIMessage(text, id=f"a{n}"))
        elif kind == "tool_call":
            call = {"name": "log_meal", "args": {"text": text}, "id": f"c{n}"}
            messages.append(AIMessage("", tool_calls=[call], id=f"t{n}"))
        elif kind == "tool":
            messages.append(ToolMessage(text, tool_call_id=f"c{n}", id=f"r{n}"))
        elif kind == "image":
            blocks = [{"type": "text", "text": text}, {"type": "image", "url": "x"}]
            messages.append(HumanMessage(blocks, id=f"i{n}"))  # type: ignore[arg-type]
        else:
            messages.append(SystemMessage(text, id=f"s{n}"))
    return messages


@pytest.mark.parametrize("seed", range(300))
def test_the_kept_messages_are_the_ones_trim_messages_keeps(seed: int) -> None:
    rng = random.Random(seed)
    messages = random_history(rng, rng.randint(0, 40))
    budget = rng.choice([0, 3, 10, 50, 200, 600, 1200, 5000])
    expected = trim_messages(
        messages,
        max_tokens=budget,
        token_counter=count_tokens_approximately,
        strategy="last",
        start_on="human",
        allow_partial=False,
    )
    assert latest_within(messages, budget) == expected


def test_a_long_history_is_counted_once_per_message() -> None:
    history: list[BaseMessage] = []
    for n in range(30):
        history += [HumanMessage(f"any tips for this week {n}?"), AIMessage(f"Keep going {n}.")]
    history.append(HumanMessage("and today?"))
    counted: list[int] = []

    def counter(messages: list[BaseMessage]) -> int:
        counted.append(len(messages))
        return count_tokens_approximately(messages)

    trim_messages(history[:-1], max_tokens=60, token_counter=counter, strategy="last")
    assert sum(counted) > len(history)  # the library counts slices over and over
    kept = trim_history(history, budget=60)
    assert kept == history[-len(kept) :]  # the latest messages, the current one last
    assert kept[0].type == "human" and count_tokens_approximately(kept[:-1]) <= 60
    assert len(kept) < len(history)
