"""Offline rules for switching the coaching personality ("be tougher on me")."""

from __future__ import annotations

import re
from typing import Any

from fitcoach.domain.people import OTHER_PEOPLE

_TOUGH = re.compile(
    r"\bbe (?:a (?:lot |bit )?)?(?:tougher|harder|stricter|sterner)\b"
    r"|\b(?:tough|strict) love\b|\bpush me (?:harder|more)\b|\bdon'?t go easy on me\b"
    r"|^\W*no more excuses\W*(?:please|coach)?\W*$|\bkick my (?:butt|ass)\b|\bdrill sergeant\b"
    r"|\b(?:tougher|harder|stricter) on me\b|\bbe (?:more )?(?:strict|tough|demanding)\b",
    re.I,
)
_SUPPORTIVE = re.compile(
    r"\bbe (?:more )?(?:supportive|encouraging|gentle|kind|nice)\b"
    r"|\bbe (?:a (?:little |lot )?(?:bit )?)?(?:gentler|kinder|nicer|softer)\b"
    r"|\bgo easy on me\b|\b(?:gentler|softer) on me\b"
    r"|\bless (?:harsh|strict|tough)\b|\bencourage me more\b",
    re.I,
)
_DATA = re.compile(
    r"\bjust (?:give me )?(?:the )?(?:data|numbers|stats|facts)\b"
    r"(?!\s+(?:for|from|of|on|about)\b)"
    r"|\b(?:data|numbers) only\b|\bonly (?:the )?(?:data|numbers)\b"
    r"|\bbe (?:more )?data[- ]driven\b|\bstick to the (?:data|numbers)\b"
    r"|\b(?:no|skip the|less) (?:fluff|pep talks?|chit-?chat|small talk)\b",
    re.I,
)
_STYLES = re.compile(
    r"\b(?:what|which) (?:coaching )?(?:styles|personalities|modes)\b"
    r"|\b(?:change|switch) (?:your|the) (?:coaching )?(?:style|personality|tone)\b"
    r"|^/?(?:style|personality)\s*$",
    re.I,
)
_EXPLICIT = re.compile(
    r"^\s*(?:/(?:style|personality)\s+|(?:switch|change) to\s+|(?:use|be)\s+)?"
    r"(supportive|tough[- ]?love|tough|strict|data[- ]?driven|data|numbers)"
    r"(?:\s+(?:mode|style|coach|coaching|personality))?(?:\s+please)?[.!]*\s*$",
    re.I,
)
ALIASES = {
    "supportive": "supportive",
    "gentle": "supportive",
    "kind": "supportive",
    "encouraging": "supportive",
    "toughlove": "tough-love",
    "tough": "tough-love",
    "strict": "tough-love",
    "hard": "tough-love",
    "datadriven": "data-driven",
    "data": "data-driven",
    "numbers": "data-driven",
}


def normalise_personality(name: str) -> str:
    """A personality name as stored: lowercase, '-' separated, common aliases resolved."""
    key = re.sub(r"[\s_]+", "-", name.strip().lower())
    return ALIASES.get(key.replace("-", ""), key)


# Talk about oneself or others that uses the same words: "I need to be tougher on myself",
# "my old coach used tough love", "should I be more strict with my diet?"
_NOT_TO_THE_COACH = re.compile(
    r"\b(?:myself|yourself)\b"
    r"|\bmy (?:old |ex-?)?(?:" + OTHER_PEOPLE + r"|drill sergeant|pt)\b"
    r"|^\s*(?:should|could|would|do|does|is|are|am) i\b"
    r"|\bi(?:'m| am) going to\b|\bi (?:need|have|want) to be\b|\bof my\b|\bin the army\b",
    re.I,
)
_TO_ME = re.compile(r"\b(?:with|on|to|at|for) me\b|\bmy coach(?:ing)?\s*$", re.I)


def detect_personality_intent(text: str) -> tuple[str, dict[str, Any]] | None:
    """("set_personality", args) when the person asks for another coaching style, else None."""
    if _NOT_TO_THE_COACH.search(text) and not _TO_ME.search(text):
        return None
    if m := _EXPLICIT.match(text):
        return "set_personality", {"personality": normalise_personality(m.group(1))}
    if _DATA.search(text):
        return "set_personality", {"personality": "data-driven"}
    if _TOUGH.search(text):  # first: "don't go easy on me" is a request for tough love
        return "set_personality", {"personality": "tough-love"}
    if _SUPPORTIVE.search(text):
        return "set_personality", {"personality": "supportive"}
    if _STYLES.search(text):
        return "set_personality", {}
    return None
