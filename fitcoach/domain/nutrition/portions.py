"""Quantities and units -> grams, grounded in USDA household measures."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fitcoach.domain.nutrition.foods import Food, HouseholdMeasure


@dataclass(frozen=True, slots=True)
class Portion:
    """How much of a food was eaten."""

    grams: float
    quantity: float
    unit: str | None
    description: str  # e.g. "2 large", "1 cup", "150 g"
    assumed: bool  # True when no quantity/unit was given and a typical serving was used


# ----------------------------------------------------------------------------- numbers
NUMBER_WORDS: dict[str, float] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
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
    "fifteen": 15,
    "twenty": 20,
    "half": 0.5,
    "quarter": 0.25,
    "couple": 2,
    "few": 3,
    "several": 3,
    "dozen": 12,
    "some": 1,
    "another": 1,
    "third": 1 / 3,
}
_UNICODE_FRACTIONS = {
    "½": 0.5,
    "¼": 0.25,
    "¾": 0.75,
    "⅓": 1 / 3,
    "⅔": 2 / 3,
    "⅛": 0.125,
    "⅕": 0.2,
}

# ----------------------------------------------------------------------------- units
# canonical unit -> (kind, grams or ml per unit)
MASS_UNITS: dict[str, float] = {"g": 1.0, "kg": 1000.0, "oz": 28.35, "lb": 453.6, "mg": 0.001}
VOLUME_UNITS: dict[str, float] = {
    "ml": 1.0,
    "l": 1000.0,
    "fl oz": 29.57,
    "cup": 240.0,
    "tbsp": 15.0,
    "tsp": 5.0,
    "pint": 473.0,
    "quart": 946.0,
    "glass": 240.0,
    "mug": 240.0,
    "shot": 30.0,
    "dl": 100.0,
    "cl": 10.0,
}
SIZE_UNITS = ("extra large", "jumbo", "large", "medium", "small", "extra small")
_SIZE_FACTOR = {
    "extra small": 0.6,
    "small": 0.8,
    "medium": 1.0,
    "large": 1.25,
    "extra large": 1.45,
    "jumbo": 1.6,
}
COUNT_UNITS = (
    "slice",
    "piece",
    "can",
    "bottle",
    "bowl",
    "handful",
    "scoop",
    "serving",
    "portion",
    "stick",
    "link",
    "patty",
    "fillet",
    "breast",
    "thigh",
    "drumstick",
    "wing",
    "leg",
    "container",
    "packet",
    "pack",
    "bar",
    "order",
    "bag",
    "pat",
    "clove",
    "strip",
    "sandwich",
    "cookie",
    "square",
    "wedge",
    "spear",
    "stalk",
    "leaf",
    "sheet",
    "packet",
    "pouch",
    "carton",
    "box",
    "plate",
    "tub",
    "chop",
    "steak",
    "burger",
    "roll",
    "bun",
    "muffin",
    "tortilla",
    "egg",
    "fruit",
    "item",
    "each",
    "whole",
    "bite",
    "nugget",
    "block",
)

# units that are containers/measures rather than the food itself ("large slice", "big bowl")
CONTAINER_UNITS = frozenset(
    {
        "slice",
        "piece",
        "can",
        "bottle",
        "bowl",
        "handful",
        "scoop",
        "serving",
        "portion",
        "container",
        "packet",
        "pack",
        "bag",
        "cup",
        "glass",
        "mug",
        "plate",
        "order",
        "box",
        "carton",
        "tub",
        "pouch",
        "bar",
        "wedge",
        "stick",
        "strip",
        "tbsp",
        "tsp",
    }
)

UNIT_ALIASES: dict[str, str] = {
    "g": "g",
    "gr": "g",
    "gram": "g",
    "grams": "g",
    "gm": "g",
    "gms": "g",
    "grm": "g",
    "kg": "kg",
    "kgs": "kg",
    "kilo": "kg",
    "kilos": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "oz": "oz",
    "ozs": "oz",
    "ounce": "oz",
    "ounces": "oz",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
    "mg": "mg",
    "ml": "ml",
    "mls": "ml",
    "milliliter": "ml",
    "milliliters": "ml",
    "millilitre": "ml",
    "millilitres": "ml",
    "cc": "ml",
    "l": "l",
    "liter": "l",
    "liters": "l",
    "litre": "l",
    "litres": "l",
    "ltr": "l",
    "dl": "dl",
    "cl": "cl",
    "floz": "fl oz",
    "fl oz": "fl oz",
    "fluid ounce": "fl oz",
    "fluid ounces": "fl oz",
    "fl. oz": "fl oz",
    "fl.oz": "fl oz",
    "cup": "cup",
    "cups": "cup",
    "c": "cup",
    "tbsp": "tbsp",
    "tbsps": "tbsp",
    "tbs": "tbsp",
    "tbl": "tbsp",
    "tablespoon": "tbsp",
    "tablespoons": "tbsp",
    "tbspn": "tbsp",
    "tsp": "tsp",
    "tsps": "tsp",
    "teaspoon": "tsp",
    "teaspoons": "tsp",
    "pint": "pint",
    "pints": "pint",
    "pt": "pint",
    "quart": "quart",
    "quarts": "quart",
    "glass": "glass",
    "glasses": "glass",
    "mug": "mug",
    "mugs": "mug",
    "shot": "shot",
    "shots": "shot",
    "extra large": "extra large",
    "extra-large": "extra large",
    "xl": "extra large",
    "extra small": "extra small",
    "jumbo": "jumbo",
    "large": "large",
    "big": "large",
    "medium": "medium",
    "med": "medium",
    "regular": "medium",
    "small": "small",
    "little": "small",
    "lg": "large",
    "sm": "small",
}
for _u in COUNT_UNITS:
    UNIT_ALIASES.setdefault(_u, _u)
    UNIT_ALIASES.setdefault(_u + "s", _u)
UNIT_ALIASES.update(
    {
        "slices": "slice",
        "pieces": "piece",
        "pcs": "piece",
        "pc": "piece",
        "sandwiches": "sandwich",
        "patties": "patty",
        "leaves": "leaf",
        "boxes": "box",
        "glasses": "glass",
        "handfuls": "handful",
        "servings": "serving",
        "portions": "portion",
        "bowlful": "bowl",
        "bowlfuls": "bowl",
        "cupful": "cup",
        "spoon": "tbsp",
        "spoons": "tbsp",
        "spoonful": "tbsp",
        "spoonfuls": "tbsp",
        "dollop": "tbsp",
        "pinch": "pinch",
        "dash": "pinch",
        "wedges": "wedge",
        "eggs": "egg",
        "buns": "bun",
        "rashers": "strip",
        "rasher": "strip",
        "knob": "pat",
        "tin": "can",
        "tins": "can",
        "pot": "container",
        "pots": "container",
    }
)
# words that may precede a unit without changing meaning
_FILLER = {"of", "a", "an", "the", "some", "my", "x"}

_NUM_RE = re.compile(
    r"^(?P<num>\d+\s+\d+/\d+|\d+/\d+|\d*\.\d+|\d+)(?![\d/])(?!\s*%)"  # "2% milk" is a kind
    r"(?:\s*(?:-|to)\s*(?P<num2>\d+(?:\.\d+)?))?"
)
_ATTACHED_RE = re.compile(r"^(\d+(?:\.\d+)?)([a-z]+)\b")
_TRAILING_RE = re.compile(
    r"(?:^|\s)(?:x\s*(?P<x>\d+(?:\.\d+)?)|(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]+(?:\s?oz)?)"
    r"|(?P<n2>\d+(?:\.\d+)?)\s*x)\s*$"
)


def _frac_adder(val: float) -> Callable[[re.Match[str]], str]:
    def add(m: re.Match[str]) -> str:
        return str(int(m.group(1)) + val)

    return add


def _parse_number(text: str) -> float:
    text = text.strip()
    total = 0.0
    for part in text.split():
        if "/" in part:
            a, b = part.split("/", 1)
            total += float(a) / float(b) if float(b) else 0.0
        else:
            total += float(part)
    return total


def _unit_at(words: list[str], i: int) -> tuple[str | None, int]:
    """Recognise a unit starting at ``words[i]``; return (unit, words consumed)."""
    if i >= len(words):
        return None, 0
    if i + 1 < len(words):
        two = f"{words[i]} {words[i + 1]}".rstrip(".")
        if two in UNIT_ALIASES:
            return UNIT_ALIASES[two], 2
    w = words[i].rstrip(".")
    if w in UNIT_ALIASES:
        return UNIT_ALIASES[w], 1
    return None, 0


# "a 500ml bottle of coke", "2 330ml cans of beer", "a 12oz coke", "a 5 oz glass of wine"
_SIZED_RE = re.compile(
    r"^(?:(?P<count>a|an|one|two|three|\d+(?:\.\d+)?)\s+)?"
    r"(?P<size>\d+(?:\.\d+)?)(?:\s*|-)"
    r"(?P<unit>(?:fl\.?\s?oz|ml|cl|l|oz|g|kg|lb|inch(?:es)?|in)\b|\")\s*"
    r"(?:(?P<cont>cans?|tins?|bottles?|glass(?:es)?|cups?|mugs?|cartons?|pots?|tubs?|bags?"
    r"|packets?|packs?|bars?|box(?:es)?|servings?|jars?|pouch(?:es)?|steaks?|portions?)\b\s*)?"
    r"(?:of\s+)?(?P<rest>[a-z].*)$"
)
_FOOTLONG = re.compile(r"\bfoot[- ]?longs?\b")
_LIQUID_CONTAINERS = ("can", "tin", "bottle", "glass", "cup", "mug", "carton")
_COUNT_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0}


def _sized_container(text: str) -> tuple[float, str, str] | None:
    """(total quantity, unit, rest) for a count of sized containers, else None."""
    m = _SIZED_RE.match(text)
    if m is None or not (m.group("count") or m.group("cont")):
        return None
    count_txt = m.group("count")
    count = 1.0 if not count_txt else _COUNT_WORDS.get(count_txt) or float(count_txt)
    unit = m.group("unit").replace(".", "").replace(" ", "")
    unit = "fl oz" if unit == "floz" else unit
    unit = "inch" if unit in ("inches", "in", '"') else unit
    cont = m.group("cont") or ""
    if unit == "oz" and cont.startswith(_LIQUID_CONTAINERS):
        unit = "fl oz"  # a 12 oz can holds fluid ounces
    return count * float(m.group("size")), unit, m.group("rest").strip()


def split_quantity(phrase: str) -> tuple[float | None, str | None, str]:
    """Split "2 large eggs" into (2.0, "large", "eggs"); missing parts are None."""
    text = phrase.strip().lower()
    for ch, val in _UNICODE_FRACTIONS.items():
        if ch in text:
            text = re.sub(rf"(\d)\s*{ch}", _frac_adder(val), text)
            text = text.replace(ch, f" {val} ")
    text = re.sub(r"\s+", " ", text).strip()
    text = _FOOTLONG.sub("12 inch", text)
    sized = _sized_container(text)
    if sized is not None:
        return sized[0], sized[1], sized[2].strip(" ,.")
    quantity: float | None = None
    unit: str | None = None

    m = _ATTACHED_RE.match(text)
    if m and UNIT_ALIASES.get(m.group(2)) is not None:
        text = f"{m.group(1)} {m.group(2)}{text[m.end() :]}"
    m = _NUM_RE.match(text)
    words: list[str]
    if m:
        q = _parse_number(m.group("num"))
        if m.group("num2"):
            q = (q + float(m.group("num2"))) / 2
        quantity = q
        words = text[m.end() :].split()
    else:
        words = text.split()
        # number words: "a couple of", "half a", "a dozen", "two and a half"
        i = 0
        q_acc: float | None = None
        while i < len(words):
            w = words[i]
            if w in NUMBER_WORDS:
                val = NUMBER_WORDS[w]
                if q_acc is None:
                    q_acc = val
                elif w in {"dozen"}:
                    q_acc = q_acc * val if q_acc not in (None, 1) else val
                elif w in {"half", "quarter", "third"} and words[i - 1] == "and":
                    q_acc += val  # "two and half cups"
                elif w in {"couple", "few", "several", "half", "quarter", "third"}:
                    if words[i - 1] in {"a", "an"} or q_acc == 1:
                        q_acc = val
                    else:
                        q_acc = q_acc * val if w in {"half", "quarter", "third"} else val
                elif words[i - 1] == "and":
                    q_acc += val
                else:
                    break
                i += 1
                continue
            if w == "and" and q_acc is not None and words[i + 1 : i + 3] == ["a", "half"]:
                q_acc += 0.5  # "one and a half", "two and a half"
                i += 3
                continue
            if (
                w == "and"
                and q_acc is not None
                and i + 1 < len(words)
                and words[i + 1] in {"a", "half"}
            ):
                i += 1
                continue
            if w == "of" and q_acc is not None:
                i += 1
                continue
            break
        if q_acc is not None and not (i == 1 and words[0] == "some"):
            quantity = q_acc
            words = words[i:]
        elif q_acc is not None:
            words = words[1:]  # "some grapes" is a serving of grapes, not one grape
    # "half a cup", "1 and a half cups"
    if quantity is not None and words[:3] == ["and", "a", "half"]:
        quantity += 0.5
        words = words[3:]
    if quantity is not None and words and words[0] in {"half", "½"}:
        quantity *= 0.5
        words = words[1:]
    # skip fillers between number and unit
    while words and words[0] in _FILLER and len(words) > 1:
        words = words[1:]
    u, n = _unit_at(words, 0)
    if u is not None and n < len(words):
        # a size word followed by a real unit: "1 large slice" -> slice wins
        nxt, n2 = _unit_at(words, n)
        if u in SIZE_UNITS and nxt in CONTAINER_UNITS and n + n2 < len(words):
            u, n = nxt, n + n2
        if not (u in COUNT_UNITS and nxt in COUNT_UNITS and n + n2 == len(words)):
            # else both words name the food: "a fillet steak", "a burger bun"
            unit = u
            words = words[n:]
    elif u is not None and quantity is not None and n == len(words) and u in COUNT_UNITS:
        # "2 eggs": the unit word is the food itself
        pass
    if quantity is not None and unit is not None and words[:3] == ["and", "a", "half"]:
        quantity += 0.5  # "a cup and a half of rice"
        words = words[3:]
    while words and words[0] in _FILLER and len(words) > 1:
        words = words[1:]
    rest = " ".join(words)
    if quantity is None and unit is None:
        # trailing quantity: "chicken breast 150g", "eggs x2"
        tm = _TRAILING_RE.search(rest)
        if tm:
            if tm.group("x") or tm.group("n2"):
                quantity = float(tm.group("x") or tm.group("n2"))
                rest = rest[: tm.start()].strip()
            elif tm.group("num"):
                unit_word = tm.group("unit").strip()
                tu = UNIT_ALIASES.get(unit_word) or UNIT_ALIASES.get(unit_word.replace(" ", ""))
                if tu is not None:
                    quantity = float(tm.group("num"))
                    unit = tu
                    rest = rest[: tm.start()].strip()
    elif unit is None and quantity is not None:
        pass
    if quantity is None and unit is not None:
        quantity = 1.0
    return quantity, unit, rest.strip(" ,.")


# ----------------------------------------------------------------------------- measures
_PIECE_WORDS = (
    "medium",
    "large",
    "small",
    "slice",
    "piece",
    "each",
    "item",
    "fruit",
    "breast",
    "thigh",
    "drumstick",
    "wing",
    "fillet",
    "patty",
    "link",
    "sandwich",
    "burger",
    "bun",
    "roll",
    "bagel",
    "muffin",
    "cookie",
    "bar",
    "container",
    "bottle",
    "can",
    "serving",
    "order",
    "egg",
    "tortilla",
    "pancake",
    "waffle",
    "stalk",
    "spear",
    "clove",
    "strip",
    "package",
    "packet",
    "pie",
    "doughnut",
    "biscuit",
    "croissant",
    "taco",
    "burrito",
    "frank",
    "sausage",
    "chop",
    "steak",
    "potato",
    "tomato",
    "pepper",
    "onion",
    "carrot",
    "apple",
    "orange",
    "banana",
    "pear",
    "peach",
    "plum",
    "avocado",
    "nugget",
    "cup",
    "hot dog",
    "pizza",
    "cake",
    "brownie",
    "pretzel",
    "cracker",
    "chip",
    "leg",
    "whole",
    "oz",
)
_SERVING_SKIP = ("crust not eaten", "yield", "cubic inch", "cup (4.86", "lb ")


def _desc_words(m: HouseholdMeasure) -> str:
    return m.description.lower()


def _find_measure(food: Food, unit: str) -> HouseholdMeasure | None:
    """First household measure whose description names ``unit``."""
    names = {unit, unit + "s", unit + "es"}
    if unit == "fl oz":
        names = {"fl oz"}
    if unit == "tbsp":
        names |= {"tablespoon"}
    if unit == "tsp":
        names |= {"teaspoon"}
    best: HouseholdMeasure | None = None
    for m in food.measures:
        d = _desc_words(m)
        if d in names or (d.split(" (")[0] in names and unit != "fl oz"):
            return m
    for m in food.measures:
        d = _desc_words(m)
        if any(s in d for s in _SERVING_SKIP if s != "lb "):
            continue
        words = re.split(r"[^a-z]+", d)
        if unit == "fl oz":
            if "fl oz" in d and d.startswith("fl oz"):
                return m
            continue
        if words and words[0] in names:
            return m
        if best is None and any(w in names for w in words[:3]):
            best = m
    return best


def find_measure(food: Food, unit: str) -> HouseholdMeasure | None:
    """Household measure of ``food`` named by ``unit`` ("slice", "cup"...), if any."""
    return _find_measure(food, unit)


def typical_measure(food: Food) -> HouseholdMeasure | None:
    """The food's typical serving from its household measures."""
    ms = [
        m
        for m in food.measures
        if not any(s in _desc_words(m) for s in _SERVING_SKIP)
        and not _desc_words(m).startswith("bunch")  # spinach by the 340 g bunch
        and m.grams > 0
    ]
    if not ms:
        return None
    first = ms[0]
    if _is_condiment(food):
        for key in ("tbsp", "pat", "tsp", "packet", "oz", "slice"):
            for m in ms:
                if _desc_words(m).startswith(key):
                    return m
    if food.group_code == "1200" or (
        food.per_100g.kcal >= 450 and food.group_code in {"2500", "1900"}
    ):
        for m in sorted(ms, key=_is_unusual_size):
            if _desc_words(m).startswith(("oz", "bar", "package", "piece", "serving")):
                return m
    if food.group_code == "0100" and "cheese" in food.name.lower().split(",")[0]:
        for m in ms:
            if _desc_words(m).startswith(("slice", "oz")):
                return m
    # tiny pieces (a strawberry, an almond) or huge ones (a whole pineapple) are not servings
    sized = [m for m in ms if 15 <= _per_unit(m) <= 500 or not _is_piece(m)]
    if sized and len(sized) < len(ms) and not any(_is_piece(m) for m in sized):
        for key in ("nlea serving", "cup", "serving"):
            for m in sized:
                if _desc_words(m).startswith(key) and _per_unit(m) <= 500:
                    return m
    ms = sized or ms
    first = ms[0]
    d0 = _desc_words(first)
    if d0.startswith(("large", "medium", "extra large", "small")) and "cup" not in d0:
        med = next((m for m in ms if _desc_words(m).startswith("medium")), None)
        return med or first
    for key in ("medium", "fruit", "each", "item", "serving", "nlea serving"):
        for m in ms:
            if _desc_words(m).startswith(key):
                return m
    for m in ms:
        d = _desc_words(m)
        if any(d.startswith(w) for w in _PIECE_WORDS if w not in {"cup", "oz"}):
            return m
    for m in ms:
        d = _desc_words(m)
        if d.startswith("cup"):
            return m
    for m in ms:
        if not _desc_words(m).startswith(("oz", "tbsp", "tsp", "fl oz")):
            return m
    return first


