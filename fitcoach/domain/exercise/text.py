"""Text normalisation shared by exercise search and workout parsing.

Everything here is deterministic and dependency-free: lower-casing, splitting on punctuation,
gym-slang expansion (``db`` -> ``dumbbell``, ``ohp`` -> ``overhead press`` ...), naive
singularisation and joining of compound words (``pull ups`` -> ``pullup``). The same pipeline is
applied to catalog names and to user queries so both sides meet in one vocabulary.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SPLIT_RE = re.compile(r"[^a-z0-9]+")

#: Token-level slang / spelling variants, applied before singularisation.
SLANG: dict[str, tuple[str, ...]] = {
    "db": ("dumbbell",),
    "dbs": ("dumbbell",),
    "dumbell": ("dumbbell",),
    "dumbells": ("dumbbell",),
    "dumbel": ("dumbbell",),
    "dumbbel": ("dumbbell",),
    "bb": ("barbell",),
    "kb": ("kettlebell",),
    "kbs": ("kettlebell",),
    "kettle": ("kettlebell",),
    "ohp": ("overhead", "press"),
    "rdl": ("romanian", "deadlift"),
    "rdls": ("romanian", "deadlift"),
    "sldl": ("stiff", "leg", "deadlift"),
    "sldls": ("stiff", "leg", "deadlift"),
    "sdl": ("sumo", "deadlift"),
    "dl": ("deadlift",),
    "dls": ("deadlift",),
    "deads": ("deadlift",),
    "bp": ("bench", "press"),
    "cgbp": ("close", "grip", "bench", "press"),
    "bw": ("bodyweight",),
    "bss": ("bulgarian", "split", "squat"),
    "hspu": ("handstand", "pushup"),
    "ghr": ("glute", "ham", "raise"),
    "ghd": ("glute", "ham", "raise"),
    "pecdec": ("pecdeck",),
    "tris": ("tricep",),
    "triceps": ("tricep",),
    "tricept": ("tricep",),
    "bis": ("bicep",),
    "biceps": ("bicep",),
    "bicept": ("bicep",),
    "delts": ("delt",),
    "deltoid": ("delt",),
    "deltoids": ("delt",),
    "lats": ("lat",),
    "abs": ("ab",),
    "ezbar": ("ez", "bar"),
    "ezy": ("ez",),
    "flye": ("fly",),
    "flyes": ("fly",),
    "flys": ("fly",),
    "flies": ("fly",),
    "calves": ("calf",),
    "extention": ("extension",),
    "extentions": ("extension",),
    "xtension": ("extension",),
    "ext": ("extension",),
    "exts": ("extension",),
    "laterals": ("lateral",),
    "ups": ("up",),
    "skullcrushers": ("skullcrusher",),
    "skulls": ("skullcrusher",),
    "pressdown": ("pushdown",),
    "pressdowns": ("pushdown",),
    "pulldowns": ("pulldown",),
    "pushdowns": ("pushdown",),
    "pullup": ("pullup",),
    "pullups": ("pullup",),
    "pushups": ("pushup",),
    "chinups": ("chinup",),
    "situps": ("situp",),
    "stepups": ("stepup",),
    "muscleups": ("muscleup",),
    "facepull": ("face", "pull"),
    "facepulls": ("face", "pull"),
    "hammies": ("hamstring",),
    "quads": ("quad",),
    "glutes": ("glute",),
    "traps": ("trap",),
    "pecs": ("pec",),
    "militairy": ("military",),
    "hex": ("trap",),
    "mil": ("military",),
    "tbar": ("t", "bar"),
    # past-tense verbs people log with ("benched 100", "squatted 3x5")
    "benched": ("bench",),
    "benching": ("bench",),
    "squatted": ("squat",),
    "squatting": ("squat",),
    "deadlifted": ("deadlift",),
    "deadlifting": ("deadlift",),
    "curled": ("curl",),
    "curling": ("curl",),
    "pressed": ("press",),
    "pressing": ("press",),
    "shrugged": ("shrug",),
    "lunged": ("lunge",),
    "dipped": ("dip",),
    "thrusted": ("thrust",),
    "rowed": ("row",),
}

#: Adjacent-token compounds joined after singularisation.
COMPOUNDS: dict[tuple[str, str], str] = {
    ("pull", "up"): "pullup",
    ("push", "up"): "pushup",
    ("press", "up"): "pushup",
    ("chin", "up"): "chinup",
    ("sit", "up"): "situp",
    ("step", "up"): "stepup",
    ("muscle", "up"): "muscleup",
    ("pull", "down"): "pulldown",
    ("push", "down"): "pushdown",
    ("press", "down"): "pushdown",
    ("kick", "back"): "kickback",
    ("skull", "crusher"): "skullcrusher",
    ("skull", "crush"): "skullcrusher",
    ("skullcrush", "er"): "skullcrusher",
    ("t", "bar"): "tbar",
    ("e", "z"): "ez",
    ("pec", "deck"): "pecdeck",
    ("dead", "lift"): "deadlift",
    ("dead", "lifts"): "deadlift",
    ("body", "weight"): "bodyweight",
    ("kettle", "bell"): "kettlebell",
    ("dumb", "bell"): "dumbbell",
    ("bar", "bell"): "barbell",
    ("hand", "stand"): "handstand",
    ("jack", "knife"): "jackknife",
    ("hyper", "extension"): "hyperextension",
    ("hyper", "extensions"): "hyperextension",
}

#: Singular forms the naive "strip the s" rule would get wrong.
_KEEP_S = frozenset(
    {
        "press",
        "cross",
        "across",
        "plus",
        "this",
        "bus",
        "axis",
        "biceps",
        "triceps",
        "ss",
        "glass",
        "grass",
        "less",
        "dress",
        "chess",
        "stress",
        "swiss",
        "bosu",
        "various",
        "us",
        "is",
        "was",
        "has",
        "yes",
        "chains",
        "gorilla",
        "lotus",
        "abductors",
        "adductors",
        "pilates",
        "its",
    }
)

#: Words that never carry exercise meaning (dropped from both names and queries for scoring).
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "of",
        "with",
        "on",
        "to",
        "and",
        "for",
        "my",
        "some",
        "i",
        "in",
        "at",
        "from",
        "into",
        "onto",
        "or",
        "by",
        "did",
        "do",
        "done",
        "doing",
        "got",
        "get",
        "had",
        "have",
        "then",
        "also",
        "today",
        "just",
        "few",
        "couple",
        "version",
        "position",
        "style",
        "me",
        "we",
        "it",
        "this",
        "that",
        "was",
        "were",
        "am",
        "is",
        "are",
        "be",
        "been",
        "set",
        "sets",
        "rep",
        "reps",
        "x",
        "each",
        "per",
        "total",
        "workout",
        "session",
        "exercise",
        "exercises",
        "movement",
        "hit",
        "went",
        "gym",
        "after",
        "before",
        "warmup",
        "working",
        "work",
        "kg",
        "kgs",
        "lb",
        "lbs",
        "kilo",
        "kilos",
        "pound",
        "pounds",
        "plus",
        "like",
        "about",
        "around",
        "approx",
        "more",
        "again",
        "round",
        "rounds",
        "please",
        "log",
        "logged",
        "track",
        "tracked",
        "add",
        "added",
        "record",
        "performed",
        "completed",
        "finished",
        "tried",
    }
)


def singular(token: str) -> str:
    """Very small English singulariser tuned for exercise vocabulary."""
    if len(token) <= 3 or token in _KEEP_S or token.isdigit():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ches", "shes", "sses", "xes")):
        return token[:-2]
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _expand(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in tokens:
        mapped = SLANG.get(tok)
        if mapped is None:
            out.append(singular(tok))
            continue
        out.extend(mapped)
    return out


def _join_compounds(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens):
            joined = COMPOUNDS.get((tokens[i], tokens[i + 1]))
            if joined is not None:
                out.append(joined)
                i += 2
                continue
        out.append(tokens[i])
        i += 1
    return out


@lru_cache(maxsize=8192)
def normalize_tokens(text: str) -> tuple[str, ...]:
    """Lower-case, split, expand slang, singularise and join compounds.

    Stopwords are kept; use :func:`content_tokens` for the scoring view.
    """
    text = text.lower().replace("'", "").replace("’", "").replace("&", " and ")
    raw = [t for t in _SPLIT_RE.split(text) if t]
    return tuple(_join_compounds(_expand(raw)))


def content_tokens(text: str) -> tuple[str, ...]:
    """:func:`normalize_tokens` minus stopwords (the view used for matching)."""
    return tuple(t for t in normalize_tokens(text) if t not in STOPWORDS)


def norm_key(text: str) -> str:
    """Canonical lookup key for an alias or name: content tokens joined by spaces."""
    return " ".join(content_tokens(text))
