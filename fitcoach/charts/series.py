"""Chart series as plain values: what the queries return and the renderer draws.

Dates are local calendar dates and times are local (aware) datetimes of the person; masses are
kilograms and energy is kcal (the renderer converts units for display)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

OTHER = "other"
"""The group of muscles beyond the largest few, and of sets without a catalog exercise."""


@dataclass(frozen=True, slots=True)
class VolumeSeries:
    """Weekly volume (reps × load, kg) per primary muscle; weeks start on local Mondays."""

    week_starts: tuple[date, ...]
    by_muscle: dict[str, tuple[float, ...]]
    """Muscle -> volume per week, largest total first, ``other`` last."""
    timezone: str = "UTC"
    sets: int = 0

    @property
    def weekly_totals(self) -> tuple[float, ...]:
        """Total volume of each week."""
        return tuple(
            sum(values[i] for values in self.by_muscle.values())
            for i in range(len(self.week_starts))
        )

    @property
    def empty(self) -> bool:
        """True when nothing with a load was logged in the window."""
        return not any(self.weekly_totals)

    def summary(self) -> dict[str, Any]:
        """The key numbers (kg, rounded) for the caption."""
        totals = self.weekly_totals
        this_week = totals[-1] if totals else 0.0
        last_week = totals[-2] if len(totals) > 1 else 0.0
        change = round((this_week - last_week) / last_week * 100) if last_week else None
        per_muscle = {m: round(sum(v)) for m, v in self.by_muscle.items()}
        top = next(iter(per_muscle), None)
        return {
            "weeks": len(self.week_starts),
            "start": self.week_starts[0].isoformat() if self.week_starts else None,
            "total_kg": round(sum(totals)),
            "sets": self.sets,
            "this_week_kg": round(this_week),
            "last_week_kg": round(last_week),
            "change_pct": change,
            "per_muscle_kg": per_muscle,
            "top_muscle": top,
        }


@dataclass(frozen=True, slots=True)
class WeightPoint:
    """One weigh-in at its local time, with the 7-day rolling average at that moment."""

    at: datetime
    kg: float
    avg_kg: float


@dataclass(frozen=True, slots=True)
class WeightSeries:
    """Weigh-ins in the window (local times) and the goal weight, when known."""

    points: tuple[WeightPoint, ...]
    goal_kg: float | None = None
    timezone: str = "UTC"

    @property
    def empty(self) -> bool:
        """True without any weigh-in in the window."""
        return not self.points

    def summary(self) -> dict[str, Any]:
        """The key numbers (kg) for the caption."""
        if not self.points:
            return {"points": 0, "goal_kg": self.goal_kg}
        first, last = self.points[0], self.points[-1]
        days = (last.at.date() - first.at.date()).days
        change = last.avg_kg - first.avg_kg
        return {
            "points": len(self.points),
            "first_date": first.at.date().isoformat(),
            "last_date": last.at.date().isoformat(),
            "days": days,
            "latest_kg": round(last.kg, 1),
            "average_kg": round(last.avg_kg, 1),
            "change_kg": round(change, 1),
            "weekly_change_kg": round(change / days * 7, 2) if days >= 7 else None,
            "min_kg": round(min(p.kg for p in self.points), 1),
            "max_kg": round(max(p.kg for p in self.points), 1),
            "goal_kg": self.goal_kg,
            "to_goal_kg": round(self.goal_kg - last.avg_kg, 1) if self.goal_kg else None,
        }


@dataclass(frozen=True, slots=True)
class CaloriesSeries:
    """Calories eaten per local day (None: nothing logged) and the plan's daily target."""

    days: tuple[date, ...]
    kcal: tuple[float | None, ...]
    target_kcal: int | None = None
    care_mode: bool = False
    """The plan asks for regular meals without a target: draw no target line."""
    timezone: str = "UTC"

    @property
    def empty(self) -> bool:
        """True when no meal was logged in the window."""
        return all(value is None for value in self.kcal)

    def summary(self) -> dict[str, Any]:
        """The key numbers (kcal) for the caption."""
        logged = [v for v in self.kcal if v is not None]
        result: dict[str, Any] = {
            "days": len(self.days),
            "start": self.days[0].isoformat() if self.days else None,
            "end": self.days[-1].isoformat() if self.days else None,
            "days_logged": len(logged),
            "average_kcal": round(sum(logged) / len(logged)) if logged else None,
            "today_kcal": round(self.kcal[-1]) if self.kcal and self.kcal[-1] is not None else None,
            "target_kcal": self.target_kcal,
            "care_mode": self.care_mode,
        }
        if self.target_kcal and logged:
            band = 0.1 * self.target_kcal
            result["days_over"] = sum(1 for v in logged if v > self.target_kcal + band)
            result["days_under"] = sum(1 for v in logged if v < self.target_kcal - band)
            result["days_on_target"] = len(logged) - result["days_over"] - result["days_under"]
        return result