_CONDIMENT_WORDS = (
    "butter",
    "margarine",
    "oil",
    "sauce",
    "dressing",
    "syrup",
    "jam",
    "jelly",
    "jellies",
    "honey",
    "catsup",
    "ketchup",
    "mustard",
    "mayonnaise",
    "spread",
    "sugar",
    "salt",
    "vinegar",
    "cream cheese",
    "sour cream",
    "cream,",
    "salsa",
    "relish",
    "gravy",
    "hummus",
    "preserves",
    "nutella",
    "dip",
    "pesto",
    "seasoning",
    "spices",
    "pepper, black",
    "lard",
    "shortening",
    "creamer",
    "whitener",
    "toppings",
)


def _is_condiment(food: Food) -> bool:
    """Foods eaten by the spoonful (fats, sauces, spreads, sweeteners, spices)."""
    if food.group_code in {"0200", "0400"}:
        return True
    low = food.name.lower()
    head = low.split(",")[0].split(" with ")[0]  # "spaghetti with meat sauce" is a meal
    if low.startswith(("cheese, cream", "cream cheese", "cheese spread")):
        return True
    if food.group_code in {"1100", "0900", "1300", "0500"} and head not in {"catsup", "salsa"}:
        return False
    return any(w in head or low.startswith(w) for w in _CONDIMENT_WORDS)


