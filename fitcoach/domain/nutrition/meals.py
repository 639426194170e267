"""Free-text meal logging: split a message into foods with portions and totals."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from fitcoach.domain.nutrition.foods import (
    CONFIDENCE_THRESHOLD,
    Food,
    FoodDatabase,
    FoodMatch,
    Nutrients,
    get_food_database,
)
from fitcoach.domain.nutrition.portions import (
    CONTAINER_UNITS,
    MASS_UNITS,
    SIZE_UNITS,
    Portion,
    find_measure,
    resolve_portion,
    split_quantity,
)
from fitcoach.domain.nutrition.text import STOPWORDS, singular, tokenize

#: Items scoring below this are treated as "not a food" (unmatched).
MIN_ITEM_SCORE = 45.0
_MEASURE_UNITS = frozenset({"g", "kg", "oz", "lb", "ml", "l", "fl oz", "mg"})


@dataclass(frozen=True, slots=True)
class MealItem:
    """One recognised food with its portion and nutrients."""

    phrase: str
    food: Food
    portion: Portion
    nutrients: Nutrients
    confidence: float
    alternatives: tuple[FoodMatch, ...]

    @property
    def ndb(self) -> str:
        """USDA NDB_No of the food."""
        return self.food.ndb

    @property
    def grams(self) -> float:
        """Portion weight in grams."""
        return self.portion.grams


@dataclass(frozen=True, slots=True)
class MealParse:
    """Result of parsing a free-text meal description."""

    text: str
    items: tuple[MealItem, ...]
    unmatched: tuple[str, ...]
    meal_type: str | None  # breakfast/lunch/dinner/snack

    @property
    def totals(self) -> Nutrients:
        """Sum of all items' nutrients."""
        total = Nutrients.zero()
        for item in self.items:
            total = total + item.nutrients
        return total

    @property
    def confident(self) -> bool:
        """At least one item, all items above threshold and nothing unmatched."""
        return (
            bool(self.items)
            and not self.unmatched
            and all(i.confidence >= CONFIDENCE_THRESHOLD for i in self.items)
        )


