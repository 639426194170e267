"""Text normalisation for the offline embedder: tokens, light stemming, fitness synonyms."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")

STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from", "as", "is", "am", "are", "was", "were", "be", "been", "being", "i", "me", "my", "mine", "myself", "you", "your", "we", "our", "it", "its", "this", "that", "these", "those", "there", "here", "do", "does", "did", "have", "has", "had", "having", "so", "very", "really", "just", "also", "too", "than", "then", "what", "which", "who", "whom", "when", "where", "how", "why", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "about", "into", "over", "under", "again", "any", "some", "all", "each", "more", "most", "other", "such", "no", "nor", "not", "only", "own", "same", "s", "t", "d", "ll", "m", "re", "ve", "user", "person", "they", "their", "them", "he", "she", "his", "her", "im", "ive", "id", "get", "got"]
)

# Word -> canonical form. Keeps paraphrases ("veggie", "meat-free") on one feature.
SYNONYMS: dict[str, str] = {
    "veggie": "vegetarian",
    "veg": "vegetarian",
    "meatless": "vegetarian",
    "plant": "vegan",
    "plantbased": "vegan",
    "pescetarian": "pescatarian",
    "allergy": "allergic",
    "allergies": "allergic",
    "intolerant": "allergic",
    "intolerance": "allergic",
    "hurt": "injury",
    "hurts": "injury",
    "injured": "injury",
    "injuries": "injury",
    "pain": "injury",
    "painful": "injury",
    "sore": "injury",
    "ache": "injury",
    "aches": "injury",
    "achy": "injury",
    "bad": "injury",
    "dodgy": "injury",
    "weak": "injury",
    "sprained": "injury",
    "sprain": "injury",
    "torn": "injury",
    "tear": "injury",
    "strain": "injury",
    "strained": "injury",
    "hate": "dislike",
    "hates": "dislike",
    "detest": "dislike",
    "loathe": "dislike",
    "despise": "dislike",
    "dislikes": "dislike",
    "love": "like",
    "loves": "like",
    "enjoy": "like",
    "enjoys": "like",
    "prefer": "like",
    "prefers": "like",
    "favourite": "like",
    "favorite": "like",
    "fond": "like",
    "jogging": "run",
    "jog": "run",
    "running": "run",
    "runs": "run",
    "ran": "run",
    "cardio": "run",
    "lifting": "lift",
    "weights": "lift",
    "weightlifting": "lift",
    "gym": "lift",
    "workout": "train",
    "workouts": "train",
    "training": "train",
    "trains": "train",
    "exercise": "train",
    "exercising": "train",
    "session": "train",
    "sessions": "train",
    "morning": "morning",
    "mornings": "morning",
    "dawn": "morning",
    "early": "morning",
    "evening": "evening",
    "evenings": "evening",
    "night": "evening",
    "nights": "evening",
    "pm": "evening",
    "kilos": "kg",
    "kilo": "kg",
    "kilograms": "kg",
    "kgs": "kg",
    "lbs": "lb",
    "pounds": "lb",
    "target": "goal",
    "aim": "goal",
    "objective": "goal",
    "goals": "goal",
    "want": "goal",
    "lose": "loss",
    "losing": "loss",
    "drop": "loss",
    "cut": "loss",
    "fat": "loss",
    "bulk": "gain",
    "gaining": "gain",
    "build": "gain",
    "muscle": "gain",
    "job": "work",
    "shift": "work",
    "shifts": "work",
    "works": "work",
    "working": "work",
    "schedule": "work",
    "doc": "doctor",
    "physio": "doctor",
    "physiotherapist": "doctor",
    "kids": "child",
    "children": "child",
    "son": "child",
    "daughter": "child",
    "baby": "child",
    "motivated": "motivation",
    "motivates": "motivation",
    "motivate": "motivation",
    "reason": "motivation",
    "because": "motivation",
    "why": "motivation",
    "struggle": "challenge",
    "struggles": "challenge",
    "struggling": "challenge",
    "hard": "challenge",
    "difficult": "challenge",
    "problem": "challenge",
    "eat": "food",
    "eats": "food",
    "eating": "food",
    "diet": "food",
    "meal": "food",
    "meals": "food",
    "nutrition": "food",
    "weigh": "weight",
    "weighs": "weight",
    "bodyweight": "weight",
    "marathon": "race",
    "10k": "race",
    "5k": "race",
    "halfmarathon": "race",
    "bike": "cycle",
    "biking": "cycle",
    "cycling": "cycle",
    "swimming": "swim",
    "swims": "swim",
    "sleep": "sleep",
    "sleeping": "sleep",
    "slept": "sleep",
    "insomnia": "sleep",
    "mon": "monday",
    "tue": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}

# Concept tags added next to the word itself, so a query about "injuries" finds "knee".
CONCEPTS: dict[str, str] = {
    "knee": "injury",
    "back": "injury",
    "shoulder": "injury",
    "ankle": "injury",
    "wrist": "injury",
    "hip": "injury",
    "elbow": "injury",
    "neck": "injury",
    "hamstring": "injury",
    "vegetarian": "food",
    "vegan": "food",
    "pescatarian": "food",
    "meat": "food",
    "allergic": "food",
    "peanut": "food",
    "gluten": "food",
    "lactose": "food",
    "dairy": "food",
    "kcal": "food",
    "calorie": "food",
    "protein": "food",
    "breakfast": "food",
    "lunch": "food",
    "dinner": "food",
    "snack": "food",
    "monday": "day",
    "tuesday": "day",
    "wednesday": "day",
    "thursday": "day",
    "friday": "day",
    "saturday": "day",
    "sunday": "day",
    "weekend": "day",
    "weekday": "day",
    "morning": "time",
    "evening": "time",
    "lunchtime": "time",
    "afternoon": "time",
    "run": "train",
    "lift": "train",
    "swim": "train",
    "cycle": "train",
    "yoga": "train",
    "squat": "lift",
    "deadlift": "lift",
    "bench": "lift",
    "race": "goal",
    "loss": "goal",
    "gain": "goal",
}

_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ied", "ies", "ed", "es", "ly", "s")


def stem(word: str) -> str:
    """A crude suffix stripper: enough to join "squats"/"squat", "allergies"/"allergy"."""
    if word.isdigit() or len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                return base + "y"
            return base
    return word


def canonical(word: str) -> str:
    """The canonical form of one lower-case word (synonym, else stem)."""
    if word in SYNONYMS:
        return SYNONYMS[word]
    stemmed = stem(word)
    return SYNONYMS.get(stemmed, stemmed)


def tokens(text: str) -> list[str]:
    """Canonical content words of a text, in order."""
    cleaned = text.lower().replace("'", "").replace("’", "").replace("-", "")
    return [canonical(w) for w in _WORD.findall(cleaned) if w not in STOPWORDS]


def raw_words(text: str) -> list[str]:
    """Lower-case words without stopwords, not canonicalised (for character n-grams)."""
    cleaned = text.lower().replace("'", "").replace("’", "")
    return [w for w in _WORD.findall(cleaned) if w not in STOPWORDS]
