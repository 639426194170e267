"""The offline model maps intents to tool calls and tool results to specific replies."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from fitcoach.agent.intents import Intent, detect_intent, pick_option
from fitcoach.agent.offline_model import VOICE_NEEDS_MODEL, OfflineChatModel

TOOLS = (
    "log_meal",
    "log_workout",
    "log_body_weight",
    "check_progress",
    "undo_last_entry",
    "update_profile",
)


def model() -> OfflineChatModel:
    return OfflineChatModel(tool_names=TOOLS)


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        (
            "had 2 large eggs and a banana for breakfast",
            "log_meal",
            {"description": "had 2 large eggs and a banana for breakfast"},
        ),
        ("bench 3x5 at 80kg", "log_workout", {"description": "bench 3x5 at 80kg"}),
        ("ran 5k in 27 min", "log_workout", {"description": "ran 5k in 27 min"}),
        ("how am I doing today?", "check_progress", {"period": "today"}),
        ("how was my week", "check_progress", {"period": "week"}),
        ("undo", "undo_last_entry", {}),
        ("I weigh 80.5 kg", "log_body_weight", {"weight": 80.5, "unit": "kg"}),
        ("weighed in at 176 lbs this morning", "log_body_weight", {"weight": 176.0, "unit": "lb"}),
        ("my name is Dana", "update_profile", {"name": "Dana"}),
        ("I'm 34 years old and 180 cm", "update_profile", {"age": 34, "height_cm": 180.0}),
        ("please use imperial", "update_profile", {"unit_system": "imperial"}),
    ],
)
def test_intent_becomes_one_tool_call(text: str, tool: str, args: dict[str, object]) -> None:
    reply = model().invoke([HumanMessage(text)])
    assert isinstance(reply, AIMessage)
    assert len(reply.tool_calls) == 1
    assert reply.tool_calls[0]["name"] == tool
    assert reply.tool_calls[0]["args"] == args


@pytest.mark.parametrize("text", ["hello", "thanks!", "what's the capital of France?"])
def test_small_talk_gets_text_not_tools(text: str) -> None:
    reply = model().invoke([HumanMessage(text)])
    assert not reply.tool_calls
    assert isinstance(reply.content, str) and reply.content


def test_only_bound_tools_are_called() -> None:
    unbound = OfflineChatModel()
    reply = unbound.invoke([HumanMessage("bench 3x5 at 80kg")])
    assert not reply.tool_calls


def test_bind_tools_records_tool_names() -> None:
    from langchain_core.tools import tool

    @tool
    def log_meal(description: str) -> str:
        """Log a meal."""
        return description

    bound = OfflineChatModel().bind_tools([log_meal])
    assert isinstance(bound, OfflineChatModel)
    assert bound.tool_names == ("log_meal",)


def test_tool_result_becomes_a_specific_reply() -> None:
    result = {
        "tool": "log_workout",
        "status": "logged",
        "workout_id": 1,
        "personal_records": [],
        "body_weight_kg": 80,
        "body_weight_assumed": False,
        "entries": [
            {
                "type": "strength",
                "exercise_id": "X",
                "name": "Barbell Squat",
                "sets": 5,
                "reps": [5, 5, 5, 5, 5],
                "weight_kg": 100.0,
                "rir": None,
                "rpe": 8.0,
                "e1rm_kg": 116.7,
            }
        ],
    }
    messages = [
        HumanMessage("squat 5x5 100kg rpe 8"),
        AIMessage("", tool_calls=[{"name": "log_workout", "args": {}, "id": "c1"}]),
        ToolMessage(json.dumps(result), tool_call_id="c1"),
    ]
    reply = model().invoke(messages)
    assert not reply.tool_calls
    assert "Barbell Squat 5×5 @ 100 kg RPE 8" in str(reply.content)
    assert "117" in str(reply.content)


def test_answer_to_a_clarifying_question_calls_the_tool_with_the_choice() -> None:
    question = {
        "tool": "log_meal",
        "status": "needs_clarification",
        "reason": "ambiguous",
        "description": "a bowl of chili",
        "phrase": "a bowl of chili",
        "question": "Which one?",
        "options": [{"ndb": "11111", "name": "Chili A"}, {"ndb": "22222", "name": "Chili B"}],
    }
    messages = [
        HumanMessage("a bowl of chili"),
        AIMessage("", tool_calls=[{"name": "log_meal", "args": {}, "id": "c1"}]),
        ToolMessage(json.dumps(question), tool_call_id="c1"),
        AIMessage("Which one?\n1. Chili A\n2. Chili B"),
        HumanMessage("2"),
    ]
    reply = model().invoke(messages)
    assert reply.tool_calls[0]["args"] == {
        "description": "a bowl of chili",
        "choices": {"a bowl of chili": "22222"},
    }


def test_voice_without_text_explains_it_needs_a_model() -> None:
    message = HumanMessage(content=[{"type": "audio", "base64": "AAAA", "mime_type": "audio/ogg"}])
    assert model().invoke([message]).content == VOICE_NEEDS_MODEL


def test_non_food_non_workout_text_has_no_logging_intent() -> None:
    for text in ("what should I do about sore legs?", "tell me a joke"):
        intent = detect_intent(text)
        assert intent is None or intent.tool not in ("log_meal", "log_workout")


def test_pick_option_by_number_or_name() -> None:
    options = [{"name": "Apples, raw"}, {"name": "Apple juice"}]
    assert pick_option("2", options) == options[1]
    assert pick_option("apples, raw", options) == options[0]
    assert pick_option("7", options) is None


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        # "oops" at the start deleted the previous entry and logged nothing
        ("oops", "undo_last_entry", {}),
        ("oops forgot to log: bench 3x5 100kg", "log_workout", None),
        # the load of a lift is not the person's body weight
        ("weighted dips 3x8, weight 20kg", "log_workout", None),
        ("my weight is 80kg", "log_body_weight", {"weight": 80.0, "unit": "kg"}),
        # "12 weeks into my program" is not an age, a 100 cm box not a height
        ("I'm 12 weeks into my program", None, None),
        ("box jumps 5x5 on a 100cm box", "log_workout", None),
        ("I'm 30 years old", "update_profile", {"age": 30}),
        # a message that is only a weight; "down to 83kg!" was 83 kg of upside-down cake
        ("down to 83kg!", "log_body_weight", {"weight": 83.0, "unit": "kg"}),
        ("85kg today", "log_body_weight", {"weight": 85.0, "unit": "kg"}),
        # no unit given: the person's unit setting decides, in the tool
        ("weighed 84.2 this morning", "log_body_weight", {"weight": 84.2}),
        ("scale says 183.5 lbs", "log_body_weight", {"weight": 183.5, "unit": "lb"}),
        # commands are the channel's: "/start" was a breakfast cereal, "/export" crackers
        ("/start", None, None),
        ("/export", None, None),
        ("/today", "check_progress", {"period": "today"}),
        # a sex in a list of profile facts
        (
            "I'm 30, 80kg, 180cm, male",
            "update_profile",
            {"age": 30, "height_cm": 180.0, "weight_kg": 80.0, "sex": "male"},
        ),
        ("my dog is male", None, None),
        # the unit of a lift is not a preference for imperial units
        ("squat 3x5 at 225 in pounds", "log_workout", None),
        # undo is about the last log entry only
        ("oops!", "undo_last_entry", {}),
        ("please remove that", "undo_last_entry", {}),
        ("delete the last reminder", None, None),
        ("remove the last set from my workout", None, None),
        ("that was wrong of me to skip leg day", None, None),
        ("delete it all", None, None),
        # a weight that is someone else's, a goal, a lift or long ago
        ("my wife's weight is 60kg", None, None),
        ("my goal weight is 70kg", None, None),
        ("I weighed 90kg last year", None, None),
        # progress is a question about this person's logs
        ("how many calories are in an avocado?", None, None),
        ("I made good progress at work", None, None),
        ("summary of the keto diet?", None, None),
        ("so far so good", None, None),
        ("how many calories have I had today?", "check_progress", {"period": "today"}),
        # someone else, or not a session: fried squid ("friend"), a weight-training session
        ("my friend is 30", None, None),
        ("I'm 10 minutes from the gym", None, None),
        ("swap", None, None),  # swamp cabbage
        # not profile facts: a name, an age or a height that is something else
        ("please call me Jo", "update_profile", {"name": "Jo"}),
        ("call me later", None, None),
        ("my coach used to call me tank", None, None),
        ("my name is not important", None, None),
        ("I'm 12 hours into my fast", None, None),
        ("I'm 80 percent sure I can do it", None, None),
        ("my husband is 190cm", None, None),
        ("I'm 2 feet away from the rack", None, None),
        # plans, records, goals and skipped sessions are not today's session
        ("going for a run in 10 minutes", None, None),
        ("skipped my 10k run", None, None),
        ("my PB for 5k is 22 mins", None, None),
        ("goal: bench 100kg x 5", None, None),
        ("today's plan: squat 5x5 then 20 min bike", None, None),
        ("couch to 5k week 3 day 1 done", None, None),
        ("hit a PR today: deadlift 180kg x 1", "log_workout", None),
        # circuits: "x3" was 3 reps of barbell squats at 20 kg
        ("circuit x3: 20 squats, 15 pushups, 10 burpees", None, None),
        # "today I had…" is a log, not a question about today
        ("today I had a sandwich", "log_meal", None),
        ("5 rounds: 400m run, 15 kb swings, 10 pullups", None, None),
    ],
)
def test_intent_of_training_talk(
    text: str, tool: str | None, args: dict[str, object] | None
) -> None:
    intent = detect_intent(text)
    assert (intent.tool if intent else None) == tool
    if intent is not None and args is not None:
        assert intent.args == args


def test_a_workout_with_a_meal_is_left_to_the_model() -> None:
    """ "ran 5k then had 2 eggs on toast": logging the run alone dropped the meal."""
    intent = detect_intent("ran 5k then had 2 eggs on toast")
    assert intent is not None and intent.tool == "log_workout" and not intent.certain
    assert detect_intent("ran 5k in 25 min") == Intent(
        "log_workout", {"description": "ran 5k in 25 min"}, certain=True
    )