# ----------------------------------------------------------------------------- text rules
_MEAL_WORDS = {
    "breakfast": "breakfast",
    "brekkie": "breakfast",
    "brunch": "breakfast",
    "lunch": "lunch",
    "dinner": "dinner",
    "supper": "dinner",
    "tea time": "snack",
    "snack": "snack",
    "snacks": "snack",
    "dessert": "snack",
    "pre workout": "snack",
    "post workout": "snack",
    "preworkout": "snack",
    "postworkout": "snack",
}
_MEAL_RE = re.compile(
    r"\b(?:for|at|as|during|with|after|before|my|this)?\s*(?:my|a|an|the)?\s*"
    r"(breakfast|brekkie|brunch|lunch|dinner|supper|snacks?|dessert|"
    r"pre[- ]?workout|post[- ]?workout)(?:\s+(?:meal|snack|today))?\b"
)
_LEAD_IN = re.compile(
    r"^(?:(?:so far|so|ok|okay|well|hey|hi|um|and|also|then|only|today|yesterday|tonight|"
    r"this morning|this afternoon|this evening|earlier)\s*[,:]?\s+)*"
    r"(?:(?:i|we)\s+(?:just\s+|also\s+|have\s+|had\s+|'ve\s+)?)?"
    r"(?:just\s+)?"
    r"(?:had|ate|eaten|eat|eating|having|have|drank|drink|drinking|drunk|consumed|grabbed|"
    r"got|snacked on|munched|log|logged|add|track|tracked|record|finished)\b\s*:?\s*",
)
_LEAD_IN2 = re.compile(r"^(?:i'?ve|i have|i)\s+(?:just\s+)?(?:had|ate|eaten|drank)\b\s*")
# "what I ate today: …", "here's what we had for lunch - …"
_WHAT_I_ATE = re.compile(
    r"^(?:here'?s\s+|this is\s+)?what\s+(?:i|we)(?:'ve|\s+have)?\s+"
    r"(?:had|ate|eaten|drank|drunk)\b(?:\s+(?:today|so far|yesterday|tonight))?\s*[:,-]?\s*"
)
# "my day so far: …", "food so far today - …"
_SO_FAR = re.compile(
    r"^(?:(?:my|today'?s)\s+)?(?:(?:day|food|meals?|intake)\s+)?so far(?:\s+today)?\s*[:-]\s*"
)
_TRAILER = re.compile(
    r"\s*\b(?:today|tonight|last night|this morning|this afternoon|this evening|earlier|"
    r"at work|at home|at the office|"
    r"yesterday|just now|so far|again|too|as well|please|thanks|thank you|lol|"
    r"(?:after|before|post|pre)[- ]?(?:my |the |a )?(?:workout|gym|run|training|session|lifting))"
    r"\b\s*[.!]*$"
)
_SPLIT_RE = re.compile(
    r"\s*(?:,|;|\n|\+|(?<![a-z])&(?![a-z])|\band then\b|\bthen\b|\bplus\b|\balong with\b"
    r"|\band also\b|\band\b|\bwith\b|\bw/|\balongside\b"
    # "eggs on toast", "beans on 2 slices of toast": two foods
    r"|\bon\b(?=\s+(?:(?:a|an|one|two|\d+)\s+)?(?:slices?\s+of\s+)?"
    r"(?:toast|bread|sourdough|rice|bagel|crackers?)\b)"
    # "a scoop of whey in milk", "oats in almond milk": two foods
    r"|\bin\b(?=\s+(?:my\s+|the\s+)?(?:(?:\d+\s*ml|a glass|a cup)\s+(?:of\s+)?)?(?:\w+\s+)?"
    r"(?:milk|water|tea|coffee|porridge|oatmeal|oats|yogh?urt|shake|smoothie)\b))\s*"
)
_NOT_A_PART = (
    r"(?!\s+(?:breasts?|thighs?|legs?|wings?|drumsticks?|nuggets?|tenders?|strips?|"
    r"fillets?|sandwich|burger|wrap|salad|soup|curry|pie|kiev|burrito))"
)
# parts of a message that are not foods eaten: "no sugar", "then did legs", macro totals
_NOT_A_FOOD_SEGMENT = re.compile(
    r"^(?:no|without|zero|not)\b"
    r"|^(?:i\s+)?(?:then\s+)?(?:did|trained|hit|worked)\s+(?:my\s+)?(?:legs?|arms?|shoulders?|back|"
    r"chest|glutes?|abs|core|upper body|lower body|full body|push|pull)\b"
    r"|^(?:about\s+|around\s+|~\s*)?(?:\d+\s*g?\s*(?:of\s+)?)?(?:protein|fat|fats|carbs?|"
    r"carbohydrates?|calories|kcal|cals|fib(?:re|er)|macros?)\b(?!\s+(?:bar|shake|powder|"
    r"pancakes?|cookie|balls?|yogh?urt))"
    r"|^(?:the|my|that|this)\s+\w+(?:\s+\w+)?\s+(?:was|were|is|tasted|looked)\b"
)
_APPROX_AMOUNT = re.compile(r"^(?:about|around|roughly|approx(?:imately)?\.?|~)\s*(.+)$")
# "had a date (with my wife)" is not a date fruit
_NOT_A_MEAL_PHRASE = re.compile(
    r"\b(?:an?|hot|dinner|lunch|first|second|movie|coffee)\s+date\b(?!s)(?:\s+with\s+[\w ]+)?"
)
# Dishes named by two foods joined with "and" that mean something else together.
_DISH_PARTS: tuple[tuple[re.Pattern[str], str], ...] = (
    # British chips are fries, and the fish is battered
    # a chip-shop portion: a large battered fillet and a large portion of chips
    (
        re.compile(r"\bfish\s*(?:and|&|n|'n'?)\s*chips\b"),
        "180g fried fish and large french fries",
    ),
    # sandwiches SR has no row for, as their parts
    (
        re.compile(
            r"\b(?:an?\s+)?(?:pb\s*(?:&|and|n)\s*j|pbj|peanut butter and jelly)(?:\s+sandwich)?\b"
        ),
        "2 tbsp peanut butter, 1 tbsp jelly and 2 slices of bread",
    ),
    (
        re.compile(r"\b(?:an?\s+)?blt(?:\s+sandwich)?\b"),
        "3 slices of bacon, 1 lettuce leaf, 2 slices of tomato and 2 slices of bread",
    ),
    (
        re.compile(r"\b(?:an?\s+)?bacon\s+(?:sandwich|sarnie|butty|buttie)\b"),
        "3 slices of bacon and 2 slices of bread",
    ),
    (re.compile(r"\b(?:an?\s+)?bacon\s+(?:roll|bap|bun)\b"), "3 slices of bacon and 1 roll"),
    # a chicken by the bird: SR weighs half a roast chicken, bone removed, at 299 g
    (
        re.compile(
            r"\bhalf\s+an?\s+(?:roast(?:ed)?\s+|rotisserie\s+|grilled\s+)?chicken\b" + _NOT_A_PART
        ),
        "299g whole chicken",
    ),
    (
        re.compile(
            r"\b(?:an?|one)\s+whole\s+(?:roast(?:ed)?\s+|rotisserie\s+)?chicken\b" + _NOT_A_PART
        ),
        "598g whole chicken",
    ),
    # British chips with a main are fries: "steak and chips", "cod and chips"
    (
        re.compile(
            r"\b(cod|haddock|plaice|scampi|steak|chicken|sausages?|pie|burger|egg|eggs|gammon)"
            r"\s*(?:and|&|n|'n'?)\s*chips\b"
        ),
        r"\1 and french fries",
    ),
    # "quarter" is not a number here
    (re.compile(r"\bquarter[- ]?pounders?\b"), "quarterpounder"),
    # a sandwich of one spread or filling SR has no sandwich row for
    (
        re.compile(
            r"\b(?:an?\s+)?(jam|jelly|nutella|honey|marmite)\s+(?:sandwich|sarnie|butty|buttie)\b"
        ),
        r"1 tbsp \1 and 2 slices of bread",
    ),
    (
        re.compile(r"\b(?:an?\s+)?peanut butter\s+(?:sandwich|sarnie|butty|buttie)\b"),
        "2 tbsp peanut butter and 2 slices of bread",
    ),
    (
        re.compile(r"\b(?:an?\s+)?cheese\s+(?:sandwich|sarnie|butty|buttie)\b"),
        "2 slices of cheese and 2 slices of bread",
    ),
)
# Words that, alone in a part of a message, describe the meal or its company, not a food:
# "a big (dinner)", "pizza with friends".
_NOT_A_FOOD_ALONE = frozenset(
    {
        "big",
        "huge",
        "massive",
        "small",
        "little",
        "light",
        "quick",
        "late",
        "early",
        "healthy",
        "heavy",
        "good",
        "great",
        "nice",
        "friend",
        "family",
        "kid",
        "wife",
        "husband",
        "partner",
        "boyfriend",
        "girlfriend",
        "colleague",
        "coworker",
        "team",
        "mom",
        "mum",
        "dad",
        "parent",
        "cold",  # "had a cold"
        "swap",  # swamp cabbage
        "change",
        "replace",
    }
)
_NON_FOOD = frozenset(
    [
        "bench",
        "squat",
        "deadlift",
        "press",
        "row",
        "curl",
        "pullup",
        "pushup",
        "rep",
        "reps",
        "set",
        "sets",
        "ran",
        "run",
        "running",
        "jog",
        "jogged",
        "walk",
        "walked",
        "swim",
        "swam",
        "cycle",
        "cycled",
        "bike",
        "biked",
        "km",
        "mile",
        "miles",
        "min",
        "mins",
        "minute",
        "minutes",
        "hour",
        "hours",
        "sec",
        "workout",
        "gym",
        "lift",
        "lifted",
        "weigh",
        "weighed",
        "weight",
        "pr",
        "hello",
        "hi",
        "hey",
        "undo",
        "cancel",
        "delete",
        "help",
        "thanks",
        "thank",
        "sleep",
        "slept",
        "step",
        "steps",
        "pace",
        "bodyweight",
        "lunges",
        "lunge",
        "plank",
        "dip",
        "dips",
        "chinup",
        # how the body feels after training: "legs are sore" was yellow cake ("in-store")
        "sore",
        "stiff",
        "aching",
        "achy",
        "hurts",
        "hurt",
        "pain",
        "doms",
    ]
)
# "did legs", "did shoulders today": a training day, not frog legs or pork shoulder
_TRAINED_BODY_PART = re.compile(
    r"^(?:i\s+)?(?:just\s+)?(?:did|trained|hit|worked)\s+(?:my\s+)?"
    r"(?:legs?|arms?|shoulders?|back|chest|glutes?|abs|core|biceps?|triceps?|hamstrings?|"
    r"quads?|calves|upper body|lower body|full body|push|pull)\b"
)
# A food-ish word makes "pb" etc. acceptable again.
_EXERCISE_PATTERN = re.compile(r"\b\d+\s*x\s*\d+\b|\b\d+:\d\d\b|\b\d+\s*(?:k|km|mi)\b")


