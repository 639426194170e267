"""Adapt a workout to what was logged: progressive overload, or less volume / a deload."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from fitcoach.domain.plans.patterns import LOWER_BODY_MUSCLES
from fitcoach.domain.plans.workout import PlannedExercise, WorkoutPlan

UNDERPERFORMANCE = 0.8
ADHERENCE = 0.8
DELOAD_SHARE = 0.5
MAX_SETS = 5
MAX_REPS = 30


@dataclass(frozen=True, slots=True)
class LoggedSet:
    """One performed set; ``session`` groups sets of the same workout (a date or an id)."""

    exercise_id: str
    reps: int
    weight_kg: float | None = None
    session: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One adjustment with its reason."""

    kind: str
    exercise_id: str | None
    name: str
    before: str
    after: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Adaptation:
    """The adapted workout and what changed."""

    workout: WorkoutPlan
    changes: tuple[Change, ...]

    @property
    def summary(self) -> str:
        """One line for a version's reason."""
        if not self.changes:
            return "no change"
        kinds = sorted({c.kind for c in self.changes})
        return f"{len(self.changes)} change(s): " + ", ".join(kinds)


def load_step(item: PlannedExercise) -> float:
    """+5 kg lower / +2.5 kg upper body; with dumbbells or kettlebells +2 / +1 kg."""
    lower = bool(set(item.primary_muscles) & LOWER_BODY_MUSCLES)
    if item.equipment in {"dumbbell", "kettlebells"}:
        return 2.0 if lower else 1.0
    return 5.0 if lower else 2.5


def _dose(item: PlannedExercise) -> str:
    load = f" @ {item.load_kg:g} kg" if item.load_kg else ""
    return f"{item.sets}×{item.reps}{load}"


def _assess(item: PlannedExercise, sets: list[LoggedSet]) -> tuple[str, PlannedExercise, str]:
    """(kind, new item, reason) for one exercise; kind "keep" means unchanged."""
    top = max((s.weight_kg or 0.0) for s in sets)
    planned_reps = item.sets * item.reps_min
    done = sum(min(s.reps, item.reps_max) for s in sets)
    at_top = [s for s in sets if (s.weight_kg or 0.0) >= top and s.reps >= item.reps_max]
    if len(at_top) >= item.sets:
        if top > 0:
            new = top + load_step(item)
            return ("increase_load", replace(item, load_kg=new),
                    f"all {item.sets} sets reached {item.reps_max} reps at {top:g} kg")
        if item.sets < MAX_SETS:
            return ("add_set", replace(item, sets=item.sets + 1),
                    f"all sets reached {item.reps_max} reps with body weight")
        low, high = min(item.reps_min + 2, MAX_REPS), min(item.reps_max + 2, MAX_REPS)
        return ("add_reps", replace(item, reps_min=low, reps_max=high),
                f"all sets reached {item.reps_max} reps with body weight")
    if done < UNDERPERFORMANCE * planned_reps:
        reason = (f"{done} of {planned_reps} planned reps ({done / planned_reps:.0%}), "
                  f"under {UNDERPERFORMANCE:.0%}")
        if top > 0:
            lighter = max(0.0, math.floor(top * 0.9 / 2.5) * 2.5)
            return "reduce_load", replace(item, load_kg=lighter), reason
        if item.sets > 1:
            return "reduce_volume", replace(item, sets=item.sets - 1), reason
    return "keep", item, "within the planned range"


def adapt_workout(
    workout: WorkoutPlan,
    logs: Sequence[LoggedSet],
    *,
    sessions_done: int | None = None,
    planned_sessions: int | None = None,
) -> Adaptation:
    """Apply the rules in docs/plans.md to every logged exercise of the plan."""
    by_id: dict[str, list[LoggedSet]] = defaultdict(list)
    for s in logs:
        by_id[s.exercise_id].append(s)
    if sessions_done is None and logs and all(s.session for s in logs):
        sessions_done = len({s.session for s in logs})
    if planned_sessions is None:
        planned_sessions = len(workout.days)
    decisions: dict[str, tuple[str, PlannedExercise, str]] = {}
    for item in workout.exercises():
        if item.exercise_id in by_id and item.exercise_id not in decisions:
            decisions[item.exercise_id] = _assess(item, by_id[item.exercise_id])
    under = [k for k, (kind, _, _) in decisions.items() if kind.startswith("reduce")]
    if len(under) >= 2 and len(under) / len(decisions) > DELOAD_SHARE:
        return _deload(workout, f"{len(under)} of {len(decisions)} logged exercises were under "
                                f"{UNDERPERFORMANCE:.0%} of the planned reps")
    changes: list[Change] = []
    result = workout
    for exercise_id, (kind, new, reason) in decisions.items():
        if kind == "keep":
            continue
        old = next(e for e in workout.exercises() if e.exercise_id == exercise_id)
        result = _apply(result, exercise_id, lambda e, n=new: replace(
            e, sets=n.sets, reps_min=n.reps_min, reps_max=n.reps_max, load_kg=n.load_kg))
        changes.append(Change(kind, exercise_id, old.name, _dose(old), _dose(new), reason))
    if (
        sessions_done is not None
        and planned_sessions > 0
        and sessions_done < ADHERENCE * planned_sessions
    ):
        result, extra = _trim_accessories(result, sessions_done, planned_sessions)
        changes.extend(extra)
    return Adaptation(result, tuple(changes))


def _apply(workout: WorkoutPlan, exercise_id: str, update: Any) -> WorkoutPlan:
    days = tuple(
        replace(day, exercises=tuple(
            update(e) if e.exercise_id == exercise_id else e for e in day.exercises))
        for day in workout.days
    )
    return replace(workout, days=days)


def _deload(workout: WorkoutPlan, reason: str) -> Adaptation:
    changes = []
    days = []
    for day in workout.days:
        items = []
        for e in day.exercises:
            load = math.floor(e.load_kg * 0.9 / 2.5) * 2.5 if e.load_kg else e.load_kg
            new = replace(e, sets=max(1, math.ceil(e.sets / 2)), rir=min(5, e.rir + 1),
                          load_kg=load)
            items.append(new)
            changes.append(Change("deload", e.exercise_id, e.name, _dose(e), _dose(new),
                                  f"deload week: {reason}"))
        days.append(replace(day, exercises=tuple(items)))
    return Adaptation(replace(workout, days=tuple(days)), tuple(changes))


def _trim_accessories(
    workout: WorkoutPlan, done: int, planned: int
) -> tuple[WorkoutPlan, list[Change]]:
    reason = (f"{done} of {planned} planned sessions done: a shorter session is easier to keep "
              "up; consider fewer days a week")
    changes: list[Change] = []
    days = []
    for day in workout.days:
        items = []
        for e in day.exercises:
            if e.role == "accessory" and e.sets > 1:
                new = replace(e, sets=e.sets - 1)
                changes.append(Change("reduce_volume", e.exercise_id, f"{day.name}: {e.name}",
                                      _dose(e), _dose(new), reason))
                e = new
            items.append(e)
        days.append(replace(day, exercises=tuple(items)))
    return replace(workout, days=tuple(days)), changes
