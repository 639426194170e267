"""Text normalisation shared by food search, portions and meal parsing."""

from __future__ import annotations

import re
from functools import lru_cache

# USDA SR Shrt_Desc abbreviations (and a few that people type) -> full word(s).
ABBREVIATIONS: dict[str, str] = {
    "whl": "whole",
    "ckd": "cooked",
    "unckd": "uncooked",
    "bnls": "boneless",
    "bns": "beans",
    "brst": "breast",
    "chkn": "chicken",
    "chk": "chicken",
    "frsh": "fresh",
    "frzn": "frozen",
    "fzn": "frozen",
    "cnd": "canned",
    "drnd": "drained",
    "drnd.": "drained",
    "sltd": "salted",
    "unsltd": "unsalted",
    "swtnd": "sweetened",
    "unswtnd": "unsweetened",
    "swt": "sweet",
    "w": "with",
    "wo": "without",
    "wht": "white",
    "wheat": "wheat",
    "whtn": "whitened",
    "grnd": "ground",
    "rst": "roasted",
    "rstd": "roasted",
    "rsted": "roasted",
    "brld": "broiled",
    "brsd": "braised",
    "stwd": "stewed",
    "bld": "boiled",
    "frd": "fried",
    "pnfrd": "pan fried",
    "bkd": "baked",
    "prep": "prepared",
    "prepd": "prepared",
    "unprep": "unprepared",
    "conc": "concentrate",
    "bev": "beverage",
    "choc": "chocolate",
    "chs": "cheese",
    "crm": "cream",
    "veg": "vegetable",
    "vegs": "vegetable",
    "lofat": "lowfat",
    "nonfat": "nonfat",
    "rducd": "reduced",
    "red": "red",
    "sau": "sauce",
    "sce": "sauce",
    "pnut": "peanut",
    "pnuts": "peanut",
    "btr": "butter",
    "marg": "margarine",
    "mayo": "mayonnaise",
    "yogrt": "yogurt",
    "yoghurt": "yogurt",
    "yogourt": "yogurt",
    "frt": "fruit",
    "bf": "beef",
    "grd": "ground",
    "lf": "leaf",
    "lvs": "leaves",
    "med": "medium",
    "lg": "large",
    "sml": "small",
    "sm": "small",
    "xl": "extra large",
    "ns": "",
    "nfs": "",
    "enr": "enriched",
    "unenr": "unenriched",
    "rtd": "ready to drink",
    "rte": "ready to eat",
    "rts": "ready to serve",
    "skn": "skin",
    "sknls": "skinless",
    "trmd": "trimmed",
    "sep": "separable",
    "ln": "lean",
    "flr": "flour",
    "pdr": "powder",
    "juc": "juice",
    "mxd": "mixed",
    "spl": "special",
    "dk": "dark",
    "lt": "light",
    "org": "organic",
    "fl": "fl",
    "tsp": "tsp",
    "bbq": "barbecue",
    "barbeque": "barbecue",
    "cheeze": "cheese",
    "donut": "doughnut",
    "donuts": "doughnut",
    "catsup": "ketchup",
    "veggie": "vegetable",
    "veggies": "vegetable",
    "oatmeal": "oatmeal",
    "hotdog": "hot dog",
    "hotdogs": "hot dog",
    "icecream": "ice cream",
    "wholewheat": "whole wheat",
    "cornflakes": "corn flakes",
    "sandwhich": "sandwich",
    "sandwhiches": "sandwich",
    "grilled": "grilled",
    "bbqd": "barbecue",
}

# Words that never carry food meaning on the query side.
STOPWORDS: frozenset[str] = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "or",
        "with",
        "in",
        "on",
        "to",
        "for",
        "from",
        "my",
        "some",
        "i",
        "had",
        "ate",
        "eat",
        "eating",
        "just",
        "by",
        "at",
        "as",
        "is",
        "it",
        "this",
        "that",
        "these",
        "those",
        "me",
        "we",
        "our",
        "your",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "did",
        "does",
        "have",
        "has",
        "having",
        "got",
        "get",
        "today",
        "tonight",
        "yesterday",
        "morning",
        "afternoon",
        "evening",
        "please",
        "log",
        "logged",
        "also",
        "then",
        "plus",
        "s",
        "x",
        "about",
        "around",
        "approx",
        "approximately",
        "roughly",
        "like",
        "what",
    ]
)

_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_SPLIT = re.compile(r"[^a-z0-9]+")
_APOS = re.compile(r"['\u2019`]")


# Nouns whose singular ends in "ie": "cookies" is "cookie", not "cooky".
_IE_WORDS = frozenset({"cookie", "brownie", "smoothie", "hoagie", "calorie", "pierogie", "goalie"})


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """Crude English singularisation applied identically to queries and food names."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-1] if word[:-1] in _IE_WORDS else word[:-3] + "y"
    if word.endswith("oes") and len(word) > 4:
        return word[:-2]
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("ves") and word not in {"olives", "chives", "cloves", "grooves"}:
        if word in {"leaves", "halves", "loaves", "calves", "knives"}:
            return word[:-3] + ("f" if word != "knives" else "fe")
        return word[:-1]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ys")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def tokenize(text: str) -> tuple[str, ...]:
    """Lower-case, expand abbreviations, split and singularise ``text``."""
    text = text.lower().replace("&", " and ")
    text = text.replace("w/o", " without ").replace("wo/", " without ")
    text = text.replace("w/", " with ")
    text = _APOS.sub("", text)
    text = _PCT.sub(lambda m: f" {m.group(1).replace('.', '')}pct ", text)
    out: list[str] = []
    for raw in _SPLIT.split(text):
        if not raw:
            continue
        expanded = ABBREVIATIONS.get(raw, raw)
        if not expanded:
            continue
        for part in expanded.split():
            out.append(singular(part))
    return tuple(out)


def content_tokens(text: str) -> tuple[str, ...]:
    """Tokens of ``text`` without stopwords."""
    return tuple(t for t in tokenize(text) if t not in STOPWORDS)
