"""Captions for show_chart results (merged into ``replies.renderers()`` via CHART_RENDERERS), and
the chart images of a turn (for ``AgentReply.images``).

Captions carry the key numbers: some channels show only the text."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage

from fitcoach.channels.base import Attachment

LB_PER_KG = 2.20462262


def render_chart(result: dict[str, Any]) -> str:
    """show_chart: the caption, or the friendly no-data text."""
    if result.get("status") != "ok":
        return str(result.get("message", "There's nothing to chart yet."))
    summary = result.get("summary") or {}
    units = str(result.get("unit_system", "metric"))
    kind = result.get("kind")
    if kind == "volume":
        return _volume(summary, units)
    if kind == "weight":
        return _weight(summary, units)
    return _calories(summary)


def _volume(s: dict[str, Any], units: str) -> str:
    lines = [
        f"Your weekly training volume by muscle, last {s['weeks']} weeks: "
        f"{_mass(s['total_kg'], units)} in {s['sets']} sets."
    ]
    week = f"This week so far: {_mass(s['this_week_kg'], units)}"
    if s.get("change_pct") is not None:
        week += f" ({_pct(s['change_pct'])} vs last week's {_mass(s['last_week_kg'], units)})"
    lines.append(week + ".")
    muscles = [(m, kg) for m, kg in (s.get("per_muscle_kg") or {}).items() if m != "other" and kg]
    muscles.sort(key=lambda item: -item[1])
    if muscles:
        top = ", ".join(f"{m} {_mass(kg, units)}" for m, kg in muscles[:3])
        lines.append(f"Most volume: {top}.")
    return "\n".join(lines)


def _weight(s: dict[str, Any], units: str) -> str:
    if s.get("points") == 1:
        lines = [
            f"Your first weigh-in on the chart: {_mass(s['latest_kg'], units, 1)} "
            f"({_day(s['last_date'])}). Log a few more and the 7-day average will show the trend."
        ]
        if s.get("goal_kg") is not None:
            lines.append(f"Goal: {_mass(s['goal_kg'], units, 1)}.")
        return "\n".join(lines)
    lines = [
        f"Your body-weight trend since {_day(s['first_date'])}: 7-day average "
        f"{_mass(s['average_kg'], units, 1)} (latest weigh-in {_mass(s['latest_kg'], units, 1)}, "
        f"{s['points']} weigh-in(s))."
    ]
    if s.get("days"):
        change = f"Change: {_signed_mass(s['change_kg'], units)} over {s['days']} days"
        if s.get("weekly_change_kg") is not None:
            change += f" (≈ {_signed_mass(s['weekly_change_kg'], units, 2)}/week)"
        lines.append(change + ".")
    if s.get("goal_kg") is not None and s.get("to_goal_kg") is not None:
        to_go = float(s["to_goal_kg"])
        if abs(to_go) < 0.3:
            lines.append(f"Goal {_mass(s['goal_kg'], units, 1)}: you're right at it.")
        else:
            lines.append(
                f"Goal {_mass(s['goal_kg'], units, 1)}: {_mass(abs(to_go), units, 1)} to go."
            )
    return "\n".join(lines)


def _calories(s: dict[str, Any]) -> str:
    span = f"{_day(s['start'])} – {_day(s['end'])}"
    lines = [
        f"Your daily calories, {span}: average {s['average_kcal']:,} kcal over "
        f"{s['days_logged']} logged day(s)."
    ]
    if s.get("today_kcal") is not None:
        lines.append(f"Today so far: {s['today_kcal']:,} kcal.")
    if s.get("care_mode"):
        lines.append("Keep meals regular; there's no target to hit or to stay under.")
    elif s.get("target_kcal"):
        line = f"Target {s['target_kcal']:,} kcal a day"
        if "days_on_target" in s:
            line += (
                f": {s['days_on_target']} day(s) within ±10%, {s['days_over']} over, "
                f"{s['days_under']} under"
            )
        lines.append(line + ".")
    else:
        lines.append("Ask me for a plan and I'll add your daily calorie target to this chart.")
    return "\n".join(lines)


def _mass(kg: float, units: str, decimals: int = 0) -> str:
    if units == "imperial":
        return f"{kg * LB_PER_KG:,.{decimals}f} lb"
    return f"{kg:,.{decimals}f} kg"


def _signed_mass(kg: float, units: str, decimals: int = 1) -> str:
    text = _mass(abs(kg), units, decimals)
    if round(kg, decimals) == 0:
        return f"±{text}"
    return f"+{text}" if kg > 0 else f"−{text}"


def _pct(value: float) -> str:
    return f"+{value:g}%" if value > 0 else f"−{abs(value):g}%" if value < 0 else "±0%"


def _day(iso: str | None) -> str:
    if not iso:
        return "the start"
    day = date.fromisoformat(iso)
    return f"{day.day} {day:%b}"


def images_from_turn(
    turn: Iterable[BaseMessage], allowed_root: Path | None = None
) -> list[Attachment]:
    """The images that this turn's tool results point to (files that exist; with
    ``allowed_root``, only files under it), in order and without duplicates."""
    root: Path | None = None  # resolved only when a result names an image (file system calls)
    images: list[Attachment] = []
    seen: set[str] = set()
    for message in turn:
        if not isinstance(message, ToolMessage) or not isinstance(message.content, str):
            continue
        try:
            result = json.loads(message.content)
        except ValueError:
            continue
        image = result.get("image") if isinstance(result, dict) else None
        if not isinstance(image, dict) or not isinstance(image.get("path"), str):
            continue
        path = Path(image["path"]).resolve()
        if str(path) in seen or not path.is_file():
            continue
        if allowed_root is not None:
            root = root or allowed_root.resolve()
            if not path.is_relative_to(root):
                continue
        seen.add(str(path))
        images.append(
            Attachment(
                kind="image",
                mime_type=str(image.get("mime_type") or "image/png"),
                ref=str(path),
                size_bytes=path.stat().st_size,
            )
        )
    return images


CHART_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {"show_chart": render_chart}
