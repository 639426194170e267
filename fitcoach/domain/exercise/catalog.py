"""Exercise catalog (Free Exercise DB, 873 entries) with slang-aware fuzzy search.

Search works in two layers:

1. *Movement vocabulary* (:mod:`.aliases`): what lifters say ("bench", "rdl", "lat pulldown")
   resolved to a default catalog variant, steered by equipment words ("db bench" -> dumbbell).
   Exact or near-exact (typo) hits on this layer score 90-100.
2. *Fuzzy token matching* over every catalog name: each query token is matched to catalog
   tokens with rapidfuzz (typos), then names are scored by IDF-weighted recall of the query and
   precision of the name, with small priors (equipment agreement, strength over stretching).

``ExerciseSearchResult.confidence`` (0..1) combines the best score and its margin over the
runner-up; below :data:`CONFIDENCE_THRESHOLD` the result is ``ambiguous`` and callers should ask.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process

from .aliases import EQUIPMENT_FIELD, EQUIPMENT_WORDS, MOVEMENTS
from .text import content_tokens, norm_key

CONFIDENCE_THRESHOLD = 0.6
"""Below this search confidence a match is reported as ambiguous."""

#: Words that qualify *how* a lift was done but do not change which exercise it is.
GYM_FILLER = frozenset(
    {
        "paused",
        "pause",
        "heavy",
        "light",
        "tempo",
        "touch",
        "go",
        "explosive",
        "slow",
        "controlled",
        "top",
        "backoff",
        "back-off",
        "drop",
        "dropset",
        "amrap",
        "max",
        "easy",
        "hard",
        "strict",
        "normal",
        "regular",
        "standard",
        "full",
        "rom",
        "partial",
        "partials",
        "speed",
        "volume",
        "warm",
        "up",
        "cooldown",
        "superset",
        "ss",
        "giant",
        "triset",
        "pyramid",
        "burnout",
        "finisher",
        "beltless",
        "belt",
        "belted",
        "straps",
        "strap",
        "grip",
        "some",
        "quick",
        "good",
        "bad",
        "great",
        "new",
        "pr",
        "personal",
        "record",
        "best",
        "attempt",
        "single",
        "double",
        "triple",
    }
)

#: Words that alone never identify an exercise ("20 kg dumbbells", "the machine").
_GENERIC_WORDS = frozenset({"bar", "plate", "weight", "body", "only", "other"})

_STRETCH_CATEGORIES = frozenset({"stretching"})
_STRETCH_WORDS = frozenset({"stretch", "smr", "foam", "roll", "mobility", "yoga"})


@dataclass(frozen=True, slots=True)
class Exercise:
    """One catalog row (Free Exercise DB)."""

    id: str
    name: str
    force: str | None
    level: str
    mechanic: str | None
    equipment: str | None
    primary_muscles: tuple[str, ...]
    secondary_muscles: tuple[str, ...]
    category: str


@dataclass(frozen=True, slots=True)
class ExerciseMatch:
    """A candidate exercise with its match score (0..100)."""

    exercise: Exercise
    score: float


@dataclass(frozen=True, slots=True)
class ExerciseSearchResult:
    """Ranked search result; ``confidence`` is 0..1."""

    query: str
    matches: tuple[ExerciseMatch, ...]
    confidence: float

    @property
    def best(self) -> ExerciseMatch | None:
        """Top match or ``None`` when nothing matched."""
        return self.matches[0] if self.matches else None

    @property
    def ambiguous(self) -> bool:
        """True when confidence is below :data:`CONFIDENCE_THRESHOLD`."""
        return self.confidence < CONFIDENCE_THRESHOLD


@dataclass(frozen=True, slots=True)
class _Entry:
    """An indexed name (catalog name or alias) pointing at an exercise."""

    exercise_id: str
    tokens: tuple[str, ...]
    alias: bool


def _default_data_dir() -> Path:
    return Path(str(resources.files("fitcoach") / "data"))


#: When several equipment words appear, the most specific wins ("smith machine" -> smith).
_EQUIPMENT_PRIORITY = (
    "smith",
    "ez",
    "kettlebell",
    "dumbbell",
    "band",
    "cable",
    "barbell",
    "machine",
    "bodyweight",
)


def _equipment_of(tokens: tuple[str, ...]) -> set[str]:
    found = {EQUIPMENT_WORDS[t] for t in tokens if t in EQUIPMENT_WORDS}
    if "ez" in found:
        found.discard("barbell")
    if "smith" in found:
        found.discard("machine")
    return found


class ExerciseCatalog:
    """In-memory exercise catalog with :meth:`search`."""

    def __init__(self, exercises: list[Exercise]) -> None:
        self._by_id: dict[str, Exercise] = {e.id: e for e in exercises}
        self._all: tuple[Exercise, ...] = tuple(exercises)
        self._build_index()

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, data_dir: Path | None = None) -> ExerciseCatalog:
        """Load ``exercises.json`` from ``data_dir`` (default: the packaged ``fitcoach/data``)."""
        path = (data_dir or _default_data_dir()) / "exercises.json"
        rows = json.loads(path.read_text(encoding="utf-8"))
        exercises = [
            Exercise(
                id=r["id"],
                name=r["name"],
                force=r.get("force"),
                level=r.get("level") or "",
                mechanic=r.get("mechanic"),
                equipment=r.get("equipment"),
                primary_muscles=tuple(r.get("primaryMuscles") or ()),
                secondary_muscles=tuple(r.get("secondaryMuscles") or ()),
                category=r.get("category") or "",
            )
            for r in rows
        ]
        return cls(exercises)

    def _build_index(self) -> None:
        entries: list[_Entry] = []
        self._exact: dict[str, str] = {}
        for ex in self._all:
            toks = content_tokens(ex.name)
            entries.append(_Entry(ex.id, toks, alias=False))
            self._exact.setdefault(" ".join(toks), ex.id)
        # Movement vocabulary: key -> {equipment|None: id}
        self._moves: dict[str, dict[str | None, str]] = {}
        self._defaults: set[str] = set()
        for phrases, variants in MOVEMENTS:
            clean = {k: v for k, v in variants.items() if v in self._by_id}
            if None not in clean:
                continue
            self._defaults.add(clean[None])
            for phrase in phrases:
                key = norm_key(phrase)
                if key and key not in self._moves:
                    self._moves[key] = clean
                    entries.append(_Entry(clean[None], tuple(key.split()), alias=True))
        self._move_keys: list[str] = list(self._moves)
        # spaceless keys catch split/joined typos ("pul ups", "lat pull-downs", "skullcrusher")
        self._compact_moves: dict[str, str] = {}
        for key in self._move_keys:
            self._compact_moves.setdefault(key.replace(" ", ""), key)
        self._compact_keys: list[str] = list(self._compact_moves)
        self._entries = entries
        df: dict[str, int] = defaultdict(int)
        inverted: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(entries):
            for tok in set(entry.tokens):
                df[tok] += 1
                inverted[tok].append(i)
        n = len(entries)
        self._idf: dict[str, float] = {t: math.log(1.0 + n / c) for t, c in df.items()}
        self._inverted = dict(inverted)
        self._vocab: list[str] = sorted(df)

    # ------------------------------------------------------------------ accessors
    def get(self, exercise_id: str) -> Exercise | None:
        """Exercise by catalog id, or ``None``."""
        return self._by_id.get(exercise_id)

    def all(self) -> tuple[Exercise, ...]:
        """All exercises in catalog order."""
        return self._all

    def __len__(self) -> int:
        return len(self._all)

    # ------------------------------------------------------------------ search
    def search(self, query: str, limit: int = 5) -> ExerciseSearchResult:
        """Rank exercises for a free-text query (slang, plurals and typos tolerated)."""
        tokens = tuple(t for t in content_tokens(query) if not t.isdigit())
        if not tokens or all(t in EQUIPMENT_WORDS or t in _GENERIC_WORDS for t in tokens):
            return ExerciseSearchResult(query, (), 0.0)
        scores: dict[str, float] = {}
        self._movement_candidates(tokens, scores)
        self._fuzzy_candidates(tokens, scores)
        if not scores:
            return ExerciseSearchResult(query, (), 0.0)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], len(self._by_id[kv[0]].name)))
        matches = tuple(
            ExerciseMatch(self._by_id[eid], round(min(100.0, max(0.0, s)), 1))
            for eid, s in ranked[: max(1, limit)]
        )
        best = ranked[0][1]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        return ExerciseSearchResult(query, matches, _confidence(best, second))

    # movement layer -------------------------------------------------------------------
    def _movement_candidates(self, tokens: tuple[str, ...], scores: dict[str, float]) -> None:
        key = " ".join(tokens)
        exact = self._exact.get(key)
        if exact is not None:
            _bump(scores, exact, 100.0)
            return
        equipment = _equipment_of(tokens)
        rest = tuple(t for t in tokens if t not in EQUIPMENT_WORDS)
        if "ez" in equipment:
            rest = tuple(t for t in rest if t != "bar")
        candidates = [(" ".join(tokens), 100.0, False)]
        if rest:
            candidates.append((" ".join(rest), 100.0, True))
            stripped = tuple(t for t in rest if t not in GYM_FILLER)
            if stripped and stripped != rest:
                candidates.append((" ".join(stripped), 97.0, True))
        # exact phrase lookups first (any candidate), then typo-tolerant lookups
        for cand_key, base, use_equipment in candidates:
            variants = self._moves.get(cand_key)
            if variants is not None:
                self._apply_variants(variants, equipment if use_equipment else set(), base, scores)
                return
        for cand_key, base, use_equipment in candidates:
            if len(cand_key) < 4:
                continue
            hit = process.extractOne(cand_key, self._move_keys, scorer=fuzz.ratio, score_cutoff=86)
            if hit is None:
                compact = cand_key.replace(" ", "")
                chit = process.extractOne(
                    compact, self._compact_keys, scorer=fuzz.ratio, score_cutoff=88
                )
                if chit is not None:
                    hit = (self._compact_moves[chit[0]], chit[1], chit[2])
            if hit is not None:
                score = base - (100.0 - hit[1]) * 0.6 - 3.0
                self._apply_variants(
                    self._moves[hit[0]], equipment if use_equipment else set(), score, scores
                )
                return
        # Longest known movement phrase inside the query ("neutral grip pullups" -> pullup):
        # extra words are unknown qualifiers, each costs a little confidence.
        words = rest or tokens
        for size in range(len(words) - 1, 0, -1):
            for start in range(len(words) - size, -1, -1):
                window = " ".join(words[start : start + size])
                found = self._moves.get(window)
                if found is not None:
                    penalty = 5.0 * (len(words) - size)
                    self._apply_variants(found, equipment, 99.0 - penalty, scores)
                    return

    def _apply_variants(
        self,
        variants: dict[str | None, str],
        equipment: set[str],
        score: float,
        scores: dict[str, float],
    ) -> None:
        if not equipment:
            _bump(scores, variants[None], score)
            return
        for eq in sorted(equipment, key=_EQUIPMENT_PRIORITY.index):
            if eq in variants:
                _bump(scores, variants[eq], score)
                return
        default = self._by_id[variants[None]]
        fields = set().union(*(EQUIPMENT_FIELD[e] for e in equipment))
        if default.equipment in fields:
            _bump(scores, default.id, score)
        else:
            # the movement is right but the named equipment variant is unknown: let the fuzzy
            # layer find an equipment-specific row; keep the default as a weaker candidate.
            _bump(scores, default.id, score - 22.0)

    # fuzzy layer ----------------------------------------------------------------------
    def _fuzzy_candidates(self, tokens: tuple[str, ...], scores: dict[str, float]) -> None:
        sims: dict[str, dict[str, float]] = {}
        for q in set(tokens):
            row: dict[str, float] = {}
            if q in self._idf:
                row[q] = 1.0
            if len(q) >= 4:
                for cand, sim, _ in process.extract(
                    q, self._vocab, scorer=fuzz.ratio, score_cutoff=80, limit=6
                ):
                    row[cand] = max(row.get(cand, 0.0), sim / 100.0)
                if len(q) >= 5:
                    # prefix of a longer catalog token ("ext" style abbreviations, "hamstr")
                    for cand in self._vocab:
                        if len(cand) > len(q) and cand.startswith(q):
                            row.setdefault(cand, 0.85)
            sims[q] = row
        candidate_entries: set[int] = set()
        for row in sims.values():
            for tok in row:
                candidate_entries.update(self._inverted.get(tok, ()))
        if not candidate_entries:
            return
        idf_default = max(self._idf.values())
        q_weights = {
            q: max((self._idf.get(t, idf_default) for t in sims[q]), default=idf_default)
            for q in sims
        }
        q_total = sum(q_weights[q] for q in tokens)
        equipment = _equipment_of(tokens)
        eq_fields = set().union(*(EQUIPMENT_FIELD[e] for e in equipment)) if equipment else set()
        wants_stretch = any(t in _STRETCH_WORDS for t in tokens)
        for idx in candidate_entries:
            entry = self._entries[idx]
            ent_tokens = set(entry.tokens)
            recall = 0.0
            covered: set[str] = set()
            for q in tokens:
                best_sim = 0.0
                best_tok = ""
                for tok, sim in sims[q].items():
                    if tok in ent_tokens and sim > best_sim:
                        best_sim, best_tok = sim, tok
                if best_tok:
                    covered.add(best_tok)
                    recall += q_weights[q] * best_sim
            recall /= q_total
            e_total = sum(self._idf[t] for t in ent_tokens) or 1.0
            precision = sum(self._idf[t] for t in covered) / e_total
            score = 100.0 * (0.7 * recall + 0.3 * precision)
            ex = self._by_id[entry.exercise_id]
            if entry.alias:
                score -= 4.0  # aliases already had their exact chance in the movement layer
            if eq_fields:
                score += 5.0 if ex.equipment in eq_fields else -6.0
            if ex.category in _STRETCH_CATEGORIES and not wants_stretch:
                score -= 8.0
            if ex.id in self._defaults:
                score += 2.0
            if score > 35.0:
                _bump(scores, ex.id, min(score, 96.0))


def _bump(scores: dict[str, float], exercise_id: str, score: float) -> None:
    if score > scores.get(exercise_id, -1.0):
        scores[exercise_id] = score


def _confidence(best: float, second: float) -> float:
    """Map best score and margin to 0..1."""
    base = min(1.0, max(0.0, (best - 45.0) / 45.0))
    margin = best - second
    factor = 0.6 + 0.4 * min(1.0, max(0.0, margin) / 12.0)
    if best >= 97.0:
        factor = max(factor, 0.95)
    return round(base * factor, 3)


@lru_cache(maxsize=1)
def get_exercise_catalog() -> ExerciseCatalog:
    """Process-wide cached catalog loaded from the packaged data."""
    return ExerciseCatalog.load()
