"""Progressive overload, reductions, deloads and missed sessions, each with a reason."""

from __future__ import annotations

from fitcoach.domain.plans.adaptation import LoggedSet, adapt_workout, load_step
from fitcoach.domain.plans.workout import PlanDay, PlannedExercise, WorkoutPlan


def _item(exercise_id: str, muscles: tuple[str, ...], equipment: str = "barbell",
          role: str = "compound") -> PlannedExercise:
    return PlannedExercise(exercise_id, exercise_id.replace("_", " "), 3, 6, 10, 120, 2, role,
                           muscles, equipment)


BENCH = _item("Barbell_Bench_Press_-_Medium_Grip", ("chest",))
SQUAT = _item("Barbell_Squat", ("quadriceps",))
PUSHUP = _item("Pushups", ("chest",), "body only")
CURL = _item("Dumbbell_Bicep_Curl", ("biceps",), "dumbbell", "accessory")
PLAN = WorkoutPlan("full body", (
    PlanDay("Full body A", "Monday", (BENCH, SQUAT, PUSHUP, CURL), 60),
    PlanDay("Full body B", "Thursday", (SQUAT, CURL), 40),
))


def _sets(exercise_id: str, reps: list[int], weight: float | None) -> list[LoggedSet]:
    return [LoggedSet(exercise_id, r, weight, "s1") for r in reps]


def test_load_steps_by_body_region_and_equipment() -> None:
    assert load_step(BENCH) == 2.5 and load_step(SQUAT) == 5.0
    assert load_step(CURL) == 1.0


def test_targets_met_add_load_upper_and_lower() -> None:
    logs = _sets(BENCH.exercise_id, [10, 10, 10], 60) + _sets("Barbell_Squat", [10, 11, 10], 100)
    result = adapt_workout(PLAN, logs, sessions_done=2, planned_sessions=2)
    changes = {c.exercise_id: c for c in result.changes}
    assert changes[BENCH.exercise_id].kind == "increase_load"
    assert "62.5 kg" in changes[BENCH.exercise_id].after
    assert "105 kg" in changes["Barbell_Squat"].after
    squats = [e for e in result.workout.exercises() if e.exercise_id == "Barbell_Squat"]
    assert len(squats) == 2 and all(e.load_kg == 105 for e in squats)  # every day updated
    assert all(c.reason for c in result.changes)


def test_bodyweight_targets_met_add_a_set() -> None:
    result = adapt_workout(PLAN, _sets("Pushups", [10, 12, 10], None), sessions_done=2)
    (change,) = result.changes
    assert change.kind == "add_set" and change.after.startswith("4×")


def test_under_80_percent_reduces_load() -> None:
    logs = _sets(BENCH.exercise_id, [4, 3, 3], 80) + _sets("Barbell_Squat", [8, 8, 8], 100)
    result = adapt_workout(PLAN, logs)
    changes = {c.exercise_id: c for c in result.changes}
    assert changes[BENCH.exercise_id].kind == "reduce_load"
    assert "10 of 18" in changes[BENCH.exercise_id].reason
    assert "Barbell_Squat" not in changes  # in range: keep


def test_most_exercises_short_means_deload() -> None:
    logs = _sets(BENCH.exercise_id, [3, 3, 2], 80) + _sets("Barbell_Squat", [4, 3, 3], 120)
    result = adapt_workout(PLAN, logs)
    assert {c.kind for c in result.changes} == {"deload"}
    assert all(e.sets == 2 for e in result.workout.exercises())
    assert all(e.rir == 3 for e in result.workout.exercises())


def test_skipped_sessions_trim_accessory_volume() -> None:
    logs = _sets("Barbell_Squat", [8, 8, 8], 100)
    result = adapt_workout(PLAN, logs, sessions_done=1, planned_sessions=4)
    trims = [c for c in result.changes if c.kind == "reduce_volume"]
    assert trims and all("1 of 4 planned sessions" in c.reason for c in trims)
    assert all(e.sets == 2 for e in result.workout.exercises() if e.role == "accessory")


def test_no_logs_no_changes() -> None:
    assert adapt_workout(PLAN, []).changes == ()
