"""Rule-based workout-log parser: free text -> strength and cardio entries.

The parser is safe to run on *any* chat message. A strength entry needs a resolvable exercise
plus a sets/reps pattern (``3x5``, ``5 sets of 5``, ``10,10,8 reps``, ``did 20 pushups``); a
cardio entry needs an activity word plus a duration or distance. Everything else is ignored,
or reported in ``unmatched`` when it looked like a workout fragment we could not resolve, so
``WorkoutParse.confident`` stays False for food logs, questions and small talk.

Weights are kg (lb converted, 2 decimals; a bare number defaults to kg); ``None`` means
bodyweight. Cardio kcal are *gross* (MET x kg x h, see :mod:`.energy`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from fitcoach.domain.people import OTHER_PEOPLE

from .catalog import (
    CONFIDENCE_THRESHOLD,
    Exercise,
    ExerciseCatalog,
    ExerciseMatch,
    get_exercise_catalog,
)
from .energy import Activity, detect_kind, kcal_burned, match_activity
from .text import STOPWORDS, content_tokens

LB_TO_KG = 0.45359237
UNITLESS_LOAD_MAX_KG = 200.0
"""Above this, a load written without a unit is not taken as kilograms without asking."""
MILE_KM = 1.609344
YARD_KM = 0.0009144
STEP_KM = 0.000762  # average walking stride, 0.762 m (2.5 ft)
POOL_LENGTH_KM = 0.025  # assumed pool length when a swim is logged in laps
MIN_EXERCISE_SCORE = 60.0


@dataclass(frozen=True, slots=True)
class StrengthEntry:
    """Sets of one exercise. ``reps`` has one value per set; ``weight_kg`` None = bodyweight."""

    phrase: str
    exercise: Exercise
    sets: int
    reps: tuple[int, ...]
    weight_kg: float | None
    rir: float | None
    rpe: float | None
    confidence: float
    alternatives: tuple[ExerciseMatch, ...]
    unitless_load: bool = False
    """The load was written without a unit ("bench 80x5") and read in the person's units."""

    @property
    def load_needs_unit(self) -> bool:
        """A unitless load too heavy to take as kilograms without asking ("deadlift 315x5")."""
        return self.unitless_load and (self.weight_kg or 0.0) > UNITLESS_LOAD_MAX_KG


@dataclass(frozen=True, slots=True)
class CardioEntry:
    """A cardio/activity bout; ``kcal`` is gross for the given body weight (None if no
    duration)."""

    phrase: str
    activity: Activity
    duration_min: float | None
    distance_km: float | None
    kcal: float | None
    confidence: float


@dataclass(frozen=True, slots=True)
class WorkoutParse:
    """Result of :func:`parse_workout`."""

    text: str
    entries: tuple[StrengthEntry | CardioEntry, ...]
    unmatched: tuple[str, ...]

    @property
    def confident(self) -> bool:
        """At least one entry, all entries above the threshold and nothing unmatched."""
        return (
            bool(self.entries)
            and all(e.confidence >= CONFIDENCE_THRESHOLD for e in self.entries)
            and not self.unmatched
        )


# --------------------------------------------------------------------------- normalisation
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "hundred": 100,
}
_NUMBER_RE = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")

_PHRASE_SUBS: tuple[tuple[str, str], ...] = (
    (r"\b(?:an|one) hour and a half\b", " 90 min "),
    (r"\b(\d+(?:\.\d+)?) and a half hours?\b", r" \1.5 h "),
    (r"\bhalf an? hour\b", " 30 min "),
    (r"\bhalf hour\b", " 30 min "),
    (r"\ba quarter of an hour\b", " 15 min "),
    (r"\b(?:an|one) hour\b", " 60 min "),
    (r"\ba couple of\b", " 2 "),
    (r"\ba set of\b", " 1 set of "),
    (r"\bone set\b", " 1 set "),
    (r"\bsingle set\b", " 1 set "),
)


_THOUSANDS_RE = re.compile(
    r"(?<![\d.,])(\d{1,3})(?:,|\.(?=\d{3}\s*(?:k?\s*steps|m\b|meters|metres)))(\d{3})(?![\d.,])"
)
# a marathon someone trains for, signs up for or watches is not one they ran
_MARATHON_TALK_RE = re.compile(
    r"\b(?:for|watch\w*|signed up|sign up|register\w*|entered|enter)\b[^.,;!?]{0,30}?marathon"
)
_REPS_NAME_SETS_RE = re.compile(
    r"^(\d{1,3})\s+([a-z][a-z' -]*?[a-z])\s*(?:x\s*(\d{1,2})|(?<=\s)(\d{1,2})\s*times)\s*$"
)


