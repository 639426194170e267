"""Plan: a workout week, nutrition targets, notes and the safety report, as one value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fitcoach.domain.plans.nutrition import NutritionTargets
from fitcoach.domain.plans.profile import PlanProfile, profile_from_mapping
from fitcoach.domain.plans.workout import WorkoutPlan


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the coach prescribes for one profile."""

    profile: PlanProfile
    workout: WorkoutPlan
    nutrition: NutritionTargets
    notes: tuple[str, ...] = ()
    safety: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The CLI / tool shape: workout, nutrition, notes, safety (+ the profile used)."""
        return {
            "workout": self.workout.as_dict(),
            "nutrition": self.nutrition.as_dict(),
            "notes": list(self.notes),
            "safety": self.safety,
            "profile": self.profile.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """Inverse of :meth:`as_dict` (the profile key is required)."""
        nutrition = dict(data["nutrition"])
        nutrition["limited_by"] = tuple(nutrition.get("limited_by") or ())
        nutrition["notes"] = tuple(nutrition.get("notes") or ())
        known = set(NutritionTargets.__dataclass_fields__)
        return cls(
            profile=profile_from_mapping(data["profile"]),
            workout=WorkoutPlan.from_dict(data["workout"]),
            nutrition=NutritionTargets(**{k: v for k, v in nutrition.items() if k in known}),
            notes=tuple(data.get("notes") or ()),
            safety=dict(data.get("safety") or {}),
        )
