"""Offline extraction: rules for the durable statements people make to a coach.

Each rule turns a first-person clause into a :class:`Fact` with a category, a slot ``key``
(so "I eat meat again" replaces "vegetarian") and tags that feed :class:`Constraints`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fitcoach.memory.models import Category, Fact

_PARTS = (
    r"knees?|back|shoulders?|ankles?|wrists?|hips?|elbows?|neck|hamstrings?|achilles|"
    r"foot|feet|acl|mcl|meniscus|rotator cuff|disc|groin|calf|calves|shin|shins"
)
_SIDE = r"(?:(left|right|lower|upper)\s+)?"
_PART_KEY = {
    "knees": "knee",
    "acl": "knee",
    "mcl": "knee",
    "meniscus": "knee",
    "shoulders": "shoulder",
    "rotator cuff": "shoulder",
    "ankles": "ankle",
    "wrists": "wrist",
    "hips": "hip",
    "elbows": "elbow",
    "hamstrings": "hamstring",
    "feet": "foot",
    "disc": "back",
    "calves": "calf",
    "shins": "shin",
}
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?|weekends?|weekdays?"
_WHEN = (
    r"(in\s+the\s+(?:early\s+|late\s+)?(?:mornings?|evenings?|afternoons?)|(?:early\s+)?mornings?"
    r"|evenings?|at\s+night|at\s+lunch(?:time)?|during\s+lunch|before\s+work|after\s+work"
    r"|before\s+breakfast|at\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?)"
)
_TRAIN = (
    r"(?:train|work\s*out|exercise|lift|go\s+to\s+the\s+gym|hit\s+the\s+gym|go\s+running"
    r"|run|swim|cycle|ride)"
)
_ADVERB = r"(?:usually\s+|normally\s+|always\s+|mostly\s+|only\s+|generally\s+|tend\s+to\s+)?"
_EXERCISE_WORDS = frozenset(
    [
        "run",
        "running",
        "jog",
        "jogging",
        "swim",
        "swimming",
        "cycling",
        "cycle",
        "bike",
        "biking",
        "spin",
        "burpee",
        "burpees",
        "squat",
        "squats",
        "deadlift",
        "deadlifts",
        "bench",
        "lunges",
        "lunge",
        "pushups",
        "pullups",
        "push",
        "pull",
        "cardio",
        "hiit",
        "yoga",
        "pilates",
        "crossfit",
        "rowing",
        "rower",
        "treadmill",
        "stairmaster",
        "sprints",
        "sprint",
        "plank",
        "planks",
        "lifting",
        "weights",
        "gym",
        "classes",
        "class",
        "stretching",
        "climbing",
        "boxing",
        "hiking",
        "walking",
        "walks",
    ]
)
_CUT = re.compile(
    r"\s+(?:because|but|so|when|since|although|though|as|which|and\s+i|and\s+my)\b.*$|[,.;!?].*$",
    re.I,
)
_QUESTION = re.compile(
    r"^\s*(?:do|does|did|can|could|should|would|will|what|how|is|are|am|why|when|which|where)\b"
    r"|\?\s*$|^\s*if\b",
    re.I,
)
_SPLIT = re.compile(r"[.!?;\n]+|,?\s+(?:and|but)\s+(?=(?:i|i'm|im|my|i've)\b)", re.I)


@dataclass(frozen=True, slots=True)
class Rule:
    """A pattern and the fact it builds from a match."""

    pattern: re.Pattern[str]
    build: Callable[[re.Match[str]], Fact | None]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("I_AM", r"i(?:'?m|\s+am)"), re.I)


def third_person(text: str) -> str:
    """ "my knee" -> "their knee": memories are written about the person."""
    swaps = (
        (r"\bmy\b", "their"),
        (r"\bmyself\b", "themselves"),
        (r"\bi'?m\b", "they're"),
        (r"\bi\b", "they"),
        (r"\bme\b", "them"),
    )
    for pattern, repl in swaps:
        text = re.sub(pattern, repl, text, flags=re.I)
    return text.strip()


def slug(text: str) -> str:
    """A short stable key fragment."""
    return "_".join(re.findall(r"[a-z0-9]+", text.lower()))[:40] or "x"


_TRAILING = re.compile(
    r"(?:\s+(?:now|again|any\s*more|these\s+days|nowadays|a\s+lot|so\s+much|too|lately))+$", re.I
)


def _clip(text: str, words: int = 8) -> str:
    cut = _TRAILING.sub("", _CUT.sub("", text.strip()))
    return " ".join(cut.split()[:words]).strip(" '\"")


def _fact(
    text: str,
    category: Category,
    key: str | None = None,
    confidence: float = 0.85,
    tags: tuple[str, ...] = (),
) -> Fact:
    text = text.strip()
    return Fact(text[:1].upper() + text[1:], category, key, confidence, tags)


# -- builders --------------------------------------------------------------------------
def _meat_again(_m: re.Match[str]) -> Fact:
    return _fact(
        "Eats meat again (no longer vegetarian)",
        "nutrition_preferences",
        "diet",
        0.9,
        ("diet:omnivore",),
    )


def _diet(m: re.Match[str]) -> Fact:
    word = (m.group(1) or "vegetarian").lower()
    word = {"veggie": "vegetarian", "pescetarian": "pescatarian", "plant-based": "vegan"}.get(
        word, word
    )
    return _fact(f"Is {word}", "nutrition_preferences", "diet", 0.95, (f"diet:{word}",))


def _diet_style(m: re.Match[str]) -> Fact:
    style = m.group(1).lower().replace("-", " ")
    if style in ("vegan", "vegetarian", "plant based"):
        word = "vegan" if style != "vegetarian" else "vegetarian"
        return _fact(f"Is {word}", "nutrition_preferences", "diet", 0.9, (f"diet:{word}",))
    return _fact(f"Follows a {style} diet", "nutrition_preferences", "diet_style", 0.85)


def _allergy(m: re.Match[str]) -> Fact | None:
    thing = _clip(m.group(1), 4).lower()
    if not thing:
        return None
    return _fact(
        f"Allergic to {thing}",
        "nutrition_preferences",
        f"allergy:{slug(thing)}",
        0.95,
        (f"allergy:{thing}",),
    )


def _intolerance(m: re.Match[str]) -> Fact:
    thing = m.group(1).lower()
    thing = "gluten" if thing in ("celiac", "coeliac") else thing
    return _fact(
        f"{thing.capitalize()} intolerant",
        "nutrition_preferences",
        f"allergy:{thing}",
        0.95,
        (f"allergy:{thing}",),
    )


def _part(m: re.Match[str], side_group: int, part_group: int) -> tuple[str, str]:
    side = (m.group(side_group) or "").lower()
    part = m.group(part_group).lower()
    phrase = f"{side} {part}".strip()
    return phrase, _PART_KEY.get(part, part)


def _injury_has(m: re.Match[str]) -> Fact:
    adjective = m.group(1).lower()
    phrase, key = _part(m, 2, 3)
    return _fact(
        f"Has a {adjective} {phrase}", "challenges", f"injury:{key}", 0.9, (f"injury:{key}",)
    )


def _injury_hurts(m: re.Match[str]) -> Fact:
    phrase, key = _part(m, 1, 2)
    state = " ".join(m.group(3).lower().split())
    return _fact(f"Their {phrase} {state}", "challenges", f"injury:{key}", 0.85, (f"injury:{key}",))


def _injury_event(m: re.Match[str]) -> Fact:
    verb = m.group(1).lower()
    phrase, key = _part(m, 2, 3)
    return _fact(
        f"{verb.capitalize()} their {phrase}",
        "challenges",
        f"injury:{key}",
        0.9,
        (f"injury:{key}",),
    )


def _surgery(m: re.Match[str]) -> Fact:
    phrase, key = _part(m, 1, 2)
    return _fact(f"Had {phrase} surgery", "challenges", f"injury:{key}", 0.9, (f"injury:{key}",))


def _healed(m: re.Match[str]) -> Fact:
    phrase, key = _part(m, 1, 2)
    return _fact(
        f"{phrase.capitalize()} has recovered (no longer injured)",
        "challenges",
        f"injury:{key}",
        0.85,
        ("resolved",),
    )


def _condition(m: re.Match[str]) -> Fact:
    condition = " ".join(m.group(1).lower().split())
    return _fact(
        f"Has {condition}",
        "challenges",
        f"condition:{slug(condition)}",
        0.9,
        (f"condition:{condition}",),
    )


def _pregnant(_m: re.Match[str]) -> Fact:
    return _fact("Is pregnant", "challenges", "condition:pregnant", 0.95, ("condition:pregnant",))


def _goal(m: re.Match[str]) -> Fact | None:
    goal = _clip(m.group(1), 14)
    if len(goal) < 3:
        return None
    if re.search(r"\d\s*(kg|kilos?|lbs?|pounds?)\b", goal, re.I):
        return _fact(f"Goal weight: {third_person(goal)}", "goals", "goal:weight", 0.9)
    return _fact(f"Goal: {third_person(goal)}", "goals", "goal", 0.9)


def _want(m: re.Match[str]) -> Fact | None:
    goal = _clip(m.group(1), 14)
    verb = goal.split()[0].lower() if goal else ""
    if verb in ("lose", "gain", "drop", "reach", "weigh", "get"):
        key = "goal:weight"
    elif verb in ("run", "finish", "complete", "do", "swim", "cycle", "ride"):
        key = "goal:event"
    elif verb in ("squat", "bench", "deadlift", "press", "lift"):
        key = "goal:strength"
    else:
        key = "goal"
    return _fact(f"Wants to {third_person(goal)}", "goals", key, 0.85)


def _training_for(m: re.Match[str]) -> Fact:
    event = _clip(m.group(1), 10)
    return _fact(f"Training for {third_person(event)}", "goals", "goal:event", 0.9)


def _train_time(m: re.Match[str]) -> Fact:
    when = " ".join(m.group(1).lower().split())
    return _fact(f"Trains {when}", "preferences", "training_time", 0.85)


def _train_days(m: re.Match[str]) -> Fact:
    days = " ".join(m.group(1).lower().split())
    return _fact(f"Trains on {days}", "preferences", "training_days", 0.85)


def _train_frequency(m: re.Match[str]) -> Fact:
    return _fact(
        f"Trains {m.group(1).lower()} {m.group(2).lower()} a week",
        "preferences",
        "training_frequency",
        0.85,
    )


def _train_place(m: re.Match[str]) -> Fact:
    return _fact(f"Trains {m.group(1).lower()}", "preferences", "training_place", 0.85)


def _is_exercise(thing: str) -> bool:
    return any(word in _EXERCISE_WORDS for word in re.findall(r"[a-z]+", thing.lower()))


def _dislike(m: re.Match[str]) -> Fact | None:
    thing = _clip(m.group(2), 5)
    if not thing or thing.lower().startswith(("to ", "it", "that", "this", "when")):
        return None
    category: Category = "preferences" if _is_exercise(thing) else "nutrition_preferences"
    lowered = thing.lower()
    return _fact(
        f"Dislikes {third_person(lowered)}",
        category,
        f"attitude:{slug(lowered)}",
        0.85,
        (f"dislike:{lowered}",),
    )


def _no_longer_dislike(m: re.Match[str]) -> Fact | None:
    thing = _clip(re.sub(r"\s+any\s*more$", "", m.group(2), flags=re.I), 5).lower()
    if not thing:
        return None
    category: Category = "preferences" if _is_exercise(thing) else "nutrition_preferences"
    return _fact(f"No longer dislikes {thing}", category, f"attitude:{slug(thing)}", 0.85)


def _like(m: re.Match[str]) -> Fact | None:
    thing = _clip(m.group(2), 5)
    lowered = thing.lower()
    if not thing or lowered.startswith(("to ", "it", "that", "this", "you", "the idea")):
        return None
    category: Category = "preferences" if _is_exercise(thing) else "nutrition_preferences"
    return _fact(f"Likes {third_person(lowered)}", category, f"attitude:{slug(lowered)}", 0.8)


def _work(m: re.Match[str]) -> Fact:
    what = " ".join(m.group(1).lower().split())
    return _fact(f"Works {what}", "profile", "work_schedule", 0.9)


def _no_longer_work(m: re.Match[str]) -> Fact:
    what = " ".join(m.group(1).lower().split())
    return _fact(f"No longer works {what}", "profile", "work_schedule", 0.85)


def _occupation(m: re.Match[str]) -> Fact:
    job = _clip(m.group(1), 5).lower()
    return _fact(f"Works as {job}", "profile", "occupation", 0.85)


def _family(m: re.Match[str]) -> Fact:
    return _fact(f"Has {m.group(1).lower()} {m.group(2).lower()}", "profile", "family", 0.85)


def _sleep(m: re.Match[str]) -> Fact:
    return _fact(f"Sleeps about {m.group(1)} hours a night", "profile", "sleep", 0.8)


def _equipment(m: re.Match[str]) -> Fact:
    return _fact(f"Has {' '.join(m.group(1).lower().split())}", "preferences", None, 0.8)


def _gym_access(m: re.Match[str]) -> Fact:
    negative = bool(m.group(1))
    text = "Has no gym membership" if negative else "Has a gym membership"
    return _fact(text, "preferences", "gym_access", 0.85)


def _session_time(m: re.Match[str]) -> Fact:
    return _fact(f"Has about {m.group(1)} minutes per workout", "preferences", "session_time")


def _no_time(_m: re.Match[str]) -> Fact:
    return _fact("Has little time to train", "challenges", "time_budget", 0.8)


def _motivation(m: re.Match[str]) -> Fact | None:
    why = _clip(m.group(1), 14)
    if len(why) < 3:
        return None
    return _fact(f"Motivation: {third_person(why)}", "motivations", None, 0.8)


def _wants_ability(m: re.Match[str]) -> Fact:
    return _fact(f"Wants to {third_person(_clip(m.group(1), 14))}", "motivations", None, 0.8)


def _event_motivation(m: re.Match[str]) -> Fact:
    return _fact(f"Motivated by their upcoming {m.group(1).lower()}", "motivations", None, 0.8)


def _struggle(m: re.Match[str]) -> Fact | None:
    what = _clip(m.group(2), 10)
    if len(what) < 3:
        return None
    verb = "Struggles with" if m.group(1).lower().startswith("struggl") else "Finds it hard to"
    return _fact(f"{verb} {third_person(what.lower())}", "challenges", None, 0.8)


def _experience(m: re.Match[str]) -> Fact:
    activity = " ".join(m.group(1).lower().split())
    span = _clip(m.group(2), 5)
    return _fact(
        f"Has been {activity} for {span}", "workout_history", f"experience:{slug(activity)}"
    )


def _used_to(m: re.Match[str]) -> Fact | None:
    what = _clip(m.group(1), 8)
    return _fact(f"Used to {third_person(what)}", "workout_history", None, 0.8) if what else None


def _level(m: re.Match[str]) -> Fact:
    return _fact(f"Training level: {m.group(1).lower()}", "workout_history", "level", 0.85)


def _completed(m: re.Match[str]) -> Fact:
    event = " ".join(m.group(1).lower().split())
    return _fact(f"Has completed a {event}", "workout_history", None, 0.85)


def _lift_max(m: re.Match[str]) -> Fact:
    lift = " ".join((m.group(1) or m.group(2) or "lift").lower().split())
    return _fact(
        f"{lift.capitalize()} best: {m.group(3)} {m.group(4).lower()}",
        "progress_metrics",
        f"metric:{slug(lift)}",
        0.85,
    )


def _body_fat(m: re.Match[str]) -> Fact:
    return _fact(f"Body fat about {m.group(1)}%", "progress_metrics", "metric:body_fat", 0.85)


def _resting_hr(m: re.Match[str]) -> Fact:
    return _fact(
        f"Resting heart rate {m.group(1)} bpm", "progress_metrics", "metric:resting_hr", 0.85
    )


def _race_time(m: re.Match[str]) -> Fact:
    race = " ".join(m.group(1).lower().split())
    return _fact(
        f"{race.capitalize()} best time: {m.group(2)}",
        "progress_metrics",
        f"metric:{slug(race)}_time",
        0.85,
    )


_LIFTS = r"squat|bench(?:\s+press)?|deadlift|overhead\s+press|ohp|clean|snatch|pull[- ]?ups?"
RULES: tuple[Rule, ...] = (
    Rule(
        _rx(
            r"\bi\s+(?:now\s+)?eat\s+meat\s+again|\bI_AM\s+(?:not|no\s+longer)\s+(?:a\s+)?"
            r"(?:vegetarian|vegan|pescatarian)|\bi\s+stopped\s+being\s+(?:a\s+)?"
            r"(?:vegetarian|vegan)|\bI_AM\s+(?:back\s+)?(?:on|eating)\s+meat|\bi\s+started\s+"
            r"eating\s+meat|\bi\s+eat\s+meat\s+now"
        ),
        _meat_again,
    ),
    Rule(
        _rx(
            r"\bI_AM\s+(?:a\s+|now\s+(?:a\s+)?|strictly\s+|fully\s+|mostly\s+)?"
            r"(vegetarian|vegan|pescatarian|pescetarian|veggie)\b"
        ),
        _diet,
    ),
    Rule(_rx(r"\bi\s+(?:don'?t|do\s+not|never)\s+eat\s+(?:any\s+)?meat()\b"), _diet),
    Rule(
        _rx(
            r"\b(?:i\s+follow|I_AM\s+on|i\s+eat|i\s+do)\s+(?:a\s+|the\s+)?(vegan|vegetarian|"
            r"plant[- ]based|keto|ketogenic|paleo|low[- ]carb|mediterranean|carnivore|"
            r"high[- ]protein|intermittent fasting|halal|kosher)(?:\s+diet)?\b"
        ),
        _diet_style,
    ),
    Rule(_rx(r"\bI_AM\s+(?:severely\s+|very\s+|really\s+)?allergic\s+to\s+(.+)"), _allergy),
    Rule(_rx(r"\bi\s+have\s+(?:a|an)\s+(?:severe\s+)?([a-z ]+?)\s+allergy\b"), _allergy),
    Rule(_rx(r"\bI_AM\s+(lactose|gluten|dairy|fructose)[- ]intolerant"), _intolerance),
    Rule(_rx(r"\bi\s+have\s+(celiac|coeliac)"), _intolerance),
    Rule(
        _rx(
            r"\bmy\s+" + _SIDE + r"(" + _PARTS + r")\s+(?:is|are|has|have)\s+(?:fine|ok|okay|"
            r"better|healed|recovered|good|all\s+good)(?:\s+now|\s+again)?\b"
        ),
        _healed,
    ),
    Rule(
        _rx(
            r"\bmy\s+" + _SIDE + r"(" + _PARTS + r")\s+(?:no\s+longer|doesn'?t|does\s+not|"
            r"don'?t)\s+hurt"
        ),
        _healed,
    ),
    Rule(
        _rx(
            r"\bi\s+have\s+(?:a\s+|an\s+)?(bad|dodgy|weak|injured|sore|painful|bum|busted|torn|"
            r"herniated|slipped|stiff|arthritic|bad)\s+" + _SIDE + r"(" + _PARTS + r")\b"
        ),
        _injury_has,
    ),
    Rule(
        _rx(
            r"\bmy\s+" + _SIDE + r"(" + _PARTS + r")\s+(hurts?|is\s+(?:injured|sore|bad|painful|"
            r"killing\s+me|playing\s+up|acting\s+up|weak|stiff)|gives\s+me\s+trouble|aches?)\b"
        ),
        _injury_hurts,
    ),
    Rule(
        _rx(
            r"\bi\s+(hurt|injured|sprained|tore|pulled|strained|broke|twisted|dislocated|"
            r"tweaked)\s+my\s+" + _SIDE + r"(" + _PARTS + r")\b"
        ),
        _injury_event,
    ),
    Rule(_rx(r"\bi\s+had\s+(?:a\s+)?" + _SIDE + r"(" + _PARTS + r")\s+surgery"), _surgery),
    Rule(
        _rx(
            r"\bi\s+(?:have|suffer\s+from|was\s+diagnosed\s+with)\s+(asthma|type\s+[12]\s+"
            r"diabetes|diabetes|high\s+blood\s+pressure|hypertension|arthritis|a\s+heart\s+"
            r"condition|pcos|osteoporosis|scoliosis|sciatica|plantar\s+fasciitis|tendinitis|"
            r"tennis\s+elbow|migraines)\b"
        ),
        _condition,
    ),
    Rule(_rx(r"\bI_AM\s+(?:\d+\s+(?:weeks|months)\s+)?pregnant\b"), _pregnant),
    Rule(
        _rx(r"\bmy\s+(?:main\s+|primary\s+|big\s+|new\s+|current\s+)?goal\s+is\s+(?:to\s+)?(.+)"),
        _goal,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:want|would\s+like|need|hope|plan|'d\s+like)\s+to\s+((?:lose|gain|drop|"
            r"reach|weigh|get\s+(?:down|up)\s+to|run|finish|complete|squat|bench|deadlift|"
            r"do\s+(?:a|my\s+first)|swim|cycle|ride|build|tone|get\s+(?:stronger|fitter|lean|"
            r"toned|shredded|abs))\b.+)"
        ),
        _want,
    ),
    Rule(_rx(r"\bI_AM\s+training\s+for\s+((?:a|an|the|my)\s+.+)"), _training_for),
    Rule(
        _rx(
            r"\bi\s+"
            + _ADVERB
            + r"(?:prefer\s+to\s+|like\s+to\s+)?"
            + _TRAIN
            + r"\s+(?:\w+\s+){0,2}?"
            + _WHEN
        ),
        _train_time,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:usually\s+|can\s+(?:only\s+)?|only\s+|normally\s+)?"
            + _TRAIN
            + r"\s+(?:\w+\s+){0,3}?(?:on\s+|every\s+)((?:"
            + _DAYS
            + r")(?:(?:\s*,\s*|\s+and\s+"
            r"|\s*&\s*|\s*/\s*)(?:" + _DAYS + r"))*)"
        ),
        _train_days,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:usually\s+|can\s+(?:only\s+)?|only\s+)?" + _TRAIN + r"\s+(\d|one|two|three|"
            r"four|five|six|seven)\s+(times|days)\s+(?:a|per|each)\s+week"
        ),
        _train_frequency,
    ),
    Rule(
        _rx(
            r"\bi\s+" + _ADVERB + r"(?:train|work\s*out|exercise)\s+(at\s+home|at\s+the\s+gym|"
            r"outdoors|outside|in\s+my\s+garage)"
        ),
        _train_place,
    ),
    Rule(
        _rx(r"\bi\s+(no\s+longer|don'?t|do\s+not)\s+(?:hate|dislike|mind)\s+(.+)"),
        _no_longer_dislike,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:really\s+|absolutely\s+|just\s+|totally\s+)?(hate|dislike|can'?t\s+stand|"
            r"detest|loathe|despise|don'?t\s+like|do\s+not\s+like|don'?t\s+enjoy|"
            r"am\s+not\s+a\s+fan\s+of)\s+(.+)"
        ),
        _dislike,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:really\s+|absolutely\s+|just\s+|totally\s+)?(love|enjoy|like|adore)\s+"
            r"(?!to\b)(.+)"
        ),
        _like,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:no\s+longer|don'?t|do\s+not)\s+work\s+(night\s+shifts?|nights|"
            r"(?:rotating\s+|early\s+|late\s+)?shifts?)"
        ),
        _no_longer_work,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:usually\s+|often\s+|now\s+)?work\s+(night\s+shifts?|nights|(?:rotating\s+|"
            r"early\s+|late\s+|long\s+|12[- ]hour\s+|double\s+)?shifts?|from\s+home|remotely|"
            r"long\s+hours|weekends|nine\s+to\s+five|9\s*(?:-|to)\s*5|full[- ]time|"
            r"part[- ]time|in\s+an\s+office|at\s+a\s+desk|on\s+my\s+feet\s+all\s+day)"
        ),
        _work,
    ),
    Rule(_rx(r"\bi\s+work\s+as\s+(?:a|an)\s+(.+)"), _occupation),
    Rule(
        _rx(
            r"\bi\s+have\s+(a|one|two|three|four|five|\d)\s+(kids?|children|sons?|daughters?|"
            r"babies|baby|toddlers?|newborn)\b"
        ),
        _family,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:only\s+|usually\s+)?(?:sleep|get)\s+(?:about\s+|around\s+|maybe\s+)?"
            r"(\d+(?:\.\d)?)\s+hours?\s*(?:of\s+sleep|a\s+night|per\s+night|sleep)"
        ),
        _sleep,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:only\s+)?have\s+((?:a\s+pair\s+of\s+|some\s+|a\s+set\s+of\s+)?(?:adjustable\s+)?"
            r"(?:dumbbells|kettlebells?|a\s+barbell|resistance\s+bands|a\s+pull[- ]?up\s+bar|"
            r"a\s+home\s+gym|a\s+treadmill|an?\s+(?:exercise\s+|spin\s+)?bike|a\s+rower|"
            r"a\s+rowing\s+machine|a\s+squat\s+rack))"
        ),
        _equipment,
    ),
    Rule(_rx(r"\bi\s+(don'?t\s+|do\s+not\s+)?have\s+a\s+gym\s+membership"), _gym_access),
    Rule(
        _rx(
            r"\bi\s+(?:only\s+)?have\s+(?:about\s+|around\s+)?(\d+)\s+(?:minutes|mins?)\s+"
            r"(?:a\s+day|per\s+day|to\s+train|per\s+session|for\s+(?:a\s+)?workouts?|a\s+session)"
        ),
        _session_time,
    ),
    Rule(
        _rx(r"\bi\s+(?:don'?t|do\s+not)\s+have\s+(?:much|a\s+lot\s+of|enough)\s+time\b"), _no_time
    ),
    Rule(_rx(r"\bmy\s+(?:biggest\s+|main\s+)?motivation\s+is\s+(?:to\s+)?(.+)"), _motivation),
    Rule(_rx(r"\bI_AM\s+doing\s+this\s+((?:for|because)\s+.+)"), _motivation),
    Rule(
        _rx(
            r"\bi\s+want\s+to\s+((?:be\s+able\s+to|keep\s+up\s+with|feel|look|be\s+(?:healthy|"
            r"fit|strong|around|a\s+role\s+model))\b.+)"
        ),
        _wants_ability,
    ),
    Rule(
        _rx(
            r"\b(?:for|before)\s+my\s+(wedding|holiday|vacation|honeymoon|reunion|birthday|"
            r"beach\s+trip)\b"
        ),
        _event_motivation,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:really\s+|always\s+)?(struggle|am\s+struggling|find\s+it\s+hard|have\s+"
            r"trouble|have\s+a\s+hard\s+time)\s+(?:with\s+|to\s+)?(.+)"
        ),
        _struggle,
    ),
    Rule(
        _rx(
            r"\bi(?:'ve|\s+have)\s+been\s+(lifting|training|running|swimming|cycling|climbing|"
            r"going\s+to\s+the\s+gym|doing\s+\w+)\s+for\s+(.+)"
        ),
        _experience,
    ),
    Rule(
        _rx(r"\bi\s+used\s+to\s+((?:play|run|lift|swim|do|be|compete|cycle|row|box)\b.+)"), _used_to
    ),
    Rule(
        _rx(
            r"\bI_AM\s+(?:a\s+|an\s+)?(?:complete\s+|total\s+|absolute\s+)?(beginner|novice|"
            r"intermediate|advanced)\b"
        ),
        _level,
    ),
    Rule(
        _rx(
            r"\bi\s+(?:ran|completed|finished|did)\s+(?:a|an|my\s+first)\s+(marathon|half[- ]"
            r"marathon|10k|5k|triathlon|ironman|ultra(?:marathon)?)"
        ),
        _completed,
    ),
    Rule(
        _rx(
            r"\bmy\s+(?:(" + _LIFTS + r")\s+(?:1rm|max|pr|pb|personal\s+best|best)|(?:1rm|max|pr|"
            r"pb|personal\s+best|best)\s+(?:on|for|in)\s+(?:the\s+)?(" + _LIFTS + r"))\s+is\s+"
            r"(\d+(?:\.\d+)?)\s*(kg|lbs?)"
        ),
        _lift_max,
    ),
    Rule(
        _rx(
            r"\bmy\s+(?:body\s*fat|bf)(?:\s+percentage)?\s+is\s+(?:about\s+|around\s+)?"
            r"(\d+(?:\.\d+)?)\s*%"
        ),
        _body_fat,
    ),
    Rule(_rx(r"\bmy\s+resting\s+heart\s+rate\s+is\s+(?:about\s+|around\s+)?(\d+)"), _resting_hr),
    Rule(
        _rx(
            r"\bmy\s+(?:best\s+)?(5k|10k|half[- ]marathon|marathon|mile)\s+(?:time\s+|pb\s+|pr\s+|"
            r"best\s+)?is\s+(\d{1,2}:\d{2}(?::\d{2})?)"
        ),
        _race_time,
    ),
)


def clauses(text: str) -> list[str]:
    """Statements in a message: sentences, and clauses joined by "and I"/"but my"."""
    return [c.strip() for c in _SPLIT.split(text) if c and c.strip()]


def extract_with_rules(text: str) -> list[Fact]:
    """Durable facts in a message, one per slot; questions and hypotheticals are skipped."""
    facts: dict[str, Fact] = {}
    for clause in clauses(text):
        if _QUESTION.search(clause):
            continue
        normalised = clause.replace("’", "'")
        for rule in RULES:
            match = rule.pattern.search(normalised)
            if match is None:
                continue
            fact = rule.build(match)
            if fact is None:
                continue
            slot = fact.key or f"text:{fact.text.lower()}"
            facts.setdefault(slot, fact)
            if fact.key and fact.key.startswith(("diet", "injury:", "attitude:", "work_")):
                break  # the first (most specific) rule owns the clause
    return list(facts.values())