_UNUSUAL_SIZES = (
    "miniature",
    "fun size",
    "mini",
    "bite size",
    "bite-size",
    "snack size",
    "king size",
)


def _is_unusual_size(m: HouseholdMeasure) -> bool:
    """An unusual size of the item ("bar, miniature", "bar king size"), not the usual one."""
    d = _desc_words(m)
    return any(w in d for w in _UNUSUAL_SIZES)


def _is_piece(m: HouseholdMeasure) -> bool:
    d = _desc_words(m)
    return not d.startswith(("cup", "tbsp", "tsp", "fl oz", "oz", "serving", "nlea", "package"))


_PART_OF_ITEM = re.compile(r"\b(?:balls?|cubes?|chunks?|wedges?)\b")


def piece_measure(food: Food) -> HouseholdMeasure | None:
    """A one-item measure ("1 almond", "1 large", "1 medium") for counting foods."""
    from fitcoach.domain.nutrition.text import tokenize

    name_tokens = set(tokenize(food.name.split(",")[0])) | set(
        tokenize(",".join(food.name.split(",")[1:3]))
    )
    named: list[HouseholdMeasure] = []
    for m in food.measures:
        d = _desc_words(m)
        first = d.split(" ")[0].strip(",()")
        if (
            first
            and tokenize(first)
            and tokenize(first)[0] in name_tokens
            and not _PART_OF_ITEM.search(d)  # "10 watermelon balls" are not 10 watermelons
            and first not in {"cup", "oz", "tbsp", "tsp", "serving", "package"}
            and (m.amount >= 1 or (m.amount == 0.5 and first == "breast"))
        ):
            named.append(m)  # "1 large", also "10 grapes", "50 raisins" (grams per piece)
    named.sort(key=lambda m: (m.amount not in (0.5, 1), _is_unusual_size(m)))
    if named and all(_is_unusual_size(m) for m in named):
        # only "bar fun size" and "bar king size": the regular one is "serving 2.05 oz bar"
        word = _desc_words(named[0]).split(" ")[0].strip(",()")
        regular = [
            m
            for m in food.measures
            if m.amount == 1
            and not _is_unusual_size(m)
            and word in re.split(r"[^a-z]+", _desc_words(m))
        ]
        if regular:
            return regular[0]
    for m in named:
        if "medium" in _desc_words(m):
            return m
    medium = next(
        (m for m in food.measures if _desc_words(m).startswith("medium") and m.amount == 1), None
    )
    if named and medium is not None and _per_unit(named[0]) < medium.grams / 2:
        return medium  # "(includes mini-muffins)" named a "1 mini" measure: a muffin is medium
    if named:
        return named[0]
    for key in ("medium", "fruit", "each", "item", "whole", "large", "piece", "melon"):
        for m in food.measures:
            if _desc_words(m).startswith(key) and m.amount == 1:
                return m
    for m in food.measures:
        if _desc_words(m).startswith(("medium", "large", "small")) and m.amount > 1:
            return m  # "6 medium" oysters: grams per piece
    for m in food.measures:
        if _desc_words(m) == "half" and m.amount == 1:
            # dried apricots are measured by the half: one apricot is two
            return HouseholdMeasure(0.5, m.description, m.grams)
    return None


