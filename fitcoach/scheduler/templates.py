"""Offline message templates from ``prompts/proactive.yaml`` (validated with pydantic)."""

from __future__ import annotations

import hashlib
import string
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from fitcoach.scheduler import triggers as t
from fitcoach.scheduler.triggers import TriggerContext

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
COMMON = {"name", "goal", "rhythm", "streak_weeks", "weekday"}
PLACEHOLDERS: dict[str, set[str]] = {
    t.REMINDER: {"text"},
    t.INACTIVITY: {"missed_day", "last_workout", "days_since"},
    t.MEAL: {"meal"},
    t.WEEKLY_SUMMARY: {"workouts", "volume", "kcal_part", "streak_part"},
    t.PR: {"exercise", "weight", "previous", "others_part"},
    t.STREAK: {"weeks", "per_week"},
    t.MILESTONE: {"percent", "current", "target", "remaining"},
    t.DEADLINE: {"deadline", "days_left", "progress_part"},
}
LB_PER_KG = 2.20462262


class TemplateError(ValueError):
    """proactive.yaml is missing or invalid; the message names the problem."""


class ProactiveTemplates(BaseModel):
    """Variants per trigger (≥ 3 each), with only the placeholders the trigger provides."""

    model_config = ConfigDict(extra="forbid")

    templates: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ProactiveTemplates:
        for trigger, allowed in PLACEHOLDERS.items():
            variants = self.templates.get(trigger)
            if not variants or len(variants) < 3:
                raise ValueError(f"templates.{trigger}: needs at least 3 variants")
            for variant in variants:
                names = {f for _, f, _, _ in string.Formatter().parse(variant) if f}
                unknown = names - allowed - COMMON
                if unknown:
                    raise ValueError(f"templates.{trigger}: unknown placeholder(s) {unknown}")
        extra = set(self.templates) - set(PLACEHOLDERS)
        if extra:
            raise ValueError(f"templates: unknown trigger(s) {sorted(extra)}")
        return self

    def render(self, context: TriggerContext) -> str:
        """The variant chosen by the key's hash, filled in."""
        variants = self.templates[context.trigger]
        digest = hashlib.sha256(context.key.encode()).digest()
        variant = variants[int.from_bytes(digest[:4], "big") % len(variants)]
        values = _Blank(context.fields())
        values.update(present(context.trigger, context.facts, context.unit_system))
        return " ".join(variant.format_map(values).split())


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def load_templates(path: Path) -> ProactiveTemplates:
    """Read and validate one templates file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ProactiveTemplates.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f"{path}: cannot read: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise TemplateError(f"{path}: {problems}") from exc


@cache
def proactive_templates(prompts_dir: Path = DEFAULT_PROMPTS_DIR) -> ProactiveTemplates:
    """Templates from ``prompts_dir/proactive.yaml``, falling back to the packaged file."""
    path = prompts_dir / "proactive.yaml"
    if not path.exists():
        path = DEFAULT_PROMPTS_DIR / "proactive.yaml"
    return load_templates(path)


def weight_text(kg: float | None, units: str) -> str:
    """A weight in the person's units."""
    if kg is None:
        return "?"
    if units == "imperial":
        return f"{kg * LB_PER_KG:.1f} lb"
    return f"{kg:g} kg"


def present(trigger: str, facts: dict[str, Any], units: str) -> dict[str, Any]:
    """Display strings derived from the raw facts of a trigger."""
    w = lambda key: weight_text(facts.get(key), units)  # noqa: E731
    if trigger == t.PR:
        others = facts.get("others")
        return {"weight": w("weight_kg"), "previous": w("previous_kg"),
                "others_part": f" Also new bests on: {others}." if others else ""}
    if trigger == t.MILESTONE:
        return {"current": w("current_kg"), "target": w("target_kg"),
                "remaining": w("remaining_kg")}
    if trigger == t.DEADLINE:
        part = ""
        if facts.get("remaining_kg") is not None:
            part = f" You're at {w('current_kg')}, {w('remaining_kg')} from {w('target_kg')}."
        return {"progress_part": part}
    if trigger == t.WEEKLY_SUMMARY:
        kcal = facts.get("avg_kcal")
        streak = facts.get("streak_weeks_now") or 0
        volume = facts.get("volume_kg") or 0.0
        return {
            "volume": (f"{volume * LB_PER_KG:,.0f} lb" if units == "imperial"
                       else f"{volume:,.0f} kg"),
            "kcal_part": f", and about {kcal:,.0f} kcal a day on the {facts.get('meal_days')} "
            "days you logged meals" if kcal else "",
            "streak_part": f" Week streak: {streak}." if streak >= 2 else "",
        }
    return {}
