"""Strength maths: estimated one-rep max (Epley, Brzycki) and personal-record detection.

``estimate_1rm`` averages Epley and Brzycki for 2..10 reps (they bracket each other in that
range), uses Epley alone above 10 reps (Brzycki diverges as reps approach 37) and returns the
weight itself for a single. Estimates above ~12 reps are rough; PR detection still compares
them consistently because both sides use the same formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_RELIABLE_REPS = 12
"""Above this many reps e1RM estimates are rough (still computed)."""


def _check(weight_kg: float, reps: int) -> None:
    if weight_kg < 0:
        raise ValueError("weight_kg must be >= 0")
    if reps < 1:
        raise ValueError("reps must be >= 1")


def e1rm_epley(weight_kg: float, reps: int) -> float:
    """Epley: ``w x (1 + reps / 30)``; a single returns ``w``."""
    _check(weight_kg, reps)
    if reps == 1:
        return float(weight_kg)
    return weight_kg * (1.0 + reps / 30.0)


def e1rm_brzycki(weight_kg: float, reps: int) -> float:
    """Brzycki: ``w x 36 / (37 - reps)``; valid below 37 reps."""
    _check(weight_kg, reps)
    if reps >= 37:
        raise ValueError("Brzycki is undefined for reps >= 37")
    return weight_kg * 36.0 / (37.0 - reps)


def estimate_1rm(weight_kg: float, reps: int) -> float:
    """Estimated 1RM (kg, 0.1 precision): weight for 1 rep, mean of Epley and Brzycki for
    2..10 reps, Epley above 10."""
    _check(weight_kg, reps)
    if reps == 1:
        return round(float(weight_kg), 1)
    if reps <= 10:
        value = (e1rm_epley(weight_kg, reps) + e1rm_brzycki(weight_kg, reps)) / 2.0
    else:
        value = e1rm_epley(weight_kg, reps)
    return round(value, 1)


@dataclass(frozen=True, slots=True)
class LiftSet:
    """One performed set (weight ``None`` = bodyweight)."""

    exercise_id: str
    weight_kg: float | None
    reps: int


@dataclass(frozen=True, slots=True)
class PersonalBest:
    """Previous bests for one exercise; any field may be unknown (``None``)."""

    exercise_id: str
    e1rm_kg: float | None = None
    max_weight_kg: float | None = None
    max_reps: int | None = None  # most reps in one set (useful for bodyweight work)
    reps_at_weight: Mapping[float, int] | None = None  # heaviest reps done at a given weight


@dataclass(frozen=True, slots=True)
class PRHit:
    """A new set that beat a previous best. ``kinds`` lists which records fell:
    ``e1rm``, ``weight``, ``reps`` (max reps in a set) and ``reps_at_weight``."""

    set: LiftSet
    kinds: tuple[str, ...]
    e1rm_kg: float | None
    previous: PersonalBest | None


@dataclass(slots=True)
class _Best:
    """Mutable running bests used while folding sets."""

    e1rm: float | None = None
    weight: float | None = None
    reps: int | None = None
    raw: dict[float, int] | None = None

    def update(self, s: LiftSet) -> None:
        self.reps = s.reps if self.reps is None else max(self.reps, s.reps)
        if s.weight_kg is not None and s.weight_kg > 0:
            e1 = estimate_1rm(s.weight_kg, s.reps)
            self.e1rm = e1 if self.e1rm is None else max(self.e1rm, e1)
            self.weight = s.weight_kg if self.weight is None else max(self.weight, s.weight_kg)
            if self.raw is None:
                self.raw = {}
            self.raw[s.weight_kg] = max(self.raw.get(s.weight_kg, 0), s.reps)

    def freeze(self, exercise_id: str) -> PersonalBest:
        return PersonalBest(
            exercise_id=exercise_id,
            e1rm_kg=self.e1rm,
            max_weight_kg=self.weight,
            max_reps=self.reps,
            reps_at_weight=dict(self.raw or {}),
        )


def personal_bests(history: Iterable[LiftSet]) -> dict[str, PersonalBest]:
    """Fold past sets into per-exercise :class:`PersonalBest` records."""
    acc: dict[str, _Best] = {}
    for s in history:
        acc.setdefault(s.exercise_id, _Best()).update(s)
    return {eid: best.freeze(eid) for eid, best in acc.items()}


def detect_prs(
    history: Mapping[str, PersonalBest] | Iterable[LiftSet],
    new_sets: Iterable[LiftSet],
    *,
    min_gain_kg: float = 0.01,
) -> list[PRHit]:
    """Which of ``new_sets`` are personal records.

    ``history`` is either previous bests per exercise id (``{id: PersonalBest}``) or the raw
    past sets. New sets are evaluated in order and each PR raises the bar for the following
    sets, so three ascending sets in one session can all be PRs but a repeat cannot. An
    exercise without history is not reported (its first sets establish the baseline).
    Kinds: ``e1rm`` (higher estimated 1RM), ``weight`` (heaviest load), ``reps_at_weight``
    (more reps at a load used before) and, for bodyweight sets (``weight_kg`` None), ``reps``.
    """
    bests = dict(history) if isinstance(history, Mapping) else personal_bests(history)
    state: dict[str, _Best] = {
        eid: _Best(pb.e1rm_kg, pb.max_weight_kg, pb.max_reps, dict(pb.reps_at_weight or {}))
        for eid, pb in bests.items()
    }
    hits: list[PRHit] = []
    for s in new_sets:
        st = state.get(s.exercise_id)
        if st is None:
            state[s.exercise_id] = st = _Best()
            st.update(s)
            continue
        kinds: list[str] = []
        e1: float | None = None
        if s.weight_kg is not None and s.weight_kg > 0:
            e1 = estimate_1rm(s.weight_kg, s.reps)
            if st.e1rm is not None and e1 > st.e1rm + min_gain_kg:
                kinds.append("e1rm")
            if st.weight is not None and s.weight_kg > st.weight + min_gain_kg:
                kinds.append("weight")
            if st.raw and s.weight_kg in st.raw and s.reps > st.raw[s.weight_kg]:
                kinds.append("reps_at_weight")
        elif st.reps is not None and s.reps > st.reps:
            kinds.append("reps")
        st.update(s)
        if kinds:
            hits.append(PRHit(s, tuple(kinds), e1, bests.get(s.exercise_id)))
    return hits
