"""Energy expenditure from MET values (2011 Compendium of Physical Activities).

The table lives in ``fitcoach/data/met_activities.tsv`` (see ``fitcoach/data/README.md``).
Energy is **gross**: ``kcal = MET x body mass (kg) x hours``, i.e. it includes the resting
1 MET. Pass ``net=True`` to :func:`kcal_burned` to subtract rest (``(MET - 1) x kg x h``),
which is what you would add on top of a resting/BMR-based daily estimate.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Activity:
    """A Compendium row: code, description, MET and our activity kind (run, cycle, ...)."""

    code: str
    name: str
    met: float
    kind: str


@dataclass(frozen=True, slots=True)
class _Row:
    activity: Activity
    speed_min: float | None
    speed_max: float | None
    effort: str
    keywords: tuple[str, ...]
    default: bool


def _data_path() -> Path:
    return Path(str(resources.files("fitcoach") / "data" / "met_activities.tsv"))


@lru_cache(maxsize=4)
def _load(path: str | None = None) -> tuple[_Row, ...]:
    file = Path(path) if path else _data_path()
    rows: list[_Row] = []
    with file.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh, delimiter="\t"):
            rows.append(
                _Row(
                    activity=Activity(
                        code=rec["code"],
                        name=rec["activity"],
                        met=float(rec["met"]),
                        kind=rec["kind"],
                    ),
                    speed_min=float(rec["speed_min_kmh"]) if rec["speed_min_kmh"] else None,
                    speed_max=float(rec["speed_max_kmh"]) if rec["speed_max_kmh"] else None,
                    effort=rec["effort"] or "",
                    keywords=tuple(k.strip() for k in rec["keywords"].split("|") if k.strip()),
                    default=rec["default"] == "1",
                )
            )
    return tuple(rows)


def activities() -> tuple[Activity, ...]:
    """All activities in the MET table (file order)."""
    return tuple(r.activity for r in _load())


def kinds() -> tuple[str, ...]:
    """Distinct activity kinds, e.g. ``run``, ``cycle``, ``swim``, ``walk`` ..."""
    seen: dict[str, None] = {}
    for r in _load():
        seen.setdefault(r.activity.kind, None)
    return tuple(seen)


def _has_phrase(text: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(phrase) + r"(?![a-z])", text) is not None


EFFORT_WORDS: dict[str, str] = {
    "easy": "light",
    "light": "light",
    "leisurely": "light",
    "gentle": "light",
    "slow": "light",
    "moderate": "moderate",
    "steady": "moderate",
    "medium": "moderate",
    "hard": "vigorous",
    "vigorous": "vigorous",
    "intense": "vigorous",
    "fast": "vigorous",
    "heavy": "vigorous",
    "tough": "vigorous",
    "brutal": "vigorous",
    "all out": "vigorous",
}


def effort_of(text: str) -> str | None:
    """``light`` / ``moderate`` / ``vigorous`` when the text says so, else ``None``."""
    low = text.lower()
    for word, effort in EFFORT_WORDS.items():
        if _has_phrase(low, word):
            return effort
    return None


def match_activity(
    kind: str,
    speed_kmh: float | None = None,
    *,
    text: str = "",
    effort: str | None = None,
) -> Activity:
    """Pick the Compendium row for an activity kind.

    Order: a variant keyword found in ``text`` (e.g. "breaststroke", "spin class"), then the
    speed band containing ``speed_kmh`` (run/cycle/walk/swim), then an ``effort`` row, then the
    kind's default row. Raises ``KeyError`` for an unknown kind.
    """
    if kind == "walk" and speed_kmh is not None and speed_kmh > WALK_MAX_KMH:
        kind = "run"  # "treadmill 30 min at 6 mph" is a run
    rows = [r for r in _load() if r.activity.kind == kind]
    if not rows:
        raise KeyError(kind)
    low = text.lower()
    if low:
        best: tuple[int, _Row] | None = None
        for r in rows:
            if r.default or (speed_kmh and r.effort):
                continue  # a known speed beats effort words ("jogged", "fast")
            for kw in r.keywords:
                if _has_phrase(low, kw) and (best is None or len(kw) > best[0]):
                    best = (len(kw), r)
        if best is not None:
            return best[1].activity
    if speed_kmh is not None and speed_kmh > 0:
        for r in rows:
            if r.speed_min is None and r.speed_max is None:
                continue
            lo = r.speed_min if r.speed_min is not None else 0.0
            hi = r.speed_max if r.speed_max is not None else float("inf")
            if lo <= speed_kmh < hi:
                return r.activity
    if effort is None and low:
        effort = effort_of(low)
    if effort:
        for r in rows:
            if r.effort == effort and r.speed_min is None and not r.default:
                return r.activity
    for r in rows:
        if r.default:
            return r.activity
    return rows[0].activity


def detect_kind(text: str) -> tuple[str, str] | None:
    """Find the activity kind mentioned in ``text``: ``(kind, trigger phrase)`` or ``None``.

    Triggers are the keywords of each kind's default row. The earliest mention wins ("ran on
    the treadmill" is a run), and at the same position the longest phrase ("stationary bike"
    over "bike", "rowing machine" over "rowing"). "5k", "10k" and "treadmill" only count when
    no other activity is named ("10k steps" is a walk, "treadmill jog" a run).
    """
    pattern, kinds = _kind_triggers()
    matches = list(pattern.finditer(text.lower()))
    if not matches:
        return None
    # "10k steps", "5k row", "treadmill jog": a named activity wins over a distance or a machine
    named = [m for m in matches if m.group(1) not in _WEAK_TRIGGERS]
    match = (named or matches)[0]
    return kinds[match.group(1)], match.group(1)


WALK_MAX_KMH = 8.1
"""Faster than 5 mph (the Compendium's fastest walking row) is a run."""

_WEAK_TRIGGERS = frozenset({"5k", "10k", "treadmill"})


@lru_cache(maxsize=1)
def _kind_triggers() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern of every default row's keywords, longest first (so at one position the
    longest phrase wins), and the kind of each keyword's first row."""
    kinds: dict[str, str] = {}
    for r in _load():
        if r.default:
            for kw in r.keywords:
                if kw:
                    kinds.setdefault(kw, r.activity.kind)
    ordered = sorted(kinds, key=len, reverse=True)
    alternatives = "|".join(re.escape(kw) for kw in ordered) or "(?!)"
    return re.compile(r"(?<![a-z0-9.])(" + alternatives + r")(?![a-z])"), kinds


def find_activity(text: str, speed_kmh: float | None = None) -> Activity | None:
    """Activity described by free text (``"30 min spin class"``), or ``None``."""
    found = detect_kind(text)
    if found is None:
        return None
    return match_activity(found[0], speed_kmh, text=text)


def kcal_burned(met: float, weight_kg: float, minutes: float, *, net: bool = False) -> float:
    """Energy for an activity bout.

    Gross kcal = MET x kg x hours (the Compendium convention, 1 MET ~ 1 kcal/kg/h, includes
    resting metabolism). ``net=True`` subtracts the resting 1 MET. Result rounded to 0.1 kcal.
    """
    if met < 0 or weight_kg <= 0 or minutes < 0:
        raise ValueError("met, weight_kg and minutes must be non-negative (weight > 0)")
    effective = max(0.0, met - 1.0) if net else met
    return round(effective * weight_kg * minutes / 60.0, 1)