def _is_size(m: HouseholdMeasure) -> bool:
    """A measure whose amount is a length ("6 inch sub"): one item is the whole measure."""
    return _desc_words(m).startswith("inch")


def _per_unit(m: HouseholdMeasure) -> float:
    if m.amount == 0.5 and _desc_words(m).startswith("breast"):
        return m.grams  # USDA "0.5 breast" is one split breast, i.e. one fillet
    return m.grams / m.amount if m.amount else m.grams


def _fmt(q: float) -> str:
    return f"{q:g}" if q != int(q) else str(int(q))


_DEFAULT_COUNT_GRAMS: dict[str, float] = {
    "handful": 30.0,
    "scoop": 30.0,
    "slice": 30.0,
    "piece": 30.0,
    "can": 355.0,
    "bottle": 500.0,
    "bowl": 300.0,
    "serving": 100.0,
    "portion": 100.0,
    "plate": 350.0,
    "pat": 5.0,
    "pinch": 0.4,
    "stick": 113.0,
    "bag": 50.0,
    "packet": 28.0,
    "pack": 28.0,
    "carton": 240.0,
    "box": 300.0,
    "bar": 50.0,
    "square": 10.0,  # of chocolate
    "tub": 200.0,
    "container": 170.0,  # a pot of hummus or yogurt
    "strip": 10.0,
    "clove": 3.0,
}
_LIQUID_UNITS = {"can", "bottle", "carton"}
_SNACKS = {"2500", "1900"}  # snacks; sweets
SNACK_BAG_G = 40.0
"""One person's bag of crisps or sweets (single-serve bags are 25-50 g)."""


