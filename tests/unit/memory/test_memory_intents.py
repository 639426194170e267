"""Offline memory commands: remember, forget, recall."""

from __future__ import annotations

import pytest

from fitcoach.memory.intents import detect_memory_intent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remember that I hate running", ("remember", {"text": "I hate running"})),
        ("Please remember: my knee is bad.", ("remember", {"text": "my knee is bad"})),
        ("forget that I hate running", ("forget_memory", {"what": "I hate running"})),
        ("forget about my knee", ("forget_memory", {"what": "my knee"})),
        (
            "forget everything about me",
            ("forget_memory", {"what": "everything", "everything": True}),
        ),
        ("what do you remember about me?", ("recall_memories", {})),
        ("What do you know about me", ("recall_memories", {})),
        ("show my memories", ("recall_memories", {})),
        (
            "what do you remember about my injuries?",
            ("recall_memories", {"category": "challenges"}),
        ),
        (
            "what do you know about my diet",
            ("recall_memories", {"category": "nutrition_preferences"}),
        ),
    ],
)
def test_memory_commands(text: str, expected: tuple[str, dict[str, object]]) -> None:
    assert detect_memory_intent(text) == expected


@pytest.mark.parametrize(
    "text", ["had 2 eggs", "bench 3x5 at 80kg", "do you remember when I ran 5k?", "I'm vegetarian"]
)
def test_other_messages_are_not_memory_commands(text: str) -> None:
    assert detect_memory_intent(text) is None
