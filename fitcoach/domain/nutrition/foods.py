"""Grounded food database (USDA SR) with ranked, typo-tolerant search."""

from __future__ import annotations

import gc
import hashlib
import json
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from fitcoach.domain.nutrition import text as _text_module
from fitcoach.domain.nutrition.text import STOPWORDS, tokenize

DATA_DIR = Path(__file__).resolve().parents[2] / "data"

#: Below this confidence the caller should ask the user to pick a candidate.
CONFIDENCE_THRESHOLD = 0.6
NOT_IN_SR = "-"
"""Synonym target of a food USDA SR has no row for: its best match is never confident."""

# Dish words that name many different foods, or a food SR does not have (its best row is
# another food: "margarita" a pizza, "pesto" a pasta entree): said alone, they are never a
# confident match.
_VAGUE_DISHES = frozenset(
    {
        "sandwich",
        "submarine",
        "salad",
        "smoothie",
        "shake",
        "soup",
        "stew",
        "curry",
        "casserole",
        "wrap",
        "cereal",
        "fish",
        "seafood",
        "meat",
        "roast",
        "pesto",
        "margarita",
    }
)


@dataclass(frozen=True, slots=True)
class Nutrients:
    """Macro-nutrients for some amount of food (unknown values are 0.0)."""

    kcal: float
    protein_g: float
    carbs_g: float
    fat_g: float
    fiber_g: float = 0.0
    sugar_g: float = 0.0
    sodium_mg: float = 0.0

    def scaled(self, factor: float) -> Nutrients:
        """Return these nutrients multiplied by ``factor``."""
        return Nutrients(
            self.kcal * factor,
            self.protein_g * factor,
            self.carbs_g * factor,
            self.fat_g * factor,
            self.fiber_g * factor,
            self.sugar_g * factor,
            self.sodium_mg * factor,
        )

    def __add__(self, other: Nutrients) -> Nutrients:
        """Sum two nutrient records."""
        return Nutrients(
            self.kcal + other.kcal,
            self.protein_g + other.protein_g,
            self.carbs_g + other.carbs_g,
            self.fat_g + other.fat_g,
            self.fiber_g + other.fiber_g,
            self.sugar_g + other.sugar_g,
            self.sodium_mg + other.sodium_mg,
        )

    @classmethod
    def zero(cls) -> Nutrients:
        """All-zero nutrients."""
        return cls(0.0, 0.0, 0.0, 0.0)

    def rounded(self) -> dict[str, float]:
        """Display dict: kcal to 0 dp, others to 1 dp."""
        return {
            "kcal": float(round(self.kcal)),
            "protein_g": round(self.protein_g, 1),
            "carbs_g": round(self.carbs_g, 1),
            "fat_g": round(self.fat_g, 1),
            "fiber_g": round(self.fiber_g, 1),
            "sugar_g": round(self.sugar_g, 1),
            "sodium_mg": round(self.sodium_mg, 1),
        }


@dataclass(frozen=True, slots=True)
class HouseholdMeasure:
    """A household measure from USDA WEIGHT.txt, e.g. 1 large = 50 g."""

    amount: float
    description: str
    grams: float


@dataclass(frozen=True, slots=True)
class Food:
    """One USDA SR food."""

    ndb: str
    name: str
    group: str
    per_100g: Nutrients
    measures: tuple[HouseholdMeasure, ...]
    group_code: str = ""
    short_name: str = ""
    common_names: str = ""
    manufacturer: str = ""


@dataclass(frozen=True, slots=True)
class FoodMatch:
    """A search candidate with its 0..100 score."""

    food: Food
    score: float


@dataclass(frozen=True, slots=True)
class FoodSearchResult:
    """Ranked candidates for a query with an overall confidence in 0..1."""

    query: str
    matches: tuple[FoodMatch, ...]
    confidence: float

    @property
    def best(self) -> FoodMatch | None:
        """Top candidate, if any."""
        return self.matches[0] if self.matches else None

    @property
    def ambiguous(self) -> bool:
        """True when the caller should ask the user to choose."""
        return self.confidence < CONFIDENCE_THRESHOLD


# --------------------------------------------------------------------------- scoring knobs

