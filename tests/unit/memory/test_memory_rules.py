"""Offline extraction rules: the common statements become categorised, keyed facts."""

from __future__ import annotations

import pytest

from fitcoach.memory.rules import extract_with_rules

CASES = [
    ("I'm vegetarian", "Is vegetarian", "nutrition_preferences", "diet"),
    ("I have a bad left knee", "Has a bad left knee", "challenges", "injury:knee"),
    ("my goal is 75 kg by June", "Goal weight: 75 kg by June", "goals", "goal:weight"),
    ("I train in the mornings", "Trains in the mornings", "preferences", "training_time"),
    ("I hate running", "Dislikes running", "preferences", "attitude:running"),
    ("I'm allergic to peanuts", "Allergic to peanuts", "nutrition_preferences", "allergy:peanuts"),
    ("I work night shifts", "Works night shifts", "profile", "work_schedule"),
    ("I eat meat again", "Eats meat again (no longer vegetarian)", "nutrition_preferences", "diet"),
    (
        "I'm training for a marathon in October",
        "Training for a marathon in October",
        "goals",
        "goal:event",
    ),
    ("my squat max is 140 kg", "Squat best: 140 kg", "progress_metrics", "metric:squat"),
    (
        "I've been lifting for 6 years",
        "Has been lifting for 6 years",
        "workout_history",
        "experience:lifting",
    ),
    (
        "I want to be able to keep up with my kids",
        "Wants to be able to keep up with their kids",
        "motivations",
        None,
    ),
    (
        "I struggle with late-night snacking",
        "Struggles with late-night snacking",
        "challenges",
        None,
    ),
]


@pytest.mark.parametrize(("message", "text", "category", "key"), CASES)
def test_common_statements(message: str, text: str, category: str, key: str | None) -> None:
    facts = extract_with_rules(message)
    assert [(f.text, f.category, f.key) for f in facts][:1] == [(text, category, key)]


def test_several_facts_in_one_message() -> None:
    facts = extract_with_rules("I'm vegetarian and I have a bad left knee. I work night shifts!")
    assert {f.key for f in facts} == {"diet", "injury:knee", "work_schedule"}


def test_tags_feed_constraints() -> None:
    (knee,) = extract_with_rules("my lower back hurts")
    assert knee.tags == ("injury:back",)
    (allergy,) = extract_with_rules("I'm allergic to peanuts")
    assert allergy.tags == ("allergy:peanuts",)
    (dislike,) = extract_with_rules("I can't stand burpees")
    assert dislike.tags == ("dislike:burpees",)


@pytest.mark.parametrize(
    "message",
    ["Do I hate running?", "should I be vegetarian?", "if I had a bad knee what then", "hello"],
)
def test_questions_and_small_talk_store_nothing(message: str) -> None:
    assert extract_with_rules(message) == []


def test_contradictions_share_a_slot() -> None:
    (before,) = extract_with_rules("I'm vegetarian")
    (after,) = extract_with_rules("I'm not vegetarian anymore")
    assert before.key == after.key == "diet"
    (hate,) = extract_with_rules("I hate running")
    (love,) = extract_with_rules("I love running now")
    assert hate.key == love.key == "attitude:running"
    (healed,) = extract_with_rules("my knee is fine now")
    assert healed.key == "injury:knee" and "resolved" in healed.tags