def _is_beverage(food: Food) -> bool:
    """Drinks measured in fluid ounces: beverages, milk, juices."""
    head = food.name.lower().split(",")[0]
    return food.group_code == "1400" or head in {"milk", "buttermilk"} or "juice" in head


def _fl_oz_serving(food: Food) -> HouseholdMeasure | None:
    """A drink's own serving in fluid ounces ("1 serving 5 fl oz" of wine) = one glass."""
    for m in food.measures:
        d = _desc_words(m)
        if d.startswith("serving") and "fl oz" in d and m.amount == 1:
            return m
    return None


_FROZEN_DESSERTS = ("ice cream", "frozen yogurt", "sorbet", "sherbet", "gelato", "frozen dessert")


def _is_frozen_dessert(food: Food) -> bool:
    low = food.name.lower()
    return any(w in low for w in _FROZEN_DESSERTS)


def _half_cup(food: Food) -> float:
    """One scoop of ice cream = 1/2 cup."""
    for m in food.measures:
        if "1/2 cup" in _desc_words(m):
            return _per_unit(m)
    cup = _find_measure(food, "cup")
    return _per_unit(cup) / 2 if cup is not None else 66.0


def _inches_of(food: Food, inches: float) -> Portion:
    """A size in inches: of a food measured by length ("a 12 inch sub"), the measure of that
    size ("a 6 inch pancake"), else the food's typical serving, as when no amount is given."""
    per_inch = next((m for m in food.measures if _is_size(m)), None)
    if per_inch is not None:
        return Portion(inches * _per_unit(per_inch), inches, "inch", f"{_fmt(inches)} inch", False)
    size = f'{_fmt(inches)}"'
    sized = next((m for m in food.measures if size in m.description), None)
    if sized is not None:
        return Portion(
            sized.grams, sized.amount, None, f"{_fmt(sized.amount)} {sized.description}", False
        )
    return resolve_portion(food, None, None)