# Qualifiers that describe preparation/state; unmatched ones cost little.
_NEUTRAL = frozenset(
    [
        "raw",
        "fresh",
        "cooked",
        "without",
        "salt",
        "added",
        "drained",
        "regular",
        "prepared",
        "fluid",
        "commercial",
        "commercially",
        "ready",
        "eat",
        "serve",
        "whole",
        "enriched",
        "boiled",
        "mature",
        "seed",
        "solid",
        "liquid",
        "plain",
        "unprepared",
        "unsalted",
        "meat",
        "only",
        "all",
        "type",
        "variety",
        "include",
        "includes",
        "including",
        "ns",
        "nfs",
        "us",
        "usda",
        "average",
        "made",
        "recipe",
        "home",
        "kernel",
        "ripe",
        "fruit",
        "edible",
        "portion",
        "skin",
        "vitamin",
        "d",
        "fortified",
        "retail",
        "frozen",
        "canned",
        "dry",
        "dried",
        "flesh",
        "wild",
        "farmed",
        "grade",
        "yellow",
        "white",
        "green",
        "red",
        "table",
        "baked",
        "roasted",
        "broiled",
        "stewed",
        "grilled",
    ]
)
# Heavier negative priors unless the query asks for them.
_BAD_QUALIFIERS: dict[str, float] = {
    "dehydrated": 8,
    "powder": 8,
    "dried": 5,
    "dry": 4,
    "mix": 6,
    "concentrate": 6,
    "frozen": 3,
    "canned": 3,
    "industrial": 12,
    "commodity": 10,
    "infant": 15,
    "formula": 10,
    "baby": 12,
    "toddler": 12,
    "junior": 10,
    "strained": 8,
    "imitation": 6,
    "substitute": 6,
    "flour": 5,
    "enhanced": 6,
    "unprepared": 5,
    "glucose": 6,
    "stabilized": 6,
    "pasteurized": 3,
    "salted": 2,
    "sugared": 5,
    "lowfat": 2,
    "nonfat": 2,
    "fat": 1,
    "reduced": 2,
    "light": 2,
    "low": 2,
    "sodium": 2,
    "diet": 3,
    "alaska": 8,
    "native": 8,
    "rehydrated": 4,
    "heated": 1,
    "unheated": 1,
    "microwaved": 1,
    "school": 6,
    "lunch": 3,
    "separable": 2,
    "trimmed": 1,
    "choice": 1,
    "select": 1,
    "prime": 2,
    "batter": 3,
    "breaded": 3,
    "toasted": 2,
    "pickled": 4,
    "sweetened": 2,
    "syrup": 3,
    "pack": 2,
    "heavy": 2,
    "juice": 0,
    "peel": 2,
    "seeds": 2,
    "fast": 0,
    "restaurant": 0,
    "kraft": 0,
    "usda": 6,
    "recipe": 2,
    "homemade": 1,
    # generalisation rules: things nobody means unless they say so
    "oil": 10,  # "salmon fillet" is not fish oil, "tuna" is not tuna in oil
    "extra": 3,  # "firm tofu" is not "extra firm"
    "home": 2,  # "baked beans" are canned, not home-prepared
    "chinese": 3,  # regional varieties ("Broccoli, chinese")
    "japanese": 3,
    "hawaiian": 3,
    "puerto": 3,
    "rican": 3,
    "mexican": 2,
    "indian": 2,
}
_GROUP_PRIOR: dict[str, float] = {
    "0300": -25.0,  # baby foods
    "3500": -20.0,  # American Indian / Alaska Native
    "2100": -8.0,  # fast foods
    "3600": -8.0,  # restaurant foods
    "2200": -3.0,  # meals, entrees
    "0800": -1.0,
}
_RAW_PREFERRED = {"0900", "1100", "1200", "0200"}  # fruit, veg, nuts, spices: eaten raw
_COOKED_PREFERRED = {"0500", "1000", "1300", "1500", "1700", "2000", "1600"}
_COOK_WORDS = frozenset(
    [
        "cooked",
        "roasted",
        "grilled",
        "broiled",
        "baked",
        "fried",
        "boiled",
        "stewed",
        "braised",
        "steamed",
        "scrambled",
        "poached",
        "simmered",
        "heated",
        "microwaved",
        "toasted",
        "pan",
    ]
)
_RESTAURANT_WORDS = frozenset(
    [
        "fast",
        "restaurant",
        "mcdonald",
        "burger",
        "king",
        "wendy",
        "subway",
        "kfc",
        "pizza",
        "hut",
        "taco",
        "bell",
        "domino",
        "papa",
        "john",
        "starbuck",
        "dunkin",
        "popeye",
        "chick",
        "fil",
        "applebee",
        "denny",
        "olive",
        "garden",
        "chipotle",
    ]
)
_BRAND_RE = re.compile(r"[A-Z]{2,}")
_WORD_SPLIT = re.compile(r"[\s,;()/]+")
# Query words that add little: a food missing them is barely penalised.
_SOFT_QUERY = frozenset(
    [
        "fillet",
        "filet",
        "fresh",
        "organic",
        "homemade",
        "home",
        "plain",
        "regular",
        "normal",
        "piece",
        "portion",
        "serving",
        "hot",
        "cold",
        "warm",
        "small",
        "big",
        "large",
        "medium",
        "little",
        "slice",
        "sliced",
        "chopped",
        "diced",
        "cup",
        "bowl",
        "plate",
        "glass",
        "mug",
        "can",
        "bottle",
        "order",
        "side",
        "extra",
        "good",
        "healthy",
        "yummy",
        "tasty",
        "delicious",
        "quick",
        "leftover",
        "leftovers",
        "shredded",
        "grated",
        "minced",
        "cubed",
        "mashed",
        "crispy",
        "chunk",
        "cube",
        "wedge",
        "stick",
        "strip",
    ]
)
# Soft words that may be dropped to reach a curated default ("salmon fillet" -> "salmon").
_DROPPABLE_SOFT = _SOFT_QUERY - frozenset(["mashed", "shredded", "grated", "minced", "hot", "cold"])
# Prep words that may be dropped to reach a curated default whose food is prepared that way.
_DROPPABLE_PREP = frozenset(["cooked", "boiled", "steamed", "baked", "roasted", "grilled"])
# Dishes whose usual form in SR is the fast-food row: no fast-food penalty when asked for.
_FAST_DISHES = frozenset(
    [
        "burrito",
        "taco",
        "nacho",
        "quesadilla",
        "enchilada",
        "chimichanga",
        "cheeseburger",
        "hamburger",
        "burger",
        "pizza",
        "nugget",
        "milkshake",
        "fries",
    ]
)
# USDA first segments that name a category rather than the food itself.
_CATEGORY_HEADS = frozenset(
    [
        "fish",
        "crustacean",
        "mollusk",
        "nut",
        "seed",
        "cereal",
        "cereals",
        "ready",
        "eat",
        "beverage",
        "candy",
        "candies",
        "snack",
        "spice",
        "alcoholic",
        "babyfood",
        "fast",
        "food",
        "restaurant",
        "oil",
        "salad",
        "dressing",
        "soup",
        "sauce",
        "formulated",
        "bar",
        "poultry",
        "product",
        "usda",
        "commodity",
        "dessert",
        "topping",
        "infant",
        "formula",
    ]
)
# Query word -> other vocabulary words that mean (nearly) the same.
_EQUIVALENT: dict[str, tuple[tuple[str, float], ...]] = {
    "grilled": (("broiled", 0.9), ("roasted", 0.8), ("heat", 0.7)),
    "grill": (("grilled", 0.95), ("broiled", 0.9)),
    "broiled": (("grilled", 0.9), ("roasted", 0.8)),
    "baked": (("roasted", 0.85), ("heat", 0.7)),
    "roast": (("roasted", 0.95),),
    "roasted": (("baked", 0.8),),
    "toast": (("toasted", 0.95),),
    "fry": (("fried", 0.95),),
    "steamed": (("boiled", 0.8), ("heat", 0.7)),
    "boiled": (("heat", 0.6), ("stewed", 0.7)),
    "poached": (("heat", 0.6),),
    "cooked": (("boiled", 0.6), ("roasted", 0.6), ("heat", 0.6)),
    "smoked": (("cured", 0.6),),
    "mashed": (("mash", 0.95),),
    "nonfat": (("skim", 0.9), ("fat", 0.5)),
    "skim": (("nonfat", 0.95),),
    "lowfat": (("low", 0.7),),
    "wholemeal": (("whole", 0.9), ("wheat", 0.9)),
    "wholegrain": (("whole", 0.9), ("grain", 0.9)),
    "multigrain": (("multi", 0.9), ("grain", 0.9)),
    "oatmeal": (("oat", 0.9),),
    "oat": (("oatmeal", 0.9),),
    "spud": (("potato", 0.95),),
    "soda": (("carbonated", 0.8),),
    "hot": (("heated", 0.5),),
    "sandwich": (("sandwiche", 0.95),),
    "cheeseburger": (("cheeseburger", 1.0),),
    "chop": (("chops", 0.95),),
    "fillet": (("filet", 0.95), ("fillets", 0.95)),
    "crunchy": (("chunk", 0.95), ("chunky", 0.95), ("crunchy", 1.0)),
    "chunky": (("chunk", 0.95),),
}


