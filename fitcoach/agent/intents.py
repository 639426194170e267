"""Rule-based intent detection for the offline model, built on the grounded parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fitcoach.agent.chart_intents import detect_chart_intent
from fitcoach.agent.personality_intents import detect_personality_intent
from fitcoach.agent.plan_intents import detect_plan_intent
from fitcoach.domain.exercise.workouts import parse_workout
from fitcoach.domain.nutrition.meals import parse_meal
from fitcoach.domain.people import OTHER_PEOPLE
from fitcoach.scheduler.intents import detect_reminder_intent


@dataclass(frozen=True, slots=True)
class Intent:
    """A tool the offline model should call, with its arguments."""

    tool: str
    args: dict[str, Any] = field(default_factory=dict)
    certain: bool = False
    """True when the grounded parsers understood the whole message unambiguously."""


_UNDO = re.compile(
    r"^\s*(?:(?:please\s+)?(?:/?undo|scratch that|"
    r"(?:delete|remove) (?:that|it|the last(?: one| entry)?|last(?: entry)?))\b(?!\s+all\b)"
    r"|oops\W*$|that was wrong\W*$)",
    re.I,
)
# "delete the last reminder", "remove it from my plan": not the last log entry
_UNDO_ELSEWHERE = re.compile(
    r"\b(?:reminders?|plan|program(?:me)?|routine|exercise|set from|from my|from the)\b", re.I
)
_PROGRESS = re.compile(
    r"how am i doing|how('?s| is) my (day|week|progress)|\bmy progress\b|^progress\b|"
    r"\bprogress (?:so far|today|this week|report|update)\b|"
    r"^(?:(?:my|daily|weekly|a|the|today'?s)\s+)?summary\b(?!\s+of)|\bsummary (?:please|for)\b|"
    r"\btotals?\b(?!\s+of)|so far(?!\s+so good)|"
    r"what did i (?:eat|log|do)\b(?!\s+wrong)|^/?(?:today|this week|week)(?:@\w+)?\s*[?!.]*$|"
    r"\bmy (day|week)\b(?!\s+(?:was|is|has))|"
    r"how many (?:calories|kcal)\s+(?:have i|did i eat|i've|i have|do i have|left|today|so far)",
    re.I,
)
# someone else's meal, weight or session: "my friend is 30", "my wife's weight is 60kg"
_SOMEONE_ELSE = re.compile(
    r"^\s*(?:my\s+(?:\w+\s+)?" + OTHER_PEOPLE + r"(?:'s)?|he|she|they)\b(?!\s+and\s+i\b)",
    re.I,
)
# a weight that is not today's own: a goal, a lift, long ago
_NOT_TODAYS_WEIGHT = re.compile(
    r"\b(?:goal|target|ideal|dream)\s+weight\b|\b(?:deadlift|squat|bench|lift|dumbbells?|"
    r"barbell|kettlebell)\b|\b(?:last|a)\s+(?:year|month)\b|\bago\b|\bused to\b|"
    r"\bbefore (?:the|my|i)\b|\bin (?:19|20)\d\d\b|\bwhen i was\b|\blast week\b",
    re.I,
)
# plans, records, goals and skipped sessions are not today's session
_NOT_A_SESSION = re.compile(
    r"\b(?:plan|programme|program)\s*(?:is|for|:)|\bgoal\s*(?:is|:)|^\s*goal\b|"
    r"\b(?:pb|pr|personal best|record)\s+(?:for|on|in|is)\b|\b(?:pb|pr)\s+is\b|"
    r"^\s*(?:mon|tue|wed|thu|fri|sat|sun)\w*\s*:|"
    r"\b(?:skipped|missed|couldn'?t|didn'?t|did not|going for|heading (?:out )?for|heading out|"
    r"leaving for|off for|off to|on my way|training for)\b",
    re.I,
)
# circuits and rounds: "circuit x3: 20 squats, 15 pushups", "5 rounds: 400m run, 15 swings"
_CIRCUIT = re.compile(r"\b(?:circuits?|rounds?|amrap|emom|e2mom|for time|tabata)\b", re.I)
# a message that also names something eaten: "ran 5k then had 2 eggs on toast"
_ALSO_ATE = re.compile(
    r"\b(?:ate|eaten|had|having|drank|breakfast|lunch|dinner|snack|brekkie)\b", re.I
)
# "I'm 10 minutes from the gym" is not a session
_TIME_AWAY = re.compile(
    r"\b\d+\s*(?:minutes?|mins?|hours?|hrs?)\s+(?:from|away|late|early|until|till|to go)\b", re.I
)
_WEEK = re.compile(r"\bweek|weekly|7 days\b", re.I)
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_WEIGHT_UNIT = r"\s*(kg|kgs|kilos?|kilograms?|lbs?|pounds?)?"
_BODY_WEIGHT = re.compile(
    r"\b(?:i\s+weigh(?:ed)?(?:\s+in\s+at)?|weighed(?:\s+in\s+at)?|weigh-?in(?:\s*:)?|"
    r"(?:my\s+)?(?:body\s*)?weight(?:\s+(?:is|was|today|this morning))?\s*(?:is|was|:|=)?|"
    r"(?:the\s+)?scales?\s*(?:says?|said|shows?|showed|reads?|:)?)"
    r"\s*(?:now\s+)?" + _NUMBER + _WEIGHT_UNIT + r"\b"
    # a message that is only a weight: "down to 83kg!", "84.5 kg this morning"
    r"|^\s*(?:(?:down|up)\s+to\s+|now\s+|at\s+)?" + _NUMBER + r"\s*(kg|kgs|kilos?|lbs?|pounds?)"
    r"(?:\s+(?:today|this morning|now|on the scale|on the scales))?\s*[.!]*\s*$",
    re.I,
)
_COMMAND = re.compile(r"^\s*/[a-z_]+(?:@\w+)?\s*$", re.I)
_NAME = re.compile(
    r"(?:\bmy name is|^\s*(?:(?:please|you can|just|hi|hey)[, ]+)*call me|\bi am called|"
    r"\bi'm called)\s+(?!(?:not|to|back|later|tomorrow|lazy|when|if|maybe|again|out)\b)"
    r"([A-Za-zÀ-ÿ' -]{1,40})",
    re.I,
)
# "when I'm 40", "if I'm 30": not an age now
_NOT_NOW = re.compile(r"\b(?:when|if|once|by the time|until|till)\s+i(?:'m| am)\b", re.I)
_AGE = re.compile(
    r"\b(?:i'?m|i am|age(?: is)?|aged)\s+(\d{2})(?:\s*(?:years?|yrs?|y/?o)(?:\s+old)?)?\b"
    r"(?!\s*(?:kg|kgs|kilos?|cm|lbs?|pounds?|%|min|km|x|weeks?|days?|months?|sessions?|"
    r"workouts?|reps?|sets?|miles?|k\b|percent|hours?|hrs?|minutes?|/))",
    re.I,
)
_PROFILE_WEIGHT = re.compile(r"\b(\d{2,3}(?:[.,]\d)?)\s*(kg|kgs|kilos?|lbs?|pounds?)\b", re.I)
_BIRTH = re.compile(r"\bborn in (\d{4})\b", re.I)
_HEIGHT_CM = re.compile(r"\b(1\d{2}|2[0-4]\d)\s*cm\b(?!\s*(?:waist|chest|arm|box|step))", re.I)
_HEIGHT_FT = re.compile(r"\b(\d)\s*(?:'|ft|foot|feet)\s*(\d{1,2})?\s*(?:\"|in|inches)?", re.I)
_SEX = re.compile(r"\bi(?:'?m| am) (?:a )?(male|female|man|woman|guy|girl)\b", re.I)
_SEX_IN_LIST = re.compile(r"(?:^|[,;/]\s*|\band\s+)(male|female)\s*(?:[,;/.!]|$)", re.I)
_UNITS = re.compile(
    r"\b(?:use|switch to|prefer|in)\s+(metric|imperial|kg|kilos|lbs|pounds)\b", re.I
)
_TIMEZONE = re.compile(
    r"\b(?:time ?zone|tz)(?: is)?\s*:?\s*([A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)", re.I
)
_GOAL = re.compile(
    r"\bmy goal is (?:to )?(.{3,160})|\bi want to ((?:lose|gain|build|get|run|be)\b.{2,160})", re.I
)
_HABIT = re.compile(
    r"^\s*i\s+(?:usually\s+|always\s+|never\s+|don'?t\s+|do not\s+|no longer\s+|"
    r"can'?t\s+|cannot\s+|prefer to\s+|like to\s+|love to\s+)?(?:eat|drink)\b(?!\s+(?:ate|had))"
    # tastes and cravings: "I love pizza" ("love" was corrected to "clove"), "I hate broccoli"
    r"|^\s*i\s+(?:really\s+|just\s+|so\s+)?(?:love|hate|like|dislike|miss|crave|adore|"
    r"want|need|fancy)\b"
    # plans: "we're having tacos tonight", "about to have lunch"
    r"|\b(?:about to|going to|gonna|planning(?: to| on)?|plan to|will have|'ll have|"
    r"tomorrow)\b|\bhaving\b.*\btonight\b",
    re.I,
)
_MEAL_WORDS = re.compile(
    r"\b(ate|eat|eaten|had|having|breakfast|lunch|dinner|snack|drank|drink)\b", re.I
)
_HEIGHT_MARKERS = ("tall", "height", "i'm", "i am")


MAX_PARSED_CHARS = 600
"""Longer messages are not parsed as logs: the parsers' cost grows faster than linearly."""
PHOTO_MARKER = re.compile(r"\[photo:([A-Za-z0-9_-]{1,40})\]")