def _whole_pizza(food: Food) -> HouseholdMeasure | None:
    """A whole-pizza measure ("1 pizza", "1 package 15.1 oz pizza") of a pizza."""
    if "pizza" not in food.name.lower():
        return None
    whole = [m for m in food.measures if _desc_words(m).endswith("pizza") and m.amount == 1]
    # frozen pizzas come in several package sizes: the middle one
    return sorted(whole, key=lambda m: m.grams)[len(whole) // 2] if whole else None


def resolve_portion(food: Food, quantity: float | None, unit: str | None) -> Portion:
    """Convert a quantity and unit into grams of ``food``."""
    pizza = _whole_pizza(food) if quantity is not None else None
    if pizza is not None and (unit in {None, "whole"} or unit in _SIZE_FACTOR):
        # "a pizza", "half a pizza", "a whole pizza", "a large pizza": whole pizzas, not slices
        q = quantity or 1.0
        g = q * pizza.grams * _SIZE_FACTOR.get(unit or "medium", 1.0)
        label = f"{_fmt(q)} {unit + ' ' if unit else ''}pizza"
        return Portion(g, q, unit, label, False)
    if quantity is None and unit is None:
        m = typical_measure(food)
        if m is None:
            return Portion(100.0, 1.0, None, "100 g", True)
        small_pieces = _is_piece(m) and m.grams <= 60  # "10 small" jelly beans: 11 g
        g = m.grams if m.amount <= 4 or _is_size(m) or small_pieces else _per_unit(m)
        return Portion(g, 1.0, None, f"{_fmt(m.amount)} {m.description}", True)
    q = 1.0 if quantity is None else quantity
    if unit == "oz" and _is_beverage(food):
        unit = "fl oz"  # "8 oz of orange juice" is fluid ounces
    if unit == "glass":
        served = _fl_oz_serving(food)
        if served is not None:
            return Portion(q * _per_unit(served), q, unit, f"{_fmt(q)} {unit}", False)
    if unit == "scoop" and _is_frozen_dessert(food) and _find_measure(food, "scoop") is None:
        return Portion(q * _half_cup(food), q, unit, f"{_fmt(q)} {unit}", False)
    if unit in MASS_UNITS:
        return Portion(q * MASS_UNITS[unit], q, unit, f"{_fmt(q)} {unit}", False)
    if unit == "inch":
        return _inches_of(food, q)
    if unit in VOLUME_UNITS:
        ml = VOLUME_UNITS[unit]
        measure_unit = {
            "glass": "cup",
            "mug": "cup",
            "l": "cup",
            "ml": "cup",
            "dl": "cup",
            "cl": "cup",
            "shot": "fl oz",
            "pint": "cup",
            "quart": "cup",
        }.get(unit, unit)
        m = _find_measure(food, measure_unit)
        if m is None and measure_unit in {"tbsp", "tsp"}:
            cup = _find_measure(food, "cup")
            if cup is not None:
                g_ml = _per_unit(cup) / 240.0
                return Portion(q * ml * g_ml, q, unit, f"{_fmt(q)} {unit}", False)
        if m is None and measure_unit == "cup":
            m = _find_measure(food, "fl oz")
            if m is not None:
                g_ml = _per_unit(m) / 29.57
                return Portion(q * ml * g_ml, q, unit, f"{_fmt(q)} {unit}", False)
        if m is not None:
            base_ml = VOLUME_UNITS.get(measure_unit, 240.0)
            g = _per_unit(m) * ml / base_ml
            return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
        return Portion(q * ml, q, unit, f"{_fmt(q)} {unit}", False)
    if unit in _SIZE_FACTOR:
        m = _find_measure(food, unit)
        if m is None and unit == "extra large":
            m = _find_measure(food, "large")
        if m is not None:
            return Portion(q * _per_unit(m), q, unit, f"{_fmt(q)} {unit}", False)
        base = typical_measure(food)
        g = _per_unit(base) if base else 100.0
        return Portion(q * g * _SIZE_FACTOR[unit], q, unit, f"{_fmt(q)} {unit}", False)
    if unit is not None:
        m = _find_measure(food, unit)
        if unit == "fillet" and m is not None and m.amount == 0.5:
            # SR's fish "fillet" is a whole side; its "1/2 fillet" is the fillet people eat
            return Portion(q * m.grams, q, unit, f"{_fmt(q)} fillet ({m.grams:g} g)", False)
        if unit == "bag" and m is not None and m.grams > 100 and food.group_code in _SNACKS:
            # SR's crisps "bag" is an 8 oz sharing bag; "a bag of crisps" is one person's
            return Portion(q * SNACK_BAG_G, q, unit, f"{_fmt(q)} bag ({SNACK_BAG_G:g} g)", False)
        if m is None and unit in {"bowl", "plate"}:
            cup = _find_measure(food, "cup")
            mult = 1.5 if unit == "bowl" else 2.0
            if cup is not None:
                g = _per_unit(cup) * mult
                return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
            base = typical_measure(food)
            if base is not None:
                # no cup to scale: a bowl of crisps is servings of crisps, not 300 g of them
                g = min(base.grams * mult, _DEFAULT_COUNT_GRAMS[unit])
                return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
        if m is None and unit in _LIQUID_UNITS:
            ml = {"can": 355.0, "bottle": 500.0, "carton": 240.0}[unit]
            floz = _find_measure(food, "fl oz")
            cup = _find_measure(food, "cup")
            if floz is not None:
                g = _per_unit(floz) / 29.57 * ml
            elif cup is not None:
                g = _per_unit(cup) / 240.0 * ml
            else:
                g = ml
            return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
        if m is None and unit in {"serving", "portion"}:
            tm = typical_measure(food)
            if tm is not None:  # "a portion of sweet and sour chicken": its "3 pieces", whole
                return Portion(q * tm.grams, q, unit, f"{_fmt(q)} {unit}", False)
        if m is None and unit in {"serving", "portion", "piece", "item", "each", "whole"}:
            m = typical_measure(food)
        if m is None and unit in {"slice", "piece", "bar", "strip", "stick"}:
            tm = typical_measure(food)
            if tm is not None and not _desc_words(tm).startswith(("cup", "tbsp", "tsp", "fl oz")):
                m = tm
        if m is None and unit in _DEFAULT_COUNT_GRAMS:
            g = _DEFAULT_COUNT_GRAMS[unit]
            return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
        if m is None:
            m = typical_measure(food)
        g = _per_unit(m) if m else 100.0
        return Portion(q * g, q, unit, f"{_fmt(q)} {unit}", False)
    # quantity without unit: count of the natural piece
    m = piece_measure(food)
    if m is not None and _is_beverage(food) and _desc_words(m).startswith("fruit"):
        # "an orange juice" is a glass of it, not the juice one orange yields
        m = _fl_oz_serving(food) or _find_measure(food, "cup") or m
    if m is None and _is_beverage(food):
        drink = typical_measure(food)
        if drink is not None and _desc_words(drink).startswith("fl oz") and drink.amount <= 2:
            # "a gatorade": a bottle of it, not one fluid ounce
            m = _find_measure(food, "bottle") or _fl_oz_serving(food) or _find_measure(food, "cup")
            if m is not None:
                return Portion(q * m.grams, q, None, f"{_fmt(q)} x {m.description}", False)
    if m is None:
        m = typical_measure(food)
        if m is not None and (
            _is_size(m)
            or _desc_words(m).startswith("fl oz")
            or (not _is_piece(m) and m.amount <= 4)
        ):
            # "a protein shake", "2 yogurts": count servings, not cups; "a sub": a 6 inch one;
            # "a mcflurry": its "12 fl oz cup", not one fluid ounce
            return Portion(
                q * m.grams, q, None, f"{_fmt(q)} x {_fmt(m.amount)} {m.description}", False
            )
    if m is None:
        return Portion(q * 100.0, q, None, f"{_fmt(q)} x 100 g", False)
    if m.amount == 0.5 and _desc_words(m).startswith("fillet"):
        # SR's fish "fillet" is a whole side; its "1/2 fillet" is the fillet people eat
        return Portion(q * m.grams, q, None, f"{_fmt(q)} x fillet ({m.grams:g} g)", False)
    return Portion(q * _per_unit(m), q, None, f"{_fmt(q)} x {m.description}", False)
