"""Workout-log parsing rules."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.workouts import CardioEntry, StrengthEntry, parse_workout


def _strength(text: str) -> list[StrengthEntry]:
    out = [e for e in parse_workout(text).entries if isinstance(e, StrengthEntry)]
    return out


def test_bench_3x5_at_80kg() -> None:
    p = parse_workout("bench 3x5 at 80kg")
    assert p.confident
    assert len(p.entries) == 1
    e = p.entries[0]
    assert isinstance(e, StrengthEntry)
    assert e.exercise.id == "Barbell_Bench_Press_-_Medium_Grip"
    assert (e.sets, e.reps, e.weight_kg) == (3, (5, 5, 5), 80.0)


@pytest.mark.parametrize(
    "text",
    [
        "had 2 large eggs and a banana",
        "had 2 large eggs and a banana for breakfast",
        "how am I doing today?",
        "I weigh 80 kg",
        "undo",
        "hello",
        "2 slices of pizza",
        "",
    ],
)
def test_non_workout_messages_are_not_confident(text: str) -> None:
    p = parse_workout(text)
    assert not p.confident
    assert p.entries == ()


@pytest.mark.parametrize(
    ("text", "eid", "sets", "reps", "kg"),
    [
        ("squat 5 sets of 5 at 100 kg", "Barbell_Full_Squat", 5, (5,) * 5, 100.0),
        ("squat 5x5 100kg", "Barbell_Full_Squat", 5, (5,) * 5, 100.0),
        ("db curls 10,10,8 with 20 kg dumbbells", "Dumbbell_Bicep_Curl", 3, (10, 10, 8), 20.0),
        ("3x12 pushups", "Pushups", 3, (12,) * 3, None),
        ("bench 3 x 10 @ 135 lbs", "Barbell_Bench_Press_-_Medium_Grip", 3, (10,) * 3, 61.23),
        ("did 20 pushups", "Pushups", 1, (20,), None),
        ("deadlift 140kg x 5", "Barbell_Deadlift", 1, (5,), 140.0),
        ("three sets of ten pull ups", "Pullups", 3, (10,) * 3, None),
    ],
)
def test_strength_patterns(
    text: str, eid: str, sets: int, reps: tuple[int, ...], kg: float | None
) -> None:
    entries = _strength(text)
    assert len(entries) == 1, text
    e = entries[0]
    assert (e.exercise.id, e.sets, e.reps, e.weight_kg) == (eid, sets, reps, kg)


def test_rpe_and_rir() -> None:
    (e,) = _strength("bench 100kg 5x5 RPE 8")
    assert (e.sets, e.reps, e.weight_kg, e.rpe) == (5, (5,) * 5, 100.0, 8.0)
    (e,) = _strength("squat 3x5 @ RIR 2")
    assert e.rir == 2.0 and e.rpe is None


def test_multiple_exercises_in_one_message() -> None:
    p = parse_workout("squat 5x5 100kg, bench 3x8 60kg and 3x10 pullups")
    assert p.confident
    ids = [e.exercise.id for e in p.entries if isinstance(e, StrengthEntry)]
    assert ids == ["Barbell_Full_Squat", "Barbell_Bench_Press_-_Medium_Grip", "Pullups"]


def test_rep_list_without_exercise_is_unmatched() -> None:
    p = parse_workout("10,10,8 reps with 20 kg dumbbells")
    assert not p.confident
    assert p.unmatched


def test_run_with_distance_and_time_uses_pace() -> None:
    (e,) = parse_workout("ran 5k in 27 min", body_weight_kg=70).entries
    assert isinstance(e, CardioEntry)
    assert e.activity.kind == "run"
    assert e.activity.code == "12070"  # 11.1 km/h -> running 7 mph band
    assert (e.duration_min, e.distance_km) == (27.0, 5.0)
    assert e.kcal == pytest.approx(11.0 * 70 * 27 / 60, abs=0.1)


@pytest.mark.parametrize(
    ("text", "kind", "minutes", "km"),
    [
        ("cycled 40 min", "cycle", 40.0, None),
        ("swam 1500 m", "swim", None, 1.5),
        ("walked 3 miles", "walk", None, 4.828),
        ("30 min on the rowing machine", "row", 30.0, None),
        ("ran on the treadmill for 30 minutes", "run", 30.0, None),
    ],
)
def test_cardio(text: str, kind: str, minutes: float | None, km: float | None) -> None:
    p = parse_workout(text)
    assert p.confident
    (e,) = p.entries
    assert isinstance(e, CardioEntry)
    assert e.activity.kind == kind
    assert e.duration_min == minutes
    if km is None:
        assert e.distance_km is None
    else:
        assert e.distance_km == pytest.approx(km, rel=0.001)
    assert (e.kcal is None) == (minutes is None)


@pytest.mark.parametrize(
    "text",
    [
        "I want to run a 5k next month",
        "should I bench 3 times a week?",
        "is 3x5 better than 5x5?",
        "what is my bench PR?",
        "going to the gym later",
    ],
)
def test_questions_and_plans_are_not_logs(text: str) -> None:
    p = parse_workout(text)
    assert not p.confident
    assert p.entries == ()


@pytest.mark.parametrize(
    ("text", "eid", "sets", "reps", "kg"),
    [
        ("squatted 120kg for 5 reps", "Barbell_Full_Squat", 1, (5,), 120.0),
        ("benched 100 for 3x3", "Barbell_Bench_Press_-_Medium_Grip", 3, (3,) * 3, 100.0),
        ("hit a 140kg deadlift single", "Barbell_Deadlift", 1, (1,), 140.0),
        ("lat pulldown 3 x 12 x 50kg", "Wide-Grip_Lat_Pulldown", 3, (12,) * 3, 50.0),
        ("squat 100 x 5 x 5", "Barbell_Full_Squat", 5, (5,) * 5, 100.0),
        (
            "bench: 80kg x 5, 80kg x 5, 80kg x 4",
            "Barbell_Bench_Press_-_Medium_Grip",
            3,
            (5, 5, 4),
            80.0,
        ),
        (
            "bench 4 sets: 10, 8, 6, 6 @ 70kg",
            "Barbell_Bench_Press_-_Medium_Grip",
            4,
            (10, 8, 6, 6),
            70.0,
        ),
        ("did 50 squats", "Bodyweight_Squat", 1, (50,), None),
        ("incline db 3x10 @ 26kg", "Incline_Dumbbell_Press", 3, (10,) * 3, 26.0),
        ("leg press 3x12 200kg", "Leg_Press", 3, (12,) * 3, 200.0),
    ],
)
def test_more_strength_shapes(
    text: str, eid: str, sets: int, reps: tuple[int, ...], kg: float | None
) -> None:
    entries = _strength(text)
    assert len(entries) == 1, text
    e = entries[0]
    assert (e.exercise.id, e.sets, e.reps, e.weight_kg) == (eid, sets, reps, kg)


def test_rpe_after_at_sign_is_not_a_weight() -> None:
    (e,) = _strength("bench 3x5 @8")
    assert e.weight_kg is None and e.rpe == 8.0


def test_unit_less_weight_lowers_confidence_slightly() -> None:
    (e,) = _strength("squats 3x5 at 100")
    assert e.weight_kg == 100.0
    assert e.confidence < 1.0


def test_laps_are_parsed_but_not_confident() -> None:
    p = parse_workout("swam 30 laps")
    (e,) = p.entries
    assert isinstance(e, CardioEntry)
    assert e.distance_km == pytest.approx(0.75)
    assert not p.confident


def test_pace_and_clock_time() -> None:
    (e,) = parse_workout("ran 8km at 5:30/km pace").entries
    assert isinstance(e, CardioEntry)
    assert e.duration_min == pytest.approx(44.0)
    (e,) = parse_workout("ran 5k in 25:30").entries
    assert isinstance(e, CardioEntry)
    assert e.duration_min == pytest.approx(25.5)


def test_mixed_cardio_and_strength() -> None:
    p = parse_workout("ran 10k and then did 3x15 pushups")
    assert p.confident
    assert isinstance(p.entries[0], CardioEntry)
    assert isinstance(p.entries[1], StrengthEntry)


def test_lb_conversion_two_decimals() -> None:
    (e,) = _strength("ohp 3x8 95lb")
    assert e.weight_kg == 43.09


def _cardio(text: str) -> CardioEntry:
    parsed = parse_workout(text)
    assert parsed.confident, text
    (entry,) = parsed.entries
    assert isinstance(entry, CardioEntry)
    return entry


@pytest.mark.parametrize(
    ("text", "minutes", "km"),
    [
        # a short distance in "m:ss" was read as hours and minutes: 105 min for 500 m
        ("rowed 500m in 1:45", 1.75, 0.5),
        ("ran 1k in 3:45", 3.75, 1.0),
        ("swam 100m in 1:30", 1.5, 0.1),
        # long efforts stay hours and minutes
        ("ran a marathon in 3:30", 210.0, 42.195),
        ("cycled 60km in 2:15", 135.0, 60.0),
        # a time of day is not a duration
        ("ran 5k at 7:30 this morning", None, 5.0),
        ("walked 30 min at 5:45pm", 30.0, None),
    ],
)
def test_clock_times(text: str, minutes: float | None, km: float | None) -> None:
    entry = _cardio(text)
    assert (entry.duration_min, entry.distance_km) == (minutes, km)


@pytest.mark.parametrize(
    ("text", "kind", "km"),
    [
        # "10k" was a run trigger, also inside "15k" and before another activity
        ("10k steps today", "walk", 7.62),
        ("15k steps", "walk", 11.43),
        ("10k bike ride", "cycle", 10.0),
        # thousands separators: "10,000 steps" was 0 km
        ("10,000 steps today", "walk", 7.62),
        ("8,500 steps", "walk", 6.477),
        ("swam 1,500m", "swim", 1.5),
        # a treadmill is where a run or a walk happens
        ("30 min treadmill jog", "run", None),
        ("treadmill 30 min at 6 mph", "run", None),
    ],
)
def test_activity_kind(text: str, kind: str, km: float | None) -> None:
    entry = _cardio(text)
    assert entry.activity.kind == kind
    assert entry.distance_km == pytest.approx(km, abs=0.01) if km else entry.distance_km is None


@pytest.mark.parametrize(
    "text",
    [
        # someone else's session, habits, wishes, advice, frequencies, long ago
        "my husband ran 10k in 50 min",
        "she swam 2k",
        "I usually do 3x10 on curls",
        "coach said do 3x8 bench at 70kg",
        "wish I could run 10k in 45 min",
        "Any tips for my 5k in 25 min",
        "I ran 10k last year in 50 min",
        "squatted 3 times this week",
        "went running 3 times this week",
        # a marathon trained for or watched
        "training for a marathon",
        "watched the london marathon today",
        # sets without reps were one set of five reps
        "did 5 sets of squats",
        "10 wings",  # kettlebell swings
    ],
)
def test_not_a_log_of_this_persons_session(text: str) -> None:
    assert not parse_workout(text).confident


@pytest.mark.parametrize(
    ("text", "sets", "reps", "kg"),
    [
        # "20 pushups x 3" was one set of 3 at 20 kg
        ("20 pushups x 3", 3, 20, None),
        ("20 pushups 3 times", 3, 20, None),
        ("squat 5x5 at 75%", 5, 5, None),  # 75 kg
        ("bench 3x5 w/ 100kg", 3, 5, 100.0),  # a barbell row ("bench w")
        ("weighted dips 3x8, weight 20kg", 3, 8, 20.0),
    ],
)
def test_sets_reps_and_load(text: str, sets: int, reps: int, kg: float | None) -> None:
    (entry,) = _strength(text)
    assert (entry.sets, entry.reps[0], entry.weight_kg) == (sets, reps, kg)


@pytest.mark.parametrize(
    ("text", "kg"),
    [
        ("bench 80kg, 3 sets of 8", 80.0),
        ("squat 60kg, 3 sets of 10", 60.0),
        ("bench, 3 sets of 8", None),
    ],
)
def test_load_named_before_the_sets(text: str, kg: float | None) -> None:
    """The load of "bench 80kg" was dropped when the sets followed after a comma."""
    (entry,) = _strength(text)
    assert (entry.sets, entry.weight_kg) == (3, kg)


def test_football_is_soccer() -> None:
    entry = _cardio("played football for an hour")
    assert (entry.activity.kind, entry.duration_min) == ("soccer", 60.0)


@pytest.mark.parametrize(
    ("text", "unit", "kg"),
    [
        ("bench 225x5", "lb", 102.06),
        ("bench 225x5", "kg", 225.0),
        ("bench press 4x10 at 135", "lb", 61.23),
        ("squat 3x5 at 100kg", "lb", 100.0),  # a stated unit stays
    ],
)
def test_unitless_load_takes_the_persons_unit(text: str, unit: str, kg: float) -> None:
    (entry,) = parse_workout(text, unitless_load=unit).entries
    assert isinstance(entry, StrengthEntry) and entry.weight_kg == kg


def test_a_unitless_load_for_reps() -> None:
    """ "deadlift 140 for 3" was not understood (only "140kg for 3" was)."""
    (entry,) = _strength("deadlift 140 for 3")
    assert (entry.sets, entry.reps, entry.weight_kg) == (1, (3,), 140.0)


def test_a_parkrun_is_a_5k_run() -> None:
    entry = _cardio("parkrun 24:10")
    assert (entry.activity.kind, entry.distance_km, entry.duration_min) == ("run", 5.0, 24.17)


def test_a_load_in_pounds_said_after_it() -> None:
    (entry,) = _strength("squat 3x5 at 225 in pounds")
    assert entry.weight_kg == 102.06


@pytest.mark.parametrize("text", ["deadlift 315 x 5", "cycled 200km this month"])
def test_implausible_or_totals_are_asked_about(text: str) -> None:
    """A 315 kg deadlift for 5 is far likelier 315 lb; a month's total is not one ride."""
    assert not parse_workout(text).confident