def _detect_meal_type(text: str) -> tuple[str | None, str]:
    m = _MEAL_RE.search(text)
    if not m:
        return None, text
    meal = _MEAL_WORDS.get(m.group(1).replace("-", " "))
    if meal is None:
        key = m.group(1)
        meal = "snack" if key.startswith(("pre", "post", "snack", "dessert")) else None
    stripped = (text[: m.start()] + " " + text[m.end() :]).strip()
    return meal, stripped


# A question about food ("is a banana a good snack before training?", "can I eat eggs before a
# run?") is not a meal to log, as a question is not a workout to log (domain.exercise.workouts).
_QUESTION_START = re.compile(
    r"^(?:(?:so|ok|okay|well|hey|hi|um|also)\s*,?\s+)*"
    r"(?:how|what|what's|whats|why|when|where|which|who|should|could|would|can|may|might|"
    r"is|are|am|do|does|will|shall|any)\b"
)


# questions people send without the mark: "what can I eat for a snack", "is peanut butter
# healthy", "should I eat before the gym"
_UNMARKED_QUESTION = re.compile(
    r"^(?:what|which|how|why|when|where)\s+(?:can|should|could|would|do|does|is|are|"
    r"much|many|to)\b"
    r"|^(?:should|can|could|would|do|does)\s+(?:i|we|you)\b"
    r"|^(?:is|are)\s+.{1,40}\b(?:healthy|good|bad|ok|okay|fine|better|worse|allowed)\b"
)
# "I had no breakfast", "no dinner tonight", "zero sugar today": nothing eaten
_NOTHING_EATEN = re.compile(
    r"^(?:(?:i|we)\s+)?(?:(?:had|ate|eaten|have had)\s+)?(?:no|nothing|zero|not)\b"
)


