"""MET table and kcal maths."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.energy import (
    activities,
    detect_kind,
    find_activity,
    kcal_burned,
    match_activity,
)


def test_table_loads_with_compendium_codes() -> None:
    acts = activities()
    assert len(acts) > 80
    codes = {a.code: a for a in acts}
    assert codes["12030"].met == 8.3  # running 5 mph
    assert codes["02050"].met == 6.0  # weight lifting vigorous
    assert codes["02054"].met == 3.5  # weight lifting moderate
    assert all(len(a.code) == 5 and a.code.isdigit() for a in acts)


def test_kcal_gross_and_net() -> None:
    assert kcal_burned(8.0, 70, 60) == 560.0
    assert kcal_burned(8.0, 70, 60, net=True) == 490.0
    assert kcal_burned(1.0, 70, 30, net=True) == 0.0
    with pytest.raises(ValueError):
        kcal_burned(5.0, 0, 10)


@pytest.mark.parametrize(
    ("speed", "code"),
    [(8.0, "12030"), (10.0, "12050"), (11.1, "12070"), (16.0, "12120"), (None, "12150")],
)
def test_running_speed_bands(speed: float | None, code: str) -> None:
    assert match_activity("run", speed).code == code


def test_cycling_and_walking_bands() -> None:
    assert match_activity("cycle", 20.0).code == "01030"
    assert match_activity("cycle").code == "01015"
    assert match_activity("walk", 5.6).code == "17200"


def test_variants_from_text() -> None:
    assert match_activity("swim", text="swam breaststroke").code == "18265"
    assert match_activity("weights", text="heavy lifting").code == "02050"
    assert match_activity("weights").code == "02054"


def test_detect_kind() -> None:
    assert detect_kind("30 min on the rowing machine") == ("row", "rowing machine")
    assert detect_kind("had a banana") is None
    found = find_activity("45 min spin class")
    assert found is not None and found.kind == "stationary_bike"


def test_detect_kind_earliest_mention_then_longest_phrase() -> None:
    assert detect_kind("ran on the treadmill") == ("run", "ran")
    assert detect_kind("a swim, then a bike ride") == ("swim", "swim")
    assert detect_kind("stationary bike then a run") == ("stationary_bike", "stationary bike")
    assert detect_kind("Rowing machine, 20 min") == ("row", "rowing machine")
    assert detect_kind("rowingmachine") is None  # whole words only
    assert detect_kind("prerun stretches") is None


def test_unknown_kind_raises() -> None:
    with pytest.raises(KeyError):
        match_activity("teleporting")
