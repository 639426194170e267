"""PNG rendering: signature, phone-friendly size, determinism, data sensitivity, empty input."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime, timedelta

import pytest

from fitcoach.charts.render import EmptySeries, render_calories, render_volume, render_weight
from fitcoach.charts.series import CaloriesSeries, VolumeSeries, WeightPoint, WeightSeries

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
WEEKS = tuple(date(2026, 1, 5) + timedelta(weeks=i) for i in range(4))
DAYS = tuple(date(2026, 2, 1) + timedelta(days=i) for i in range(7))


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_SIGNATURE) and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _volume(chest: float = 1000.0) -> VolumeSeries:
    return VolumeSeries(
        week_starts=WEEKS,
        by_muscle={"chest": (chest, 0.0, 1200.0, 900.0), "other": (0.0, 300.0, 0.0, 100.0)},
        timezone="Europe/Berlin",
        sets=20,
    )


def _weight(last: float = 80.0, goal: float | None = 78.0) -> WeightSeries:
    t0 = datetime(2026, 1, 1, 7, tzinfo=UTC)
    kgs = [82.0, 81.6, 81.9, 81.0, last]
    points = tuple(
        WeightPoint(at=t0 + timedelta(days=3 * i), kg=kg, avg_kg=kg) for i, kg in enumerate(kgs)
    )
    return WeightSeries(points=points, goal_kg=goal)


def _calories(first: float | None = 1900.0, target: int | None = 2000) -> CaloriesSeries:
    return CaloriesSeries(
        days=DAYS, kcal=(first, 2300.0, None, 2050.0, 1700.0, None, 800.0), target_kcal=target
    )


@pytest.mark.parametrize(
    "render",
    [
        lambda: render_volume(_volume()),
        lambda: render_weight(_weight()),
        lambda: render_calories(_calories()),
        lambda: render_volume(_volume(), "imperial"),
        lambda: render_weight(_weight(goal=None), "imperial"),
        lambda: render_calories(_calories(target=None)),
    ],
)
def test_png_is_phone_sized_and_deterministic(render: object) -> None:
    assert callable(render)
    first, second = render(), render()
    assert _size(first) == (1000, 700)
    assert 10_000 < len(first) < 400_000
    assert first == second


def test_png_differs_when_data_differ() -> None:
    assert render_volume(_volume(1000)) != render_volume(_volume(1500))
    assert render_weight(_weight(80.0)) != render_weight(_weight(79.0))
    assert render_weight(_weight(goal=78.0)) != render_weight(_weight(goal=None))
    assert render_calories(_calories(1900)) != render_calories(_calories(1800))
    assert render_calories(_calories(target=2000)) != render_calories(_calories(target=None))
    assert render_volume(_volume()) != render_volume(_volume(), "imperial")


def test_a_single_weigh_in_renders() -> None:
    one = WeightSeries(points=(WeightPoint(datetime(2026, 1, 1, tzinfo=UTC), 70.0, 70.0),))
    assert _size(render_weight(one)) == (1000, 700)


def test_empty_series_raise() -> None:
    with pytest.raises(EmptySeries):
        render_volume(VolumeSeries(week_starts=WEEKS, by_muscle={}))
    with pytest.raises(EmptySeries):
        render_weight(WeightSeries(points=()))
    with pytest.raises(EmptySeries):
        render_calories(CaloriesSeries(days=DAYS, kcal=(None,) * 7, target_kcal=2000))