def _prenormalize(text: str) -> str:
    s = text.lower()
    s = s.replace("×", "x").replace("’", "'").replace("–", "-").replace("—", "-")
    s = re.sub(r"(?<=\d),(?=5\s*(?:km|k|kg|mi|miles?|h)\b)", ".", s)  # "2,5 km", not "x10, 5kg"
    s = re.sub(r"\b(?:couch to 5k|c25k|c2k)\b", " c25k program ", s)  # a programme, not 5 km
    s = re.sub(  # a pulse ("hr 140", "heart rate: 150") or a zone, not "1 hr 30 min"
        r"(?<!\d)(?<!\d )\b(?:heart rate|hr|bpm)\s*:?\s*\d{2,3}\b(?!\s*(?:m|mins?|minutes?)\b)"
        r"|\bzone\s*\d\b",
        " ",
        s,
    )
    s = _THOUSANDS_RE.sub(r"\1\2", s)  # "10,000 steps", "1,500m", "10.000 steps"
    s = re.sub(r"\bw/\s*", "with ", s)
    s = re.sub(r"(\d)\s+in\s+(pounds|lbs?|kilos|kgs?)\b", r"\1 \2", s)  # "225 in pounds"
    s = _NUMBER_RE.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), s)
    for pat, rep in _PHRASE_SUBS:
        s = re.sub(pat, rep, s)
    s = re.sub(r"\bpark\s?run\b", " 5 km run ", s)  # a parkrun is a timed 5 km
    if not _MARATHON_TALK_RE.search(s):
        s = re.sub(r"\bhalf[ -]marathon\b", " 21.0975 km run ", s)
        s = re.sub(r"(?<![\w.])marathon\b", " 42.195 km run ", s)
    # "20 pushups x 3", "20 pushups 3 times": 3 sets of 20
    s = _REPS_NAME_SETS_RE.sub(lambda m: f"{m[3] or m[4]}x{m[1]} {m[2]}", s)
    # rep lists "10, 10, 8" / "10-10-8" -> "10/10/8" (not "3x8, 3x10": x-prefixed numbers)
    s = re.sub(r"(?<![\w.x])(\d{1,3})(?:\s*,\s*|-)(?=\d{1,3}(?:\s*,\s*|-)\d{1,3}\b)", r"\1/", s)
    s = re.sub(
        r"(?<![\w.x/])(\d{1,3})/(\d{1,3})(?:\s*,\s*|-)(\d{1,3})\b(?!\s*(?:x|sets?|kg|lb|min|k\b))",
        r"\1/\2/\3",
        s,
    )
    s = re.sub(r"(?<=\d/)(\d{1,3})(?:\s*,\s*|-)(?=\d{1,3}\b)", r"\1/", s)
    s = re.sub(r"(?<![\w.x/])(\d{1,3})\s*,\s*(\d{1,3})(?=\s*reps?\b)", r"\1/\2", s)
    return s


# --------------------------------------------------------------------------- segmentation
_SPLIT_RE = re.compile(
    r"\s*(?:[;\n|]|,|\s/\s(?=[a-z])|(?<=[a-z0-9)])\.\s+|\s\+\s|\band then\b|\bthen\b"
    r"|\bfollowed by\b|\bafter that\b|\bplus\b|\balso\b|\band\b)\s*"
)
_PROTECT_AND = (
    "clean and jerk",
    "clean and press",
    "catch and overhead",
    "close and wide",
    "hamstring and calf",
    "groin and back",
    "it band and glute",
    "hip flexor and quad",
    "chest and front",
    "raise and pullover",
    "jog and walk",
    "walk and jog",
)


def _segments(text: str) -> list[str]:
    for phrase in _PROTECT_AND:
        text = text.replace(phrase, phrase.replace(" and ", " \x01 "))
    parts = [p.strip(" -*•:\t").replace("\x01", "and") for p in _SPLIT_RE.split(text)]
    return [p for p in parts if p and p.strip(" .!?")]


