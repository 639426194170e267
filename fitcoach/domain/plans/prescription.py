"""Sets, reps, rest and RIR by goal, level and role (compound lift or accessory).

Ranges follow the ACSM progression position stand (2009) and Schoenfeld et al. (2017, 2021):
strength 3-5 x 3-6 with ~3 min rest; hypertrophy 3-4 x 6-12 with 90-120 s; muscular
endurance / fat loss 2-3 x 12-20 with short rest; beginners do fewer sets. RIR 1-3.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVEL_INDEX = {"beginner": 0, "intermediate": 1, "expert": 2}


@dataclass(frozen=True, slots=True)
class Prescription:
    """Dose for one exercise."""

    sets: int
    reps_min: int
    reps_max: int
    rest_s: int
    rir: int

    @property
    def reps(self) -> str:
        """Rep range as text, always "lo-hi" (e.g. "6-10")."""
        return f"{self.reps_min}-{self.reps_max}"


# goal -> role -> (sets by level, reps range by level, rest_s, rir by level)
_Table = dict[str, tuple[tuple[int, int, int], tuple[tuple[int, int], ...], int, tuple[int, ...]]]
TABLE: dict[str, _Table] = {
    "strength": {
        "compound": ((3, 4, 5), ((4, 6), (3, 5), (3, 5)), 180, (3, 2, 1)),
        "accessory": ((2, 3, 3), ((6, 10), (6, 10), (6, 10)), 120, (2, 2, 2)),
    },
    "hypertrophy": {
        "compound": ((3, 3, 4), ((6, 10), (6, 10), (6, 10)), 120, (3, 2, 1)),
        "accessory": ((2, 3, 4), ((8, 12), (8, 12), (8, 12)), 90, (2, 2, 1)),
    },
    "fat_loss": {
        "compound": ((2, 3, 3), ((10, 15), (10, 15), (10, 15)), 60, (3, 2, 2)),
        "accessory": ((2, 3, 3), ((12, 15), (12, 15), (12, 15)), 45, (2, 2, 2)),
    },
    "endurance": {
        "compound": ((2, 3, 3), ((15, 20), (15, 20), (15, 20)), 45, (3, 2, 2)),
        "accessory": ((2, 2, 3), ((15, 20), (15, 20), (15, 20)), 45, (2, 2, 2)),
    },
    "general": {
        "compound": ((2, 3, 3), ((8, 12), (8, 12), (8, 12)), 90, (3, 2, 2)),
        "accessory": ((2, 2, 3), ((10, 15), (10, 15), (10, 15)), 60, (3, 2, 2)),
    },
}

#: Allowed ranges per goal, used by the safety check (beginner minimum .. expert maximum).
GOAL_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    goal: {
        "sets": (min(min(r[0]) for r in roles.values()), max(max(r[0]) for r in roles.values())),
        "reps": (
            min(lo for r in roles.values() for lo, _ in r[1]),
            max(hi for r in roles.values() for _, hi in r[1]),
        ),
        "rest_s": (min(r[2] for r in roles.values()), max(r[2] for r in roles.values())),
        "rir": (min(min(r[3]) for r in roles.values()), max(max(r[3]) for r in roles.values())),
    }
    for goal, roles in TABLE.items()
}


def prescribe(goal: str, level: str, role: str) -> Prescription:
    """The dose for an exercise of ``role`` ("compound" or "accessory")."""
    sets, reps, rest, rir = TABLE[goal][role]
    index = LEVEL_INDEX[level]
    low, high = reps[index]
    return Prescription(sets=sets[index], reps_min=low, reps_max=high, rest_s=rest, rir=rir[index])


def exercise_minutes(p: Prescription, work_s: int = 40, transition_s: int = 90) -> float:
    """Rough time for all sets of one exercise, rests and set-up included."""
    return (p.sets * (work_s + p.rest_s) + transition_s) / 60
