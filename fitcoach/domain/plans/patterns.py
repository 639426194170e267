"""Movement patterns (what a slot in a day needs) and the day templates of each split."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pattern:
    """A movement slot: which catalog exercises fit it, and the preferred ones first."""

    name: str
    label: str
    muscles: frozenset[str]
    role: str  # "compound" or "accessory"
    force: str | None = None
    mechanic: str | None = None
    staples: tuple[str, ...] = ()


def _p(
    name: str,
    label: str,
    muscles: set[str],
    role: str,
    force: str | None,
    mechanic: str | None,
    staples: str,
) -> Pattern:
    return Pattern(name, label, frozenset(muscles), role, force, mechanic, tuple(staples.split()))


PATTERNS: dict[str, Pattern] = {
    p.name: p
    for p in (
        _p(
            "squat",
            "squat",
            {"quadriceps"},
            "compound",
            "push",
            "compound",
            "Barbell_Squat Goblet_Squat Leg_Press Dumbbell_Squat Hack_Squat Smith_Machine_Squat "
            "Front_Squats_With_Two_Kettlebells Split_Squat_with_Dumbbells Dumbbell_Lunges "
            "Squats_-_With_Bands Bodyweight_Squat Chair_Squat Single-Leg_High_Box_Squat",
        ),
        _p(
            "hinge",
            "hip hinge",
            {"hamstrings", "glutes", "lower back"},
            "compound",
            None,
            None,
            "Romanian_Deadlift Barbell_Deadlift Stiff-Legged_Dumbbell_Deadlift Barbell_Hip_Thrust "
            "Pull_Through One-Arm_Kettlebell_Swings Kettlebell_One-Legged_Deadlift "
            "Hip_Lift_with_Band Band_Good_Morning Physioball_Hip_Bridge Single_Leg_Glute_Bridge "
            "Butt_Lift_Bridge Glute_Kickback",
        ),
        _p(
            "glute",
            "glutes",
            {"glutes", "hamstrings"},
            "accessory",
            None,
            None,
            "Barbell_Hip_Thrust Barbell_Glute_Bridge Pull_Through Single_Leg_Glute_Bridge "
            "Butt_Lift_Bridge Hip_Lift_with_Band Physioball_Hip_Bridge Glute_Kickback "
            "One-Legged_Cable_Kickback",
        ),
        _p(
            "hpush",
            "horizontal press",
            {"chest"},
            "compound",
            "push",
            "compound",
            "Barbell_Bench_Press_-_Medium_Grip Dumbbell_Bench_Press Incline_Dumbbell_Press "
            "Machine_Bench_Press Pushups Cable_Chest_Press "
            "Barbell_Incline_Bench_Press_-_Medium_Grip "
            "Leverage_Chest_Press Bench_Press_-_With_Bands Incline_Push-Up "
            "Push-Ups_With_Feet_On_An_Exercise_Ball One-Arm_Kettlebell_Floor_Press",
        ),
        _p(
            "vpush",
            "overhead press",
            {"shoulders"},
            "compound",
            "push",
            "compound",
            "Standing_Military_Press Dumbbell_Shoulder_Press Seated_Dumbbell_Press "
            "Machine_Shoulder_Military_Press Two-Arm_Kettlebell_Military_Press "
            "Shoulder_Press_-_With_Bands Cable_Shoulder_Press Leverage_Shoulder_Press",
        ),
        _p(
            "hpull",
            "row",
            {"middle back", "lats"},
            "compound",
            "pull",
            "compound",
            "Bent_Over_Barbell_Row One-Arm_Dumbbell_Row Seated_Cable_Rows "
            "Bent_Over_Two-Dumbbell_Row Leverage_High_Row T-Bar_Row_with_Handle "
            "One-Arm_Kettlebell_Row Dumbbell_Incline_Row Inverted_Row_with_Straps Suspended_Row",
        ),
        _p(
            "vpull",
            "pull-down / pull-up",
            {"lats"},
            "compound",
            "pull",
            "compound",
            "Pullups Wide-Grip_Lat_Pulldown Chin-Up Close-Grip_Front_Lat_Pulldown "
            "Band_Assisted_Pull-Up Underhand_Cable_Pulldowns V-Bar_Pulldown Leverage_Iso_Row",
        ),
        _p(
            "biceps",
            "biceps",
            {"biceps"},
            "accessory",
            None,
            "isolation",
            "Barbell_Curl Dumbbell_Bicep_Curl Hammer_Curls EZ-Bar_Curl Standing_Biceps_Cable_Curl "
            "Machine_Bicep_Curl Incline_Dumbbell_Curl Cable_Hammer_Curls_-_Rope_Attachment",
        ),
        _p(
            "triceps",
            "triceps",
            {"triceps"},
            "accessory",
            None,
            "isolation",
            "Triceps_Pushdown Standing_Dumbbell_Triceps_Extension EZ-Bar_Skullcrusher "
            "Machine_Triceps_Extension Triceps_Pushdown_-_Rope_Attachment Tricep_Dumbbell_Kickback "
            "Band_Skull_Crusher Body_Tricep_Press Standing_Towel_Triceps_Extension",
        ),
        _p(
            "lateral",
            "shoulders",
            {"shoulders"},
            "accessory",
            None,
            "isolation",
            "Side_Lateral_Raise Cable_Seated_Lateral_Raise Lateral_Raise_-_With_Bands "
            "Reverse_Flyes Reverse_Machine_Flyes Cable_Rear_Delt_Fly Band_Pull_Apart "
            "Seated_Side_Lateral_Raise",
        ),
        _p(
            "fly",
            "chest fly",
            {"chest"},
            "accessory",
            None,
            "isolation",
            "Dumbbell_Flyes Cable_Crossover Butterfly Low_Cable_Crossover Incline_Cable_Flye",
        ),
        _p(
            "hamcurl",
            "hamstring curl",
            {"hamstrings"},
            "accessory",
            None,
            "isolation",
            "Lying_Leg_Curls Seated_Leg_Curl Ball_Leg_Curl Standing_Leg_Curl "
            "Seated_Band_Hamstring_Curl",
        ),
        _p(
            "quadiso",
            "quads",
            {"quadriceps"},
            "accessory",
            None,
            "isolation",
            "Leg_Extensions Single-Leg_Leg_Extension",
        ),
        _p(
            "calves",
            "calves",
            {"calves"},
            "accessory",
            None,
            None,
            "Standing_Calf_Raises Seated_Calf_Raise Standing_Dumbbell_Calf_Raise "
            "Calf_Press_On_The_Leg_Press_Machine Calf_Raises_-_With_Bands "
            "Dumbbell_Seated_One-Leg_Calf_Raise",
        ),
        _p(
            "core",
            "core",
            {"abdominals"},
            "accessory",
            None,
            None,
            "Plank Cable_Crunch Pallof_Press Reverse_Crunch Flat_Bench_Lying_Leg_Raise "
            "Ab_Crunch_Machine Crunches Exercise_Ball_Crunch Side_Bridge",
        ),
    )
}

Slot = tuple[str, int]
"""(pattern name, variant): variant 1 picks the second-best exercise for the pattern."""

TEMPLATES: dict[str, tuple[Slot, ...]] = {
    "Full body A": (
        ("squat", 0),
        ("hpush", 0),
        ("hpull", 0),
        ("hinge", 0),
        ("lateral", 0),
        ("core", 0),
        ("triceps", 0),
        ("biceps", 0),
    ),
    "Full body B": (
        ("hinge", 1),
        ("vpush", 0),
        ("vpull", 0),
        ("squat", 1),
        ("hamcurl", 0),
        ("fly", 0),
        ("core", 1),
        ("calves", 0),
    ),
    "Full body C": (
        ("squat", 2),
        ("hpush", 1),
        ("vpull", 1),
        ("glute", 0),
        ("hpull", 1),
        ("lateral", 1),
        ("core", 2),
        ("biceps", 1),
    ),
    "Upper A": (
        ("hpush", 0),
        ("hpull", 0),
        ("vpush", 0),
        ("vpull", 0),
        ("lateral", 0),
        ("triceps", 0),
        ("biceps", 0),
        ("fly", 0),
    ),
    "Lower A": (
        ("squat", 0),
        ("hinge", 0),
        ("glute", 0),
        ("hamcurl", 0),
        ("quadiso", 0),
        ("calves", 0),
        ("core", 0),
    ),
    "Upper B": (
        ("vpush", 1),
        ("vpull", 1),
        ("hpush", 1),
        ("hpull", 1),
        ("lateral", 1),
        ("biceps", 1),
        ("triceps", 1),
        ("core", 1),
    ),
    "Lower B": (
        ("hinge", 1),
        ("squat", 1),
        ("glute", 1),
        ("hamcurl", 1),
        ("calves", 1),
        ("core", 2),
        ("quadiso", 1),
    ),
    "Push": (
        ("hpush", 0),
        ("vpush", 0),
        ("hpush", 1),
        ("lateral", 0),
        ("triceps", 0),
        ("fly", 0),
        ("triceps", 1),
    ),
    "Pull": (
        ("vpull", 0),
        ("hpull", 0),
        ("hpull", 1),
        ("lateral", 2),
        ("biceps", 0),
        ("biceps", 1),
        ("core", 0),
    ),
    "Legs": (
        ("squat", 0),
        ("hinge", 0),
        ("glute", 0),
        ("hamcurl", 0),
        ("quadiso", 0),
        ("calves", 0),
        ("core", 1),
    ),
    "Push B": (
        ("vpush", 1),
        ("hpush", 2),
        ("vpush", 2),
        ("fly", 1),
        ("lateral", 1),
        ("triceps", 2),
        ("triceps", 1),
    ),
    "Pull B": (
        ("hpull", 2),
        ("vpull", 1),
        ("vpull", 2),
        ("lateral", 3),
        ("biceps", 2),
        ("biceps", 3),
        ("core", 2),
    ),
    "Legs B": (
        ("hinge", 1),
        ("squat", 1),
        ("glute", 1),
        ("hamcurl", 1),
        ("calves", 1),
        ("core", 3),
        ("quadiso", 1),
    ),
    "Core & recovery": (("core", 0), ("glute", 2), ("core", 1), ("lateral", 4), ("core", 2)),
}

SPLITS: dict[int, tuple[str, tuple[str, ...]]] = {
    1: ("full body", ("Full body A",)),
    2: ("full body", ("Full body A", "Full body B")),
    3: ("full body", ("Full body A", "Full body B", "Full body C")),
    4: ("upper/lower", ("Upper A", "Lower A", "Upper B", "Lower B")),
    5: ("upper/lower + push/pull/legs", ("Upper A", "Lower A", "Push", "Pull", "Legs")),
    6: ("push/pull/legs", ("Push", "Pull", "Legs", "Push B", "Pull B", "Legs B")),
    7: (
        "push/pull/legs + recovery",
        ("Push", "Pull", "Legs", "Push B", "Pull B", "Legs B", "Core & recovery"),
    ),
}

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SCHEDULES: dict[int, tuple[int, ...]] = {
    1: (0,),
    2: (0, 3),
    3: (0, 2, 4),
    4: (0, 1, 3, 4),
    5: (0, 1, 2, 4, 5),
    6: (0, 1, 2, 3, 4, 5),
    7: (0, 1, 2, 3, 4, 5, 6),
}
"""Weekday indexes (Monday = 0) of the training days, rest days spread out."""

LOWER_BODY_MUSCLES = frozenset(
    {"quadriceps", "hamstrings", "glutes", "calves", "adductors", "abductors", "lower back"}
)
