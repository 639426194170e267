"""Offline rules for plan requests: swaps name the plan's exercise, statements are not requests."""

from __future__ import annotations

import pytest

from fitcoach.agent.plan_intents import detect_plan_intent


@pytest.mark.parametrize(
    ("text", "exercise"),
    [
        ("swap squats", "squats"),
        # the replacement was part of the exercise's name: "bench press with dumbbell press"
        ("replace bench press with dumbbell press", "bench press"),
        ("swap bench for incline", "bench"),
        ("can you swap deadlifts for something else?", "deadlifts"),
    ],
)
def test_a_swap_names_the_exercise_to_replace(text: str, exercise: str) -> None:
    assert detect_plan_intent(text) == ("swap_exercise", {"exercise": exercise})


@pytest.mark.parametrize(
    "text",
    [
        "swap sugar for honey, good idea?",
        "can you swap leg day to friday?",
        "replace my bad habits",
        "my plan is to lose 5kg by summer",
        "I made a new plan at work today",
        "my plan for tonight is pizza",
        "my friend has a great meal plan",
        "I followed my plan today",
    ],
)
def test_statements_and_other_swaps_are_not_plan_requests(text: str) -> None:
    assert detect_plan_intent(text) is None


@pytest.mark.parametrize(
    ("text", "days"), [("create a 5 day plan", 5), ("change my plan to 4 days", 4)]
)
def test_days_without_a_week(text: str, days: int) -> None:
    found = detect_plan_intent(text)
    assert found is not None and found[0] == "get_plan" and found[1]["days_per_week"] == days