_NOT_BRANDS = frozenset({"NS", "NFS", "USDA", "US", "NLEA", "II", "III", "UHT", "RTD", "RTF"})


@lru_cache(maxsize=32768)
def _only_vague(tokens: tuple[str, ...]) -> bool:
    """A dish word alone, maybe with how it was cooked ("a salad", "grilled fish")."""
    core = set(tokens) - _DROPPABLE_PREP - _DROPPABLE_SOFT
    return bool(core) and core <= _VAGUE_DISHES


def _is_brand_word(word: str) -> bool:
    """True for an upper-case brand word such as McDONALD'S or CHEERIOS."""
    if not _BRAND_RE.search(word):
        return False
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2 or word.strip("'\".") in _NOT_BRANDS:
        return False
    upper = sum(1 for c in letters if c.isupper())
    return bool(_BRAND_RE.search(word)) and upper / len(letters) > 0.6


@dataclass(slots=True)
class _Entry:
    food: Food
    segments: tuple[tuple[str, ...], ...]  # Long_Desc comma segments, tokenised
    tokens: frozenset[str]  # all searchable tokens (desc + short + common)
    desc_tokens: tuple[str, ...]  # Long_Desc tokens without stopwords, in order
    head: frozenset[str]  # tokens of the first segment
    brand: frozenset[str]  # brand tokens (empty when generic)
    popular: float  # curated popularity prior minus maluses
    is_branded: bool  # has an upper-case brand word