def _asks(text: str, cleaned: str) -> bool:
    """True for a message that is a question from its first word to its question mark
    (``cleaned`` is ``_clean(text)``, which drops the mark), or a question by its words."""
    if _UNMARKED_QUESTION.match(cleaned):
        return True
    return text.rstrip().endswith("?") and _QUESTION_START.match(cleaned) is not None


# food emoji people type instead of the word: "2 🥚 and toast"
_FOOD_EMOJI = {
    "🥚": "egg",
    "🍳": "fried egg",
    "🍌": "banana",
    "🍎": "apple",
    "🍏": "apple",
    "🍊": "orange",
    "🍓": "strawberries",
    "🍇": "grapes",
    "🥑": "avocado",
    "☕": "coffee",
    "🍵": "tea",
    "🥛": "milk",
    "🍺": "beer",
    "🍻": "beer",
    "🍷": "red wine",
    "🍕": "pizza",
    "🍔": "burger",
    "🍟": "fries",
    "🍗": "chicken",
    "🍚": "rice",
    "🍞": "bread",
    "🥐": "croissant",
    "🍫": "chocolate",
    "🍪": "cookie",
    "🍩": "donut",
    "🥜": "peanuts",
    "🥦": "broccoli",
    "🥕": "carrot",
}
_EMOJI_RE = re.compile("(" + "|".join(_FOOD_EMOJI) + r")(?:\s*\1)*")


def _emoji_words(match: re.Match[str]) -> str:
    """ "🍺🍺" -> "2 beer"; a single emoji -> its word."""
    emoji = match.group(1)
    count = match.group(0).count(emoji)
    word = _FOOD_EMOJI[emoji]
    return f" {count} {word} " if count > 1 else f" {word} "


