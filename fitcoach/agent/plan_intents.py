"""Offline rules for plan requests: make/show a plan, today's session, swaps, targets."""

from __future__ import annotations

import re
from typing import Any

_PLAN = re.compile(
    r"\b(?:workout|training|gym|exercise|meal|nutrition)\s+plan\b|\bmake me a plan\b|"
    r"\bmy plan\b|^/plan\b|\b(?:new|create|build|make)\b.{0,20}\bplan\b|\bplan for me\b",
    re.I,
)
_NEW = re.compile(r"\b(new|create|build|make|another|fresh|redo)\b", re.I)
_TODAY = re.compile(
    r"what(?:'s| is) my (?:workout|session|training)(?: for)? today|today'?s (?:workout|session)|"
    r"what (?:should|do) i (?:train|do) today|what am i training today",
    re.I,
)
_SWAP = re.compile(
    r"^\s*(?:can you |please |could you )?(?:swap|replace|substitute)\s+(?:out\s+)?(?:the\s+)?"
    r"(?P<exercise>.+?)(?:\s+(?:for|with|by|to)\s+(?P<other>.+?))?[.!?,]*(?:\s+(?:please|thanks))?$",
    re.I,
)
# swaps that are not of a plan's exercise: foods, habits, days, stories
_NOT_AN_EXERCISE = re.compile(
    r"\b(?:sugar|honey|milk|rice|pasta|bread|snacks?|food|drinks?|habits?|stories|places|"
    r"days?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|leg day|good idea)\b",
    re.I,
)
# statements about a plan, not a request for one: "my plan is to lose 5kg", "I followed my plan"
_PLAN_STATEMENT = re.compile(
    r"\bmy plan (?:is|was|for tonight|said|says)\b|\b(?:followed|stuck to|made)\s+(?:a |my |the )?"
    r"(?:new )?plan\b|\b(?:his|her|their|friend'?s?|wife'?s?|husband'?s?)\b[^.]{0,20}\bplan\b|"
    r"\bplanning to\b|\bat work\b",
    re.I,
)
_DAYS_ALONE = re.compile(r"\b([1-7])[\s-]*days?\b(?!\s+(?:ago|a month))", re.I)
_TARGETS = re.compile(
    r"\b(?:calorie|kcal|macro|protein|nutrition)s?\s+(?:target|goal)s?\b|"
    r"how (?:many|much) (?:calories|kcal|protein) should i (?:eat|have|aim)",
    re.I,
)
_ADJUST = re.compile(r"\b(?:adjust|progress|update|adapt)\s+my\s+plan\b", re.I)
_DAYS = re.compile(r"\b([1-7])\s*(?:x|days?|times)\s*(?:a|per|/)?\s*week\b", re.I)
_MINUTES = re.compile(r"\b(\d{2,3})\s*(?:min|mins|minutes)\b", re.I)
_GOALS = (
    (re.compile(r"\b(?:lose|losing|cut|fat loss|lean|shred)\b", re.I), "fat_loss"),
    (re.compile(r"\b(?:muscle|hypertrophy|bulk|size|gain)\b", re.I), "hypertrophy"),
    (re.compile(r"\b(?:strength|stronger|powerlifting)\b", re.I), "strength"),
    (re.compile(r"\b(?:endurance|marathon|stamina|cardio)\b", re.I), "endurance"),
)
_EQUIPMENT = (
    (
        re.compile(r"\b(?:no equipment|bodyweight|body weight|at home with nothing)\b", re.I),
        "body only",
    ),
    (re.compile(r"\bdumbbells?\b", re.I), "dumbbell"),
    (re.compile(r"\bbarbells?\b", re.I), "barbell"),
    (re.compile(r"\bkettlebells?\b", re.I), "kettlebells"),
    (re.compile(r"\bbands?\b", re.I), "bands"),
    (re.compile(r"\b(?:full )?gym\b", re.I), "gym"),
)
_INJURIES = re.compile(
    r"\b(knee|lower back|back|shoulder|wrist|elbow|hip|ankle|neck)\b"
    r"(?=[^.]*\b(?:injur|bad|pain|hurt|sore|issue|problem))"
    r"|\b(?:injur\w*|bad|painful|sore|hurt\w*)\s+(?:my\s+)?(?:left\s+|right\s+)?"
    r"(knee|lower back|back|shoulder|wrist|elbow|hip|ankle|neck)",
    re.I,
)
_LEVELS = (("beginner", "beginner"), ("intermediate", "intermediate"), ("advanced", "expert"))


def detect_plan_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """(tool, args) for a plan request, or None."""
    if _TODAY.search(text):
        return "todays_workout", {}
    if (m := _SWAP.match(text)) and not _NOT_AN_EXERCISE.search(text):
        # "replace bench press with dumbbell press": the exercise is "bench press"; the tool
        # offers the alternatives that fit the person's equipment and injuries
        return "swap_exercise", {"exercise": m.group("exercise").strip()}
    if _ADJUST.search(text):
        return "adjust_plan", {}
    if _TARGETS.search(text):
        return "nutrition_targets", {}
    if _PLAN.search(text) and not _PLAN_STATEMENT.search(text):
        return "get_plan", _plan_args(text)
    return None


def _plan_args(text: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if m := _DAYS.search(text) or _DAYS_ALONE.search(text):
        args["days_per_week"] = int(m.group(1))  # "a 4 day plan", "3 days a week"
    if m := _MINUTES.search(text):
        args["session_min"] = int(m.group(1))
    for pattern, goal in _GOALS:
        if pattern.search(text):
            args["goal"] = goal
            break
    equipment = [name for pattern, name in _EQUIPMENT if pattern.search(text)]
    if equipment:
        args["equipment"] = equipment
    injuries = sorted({(m.group(1) or m.group(2)).lower() for m in _INJURIES.finditer(text)})
    if injuries:
        args["injuries"] = injuries
    for word, level in _LEVELS:
        if word in text.lower():
            args["level"] = level
    if _NEW.search(text) or len(args) > 0:
        args["regenerate"] = True
    return args
