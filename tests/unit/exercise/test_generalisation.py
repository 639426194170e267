"""General workout rules added for phrasing the tuning sets never used (see bench/heldout.py)."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.workouts import CardioEntry, parse_workout


@pytest.mark.parametrize(
    ("text", "km"),
    [
        ("swam 40 lengths in a 50m pool", 2.0),
        ("swam 20 laps of the 25 m pool", 0.5),
        ("swam 30 lengths in a 25 yard pool", 30 * 0.0229),
    ],
)
def test_stated_pool_length_makes_laps_confident(text: str, km: float) -> None:
    p = parse_workout(text)
    assert p.confident
    (e,) = p.entries
    assert isinstance(e, CardioEntry)
    assert e.activity.kind == "swim"
    assert e.distance_km == pytest.approx(km, rel=0.01)


def test_pool_length_is_not_the_distance_when_a_time_is_given() -> None:
    (e,) = parse_workout("swam 20 lengths of a 25m pool in 15 min").entries
    assert isinstance(e, CardioEntry)
    assert e.duration_min == 15
    assert e.distance_km == pytest.approx(0.5)


def test_unknown_pool_length_still_asks() -> None:
    assert not parse_workout("swam 40 lengths").confident
