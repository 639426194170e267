"""Offline chart intents."""

from __future__ import annotations

from typing import Any

import pytest

from fitcoach.agent.chart_intents import detect_chart_intent


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("show my weight trend", {"kind": "weight"}),
        ("chart my calories", {"kind": "calories"}),
        ("volume per muscle this month", {"kind": "volume", "weeks": 4}),
        ("/chart weight", {"kind": "weight"}),
        ("/chart calories 7 days", {"kind": "calories", "weeks": 1}),
        ("/chart@FitCoachBot volume", {"kind": "volume"}),
        ("graph my weight training volume", {"kind": "volume"}),
        ("plot my lifting over the last 6 weeks", {"kind": "volume", "weeks": 6}),
        (
            "can you show me a graph of my body weight over 3 months?",
            {"kind": "weight", "weeks": 13},
        ),
        ("weekly volume", {"kind": "volume"}),
        ("my kcal intake over time", {"kind": "calories"}),
    ],
)
def test_chart_requests(text: str, args: dict[str, Any]) -> None:
    assert detect_chart_intent(text) == ("show_chart", args)


@pytest.mark.parametrize(
    "text",
    [
        "/chart",  # which chart? left to the model / help
        "how am I doing this week",
        "I weigh 80 kg",
        "bench 3x5 at 80kg",
        "what are my calorie targets",
        "had 2 eggs and toast",
        "make me a plan",
    ],
)
def test_not_chart_requests(text: str) -> None:
    assert detect_chart_intent(text) is None


@pytest.mark.parametrize(
    "text",
    [
        # "history" and "trending" in other senses, and training questions
        "my weight history is complicated, I've yo-yo dieted",
        "is the carnivore diet trending for a reason?",
        "how many sets per muscle group per week?",
        "sets per muscle group for beginners?",
    ],
)
def test_other_senses_and_questions_are_not_chart_requests(text: str) -> None:
    assert detect_chart_intent(text) is None


@pytest.mark.parametrize("text", ["weight history", "my weight trend", "show my weight history"])
def test_short_or_asked_history_is_a_chart(text: str) -> None:
    assert detect_chart_intent(text) == ("show_chart", {"kind": "weight"})
