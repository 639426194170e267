"""screen_message: care and referral flags, no false alarms on gym talk."""

from __future__ import annotations

import pytest

from fitcoach.domain.safety.screening import screen_message

FLAGGED = [
    ("I want to eat 500 calories a day", "disordered_eating"),
    ("can I survive on 600 kcal per day?", "disordered_eating"),
    ("I purge after dinner", "disordered_eating"),
    ("I make myself throw up after big meals", "disordered_eating"),
    ("I feel fat and starve myself", "disordered_eating"),
    ("I've been starving myself all week", "disordered_eating"),
    ("I take laxatives to lose weight", "disordered_eating"),
    ("I have chest pain when I run", "chest_pain"),
    ("there's pressure in my chest after squats", "chest_pain"),
    ("I fainted at the gym yesterday", "fainting"),
    ("I passed out during my workout", "fainting"),
    ("I get dizzy during training", "fainting"),
    ("I'm 12 weeks pregnant, can I still squat?", "pregnancy"),
    ("is deadlifting ok during pregnancy?", "pregnancy"),
    ("how much insulin should I take before training?", "insulin_dosing"),
    ("should I adjust my insulin dose on leg day", "insulin_dosing"),
]
NORMAL = [
    "my chest workout was great",
    "I hit a PR on bench",
    "chest day today: bench 3x5 at 80kg",
    "I'm starving after leg day",
    "I burned 500 calories a day on the bike this week",
    "had 400 calories at lunch",
    "my wife is pregnant so I train at home now",
    "I feel great today",
    "2 eggs and toast",
    "does training improve insulin sensitivity?",
    "ran 5k in 27 min, felt a bit dizzy from the heat haha",
    "what's a good fat loss rate?",
]


@pytest.mark.parametrize(("text", "flag"), FLAGGED)
def test_flags(text: str, flag: str) -> None:
    screen = screen_message(text)
    assert flag in screen.flags
    assert screen.reply


@pytest.mark.parametrize("text", NORMAL)
def test_no_false_alarm(text: str) -> None:
    screen = screen_message(text)
    assert screen.flags == () and screen.reply == "" and not screen.flagged


def test_disordered_eating_stops_deficit_advice() -> None:
    screen = screen_message("I want to eat 500 calories a day")
    assert screen.stop_deficit_advice and not screen.urgent
    assert "calorie" in screen.reply.lower()
    assert "500" not in screen.reply


def test_medical_flags_add_disclaimer_and_referral() -> None:
    screen = screen_message("I had chest pain and then I fainted")
    assert screen.flags == ("chest_pain", "fainting")
    assert screen.urgent and screen.needs_referral
    assert "not a medical professional" in screen.reply
    assert screen.reply.index("Chest pain") < screen.reply.index("Fainting")