# --------------------------------------------------------------------------- quantities
_NUM = r"(\d+(?:\.\d+)?)"
_WEIGHT_UNIT = r"(kgs?|kilos?|kilograms?|lbs?|pounds?|#)"
_WEIGHT_RE = re.compile(r"(?<![\w.])\+?\s*" + _NUM + r"\s*" + _WEIGHT_UNIT + r"(?![a-z])")
_AT_WEIGHT_RE = re.compile(
    r"(?:@|\bat\b|\bwith\b)\s*"
    + _NUM
    + r"(?![\d.]*\s*(?:x|sets?|reps?|min|m\b|h\b|km|k\b|mi|%|rpe|rir|s\b|sec))"
)
_TRIPLE_RE = re.compile(
    r"(?<![\w.])"
    + _NUM
    + r"\s*"
    + _WEIGHT_UNIT
    + r"?\s*[x*]\s*(\d{1,3})\s*[x*]\s*(\d{1,2})(?![\d.])"
)
_SETS_REPS_WEIGHT_RE = re.compile(
    r"(?<![\w.])(\d{1,2})\s*x\s*(\d{1,3})\s*(?:x|@|at)\s*"
    + _NUM
    + r"\s*"
    + _WEIGHT_UNIT
    + r"?(?![\w.%])"
)
_SINGLES = {"single": 1, "double": 2, "triple": 3}
_SINGLES_RE = re.compile(r"(?:\b(\d{1,2})\s+|\ba\s+|^|\s)(single|double|triple)s?\b")
_FOR_REPS_RE = re.compile(
    r"\bfor\s+(\d{1,3})(?:\s*reps?)?(?![\d.])(?!\s*(?:min|sec|s\b|h\b|hours?|km|k\b|m\b|mi|sets?))"
)
_LOAD_FOR_REPS_RE = re.compile(
    r"(?<![\w.:/])(\d{2,3}(?:\.\d+)?)\s+for\s+(\d{1,2})(?:\s*reps?)?(?![\w.:])"
)
_WEIGHT_X_REPS_RE = re.compile(
    r"(?<![\w.])" + _NUM + r"\s*" + _WEIGHT_UNIT + r"\s*(?:x|for)\s*(\d{1,3})(?:\s*reps?)?(?![\d.])"
)
_SETS_X_REPS_RE = re.compile(
    r"(?<![\w.])(\d{1,3})\s*(?:x|\*|by)\s*(\d{1,3}(?:/\d{1,3})*)(?![\d.])(?!\s*(?:kg|lb|#|pound|kilo))"
)
_REPS_X_WEIGHT_RE = re.compile(
    r"(?<![\w.])(\d{1,3})\s*x\s*" + _NUM + r"\s*" + _WEIGHT_UNIT + r"(?![a-z])"
)
_SETS_OF_RE = re.compile(
    r"(?<![\w.])(\d{1,2})\s*(?:sets?|rounds?)\s*(?:of\s*|x\s*|with\s*|at\s*)?(\d{1,3}(?:/\d{1,3})*)"
    r"(?![\d.])(?!\s*(?:kg|lb|#|min|sec|s\b|m\b|pound|kilo|x))"
)
_SETS_RE = re.compile(r"(?<![\w.])(\d{1,2})\s*(?:sets?|rounds?)\b")
_REPS_RE = re.compile(r"(?<![\w./])(\d{1,3}(?:/\d{1,3})*)\s*(?:reps?|repetitions?)\b")
_REPLIST_RE = re.compile(r"(?<![\w.])(\d{1,3}(?:/\d{1,3})+)(?![\d.])")
_X_REPS_RE = re.compile(r"(?<![\w.])x\s*(\d{1,3})\b")
_RPE_PRE_RE = re.compile(r"\brpe\s*(?:of\s*|@\s*|=\s*)?(10|\d(?:\.5)?)(?![\d.]|\s*(?:kg|lb|#|x\b))")
_RPE_POST_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*rpe\b")
_RIR_PRE_RE = re.compile(r"\brir\s*(?:of\s*|=\s*)?(\d+(?:\.\d+)?)")
_RIR_POST_RE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:rir\b|reps? in (?:the )?reserve|(?:left )?in the tank)"
)
_AT_RPE_RE = re.compile(r"@\s*(\d(?:\.5)?|10)(?![\d.]*\s*(?:kg|lb|#|x|%))\b")
_BODYWEIGHT_RE = re.compile(r"\b(?:bw|bodyweight|body weight|no weight|unweighted)\b")

# "zone 2 hr 140": "hr" followed by a pulse is a heart rate, not hours ("1hr 5mins", "1 hr 30 min")
_HOURS_RE = re.compile(
    _NUM + r"\s*(?:hours?|hrs?|h)(?![a-z])(?!\s*\d{2,3}\b(?!\s*(?:m|mins?|minutes?)\b))"
)
_MINUTES_RE = re.compile(_NUM + r"\s*(?:minutes?|mins?|min|m)(?![a-z/])")
_SECONDS_RE = re.compile(_NUM + r"\s*(?:seconds?|secs?|s)(?![a-z])")
_CLOCK_RE = re.compile(
    r"(?<![\d:])(?<!\bat )(?<!\bat)(\d{1,2}):(\d{2})(?::(\d{2}))?(?![\d:])"
    r"(?!\s*(?:/|per|min/)\s*(?:km|mi))(?!\s*(?:am|pm|a\.m|p\.m|o'?clock)\b)"
)
_H_M_RE = re.compile(r"(?<![\w.])(\d{1,2})\s*h\s*(\d{1,2})\s*(?:m|min|mins)?(?![a-z\d])")
_KM_RE = re.compile(_NUM + r"\s*(?:km|kms|k|kilometers?|kilometres?|klicks?)(?![a-z])")
_MILES_RE = re.compile(_NUM + r"\s*(?:miles?|mi)(?![a-z])")
_METERS_RE = re.compile(_NUM + r"\s*(?:meters?|metres?|m)(?![a-z/])")
_YARDS_RE = re.compile(_NUM + r"\s*(?:yards?|yds?)(?![a-z])")
_STEPS_RE = re.compile(_NUM + r"\s*(k)?\s*steps\b")
_LAPS_RE = re.compile(r"(\d{1,3})\s*(?:laps?|lengths?)\b")
_POOL_RE = re.compile(r"(\d{2})\s*(?:m|metres?|meters?|(y|yds?|yards?))\b[\s-]*(?:long\s+)?pool\b")
_SPEED_RE = re.compile(_NUM + r"\s*(km/h|kmh|kph|km per hour|mph|miles per hour)")
_PACE_RE = re.compile(r"(\d{1,2}):(\d{2})\s*(?:min)?\s*(?:/|per)\s*(km|mi|mile)")

