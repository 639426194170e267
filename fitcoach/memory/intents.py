"""Offline intent rules for the memory tools: remember, forget, recall.

``detect_memory_intent`` runs before the other offline rules, so "remember that I hate
running" is a memory command and not a workout log."""

from __future__ import annotations

import re
from typing import Any

_RECALL = re.compile(
    r"^\s*(?:/memories\b|/memory\b|what\s+do\s+you\s+(?:remember|know)\s+about\s+me"
    r"|what\s+(?:have\s+you|did\s+you)\s+(?:remembered|remember|learned|learnt|saved|stored)"
    r"|(?:show|list|tell)\s+(?:me\s+)?(?:all\s+)?(?:my|your)\s+memor(?:y|ies)"
    r"|(?:show|list)\s+(?:me\s+)?what\s+you\s+(?:remember|know)"
    r"|what\s+do\s+you\s+(?:remember|know)\s+about\s+my\s+(\w+(?:\s+\w+)?))",
    re.I,
)
_FORGET_ALL = re.compile(
    r"^\s*(?:please\s+)?(?:forget|delete|erase|wipe)\s+(?:everything|all)"
    r"(?:\s+(?:you\s+know\s+)?about\s+me|\s+my\s+memories|\s+memories)?\s*[.!]?\s*$",
    re.I,
)
_FORGET = re.compile(
    r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:forget|unremember|delete\s+the\s+memory"
    r"|remove\s+the\s+memory)(?:\s+(?:that|about|the\s+fact\s+that|what\s+i\s+said\s+about))?"
    r"\s+(.{2,200}?)\s*[.!?]?\s*$",
    re.I,
)
_REMEMBER = re.compile(
    r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:remember|note|keep\s+in\s+mind|"
    r"don'?t\s+forget)(?:\s+that|\s*:)?\s+(.{3,400}?)\s*[.!]?\s*$",
    re.I,
)
_CATEGORY_WORDS: dict[str, str] = {
    "goal": "goals",
    "goals": "goals",
    "injury": "challenges",
    "injuries": "challenges",
    "challenges": "challenges",
    "constraints": "challenges",
    "health": "challenges",
    "diet": "nutrition_preferences",
    "food": "nutrition_preferences",
    "nutrition": "nutrition_preferences",
    "eating": "nutrition_preferences",
    "training": "workout_history",
    "workouts": "workout_history",
    "history": "workout_history",
    "progress": "progress_metrics",
    "preferences": "preferences",
    "habits": "patterns",
    "patterns": "patterns",
    "routine": "patterns",
    "motivation": "motivations",
    "motivations": "motivations",
    "profile": "profile",
    "life": "profile",
    "job": "profile",
    "work": "profile",
}


def _category(words: str | None) -> str | None:
    if not words:
        return None
    for word in words.lower().split():
        if word in _CATEGORY_WORDS:
            return _CATEGORY_WORDS[word]
    return None


def detect_memory_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """(tool name, args) for a memory command, or None for anything else."""
    stripped = text.strip()
    if not stripped:
        return None
    if m := _RECALL.search(stripped):
        category = _category(m.group(1))
        return ("recall_memories", {"category": category} if category else {})
    if _FORGET_ALL.search(stripped):
        return ("forget_memory", {"what": "everything", "everything": True})
    if m := _FORGET.search(stripped):
        return ("forget_memory", {"what": m.group(1).strip()})
    if m := _REMEMBER.search(stripped):
        fact = m.group(1).strip()
        if not re.match(r"^(?:me|when|what|how|the\s+last)\b", fact, re.I):
            return ("remember", {"text": fact})
    return None