def _clean(text: str) -> str:
    t = text.strip().lower()
    t = t.replace("\u2019", "'")
    t = _EMOJI_RE.sub(_emoji_words, t)
    # one food per line ("2 eggs\ntoast\ncoffee"), bullets too
    t = re.sub(r"\s*\n\s*(?:[-*•·]\s*)?", ", ", t)
    t = re.sub(r"^\s*[-*•·]\s*", "", t)
    t = re.sub(r"[!?]+", " ", t)
    t = re.sub(r"\s+", " ", t).strip(" .")
    return t


# "this morning: 3 egg whites", "7am: oats", "last night - a kebab"
_TIME_PREFIX = re.compile(
    r"^(?:this morning|this afternoon|this evening|tonight|today|yesterday|earlier|last night|"
    r"\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)?)\s*[:,-]\s*"
)


_LEFTOVER = re.compile(r"^(?:(?:some|the)\s+)?(?:leftovers?|reheated|rest of the)\s+(?:of\s+)?")


def _strip_lead(text: str) -> str:
    prev = None
    while prev != text:
        prev = text
        text = _TIME_PREFIX.sub("", text)
        text = _LEFTOVER.sub("", text)
        text = _WHAT_I_ATE.sub("", text)
        text = _SO_FAR.sub("", text)
        text = _LEAD_IN2.sub("", text)
        text = _LEAD_IN.sub("", text)
        text = _TRAILER.sub("", text).strip(" .,:")
        text = re.sub(r"^(?:for|at|in)\s+(?:the\s+)?$", "", text)
        text = re.sub(r"^(?:was|were|is|are|=|-|:|consisted of|included)\s+", "", text)
    return text


def _looks_non_food(segment: str) -> bool:
    toks = set(re.findall(r"[a-z]+", segment))
    if toks & _NON_FOOD:
        return True
    return bool(_EXERCISE_PATTERN.search(segment))


_UNIT_WORD = {"large": "large", "egg": "egg"}


def _unit_surface(phrase: str, rest: str) -> str:
    """The phrase minus its leading quantity, keeping the unit word ("big mac")."""
    low = phrase.lower().strip()
    if rest and low.endswith(rest):
        head = low[: len(low) - len(rest)].split()
        # drop leading number words / digits, keep the rest (unit word included)
        while head and (head[0] in {"a", "an", "one", "the", "of"} or head[0][:1].isdigit()):
            head = head[1:]
        head = [w for w in head if w != "of"]
        return " ".join([*head, rest]).strip()
    return rest


#: Count units that name a household measure: among near-tied candidates, the food that has
#: that measure is the one meant ("a slice of pepperoni pizza" -> the sliced pizza row).
_MEASURE_STEERING_UNITS = frozenset(
    [
        "slice",
        "bar",
        "patty",
        "link",
        "fillet",
        "breast",
        "thigh",
        "wing",
        "drumstick",
        "strip",
        "stick",
        "wedge",
        "cookie",
        "muffin",
        "bun",
        "roll",
        "tortilla",
        "nugget",
        "steak",
        "chop",
    ]
)


def _prefer_measured(
    best: FoodMatch, matches: tuple[FoodMatch, ...], unit: str | None
) -> FoodMatch:
    if unit not in _MEASURE_STEERING_UNITS or best.score >= 100.0:
        return best
    if find_measure(best.food, unit) is not None:
        return best
    for alt in matches[1:4]:
        if alt.score >= best.score - 5.0 and find_measure(alt.food, unit) is not None:
            return alt
    return best


def _names_unit(food: Food, unit: str, score: float) -> bool:
    """A food-noun "unit" that is part of the food's own name ("3 egg whites" -> Egg, white)."""
    if unit in CONTAINER_UNITS or unit in SIZE_UNITS or score < MIN_ITEM_SCORE:
        return False
    head = tokenize(food.name.split(",")[0])
    return singular(unit) in head


def _food_text(phrase: str) -> str:
    _q, _u, rest = split_quantity(phrase)
    return rest


MAX_ITEM_GRAMS = 6000.0
"""More of one food than anyone eats at once (a whole watermelon is 4.5 kg)."""

# cooked default -> the dry food, when the amount is a weight of the raw ingredient
_WEIGHED_DRY = {"08121": "08120"}
_OATS_RE = re.compile(r"\boats\b")