def _read_tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    return [line.split("\t") for line in lines[1:] if line]


def _f(text: str) -> float:
    return float(text) if text else 0.0


def _read_foods(d: Path) -> list[Food]:
    groups = {row[0]: row[1] for row in _read_tsv(d / "food_groups.tsv")}
    measures: dict[str, list[HouseholdMeasure]] = defaultdict(list)
    for ndb, _seq, amount, desc, grams in _read_tsv(d / "food_weights.tsv"):
        if not grams or not amount or float(amount) <= 0:
            continue
        measures[ndb].append(HouseholdMeasure(float(amount), desc, float(grams)))
    foods: list[Food] = []
    for row in _read_tsv(d / "foods.tsv"):
        ndb, grp, long_desc, shrt, com, manuf, kcal, prot, fat, carbs, fiber, sugar, sodium = row[
            :13
        ]
        foods.append(
            Food(
                ndb=ndb,
                name=long_desc,
                group=groups.get(grp, ""),
                per_100g=Nutrients(
                    _f(kcal), _f(prot), _f(carbs), _f(fat), _f(fiber), _f(sugar), _f(sodium)
                ),
                measures=tuple(measures.get(ndb, ())),
                group_code=grp,
                short_name=shrt,
                common_names=com,
                manufacturer=manuf,
            )
        )
    return foods


#: One food's precomputed search data: (segments, extra tokens, brand tokens, first segment is
#: the head noun, malus, has an upper-case brand word).
IndexRow = tuple[tuple[tuple[str, ...], ...], tuple[str, ...], tuple[str, ...], bool, float, bool]

INDEX_FILE = "food_index.json"
_INDEX_FORMAT = 1


def build_index_rows(foods: list[Food]) -> list[IndexRow]:
    """Tokenise every food name once (the expensive part of loading; shipped precomputed)."""
    # pass 1: which tokens are ever used as ordinary (non-brand) words
    generic: set[str] = set()
    brand_words: list[set[str]] = []
    for food in foods:
        bw: set[str] = set()
        for word in _WORD_SPLIT.split(food.name):
            if not word:
                continue
            if _is_brand_word(word):
                bw.update(tokenize(word))
            else:
                generic.update(tokenize(word))
        brand_words.append(bw)
    rows: list[IndexRow] = []
    for food, bw in zip(foods, brand_words, strict=True):
        segs_raw = [s for s in food.name.split(",") if s.strip()]
        segments = tuple(tuple(t for t in tokenize(s) if t not in STOPWORDS) for s in segs_raw)
        extra = set(tokenize(food.short_name)) | set(tokenize(food.common_names))
        brand = {t for t in bw if t not in generic}
        if food.manufacturer:
            mt = set(tokenize(food.manufacturer))
            brand |= {t for t in mt if t not in generic}
            extra |= mt
        desc = {t for seg in segments for t in seg}
        extra_t = tuple(sorted(t for t in extra if t not in STOPWORDS and t not in desc))
        has_head = bool(
            segments and not (set(segments[0]) <= _CATEGORY_HEADS or set(segments[0]) <= bw)
        )
        low = food.name.lower()
        malus = 0.0
        if "with salt" in low or "salt added" in low:
            malus += 1.5
        for seg in segments[1:]:
            if seg in {("skin",), ("leaf",), ("leaves",), ("stalk",), ("giblet",)}:
                malus += 8.0
        rows.append(
            (segments, extra_t, tuple(sorted(brand - STOPWORDS)), has_head, malus, bool(bw))
        )
    return rows


