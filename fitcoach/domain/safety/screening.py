"""screen_message: disordered-eating signals and medical red flags in what a person writes.

Deterministic patterns, tuned to first-person statements, so ordinary gym talk ("my chest
workout was great", "I'm starving after leg day") raises no alarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DISORDERED_EATING = "disordered_eating"
CHEST_PAIN = "chest_pain"
FAINTING = "fainting"
PREGNANCY = "pregnancy"
INSULIN = "insulin_dosing"
SELF_HARM = "self_harm"
MEDICAL_FLAGS = frozenset({CHEST_PAIN, FAINTING, PREGNANCY, INSULIN})
URGENT_FLAGS = frozenset({CHEST_PAIN, FAINTING, SELF_HARM})
VERY_LOW_KCAL = 1000

_PATTERNS: dict[str, tuple[str, ...]] = {
    DISORDERED_EATING: (
        r"\bpurg(?:e|ed|es|ing)\b",
        r"\bmake myself (?:throw up|sick|vomit|puke)",
        r"\b(?:throw|threw|throwing) up after (?:eating|meals?|i eat)",
        r"\blaxatives?\b",
        r"\bstarv(?:e|ed|ing) myself\b",
        r"\b(?:stop|quit) eating\b",
        r"\bnot eat(?:ing)? (?:anything|at all|for days)\b",
        r"\bhaven'?t eaten (?:in|for) (?:days|\d+ days)",
        r"\bfeel(?:ing)? (?:so |really |too )?fat\b.*\b(?:starv|skip|not eat|punish|hate)",
        r"\bhate my body\b",
        r"\bbinge(?:d|ing)? and purg",
        r"\b(?:pro[- ]?ana|thinspo|anorexi\w*|bulimi\w*)\b",
        r"\bdeserve to eat\b",
        r"\bpunish myself\b.*\b(?:eat|food|exercis|workout)",
    ),
    CHEST_PAIN: (
        r"\bchest (?:pain|pains|hurts?|hurting|tightness|pressure)\b",
        r"\b(?:pain|pressure|tightness) in (?:my|the) chest\b",
        r"\btight(?:ness)? (?:in )?my chest\b",
        r"\bheart (?:is )?(?:racing|pounding) (?:at rest|for no reason)",
        r"\b(?:heart palpitations|irregular heartbeat|palpitations)\b",
    ),
    FAINTING: (
        r"\bfaint(?:ed|ing)?\b",
        r"\bpass(?:ed)? out\b",
        r"\bblack(?:ed)? out\b",
        r"\b(?:dizzy|light[- ]?headed) (?:during|while|after|when) (?:training|running|"
        r"lifting|exercis\w*|working out|workouts?)",
        r"\blost consciousness\b",
    ),
    PREGNANCY: (
        r"\b(?:i'?m|im|i am)\b[^.?!]{0,25}\bpregnant\b",
        r"\b(?:while|when|being) pregnant\b",
        r"\bduring (?:my )?pregnancy\b",
        r"\bweeks pregnant\b",
        r"\bpostpartum\b",
        r"\bgave birth\b",
        r"\bexpecting a baby\b",
    ),
    INSULIN: (
        r"\binsulin\b.*\b(?:dose|doses|dosing|units?|how much|take|inject\w*|adjust\w*|"
        r"bolus|basal|skip)\b",
        r"\b(?:dose|dosing|how much|units of|inject\w*|adjust\w*|skip)\b.*\binsulin\b",
        r"\bbolus\b",
    ),
    SELF_HARM: (
        r"\b(?:kill myself|end my life|suicid\w*|self[- ]harm|hurt myself)\b",
    ),
}
_COMPILED = {flag: tuple(re.compile(p) for p in pats) for flag, pats in _PATTERNS.items()}
_KCAL_TARGET = re.compile(
    r"\b(?:eat|eating|ate|have|having|stay under|keep it under|only|limit\w* (?:myself )?to|"
    r"survive on|live on|down to)\b[^.?!]{0,25}?\b(\d{2,4})\s*(?:k?cals?|calories|kcal)\b"
    r"[^.?!]{0,15}\b(?:a|per|each|every)\s+day\b"
)
_BURN = re.compile(r"\bburn")


@dataclass(frozen=True, slots=True)
class SafetyScreen:
    """Flags found in a message and, when any, the reply the coach must give first."""

    flags: tuple[str, ...] = ()
    reply: str = ""

    @property
    def flagged(self) -> bool:
        """True when anything needs care."""
        return bool(self.flags)

    @property
    def stop_deficit_advice(self) -> bool:
        """No deficits, weigh-ins or calorie cutting after a disordered-eating signal."""
        return DISORDERED_EATING in self.flags or PREGNANCY in self.flags

    @property
    def needs_referral(self) -> bool:
        """Medical red flag: disclaimer and referral to a professional."""
        return bool(MEDICAL_FLAGS & set(self.flags)) or SELF_HARM in self.flags

    @property
    def urgent(self) -> bool:
        """Stop training and seek help now."""
        return bool(URGENT_FLAGS & set(self.flags))


def _normalize(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


def _very_low_kcal(text: str) -> bool:
    for match in _KCAL_TARGET.finditer(text):
        if _BURN.search(match.group(0)):
            continue
        if int(match.group(1)) < VERY_LOW_KCAL:
            return True
    return False


def screen_message(text: str) -> SafetyScreen:
    """Flags and a care/referral reply for one message; an empty screen when all is well."""
    low = _normalize(text)
    flags = [flag for flag, patterns in _COMPILED.items() if any(p.search(low) for p in patterns)]
    if DISORDERED_EATING not in flags and _very_low_kcal(low):
        flags.append(DISORDERED_EATING)
    ordered = tuple(sorted(set(flags), key=list(_PATTERNS).index))
    return SafetyScreen(ordered, care_reply(ordered) if ordered else "")


_REPLIES = {
    SELF_HARM: (
        "I'm really sorry you're feeling this way. You deserve support right now: please "
        "contact your local emergency number or a crisis line (in the US call or text 988; "
        "in the UK and Ireland Samaritans on 116 123), or someone you trust."
    ),
    CHEST_PAIN: (
        "Chest pain, pressure or a racing heart can be serious. Stop exercising now, and if it "
        "is severe, spreads to your arm, jaw or back, or comes with breathlessness, call your "
        "local emergency number. Please see a doctor before training again."
    ),
    FAINTING: (
        "Fainting or nearly passing out needs a doctor's check before you train again. Sit or "
        "lie down, drink some water, and get urgent help if it happens again or with chest "
        "pain."
    ),
    PREGNANCY: (
        "Congratulations! Exercise is usually good in pregnancy, but your midwife or doctor "
        "should clear your training and nutrition. I won't suggest calorie cuts or weight-loss "
        "targets now."
    ),
    INSULIN: (
        "I can't advise on insulin doses: they must come from your doctor or diabetes care "
        "team. I can still log meals and carbs for you to share with them."
    ),
    DISORDERED_EATING: (
        "Thank you for telling me. It sounds like food and your body are weighing on you, and "
        "you deserve support with that. I won't give calorie-cutting or weigh-in advice right "
        "now. Talking to a doctor or an eating-disorder service (e.g. NEDA in the US, Beat in "
        "the UK) can really help. I'm happy to help with gentle movement and regular meals."
    ),
}
DISCLAIMER = "I'm a fitness coach, not a medical professional."


def care_reply(flags: tuple[str, ...]) -> str:
    """The reply for the flags: the most urgent first, a disclaimer for medical topics."""
    order = (SELF_HARM, CHEST_PAIN, FAINTING, PREGNANCY, INSULIN, DISORDERED_EATING)
    parts = [_REPLIES[f] for f in order if f in flags]
    if MEDICAL_FLAGS & set(flags):
        parts.append(DISCLAIMER)
    return "\n\n".join(parts)