def parse_food(phrase: str, db: FoodDatabase | None = None) -> MealItem | None:
    """Parse one food phrase with an optional portion, e.g. "150g chicken breast"."""
    db = db or get_food_database()
    phrase = phrase.strip(" .,")
    if not phrase:
        return None
    quantity, unit, rest = split_quantity(phrase)
    if unit is None and rest in {"pint", "pints"}:
        rest, unit = "beer", "pint"  # "3 pints": of beer (in Britain, what a pint is unless said)
    if not rest:
        if unit is None:
            return None
        rest, unit = _UNIT_WORD.get(unit, unit), None  # "a large" -> food named by the unit
    named_by_unit = unit is not None and unit not in _MEASURE_UNITS
    # Below MIN_ITEM_SCORE a match is dropped, unless a unit that may be part of the food's
    # name ("a big mac") makes the search below compare it with another reading.
    result = db.search(rest, limit=5, floor=None if named_by_unit else MIN_ITEM_SCORE)
    if unit is not None and named_by_unit:
        # the "unit" may be part of the food's name: "a big mac", "chicken breast"
        words = phrase.lower().split()
        alt_rest = _unit_surface(phrase, rest)
        if alt_rest and alt_rest != rest:
            alt = db.search(alt_rest, limit=5)
            if alt.best is not None and (
                result.best is None
                or alt.best.score > result.best.score + 5
                or _names_unit(alt.best.food, unit, alt.best.score)
            ):
                result, unit, rest = alt, None, alt_rest
        del words
    best = result.best
    if best is None or best.score < MIN_ITEM_SCORE:
        return None
    best = _prefer_measured(best, result.matches, unit)
    dry = _WEIGHED_DRY.get(best.food.ndb)
    if dry is not None and unit in MASS_UNITS and _OATS_RE.search(rest):
        # "50g oats" are weighed before cooking: the dry oats, not 50 g of porridge
        dry_food = db.get(dry)
        if dry_food is not None:
            best = FoodMatch(dry_food, best.score)
    confidence = result.confidence
    if _looks_non_food(rest) or _EXERCISE_PATTERN.search(phrase):
        return None
    portion = resolve_portion(best.food, quantity, unit)
    if portion.grams > MAX_ITEM_GRAMS:
        return None  # "down to 83kg" is a body weight, not 83 kg of upside-down cake
    nutrients = best.food.per_100g.scaled(portion.grams / 100.0)
    return MealItem(
        phrase=phrase,
        food=best.food,
        portion=portion,
        nutrients=nutrients,
        confidence=confidence,
        alternatives=result.matches[1:],
    )


def _content(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokenize(text) if t not in STOPWORDS)


def _split(text: str, db: FoodDatabase) -> list[str]:
    """Split on separators, keeping compounds ("mac and cheese") that are foods."""
    pieces: list[str] = []
    seps: list[str] = []
    pos = 0
    for m in _SPLIT_RE.finditer(text):
        pieces.append(text[pos : m.start()])
        seps.append(m.group(0).strip())
        pos = m.end()
    pieces.append(text[pos:])
    out: list[str] = [pieces[0]]
    for sep, piece in zip(seps, pieces[1:], strict=True):
        prev = out[-1]
        if sep in {"and", "with", "&", "w/"} and prev.strip() and piece.strip():
            joined = f"{prev} {sep} {piece}"
            if _is_compound(joined, prev, piece, db):
                out[-1] = joined
                continue
        out.append(piece)
    return [p.strip(" .,:;-") for p in out if p.strip(" .,:;-")]


_DISH_GROUPS = frozenset({"2100", "2200", "3600"})  # fast foods, meals and entrees, restaurants


def _names_the_food(part: str, toks: tuple[str, ...]) -> bool:
    """A part of a USDA name that names the food itself, not what comes with it ("burrito,
    with beans and cheese" does not make "beans and cheese" a burrito)."""
    words = part.strip().lower().split()
    return (
        bool(words)
        and words[0] not in {"with", "without", "in", "on", "and"}
        and (_content(part) == toks)
    )