def test_a_heavy_unitless_load_needs_its_unit() -> None:
    (heavy,) = _strength("deadlift 315 x 5")
    (stated,) = _strength("deadlift 315kg x 1")
    (light,) = _strength("deadlift 180 x 5")
    assert heavy.load_needs_unit and not stated.load_needs_unit and not light.load_needs_unit


@pytest.mark.parametrize(
    ("text", "sets", "reps", "kg", "rpe"),
    [
        # "rpe 200kg" was RPE 200 and a 9 kg load
        ("deadlift 1x3 @ 9 rpe 200kg", 1, 3, 200.0, 9.0),
        # "3 sets 70kg" backtracked into 7 reps at 0 kg
        ("bench 8 reps 3 sets 70kg", 3, 8, 70.0, None),
    ],
)
def test_rpe_and_sets_keep_their_numbers(
    text: str, sets: int, reps: int, kg: float, rpe: float | None
) -> None:
    (entry,) = _strength(text)
    assert (entry.sets, entry.reps[0], entry.weight_kg, entry.rpe) == (sets, reps, kg, rpe)


def test_a_drop_set_keeps_every_set() -> None:
    """ "x10, 5kg" was read as the decimal "10.5 kg" and the last set was lost."""
    loads = [e.weight_kg for e in _strength("drop set lateral raises 10kg x12, 7.5kg x10, 5kg x15")]
    assert loads == [10.0, 7.5, 5.0]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("7:30 ran 5k", None),  # a time of day, not 7.5 minutes
        ("18:00 spin class 45 mins", 45.0),
        ("easy run 40 min zone 2 hr 140", 40.0),  # "2 hr" was two hours
    ],
)
def test_times_of_day_and_heart_rate_are_not_durations(text: str, minutes: float | None) -> None:
    assert _cardio(text).duration_min == minutes


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("ran 10km in 1 hr 30 min", 90.0), ("ran 10km in 1hr 5mins", 65.0), ("45:00 run", 45.0)],
)
def test_hours_and_minutes_stay_durations(text: str, minutes: float) -> None:
    assert _cardio(text).duration_min == minutes


def test_a_superset_logs_both_exercises() -> None:
    """The curls were dropped and the extensions took their 12 kg."""
    entries = _strength("superset: bicep curls 3x12 12kg / tricep extensions 3x12 20kg")
    assert [(e.exercise.id, e.weight_kg) for e in entries] == [
        ("Barbell_Curl", 12.0),
        ("Standing_Dumbbell_Triceps_Extension", 20.0),
    ]


def test_horse_riding_is_not_cycling() -> None:
    """"riding" was the bicycling row's keyword."""
    entry = _cardio("horse riding 1 hour")
    assert (entry.activity.code, entry.duration_min) == ("15370", 60.0)
