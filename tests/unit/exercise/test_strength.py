"""e1RM formulas and PR detection."""

from __future__ import annotations

import pytest

from fitcoach.domain.exercise.strength import (
    LiftSet,
    PersonalBest,
    detect_prs,
    e1rm_brzycki,
    e1rm_epley,
    estimate_1rm,
    personal_bests,
)

BENCH = "Barbell_Bench_Press_-_Medium_Grip"


def test_formulas() -> None:
    assert e1rm_epley(100, 5) == pytest.approx(116.667, abs=0.01)
    assert e1rm_brzycki(100, 5) == pytest.approx(112.5)
    assert e1rm_epley(100, 1) == 100
    assert e1rm_brzycki(100, 1) == 100
    assert estimate_1rm(100, 1) == 100
    assert estimate_1rm(100, 5) == pytest.approx((116.667 + 112.5) / 2, abs=0.1)
    assert estimate_1rm(50, 20) == pytest.approx(e1rm_epley(50, 20), abs=0.1)
    with pytest.raises(ValueError):
        estimate_1rm(100, 0)
    with pytest.raises(ValueError):
        e1rm_brzycki(100, 37)


def test_detect_prs_against_bests() -> None:
    history = {BENCH: PersonalBest(BENCH, e1rm_kg=estimate_1rm(80, 5), max_weight_kg=85)}
    new = [LiftSet(BENCH, 80, 5), LiftSet(BENCH, 82.5, 5), LiftSet(BENCH, 90, 1)]
    hits = detect_prs(history, new)
    assert [h.set.weight_kg for h in hits] == [82.5, 90]
    assert "e1rm" in hits[0].kinds
    assert "weight" in hits[1].kinds


def test_detect_prs_from_raw_history_and_session_progression() -> None:
    past = [LiftSet(BENCH, 80, 5), LiftSet(BENCH, 80, 6)]
    bests = personal_bests(past)
    assert bests[BENCH].reps_at_weight == {80: 6}
    hits = detect_prs(past, [LiftSet(BENCH, 80, 7), LiftSet(BENCH, 80, 7)])
    assert len(hits) == 1
    assert "reps_at_weight" in hits[0].kinds


def test_bodyweight_rep_pr_and_no_baseline() -> None:
    past = [LiftSet("Pullups", None, 10)]
    hits = detect_prs(past, [LiftSet("Pullups", None, 12), LiftSet("Chin-Up", None, 15)])
    assert len(hits) == 1
    assert hits[0].kinds == ("reps",)