def _is_compound(joined: str, left: str, right: str, db: FoodDatabase) -> bool:
    food_text = _food_text(joined)
    toks = _content(food_text)
    if not toks:
        return False
    left_text = _food_text(left)
    left_toks = _content(left_text)
    if left_toks and not set(left_toks) & set(toks):
        # the left food was read as the joined phrase's unit ("2 eggs and toast": 2 × egg of
        # "and toast"): what is left is the right part alone, not one food named by both
        return False
    _rewritten, direct = db.rewrite(toks)
    if direct is not None:
        return True
    # the right part must not carry its own quantity ("eggs and 2 toast")
    rq, _ru, _rest = split_quantity(right)
    if rq is not None:
        return False
    res = db.search(food_text, limit=3)
    best = res.best
    if best is None or best.score < 80:
        return False
    parts = best.food.name.split(",")
    if best.food.group_code not in _DISH_GROUPS:
        parts = parts[:1]  # "Soup, chicken with rice" does not make chicken and rice a soup
    if any(_names_the_food(part, toks) for part in parts):
        return True  # the food's own name: "spaghetti with meat sauce", "sweet and sour chicken"
    left_res = db.search(left_text, limit=1)
    right_res = db.search(right, limit=1)
    lb = left_res.best.score if left_res.best else 0.0
    rb = right_res.best.score if right_res.best else 0.0
    return best.score >= max(lb, rb) + 3


def parse_meal(text: str, db: FoodDatabase | None = None) -> MealParse:
    """Parse a free-text meal log such as "had 2 large eggs and a banana for breakfast"."""
    db = db or get_food_database()
    original = text
    cleaned = _clean(text)
    if _asks(text, cleaned):
        return MealParse(original, (), (cleaned,), None)
    if _TRAINED_BODY_PART.match(cleaned) or _NOTHING_EATEN.match(cleaned):
        return MealParse(original, (), (cleaned,), None)
    meal_type, cleaned = _detect_meal_type(cleaned)
    cleaned = _strip_lead(cleaned)
    # a second meal word ("for lunch i had") may sit after the lead-in removal
    if meal_type is None:
        meal_type, cleaned = _detect_meal_type(cleaned)
        cleaned = _strip_lead(cleaned)
    items: list[MealItem] = []
    unmatched: list[str] = []
    if not cleaned:
        return MealParse(original, (), (), meal_type)
    cleaned = _NOT_A_MEAL_PHRASE.sub(" ", cleaned).strip()
    for pattern, parts in _DISH_PARTS:
        cleaned = pattern.sub(parts, cleaned)
    if "egg" in cleaned:
        cleaned = re.sub(r"\b(\d+)\s+whites\b", r"\1 egg whites", cleaned)  # not white wine
    for segment in _split(cleaned, db):
        seg = _strip_lead(segment)
        if not seg or _NOT_A_FOOD_SEGMENT.match(seg):
            continue  # "no sugar", "then did legs", "fat 70g" (a macro total)
        approx = _APPROX_AMOUNT.match(seg)
        if approx and items and items[-1].portion.assumed:
            # "mac n cheese, about a cup": the amount of the food before it
            redone = parse_food(f"{approx.group(1)} of {items[-1].phrase}", db)
            if redone is not None:
                items[-1] = redone
                continue
        if approx:
            seg = approx.group(1)  # "about 100g of chicken"
        content = _content(_food_text(seg))
        if not content or set(content) <= _NOT_A_FOOD_ALONE:
            continue
        item = parse_food(seg, db)
        if item is None:
            unmatched.append(seg)
        else:
            items.append(item)
    return MealParse(original, tuple(_splash_of_milk(items)), tuple(unmatched), meal_type)


SPLASH_ML = 30.0
"""Milk in a tea or coffee, when no amount is given: a splash, not a glass."""


def _splash_of_milk(items: list[MealItem]) -> list[MealItem]:
    """ "tea with milk": the milk's typical serving is a 244 g glass, about five splashes."""
    if not any(i.food.name.startswith(("Coffee", "Tea,", "Beverages, coffee")) for i in items):
        return items
    out = []
    for item in items:
        if item.portion.assumed and item.food.name.startswith(("Milk,", "Soymilk")):
            portion = resolve_portion(item.food, SPLASH_ML, "ml")
            item = replace(
                item,
                portion=replace(portion, assumed=True),
                nutrients=item.food.per_100g.scaled(portion.grams / 100.0),
            )
        out.append(item)
    return out