_STATED_MEAL = re.compile(
    r"\b(?:i|we)(?:'ve|\s+have)?\s+(?:just\s+)?(?:ate|had|eaten|drank|drunk)\b|:\s*\w", re.I
)


def _states_a_log(text: str) -> bool:
    """A statement that names "so far" or "my day" but logs: "what I've eaten so far: 2 eggs
    and a banana", "so far this week: ran 5k"."""
    if text.endswith("?"):
        return False
    if parse_workout(text).confident:
        return True
    return bool(_STATED_MEAL.search(text)) and parse_meal(text).confident


def detect_intent(text: str) -> Intent | None:
    """The tool call that best serves this message, or None for small talk and questions."""
    photo = PHOTO_MARKER.search(text)
    if photo:
        return Intent("analyze_food_photo", {"photo_id": photo.group(1)})
    stripped = text.strip()
    if len(stripped) > MAX_PARSED_CHARS:
        return None  # a log fits in a few lines; long texts go to the model (or small talk)
    if not stripped:
        return None
    if _UNDO.search(stripped) and not _UNDO_ELSEWHERE.search(stripped):
        return Intent("undo_last_entry", certain=True)
    if reminder := detect_reminder_intent(stripped):
        return Intent(reminder[0], reminder[1], certain=True)
    if chart := detect_chart_intent(stripped):
        return Intent(chart[0], chart[1], certain=True)
    if personality := detect_personality_intent(stripped):
        return Intent(personality[0], personality[1], certain=True)
    weight = _body_weight(stripped)
    if weight is not None:
        return weight
    plan = detect_plan_intent(stripped)
    if plan is not None:
        return Intent(plan[0], plan[1])
    profile = _profile(stripped)
    if profile is not None:
        return profile
    if _PROGRESS.search(stripped) and not _states_a_log(stripped):
        period = "week" if _WEEK.search(stripped) else "today"
        return Intent("check_progress", {"period": period}, certain=True)
    if _COMMAND.match(stripped) or _SOMEONE_ELSE.search(stripped):
        return None  # "/start": the channel's; "my friend is 30": not this person's log
    if _TIME_AWAY.search(stripped):
        return None  # "I'm 10 minutes from the gym"
    if _HABIT.search(stripped):
        return None  # "I eat meat again" describes a habit (memory), not a meal to log
    workout = parse_workout(stripped)
    if workout.entries and _NOT_A_SESSION.search(stripped):
        return None  # a plan, a record, a goal or a skipped session: not today's log
    if workout.entries and _CIRCUIT.search(stripped):
        return None  # rounds of several movements: the parsers read one round (or worse)
    if workout.confident:
        # "ran 5k then had 2 eggs": the workout is certain, the meal would be dropped
        also_ate = _ALSO_ATE.search(stripped) and parse_meal(stripped).items
        return Intent("log_workout", {"description": stripped}, certain=not also_ate)
    meal = parse_meal(stripped)
    if meal.confident or (meal.items and _MEAL_WORDS.search(stripped)):
        return Intent("log_meal", {"description": stripped}, certain=meal.confident)
    if workout.entries:
        return Intent("log_workout", {"description": stripped})
    if meal.items:
        return Intent("log_meal", {"description": stripped})
    return None