_FILLER = frozenset(
    STOPWORDS
    | {
        "sets",
        "set",
        "reps",
        "rep",
        "x",
        "kg",
        "kgs",
        "lb",
        "lbs",
        "rpe",
        "rir",
        "each",
        "per",
        "both",
        "sides",
        "left",
        "right",
        "today",
        "yesterday",
        "evening",
        "tonight",
        "tonite",
        "last",
        "night",
        "week",
        "with",
        "using",
        "at",
        "for",
        "did",
        "do",
        "done",
        "i",
        "just",
        "finished",
        "got",
        "of",
        "weight",  # "dips 3x8, weight 20kg"
        "pound",
        "pounds",
        "kilo",
        "kilos",
        "min",
        "mins",
        "minute",
        "minutes",
        "also",
        "repetition",
        "repetitions",
        "time",
        "times",
        "round",
        "rounds",
        "then",
        "and",
        "first",
        "second",
        "third",
        "next",
        "finally",
        "after",
        "before",
        "reserve",
        "tank",
        "inthe",
        "pr",
        "new",
        "felt",
        "easy",
        "hard",
        "tough",
        "heavy",
        "light",
        "ok",
        "okay",
        "solid",
        "nice",
        "some",
        "all",
        "workout",
    }
)
#: "each side", "per arm", "this morning" ... qualifiers removed before exercise lookup.
_QUALIFIER_RE = re.compile(
    r"\b(?:each|per|every|a|on|with)\s+(?:side|arm|leg|hand|direction)s?\b"
    r"|\b(?:this|in the|yesterday|tomorrow)\s+(?:morning|evening|afternoon)\b"
    r"|\b(?:left|right)\s+(?:and|&)\s+(?:left|right)\b"
)


@dataclass(slots=True)
class _Strength:
    sets: int | None = None
    reps: tuple[int, ...] | None = None
    weight_kg: float | None = None
    weight_guessed: bool = False
    rpe: float | None = None
    rir: float | None = None
    bodyweight: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)


def _kg(value: float, unit: str | None) -> float:
    if unit and (unit.startswith("lb") or unit.startswith("pound") or unit == "#"):
        return round(value * LB_TO_KG, 2)
    return round(value, 2)


def _reps_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("/") if x)


def _blank(s: str, span: tuple[int, int]) -> str:
    return s[: span[0]] + " " * (span[1] - span[0]) + s[span[1] :]