def index_fingerprint(data_dir: Path) -> str:
    """Identity of the inputs of :func:`build_index_rows`: food table + tokeniser + rules."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(str(_INDEX_FORMAT).encode())
    h.update((data_dir / "foods.tsv").read_bytes())
    h.update(Path(_text_module.__file__ or "").read_bytes())
    h.update(repr((sorted(_CATEGORY_HEADS), sorted(_NOT_BRANDS))).encode())
    return h.hexdigest()[:20]


def write_index(data_dir: Path | None = None) -> Path:
    """Precompute the search index of ``data_dir/foods.tsv`` into ``food_index.json``."""
    d = data_dir or DATA_DIR
    foods = _read_foods(d)
    rows = build_index_rows(foods)
    payload = {
        "fingerprint": index_fingerprint(d),
        "rows": [
            [
                "|".join(" ".join(seg) for seg in segs),
                " ".join(extra),
                " ".join(brand),
                int(head),
                malus,
                int(branded),
            ]
            for segs, extra, brand, head, malus, branded in rows
        ],
    }
    out = d / INDEX_FILE
    out.write_text(json.dumps(payload, separators=(",", ":")) + "\n", encoding="utf-8")
    return out


def _split_words(text: str) -> tuple[str, ...]:
    return tuple(text.split(" ")) if text else ()


def _read_index(data_dir: Path) -> list[IndexRow] | None:
    """The shipped index when it matches the current data and tokeniser, else None."""
    path = data_dir / INDEX_FILE
    if not path.exists():
        return None
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    if payload.get("fingerprint") != index_fingerprint(data_dir):
        return None
    rows: list[IndexRow] = []
    intern = sys.intern
    cache: dict[str, tuple[str, ...]] = {}
    for segs, extra, brand, head, malus, branded in payload["rows"]:
        seg_t: list[tuple[str, ...]] = []
        for seg in segs.split("|") if segs else ():
            t = cache.get(seg)
            if t is None:
                t = cache[seg] = tuple(intern(w) for w in seg.split(" ")) if seg else ()
            seg_t.append(t)
        rows.append(
            (
                tuple(seg_t),
                _split_words(extra),
                _split_words(brand),
                bool(head),
                malus,
                bool(branded),
            )
        )
    return rows


class FoodDatabase:
    """In-memory USDA food table with an inverted index for fast ranked search."""

    def __init__(
        self,
        foods: list[Food],
        aliases: dict[tuple[str, ...], str] | None = None,
        index: list[IndexRow] | None = None,
    ) -> None:
        """Index ``foods``; ``aliases`` maps normalised phrases to an NDB or rewrite.

        ``index`` holds precomputed :func:`build_index_rows` rows (one per food, same order),
        as shipped in ``food_index.json``; without it the rows are computed here.
        """
        self._foods: dict[str, Food] = {f.ndb: f for f in foods}
        self._aliases: dict[tuple[str, ...], str] = aliases or {}
        popular = {v for v in self._aliases.values() if v.isdigit()}
        self._entries: list[_Entry] = []
        postings: dict[str, list[int]] = defaultdict(list)
        rows = index if index is not None and len(index) == len(foods) else build_index_rows(foods)
        for idx, (food, row) in enumerate(zip(foods, rows, strict=True)):
            segments, extra, brand, has_head, malus, branded = row
            desc_tokens = tuple(t for seg in segments for t in seg)
            tokens = frozenset(desc_tokens).union(extra)
            entry = _Entry(
                food=food,
                segments=segments,
                tokens=tokens,
                desc_tokens=desc_tokens,
                head=frozenset(segments[0]) if has_head and segments else frozenset(),
                brand=frozenset(brand),
                popular=(4.0 if food.ndb in popular else 0.0) - malus,
                is_branded=branded,
            )
            self._entries.append(entry)
            for t in tokens:
                postings[t].append(idx)
        self._postings = dict(postings)
        n = len(self._entries)
        self._idf = {t: math.log(1 + n / len(p)) for t, p in self._postings.items()}
        self._vocab = list(self._postings)
        self._max_idf = math.log(1 + n)
        # The most a food's score can exceed 100 × its query coverage (see _score): head noun
        # +3, brand asked for +4, raw/cooked +3, the group prior, popularity.
        self._max_bonus = (
            10.0 + max(0.0, *_GROUP_PRIOR.values()) + max(0.0, *(e.popular for e in self._entries))
        )
        self._alias_vocab = {t for key in self._aliases for t in key}
        self._fuzzy = lru_cache(maxsize=8192)(self._fuzzy_uncached)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, data_dir: Path | None = None) -> FoodDatabase:
        """Load the generated tables (and curated synonyms) from ``data_dir``."""
        # ~100k long-lived objects and no cycles: cyclic GC passes during the load are pure cost
        enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._load(data_dir or DATA_DIR)
        finally:
            if enabled:
                gc.enable()

    @classmethod
    def _load(cls, d: Path) -> FoodDatabase:
        foods = _read_foods(d)
        aliases: dict[tuple[str, ...], str] = {}
        syn = d / "food_synonyms.tsv"
        if syn.exists():
            for line in syn.read_text(encoding="utf-8").splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) < 2:
                    continue
                key = tuple(t for t in tokenize(parts[0]) if t not in STOPWORDS)
                if key:
                    aliases[key] = parts[1].strip()
        return cls(foods, aliases, _read_index(d))

    # ----------------------------------------------------------------- access
    def get(self, ndb: str) -> Food | None:
        """Food by NDB_No (zero-padded to 5 chars)."""
        return self._foods.get(ndb.strip().zfill(5))

    def __len__(self) -> int:
        """Number of foods."""
        return len(self._foods)

    def foods(self) -> list[Food]:
        """All foods."""
        return list(self._foods.values())

    # ----------------------------------------------------------------- search
    def _fuzzy_uncached(self, token: str) -> tuple[tuple[str, float], ...]:
        if len(token) < 4 or token.isdigit():
            return ()
        cutoff = 84.0 if len(token) >= 6 else 86.0
        hits = process.extract(token, self._vocab, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
        return tuple((h[0], float(h[1]) / 100.0) for h in hits)

    def _expand(self, token: str) -> tuple[tuple[str, float], ...]:
        """Vocabulary tokens matching a query token, with a match weight."""
        out: list[tuple[str, float]] = []
        if token in self._postings:
            out.append((token, 1.0))
        for v, w in _EQUIVALENT.get(token, ()):
            if v in self._postings and v != token:
                out.append((v, w))
        if out:
            return tuple(out)
        return tuple((v, w * 0.9) for v, w in self._fuzzy(token))

    def correct(self, tokens: tuple[str, ...]) -> tuple[str, ...]:
        """Replace unknown (misspelt) tokens by their closest vocabulary word."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            # "apple sauce" -> "applesauce", "cheese burger" -> "cheeseburger"
            if i + 1 < len(tokens):
                joined = t + tokens[i + 1]
                if len(self._postings.get(joined, ())) >= 2:
                    out.append(joined)
                    i += 2
                    continue
            i += 1
            if t in self._alias_vocab or t.isdigit():
                out.append(t)
                continue
            df = len(self._postings.get(t, ()))
            if df > 2:
                out.append(t)
                continue
            if df == 0:
                split = self._split_compound(t)
                if split:
                    out.extend(split)
                    continue
            hits = [h for h in self._fuzzy(t) if h[0] != t]
            if hits and (df == 0 or (hits[0][1] >= 0.88 and len(self._postings[hits[0][0]]) >= 20)):
                out.append(hits[0][0])
            else:
                out.append(t)
        return tuple(out)

    def _split_compound(self, token: str) -> tuple[str, ...]:
        """Split "peanutbutter" into ("peanut", "butter") when both halves are known words."""
        for i in range(3, len(token) - 2):
            a, b = token[:i], token[i:]
            pa, pb = self._postings.get(a, ()), self._postings.get(b, ())
            if len(pa) >= 5 and len(pb) >= 5:
                return (a, b)
        return ()

    def rewrite(self, tokens: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
        """Apply alias rewrites; returns (tokens, direct NDB if the whole query is an alias)."""
        seen = 0
        while seen < 4:
            seen += 1
            hit = self._aliases.get(tokens)
            if hit is None or hit == NOT_IN_SR:
                break
            if hit.isdigit():
                return tokens, hit
            tokens = tuple(t for t in tokenize(hit) if t not in STOPWORDS)
        # sub-phrase rewrites (only text targets), longest first
        changed = True
        guard = 0
        while changed and guard < 6:
            changed = False
            guard += 1
            n = len(tokens)
            for size in range(min(n, 4), 0, -1):
                for i in range(n - size + 1):
                    sub = tokens[i : i + size]
                    if sub == tokens:
                        continue
                    hit = self._aliases.get(sub)
                    if hit is not None and hit != NOT_IN_SR and not hit.isdigit():
                        new = tuple(t for t in tokenize(hit) if t not in STOPWORDS)
                        tokens = tokens[:i] + new + tokens[i + size :]
                        changed = True
                        break
                if changed:
                    break
        tokens = tuple(
            dict.fromkeys(tokens)
        )  # "full fat milk" -> "whole milk milk" -> "whole milk"
        direct = self._aliases.get(tokens)
        if direct is not None and direct.isdigit():
            return tokens, direct
        return tokens, None

    def search(self, query: str, limit: int = 5, *, floor: float | None = None) -> FoodSearchResult:
        """Rank foods for a free-text ``query`` (best first).

        ``floor``: a caller that discards every result scoring below it gets no matches at all
        when no food can reach it (found without scoring each candidate)."""
        q_tokens = tuple(t for t in tokenize(query) if t not in STOPWORDS)
        if not q_tokens:
            return FoodSearchResult(query, (), 0.0)
        vague = _only_vague(q_tokens) or self._aliases.get(q_tokens) == NOT_IN_SR
        q_tokens, direct = self.rewrite(q_tokens)
        if direct is None:
            fixed = self.correct(q_tokens)
            if fixed != q_tokens:
                q_tokens, direct = self.rewrite(fixed)
        if direct is None:
            direct = self._soft_default(q_tokens)
        # de-duplicate, keep order
        q_tokens = tuple(dict.fromkeys(q_tokens))
        scored = self._score(q_tokens, limit=max(limit, 8), floor=floor if direct is None else None)
        matches: list[FoodMatch] = []
        if direct is not None and direct in self._foods:
            matches.append(FoodMatch(self._foods[direct], 100.0))
        for food, score in scored:
            if direct is not None and food.ndb == direct:
                continue
            if direct is not None:
                score = min(score, 95.0)
            matches.append(FoodMatch(food, round(score, 2)))
        matches = matches[:limit]
        confidence = self._confidence(matches, direct is not None)
        absent = self._aliases.get(q_tokens) == NOT_IN_SR  # also after a rewrite ("cesar")
        if direct is None and (vague or absent or _only_vague(q_tokens)):
            # "a sandwich", "a smoothie", "a samosa" (not in SR): the best-scoring row is a
            # guess; ask which one
            confidence = min(confidence, CONFIDENCE_THRESHOLD - 0.1)
        return FoodSearchResult(query, tuple(matches), confidence)

    def _soft_default(self, tokens: tuple[str, ...]) -> str | None:
        """Curated default reached by dropping words that do not change the food.

        "salmon fillet", "crispy bacon", "carrot sticks" -> the default of "salmon", "bacon",
        "carrot"; "cooked rice" -> the default of "rice" only when that default is cooked.
        """
        core = tuple(t for t in tokens if t not in _DROPPABLE_SOFT and t not in _DROPPABLE_PREP)
        if not core or core == tokens:
            return None
        hit = self._aliases.get(core)
        if hit is None or not hit.isdigit() or hit not in self._foods:
            return None
        dropped_prep = set(tokens) & _DROPPABLE_PREP
        if dropped_prep:
            name = set(tokenize(self._foods[hit].name))
            if not name & (_COOK_WORDS | {"cooked"}):
                return None
        return hit

    @staticmethod
    def _confidence(matches: list[FoodMatch], direct: bool) -> float:
        if not matches:
            return 0.0
        if direct:
            return 0.97
        top = matches[0].score
        second = matches[1].score if len(matches) > 1 else 0.0
        margin = top - second
        conf = top / 100.0
        if margin < 2:
            conf -= 0.12
        elif margin < 5:
            conf -= 0.05
        return max(0.0, min(1.0, conf))

    def _score(
        self, q_tokens: tuple[str, ...], limit: int, floor: float | None = None
    ) -> list[tuple[Food, float]]:
        expansions = [self._expand(t) for t in q_tokens]
        weights = []
        for t, exp in zip(q_tokens, expansions, strict=True):
            if exp and t in _SOFT_QUERY:
                weights.append(0.3 * max(self._idf[v] for v, _ in exp))
            elif exp:
                weights.append(max(self._idf[v] for v, _ in exp))
            elif t.isdigit() or t in _SOFT_QUERY:
                weights.append(0.3)
            else:
                weights.append(self._max_idf)  # unknown word: heavy, unmatched
        total = sum(weights) or 1.0
        acc: dict[int, float] = defaultdict(float)
        for qi, exp in enumerate(expansions):
            best_for: dict[int, float] = {}
            for v, w in exp:
                for idx in self._postings[v]:
                    if w > best_for.get(idx, 0.0):
                        best_for[idx] = w
            wq = weights[qi]
            for idx, w in best_for.items():
                acc[idx] += wq * w
        if not acc:
            return []
        # Not even the best-covered food can reach the floor (a margin for the 2-decimal
        # rounding of the scores that callers compare with it).
        if floor is not None and 100.0 * max(acc.values()) / total + self._max_bonus < floor - 0.01:
            return []
        top_raw = sorted(acc.items(), key=lambda kv: kv[1], reverse=True)
        cutoff = top_raw[0][1] * 0.6
        cands = [idx for idx, v in top_raw[:400] if v >= cutoff]
        q_set = set(q_tokens)
        matched_vocab = {v for exp in expansions for v, _ in exp}
        wants_brand = bool(q_set & _RESTAURANT_WORDS)
        q_cook = bool(q_set & _COOK_WORDS)
        results: list[tuple[Food, float]] = []
        for idx in cands:
            e = self._entries[idx]
            coverage = acc[idx] / total
            score = 100.0 * coverage
            # unmatched description tokens (earlier segments matter more)
            penalty = 0.0
            for si, seg in enumerate(e.segments):
                segw = 1.0 if si < 2 else 0.7
                if seg and seg[0] in {"no", "without"}:
                    segw = 0.2  # "WHOPPER, no cheese" is the plain item, not a variant
                for t in seg:
                    if t in matched_vocab:
                        continue
                    if t in _NEUTRAL or (si == 0 and t in _CATEGORY_HEADS):
                        penalty += 0.6 * segw
                    else:
                        penalty += 2.5 * segw
            score -= min(penalty, 22.0)
            # head noun of the USDA description should be in the query
            if e.head and not (e.head & matched_vocab):
                score -= 12.0
            elif e.head and e.head <= matched_vocab:
                score += 3.0
            # qualifiers nobody asked for
            for t in e.desc_tokens:
                bad = _BAD_QUALIFIERS.get(t)
                if bad and t not in matched_vocab:
                    score -= bad
            # brands / fast food unless asked for
            brand_hit = bool(e.brand & matched_vocab)
            gp = _GROUP_PRIOR.get(e.food.group_code, 0.0)
            asked = wants_brand or brand_hit
            # a generic "Fast foods, burrito, ..." row is the usual form of a fast-food dish
            dish = e.food.group_code == "2100" and bool(q_set & _FAST_DISHES) and not e.head
            if (e.food.group_code in {"2100", "3600"} and asked) or dish:
                gp = 0.0
            score += gp
            if e.is_branded and not brand_hit:
                score -= 10.0
            elif brand_hit:
                score += 4.0
            # cooked vs raw by what people eat
            toks = e.tokens
            if not q_cook and "raw" not in q_set:
                if e.food.group_code in _RAW_PREFERRED:
                    if "raw" in toks:
                        score += 3.0
                elif e.food.group_code in _COOKED_PREFERRED:
                    if "raw" in toks or "uncooked" in toks:
                        score -= 5.0
                    elif "cooked" in toks or "roasted" in toks:
                        score += 2.0
            score += e.popular
            results.append((e.food, max(0.0, min(99.0, score))))
        results.sort(key=lambda fs: (-fs[1], len(fs[0].name)))
        return results[:limit]


@cache
def get_food_database() -> FoodDatabase:
    """Process-wide cached database loaded from the packaged data files."""
    return FoodDatabase.load()