_SETS_AND_REPS = re.compile(r"\b\d{1,2}\s*x\s*\d{1,3}\b|\b(?:sets?|reps?)\b", re.I)


def _body_weight(text: str) -> Intent | None:
    match = _BODY_WEIGHT.search(text)
    if match is None or _SETS_AND_REPS.search(text) or _NOT_TODAYS_WEIGHT.search(text):
        return None  # "weighted dips 3x8, weight 20kg", "my goal weight is 70kg"
    if _SOMEONE_ELSE.search(text):
        return None  # "my wife's weight is 60kg"
    number, unit_text = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    value = float(number.replace(",", "."))
    unit = (unit_text or "").lower()
    args: dict[str, Any] = {"weight": value}
    if unit:  # "weighed 159.4": the person's unit setting decides
        args["unit"] = "lb" if unit.startswith(("lb", "pound")) else "kg"
    return Intent("log_body_weight", args, certain=True)


def _profile(text: str) -> Intent | None:
    if _SOMEONE_ELSE.search(text):
        return None  # "my husband is 190cm"
    asks = text.rstrip().endswith("?")  # "is 180cm tall for a woman?": no height to save
    args: dict[str, Any] = {}
    if m := _NAME.search(text):
        args["name"] = m.group(1).strip().split(" and ")[0].strip().title()
    if (m := _AGE.search(text)) and not _NOT_NOW.search(text):
        args["age"] = int(m.group(1))
    if m := _BIRTH.search(text):
        args["birth_year"] = int(m.group(1))
    if not asks and (m := _HEIGHT_CM.search(text)):
        args["height_cm"] = float(m.group(1))
    elif (
        not asks
        and (m := _HEIGHT_FT.search(text))
        and any(k in text.lower() for k in _HEIGHT_MARKERS)
    ):
        inches = int(m.group(1)) * 12 + int(m.group(2) or 0)
        if 48 <= inches <= 90:  # "I'm 2 feet away from the rack" is not a height
            args["height_cm"] = round(inches * 2.54, 1)
    if ("age" in args or "height_cm" in args) and (m := _PROFILE_WEIGHT.search(text)):
        value = float(m.group(1).replace(",", "."))
        args["weight_kg"] = round(value * 0.45359237, 1) if m.group(2).lower()[0] in "lp" else value
    m = _SEX.search(text)
    if m is None and args.keys() & {"age", "height_cm", "weight_kg"}:
        m = _SEX_IN_LIST.search(text)  # "I'm 30, 80kg, 180cm, male"
    if m:
        args["sex"] = "male" if m.group(1).lower() in ("male", "man", "guy") else "female"
    m = _UNITS.search(text)
    if m and m.group(0).lower().startswith("in ") and _SETS_AND_REPS.search(text):
        m = None  # "did 3x5 at 225 in pounds": the unit of that lift, not a preference
    if m:
        args["unit_system"] = (
            "metric" if m.group(1).lower() in ("metric", "kg", "kilos") else "imperial"
        )
    if m := _TIMEZONE.search(text):
        args["timezone"] = m.group(1)
    if m := _GOAL.search(text):
        args["goal"] = (m.group(1) or m.group(2)).strip().rstrip(".!")
    return Intent("update_profile", args) if args else None


_CHOICE = re.compile(r"^\s*(?:#|option\s*|number\s*)?(\d{1,2})\s*[.)!]?\s*$", re.I)


def pick_option(text: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The option a reply like "2" or the option's own name refers to."""
    if m := _CHOICE.match(text):
        index = int(m.group(1)) - 1
        return options[index] if 0 <= index < len(options) else None
    lowered = text.strip().lower()
    for option in options:
        if lowered and lowered == str(option.get("name", "")).lower():
            return option
    return None