def _strength_quantities(seg: str, unitless_load: str = "kg") -> tuple[_Strength, str]:
    """Extract sets/reps/weight/RPE/RIR; return them and the segment with those blanked."""
    q = _Strength()
    s = seg
    for pre, post, attr in ((_RPE_PRE_RE, _RPE_POST_RE, "rpe"), (_RIR_PRE_RE, _RIR_POST_RE, "rir")):
        m = pre.search(s) or post.search(s)
        if m:
            setattr(q, attr, float(m.group(1)))
            s = _blank(s, m.span())
    m = _TRIPLE_RE.search(s)
    if m:
        a, unit, b, c = float(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        if unit or a > 15:
            q.weight_kg, q.reps, q.sets = _kg(a, unit), (b,) * c, c
            q.weight_guessed = unit is None
            s = _blank(s, m.span())
    if q.reps is None:
        m = _SETS_REPS_WEIGHT_RE.search(s)
        if m and m.group(4) is None and float(m.group(3)) <= 10:
            m = None  # "3x5 @ 8" is an RPE, not 8 kg
        if m and int(m.group(1)) <= 15:
            sets, reps = int(m.group(1)), int(m.group(2))
            q.weight_kg = _kg(float(m.group(3)), m.group(4))
            q.weight_guessed = m.group(4) is None
            q.sets, q.reps = sets, (reps,) * sets
            s = _blank(s, m.span())
    if q.reps is None:
        m = _WEIGHT_X_REPS_RE.search(s)
        if m:
            q.weight_kg = _kg(float(m.group(1)), m.group(2))
            reps = int(m.group(3))
            s = _blank(s, m.span())
            m2 = re.search(r"^\s*(?:x|for)\s*(\d{1,2})\s*(?:sets?)?\b", s[m.end() :])
            sets = 1
            if m2:
                sets = int(m2.group(1))
                s = _blank(s, (m.end() + m2.start(), m.end() + m2.end()))
            else:
                m3 = _SETS_RE.search(s)
                if m3:
                    sets = int(m3.group(1))
                    s = _blank(s, m3.span())
            q.sets, q.reps = sets, (reps,) * sets
    if q.reps is None:
        m = _REPS_X_WEIGHT_RE.search(s)
        if m:
            reps = int(m.group(1))
            q.weight_kg = _kg(float(m.group(2)), m.group(3))
            q.sets, q.reps = 1, (reps,)
            s = _blank(s, m.span())
    if q.reps is None:
        m = _SETS_X_REPS_RE.search(s)
        if m:
            a, reps_txt = int(m.group(1)), m.group(2)
            reps_t = _reps_tuple(reps_txt)
            if len(reps_t) == 1 and a > 15 and reps_t[0] <= 30:
                # "bench 80x5": weight x reps, unit-less
                q.weight_kg, q.weight_guessed = float(a), True
                q.sets, q.reps = 1, reps_t
            elif len(reps_t) > 1:
                q.sets, q.reps = len(reps_t), reps_t
            else:
                q.sets, q.reps = a, reps_t * a
            s = _blank(s, m.span())
    if q.reps is None:
        m = _SETS_OF_RE.search(s)
        if m:
            sets, reps_t = int(m.group(1)), _reps_tuple(m.group(2))
            q.sets = len(reps_t) if len(reps_t) > 1 else sets
            q.reps = reps_t if len(reps_t) > 1 else reps_t * sets
            s = _blank(s, m.span())
    if q.reps is None:
        m = _REPS_RE.search(s) or _REPLIST_RE.search(s)
        if m:
            reps_t = _reps_tuple(m.group(1))
            s = _blank(s, m.span())
            m2 = _SETS_RE.search(s)
            if len(reps_t) > 1:
                q.sets, q.reps = len(reps_t), reps_t
                if m2:
                    s = _blank(s, m2.span())
            elif m2:
                q.sets, q.reps = int(m2.group(1)), reps_t * int(m2.group(1))
                s = _blank(s, m2.span())
            else:
                q.sets, q.reps = 1, reps_t
    if q.reps is None:
        m = _X_REPS_RE.search(s)
        if m:
            q.sets, q.reps = 1, (int(m.group(1)),)
            s = _blank(s, m.span())
    if q.reps is None:
        m = _SINGLES_RE.search(s)
        if m and (m.group(1) or _WEIGHT_RE.search(s)):
            count = int(m.group(1)) if m.group(1) else 1
            reps = _SINGLES[m.group(2)]
            q.sets, q.reps = count, (reps,) * count
            s = _blank(s, m.span())
    if q.reps is None and _WEIGHT_RE.search(s):
        m = _FOR_REPS_RE.search(s)
        if m:
            q.sets, q.reps = 1, (int(m.group(1)),)
            s = _blank(s, m.span())
    if q.reps is None:
        m = _LOAD_FOR_REPS_RE.search(s)
        if m and 15 < float(m.group(1)) <= 600:
            # "deadlift 140 for 3": a load without its unit, for reps
            q.weight_kg, q.weight_guessed = float(m.group(1)), True
            q.sets, q.reps = 1, (int(m.group(2)),)
            s = _blank(s, m.span())
    if q.reps is not None and q.sets is None:
        q.sets = len(q.reps)
    if q.weight_kg is None:
        m = _WEIGHT_RE.search(s)
        if m:
            q.weight_kg = _kg(float(m.group(1)), m.group(2))
            s = _blank(s, m.span())
    if q.rpe is None:
        m = _AT_RPE_RE.search(s)
        if m and (q.weight_kg is not None or float(m.group(1)) <= 10):
            value = float(m.group(1))
            if q.weight_kg is not None and value <= 10:
                q.rpe = value
                s = _blank(s, m.span())
    if q.weight_kg is None:
        m = _AT_WEIGHT_RE.search(s)
        if m:
            value = float(m.group(1))
            if value <= 10 and q.rpe is None and "@" in m.group(0):
                q.rpe = value
            elif value > 10:
                q.weight_kg, q.weight_guessed = round(value, 2), True
            s = _blank(s, m.span())
    if q.weight_kg is None and q.reps is not None:
        leftovers = [
            m
            for m in re.finditer(r"(?<![\w.:/+-])(\d+(?:\.\d+)?)(?![\w.:/%])", s)
            if 15 < float(m.group(1)) <= 600
        ]
        if len(leftovers) == 1:
            # "benched 100 for 3x3": one stray number next to a set scheme is the load (kg)
            q.weight_kg, q.weight_guessed = float(leftovers[0].group(1)), True
            s = _blank(s, leftovers[0].span())
    if _BODYWEIGHT_RE.search(s):
        q.bodyweight = True
        s = _BODYWEIGHT_RE.sub(" ", s)
    if q.weight_guessed and q.weight_kg is not None and unitless_load == "lb":
        q.weight_kg = _kg(q.weight_kg, "lb")  # every guessed load was written without a unit
    return q, s


def _leading_count(s: str) -> tuple[int | None, str]:
    """``did 20 pushups`` / ``20 pushups`` -> (20, 'pushups')."""
    m = re.match(
        r"^\s*(?:i\s+)?(?:did|do|done|got|hit|knocked out|banged out)?\s*(\d{1,3})\s+([a-z].*)$", s
    )
    if m:
        return int(m.group(1)), m.group(2)
    return None, s


def _exercise_query(s: str) -> str:
    s = _QUALIFIER_RE.sub(" ", s)
    s = re.sub(r"\d+(?:\.\d+)?", " ", s)
    words = [w for w in re.split(r"[^a-z0-9'/-]+", s) if w]
    return " ".join(w for w in words if w not in _FILLER)


# --------------------------------------------------------------------------- cardio
@dataclass(slots=True)
class _Cardio:
    duration_min: float | None = None
    distance_km: float | None = None
    speed_kmh: float | None = None


def _short_effort(seg: str, as_hours_min: float) -> bool:
    """True when "a:bb" read as hours and minutes would be slower than a walk over the stated
    distance ("rowed 500m in 1:45"), so it is minutes and seconds."""
    km = sum(float(m.group(1)) for m in _KM_RE.finditer(seg))
    km += sum(float(m.group(1)) * MILE_KM for m in _MILES_RE.finditer(seg))
    km += sum(float(m.group(1)) / 1000.0 for m in _METERS_RE.finditer(seg))
    return km > 0 and km / (as_hours_min / 60.0) < 1.5


def _cardio_quantities(seg: str, kind: str | None) -> _Cardio:
    c = _Cardio()
    s = seg
    m = _PACE_RE.search(s)
    if m:
        pace_min = int(m.group(1)) + int(m.group(2)) / 60.0
        unit_km = MILE_KM if m.group(3).startswith("mi") else 1.0
        if pace_min > 0:
            c.speed_kmh = 60.0 / pace_min * unit_km
        s = _blank(s, m.span())
    m = _SPEED_RE.search(s)
    if m:
        v = float(m.group(1))
        c.speed_kmh = v * MILE_KM if m.group(2).startswith(("mph", "miles")) else v
        s = _blank(s, m.span())
    m = _STEPS_RE.search(s)
    if m:
        steps = float(m.group(1)) * (1000.0 if m.group(2) else 1.0)
        c.distance_km = round(steps * STEP_KM, 3)
        s = _blank(s, m.span())
    minutes = 0.0
    found_time = False
    m = _H_M_RE.search(s)
    if m:
        minutes += int(m.group(1)) * 60 + int(m.group(2))
        found_time = True
        s = _blank(s, m.span())
    m = _CLOCK_RE.search(s)
    if (
        m
        and not s[: m.start()].strip()
        and int(m.group(1)) <= 23
        and re.match(r"\s*-?\s*[a-z]", s[m.end() :])
    ):
        s = _blank(s, m.span())  # "7:30 ran 5k", "18:00 spin class 45 mins": a time of day
        m = _CLOCK_RE.search(s)
    if m and not found_time:
        a, b, sec = int(m.group(1)), int(m.group(2)), m.group(3)
        if sec is not None:
            minutes += a * 60 + b + int(sec) / 60.0
        elif a >= 5 or _short_effort(s, a * 60 + b):
            minutes += a + b / 60.0  # "ran 5k in 24:30", "rowed 500m in 1:45"
        else:
            minutes += a * 60 + b
        found_time = True
        s = _blank(s, m.span())
    for m in _HOURS_RE.finditer(s):
        minutes += float(m.group(1)) * 60
        found_time = True
        s = _blank(s, m.span())
    meter_threshold = 25.0 if kind == "swim" else 100.0
    for m in _MINUTES_RE.finditer(s):
        unit_txt = m.group(0).rstrip()
        value = float(m.group(1))
        if unit_txt.endswith("m") and not unit_txt.endswith("min") and value >= meter_threshold:
            continue  # "1500m" is metres
        minutes += value
        found_time = True
        s = _blank(s, m.span())
    for m in _SECONDS_RE.finditer(s):
        minutes += float(m.group(1)) / 60.0
        found_time = True
        s = _blank(s, m.span())
    if found_time and minutes > 0:
        c.duration_min = round(minutes, 2)
    if c.distance_km is None:
        dist = 0.0
        found = False
        for regex, factor in (
            (_KM_RE, 1.0),
            (_MILES_RE, MILE_KM),
            (_YARDS_RE, YARD_KM),
            (_METERS_RE, 0.001),
        ):
            for m in regex.finditer(s):
                dist += float(m.group(1)) * factor
                found = True
                s = _blank(s, m.span())
        if found and dist > 0:
            c.distance_km = round(dist, 4)
    if c.speed_kmh is None and c.distance_km and c.duration_min:
        c.speed_kmh = c.distance_km / (c.duration_min / 60.0)
    if c.duration_min is None and c.distance_km and c.speed_kmh:
        c.duration_min = round(c.distance_km / c.speed_kmh * 60.0, 2)
    return c


# --------------------------------------------------------------------------- main entry
_INTENT_RE = re.compile(
    r"^\s*(?:how|what|what's|whats|why|when|where|which|who|should|could|would|can|may|"
    r"is|are|do you|does|will|shall)\b"
    r"|\b(?:want to|wanna|going to|gonna|plan to|planning|plan on|will|'ll|should i|"
    r"tomorrow|next (?:week|month|time|session)|later|hoping to|hope to|trying to|"
    r"need to|have to|goal is|aim to|would like)\b"
    # someone else's session, a habit, a wish, an opinion, advice or a long-ago period
    r"|^\s*(?:my\s+(?:\w+\s+)?(?:" + OTHER_PEOPLE + r"|program|programme|plan)"
    r"|he|she|they|him|her)\b"
    r"|\b(?:usually|normally|typically|generally|often|sometimes|used to|wish|thinking about|"
    r"thinking of|thoughts on|heard|said|says|tips?|advice|last (?:year|month)|back in|"
    r"per week|a week|each week|every (?:day|week)|this (?:month|year)|per month|a month|"
    r"in total)\b"
)

_WORKOUT_VERB_RE = re.compile(
    r"\b(?:did|do|done|hit|trained|training|worked out|workout|sets?|reps?|lifted|pr)\b"
)


def parse_workout(
    text: str,
    body_weight_kg: float = 70.0,
    catalog: ExerciseCatalog | None = None,
    *,
    unitless_load: str = "kg",
) -> WorkoutParse:
    """Parse a workout log message into strength/cardio entries (see module docstring).

    ``unitless_load``: the unit of a load written without one ("bench 225x5"): "kg", or "lb"
    for a person who uses imperial units."""
    cat = catalog or get_exercise_catalog()
    entries: list[StrengthEntry | CardioEntry] = []
    unmatched: list[str] = []
    norm = _prenormalize(text)
    pending_words: str | None = None  # exercise words waiting for their numbers
    pending_kg: float | None = None  # and the load they named ("bench 80kg, 3 sets of 8")
    last_strength: StrengthEntry | None = None
    for seg in _segments(norm):
        kind, payload = _parse_segment(
            seg, body_weight_kg, cat, pending_words, last_strength, unitless_load
        )
        if kind == "entry":
            assert isinstance(payload, StrengthEntry | CardioEntry)
            if (
                isinstance(payload, StrengthEntry)
                and pending_words is not None
                and pending_kg is not None
                and payload.weight_kg is None
            ):
                payload = replace(payload, weight_kg=pending_kg)
            prev = entries[-1] if entries else None
            if (
                isinstance(payload, StrengthEntry)
                and isinstance(prev, StrengthEntry)
                and prev is last_strength
                and _has_no_words(seg)
                and prev.exercise.id == payload.exercise.id
                and prev.weight_kg == payload.weight_kg
            ):
                # "bench: 80kg x 5, 80kg x 5, 80kg x 4" -> one entry, 3 sets
                payload = _merge(prev, payload)
                entries[-1] = payload
                last_strength = payload
                pending_words = None
                continue
            entries.append(payload)
            pending_words = None
            if isinstance(payload, StrengthEntry):
                last_strength = payload
        elif kind == "update" and isinstance(payload, StrengthEntry) and entries:
            # RPE/RIR/weight-only fragment refining the previous strength entry
            idx = len(entries) - 1
            if isinstance(entries[idx], StrengthEntry):
                entries[idx] = payload
                last_strength = payload
        elif kind == "words":
            assert isinstance(payload, str)
            if pending_words:
                unmatched.append(pending_words)
            pending_words = payload
            pending_kg = _strength_quantities(seg, unitless_load)[0].weight_kg
        elif kind == "unmatched":
            assert isinstance(payload, str)
            unmatched.append(payload)
    if pending_words:
        unmatched.append(pending_words)
    return WorkoutParse(text=text, entries=tuple(entries), unmatched=tuple(unmatched))


def _parse_segment(
    seg: str,
    body_weight_kg: float,
    cat: ExerciseCatalog,
    pending_words: str | None,
    last_strength: StrengthEntry | None,
    unitless_load: str = "kg",
) -> tuple[str, StrengthEntry | CardioEntry | str | None]:
    if _INTENT_RE.search(seg) or seg.rstrip().endswith("?"):
        return "none", None  # questions, plans and wishes are not logs
    q, rest = _strength_quantities(seg, unitless_load)
    found = detect_kind(seg)
    if q.reps is None and found is not None:
        kind = found[0]
        pool = _POOL_RE.search(seg) if kind == "swim" else None
        c = _cardio_quantities(_blank(seg, pool.span()) if pool else seg, kind)
        confidence = 0.9
        if c.distance_km is None and kind == "swim":
            m = _LAPS_RE.search(seg)
            if m and pool:
                # "40 lengths of a 50m pool": the pool length is stated
                length_km = float(pool.group(1)) * (YARD_KM if pool.group(2) else 0.001)
                c.distance_km = round(int(m.group(1)) * length_km, 3)
            elif m and c.duration_min is None:
                # pool length unknown: assume 25 m and stay below the confidence threshold
                c.distance_km = round(int(m.group(1)) * POOL_LENGTH_KM, 3)
                confidence = 0.5
        if c.duration_min is None and c.distance_km is None:
            return "unmatched", seg
        activity = match_activity(kind, c.speed_kmh, text=seg)
        kcal = (
            kcal_burned(activity.met, body_weight_kg, c.duration_min)
            if c.duration_min is not None
            else None
        )
        return "entry", CardioEntry(
            phrase=seg,
            activity=activity,
            duration_min=c.duration_min,
            distance_km=c.distance_km,
            kcal=kcal,
            confidence=confidence,
        )
    count: int | None = None
    if q.reps is None and not _SETS_RE.search(rest):  # "5 sets of squats": reps unknown
        count, rest_words = _leading_count(rest)
        if count is not None:
            rest = rest_words
    query = _exercise_query(rest)
    if q.reps is None and count is None:
        if (
            pending_words is None
            and last_strength is not None
            and not query
            and (q.rpe is not None or q.rir is not None or q.weight_kg is not None)
        ):
            return "update", _replace(last_strength, q, seg)
        if not query:
            return "none", None
        res = cat.search(query)
        if res.best is not None and res.best.score >= 85 and not res.ambiguous:
            if q.weight_kg is None and _looks_like_food_or_chat(query):
                return "none", None
            return "words", query
        return "none", None
    if not query and pending_words:
        query = pending_words
    if not query and last_strength is not None:
        query = last_strength.exercise.name
    if not query:
        return "unmatched", seg
    res = cat.search(query)
    best = res.best
    if best is None or best.score < MIN_EXERCISE_SCORE:
        if count is not None and q.reps is None:
            return "none", None  # "2 slices of pizza": a count of something that is not a lift
        return "unmatched", seg
    if count is not None and q.reps is None:
        if res.ambiguous or best.score < 85 or _looks_like_food_or_chat(query):
            return "none", None
        q.sets, q.reps = 1, (count,)
        if q.weight_kg is None and best.exercise.equipment not in _BODYWEIGHT_EQUIPMENT:
            # "did 50 squats": a bare rep count without load means the bodyweight version
            bw = cat.search(query + " bodyweight")
            if (
                bw.best is not None
                and bw.best.score >= 90
                and bw.best.exercise.equipment in _BODYWEIGHT_EQUIPMENT
            ):
                res, best = bw, bw.best
    assert q.reps is not None
    sets = q.sets or len(q.reps)
    reps = q.reps if len(q.reps) == sets else (q.reps[0],) * sets
    conf = res.confidence * (0.9 if q.weight_guessed else 1.0)
    if q.weight_guessed and q.weight_kg is not None and q.weight_kg > UNITLESS_LOAD_MAX_KG:
        # "deadlift 315 x 5" is far more likely pounds than a 315 kg deadlift: ask
        conf = min(conf, CONFIDENCE_THRESHOLD - 0.1)
    return "entry", StrengthEntry(
        phrase=seg,
        exercise=best.exercise,
        sets=sets,
        reps=reps,
        weight_kg=None if q.bodyweight and q.weight_kg is None else q.weight_kg,
        rir=q.rir,
        rpe=q.rpe,
        confidence=round(conf, 3),
        alternatives=res.matches[1:],
        unitless_load=q.weight_guessed and q.weight_kg is not None,
    )


def _has_no_words(seg: str) -> bool:
    """True when the segment carries numbers only (its exercise is inherited)."""
    _, rest = _strength_quantities(seg)
    return not _exercise_query(rest)


def _merge(a: StrengthEntry, b: StrengthEntry) -> StrengthEntry:
    return StrengthEntry(
        phrase=f"{a.phrase}, {b.phrase}",
        exercise=a.exercise,
        sets=a.sets + b.sets,
        reps=a.reps + b.reps,
        weight_kg=a.weight_kg,
        rir=b.rir if b.rir is not None else a.rir,
        rpe=b.rpe if b.rpe is not None else a.rpe,
        confidence=min(a.confidence, b.confidence),
        alternatives=a.alternatives,
        unitless_load=a.unitless_load,
    )


def _replace(entry: StrengthEntry, q: _Strength, seg: str) -> StrengthEntry:
    return StrengthEntry(
        phrase=f"{entry.phrase}, {seg}",
        exercise=entry.exercise,
        sets=entry.sets,
        reps=entry.reps,
        weight_kg=q.weight_kg if q.weight_kg is not None else entry.weight_kg,
        rir=q.rir if q.rir is not None else entry.rir,
        rpe=q.rpe if q.rpe is not None else entry.rpe,
        confidence=entry.confidence,
        alternatives=entry.alternatives,
        unitless_load=q.weight_guessed if q.weight_kg is not None else entry.unitless_load,
    )


_BODYWEIGHT_EQUIPMENT = frozenset({"body only", None})

_NON_WORKOUT = frozenset(
    {
        "ate",
        "eat",
        "eating",
        "had",
        "breakfast",
        "lunch",
        "dinner",
        "snack",
        "drank",
        "drink",
        "weigh",
        "weighed",
        "weight",
        "slept",
        "sleep",
        "feel",
        "feeling",
        "wing",  # "10 wings" are chicken wings, not kettlebell swings
        "wings",
    }
)


def _looks_like_food_or_chat(query: str) -> bool:
    return any(t in _NON_WORKOUT for t in content_tokens(query))
