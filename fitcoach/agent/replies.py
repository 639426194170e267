"""Turns tool results (JSON) into short, specific coach replies. Used by the offline model."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

LB_PER_KG = 2.20462262


def render_tool_result(content: str) -> str:
    """A friendly sentence or two for one tool result."""
    try:
        result = json.loads(content)
    except (TypeError, ValueError):
        return str(content)
    if not isinstance(result, dict):
        return str(content)
    if result.get("status") == "needs_clarification":
        return render_question(result)
    if result.get("status") == "error":
        return str(result.get("message", "Something went wrong with that."))
    renderer = renderers().get(str(result.get("tool")))
    return renderer(result) if renderer else json.dumps(result)


def render_question(result: dict[str, Any]) -> str:
    """A clarifying question, with numbered options when there are some."""
    lines = [str(result.get("question", "Could you say that again in other words?"))]
    for index, option in enumerate(result.get("options") or [], start=1):
        lines.append(f"{index}. {option['name']}")
    if result.get("options"):
        lines.append("Reply with the number, or describe it more precisely.")
    return "\n".join(lines)


def _weight(kg: float | None, units: str) -> str:
    if kg is None:
        return "bodyweight"
    if units == "imperial":
        return f"{kg * LB_PER_KG:.1f} lb"
    return f"{kg:g} kg"


def _meal(result: dict[str, Any]) -> str:
    items = result["items"]
    label = result.get("meal_type") or "meal"
    parts = [
        f"{i['name']} — {i['portion']}, {i['grams']:g} g, {i['kcal']:.0f} kcal"
        if i.get("portion")
        else f"{i['name']} — {i['grams']:g} g, {i['kcal']:.0f} kcal"
        for i in items
    ]
    t = result["totals"]
    text = (
        f"Logged your {label}:\n" + "\n".join("• " + p for p in parts) + "\n"
        f"Meal total: {t['kcal']:.0f} kcal · protein {t['protein_g']:g} g · "
        f"carbs {t['carbs_g']:g} g · fat {t['fat_g']:g} g."
    )
    assumed = [i["name"] for i in items if i.get("assumed_portion")]
    if assumed:
        text += (
            "\nI assumed a typical serving for: "
            + ", ".join(assumed)
            + " (tell me if it was more or less)."
        )
    day = result.get("day_totals")
    if day:
        text += f"\nToday so far: {day['kcal']:.0f} kcal, {day['protein_g']:g} g protein."
    return text


def _workout(result: dict[str, Any]) -> str:
    units = str(result.get("unit_system", "metric"))
    lines = []
    for e in result["entries"]:
        if e["type"] == "strength":
            reps = e["reps"]
            scheme = (
                f"{e['sets']}×{reps[0]}"
                if len(set(reps)) == 1
                else " / ".join(str(r) for r in reps) + " reps"
            )
            line = f"{e['name']} {scheme} @ {_weight(e['weight_kg'], units)}"
            if e.get("rpe") is not None:
                line += f" RPE {e['rpe']:g}"
            if e.get("rir") is not None:
                line += f" RIR {e['rir']:g}"
            if e.get("e1rm_kg"):
                line += f" (estimated 1RM ≈ {_weight(round(e['e1rm_kg']), units)})"
        else:
            bits = [e["activity"]]
            if e.get("distance_km"):
                bits.append(f"{e['distance_km']:g} km")
            if e.get("duration_min"):
                bits.append(f"{e['duration_min']:g} min")
            line = ", ".join(bits)
            if e.get("kcal") is not None:
                line += f" ≈ {e['kcal']:.0f} kcal (MET {e['met']:g})"
        lines.append("• " + line)
    text = "Logged your workout:\n" + "\n".join(lines)
    for pr in result.get("personal_records", []):
        text += (
            f"\nNew personal best on {pr['name']}: {_weight(pr['weight_kg'], units)} "
            f"(previous {_weight(pr['previous_kg'], units)}). Great work!"
        )
    if result.get("body_weight_assumed") and any(e["type"] == "cardio" for e in result["entries"]):
        text += "\n(Energy uses 70 kg body weight until you tell me yours.)"
    return text


def _body_weight(result: dict[str, Any]) -> str:
    units = result.get("unit_system", "metric")
    text = f"Logged your weight: {_weight(result['weight_kg'], units)}."
    change = result.get("change_kg")
    if change:
        direction = "down" if change < 0 else "up"
        text += f" That's {direction} {_weight(abs(change), units)} since last time."
    return text


def _progress(result: dict[str, Any]) -> str:
    t = result["totals"]
    period = "Today" if result["period"] == "today" else "This week"
    if not t["meals"] and not t["workouts"] and t["latest_weight_kg"] is None:
        return f"{period} you haven't logged anything yet. Tell me what you ate or trained!"
    lines = [
        f"{period}: {t['kcal']:.0f} kcal from {t['meals']} meal(s) · protein "
        f"{t['protein_g']:g} g · carbs {t['carbs_g']:g} g · fat {t['fat_g']:g} g."
    ]
    if t["workouts"]:
        training = f"{t['workouts']} workout(s)"
        if t["sets"]:
            training += f", {t['sets']} sets, {t['volume_kg']:.0f} kg volume"
        if t["cardio_min"]:
            training += f", {t['cardio_min']:.0f} min cardio ≈ {t['cardio_kcal']:.0f} kcal"
        lines.append(f"Training: {training} ({', '.join(t['exercises'])}).")
    else:
        lines.append("No workouts logged yet.")
    if t["latest_weight_kg"] is not None:
        lines.append(
            f"Latest weight: {_weight(t['latest_weight_kg'], result.get('unit_system', 'metric'))}."
        )
    return "\n".join(lines)


def _undo(result: dict[str, Any]) -> str:
    if result["status"] == "nothing":
        return "There's nothing to undo yet."
    return f"Done, I removed your last entry ({result['description']})."


def _profile(result: dict[str, Any]) -> str:
    p = result["profile"]
    labels = {
        "name": "name",
        "sex": "sex",
        "birth_year": "birth year",
        "height_cm": "height (cm)",
        "weight_kg": "weight (kg)",
        "timezone": "timezone",
        "unit_system": "units",
        "goal": "goal",
    }
    changed = ", ".join(f"{labels.get(k, k)}: {p.get(k)}" for k in result["changed"])
    return f"Got it, I updated your profile ({changed})."


def _photo(result: dict[str, Any]) -> str:
    status = result["status"]
    if status == "logged":
        names = ", ".join(f"{i['name']} ({i['grams']:g} g)" for i in result["items"])
        return f"Logged your meal from the photo: {names} — {result['kcal']} kcal in total."
    if status == "cancelled":
        return "OK, I didn't log it. Tell me what you ate in words whenever you like."
    return str(result.get("message", "I couldn't read that photo."))


_RENDERERS = {
    "analyze_food_photo": _photo,
    "log_meal": _meal,
    "log_workout": _workout,
    "log_body_weight": _body_weight,
    "check_progress": _progress,
    "undo_last_entry": _undo,
    "update_profile": _profile,
}


def renderers() -> dict[str, Callable[[dict[str, Any]], str]]:
    """Every tool's renderer: the core ones plus those of plans (and later features)."""
    from fitcoach.agent.chart_replies import CHART_RENDERERS
    from fitcoach.agent.memory_replies import MEMORY_RENDERERS
    from fitcoach.agent.personality_replies import PERSONALITY_RENDERERS
    from fitcoach.agent.plan_replies import PLAN_RENDERERS
    from fitcoach.agent.reminder_replies import REMINDER_RENDERERS

    return {
        **_RENDERERS,
        **PLAN_RENDERERS,
        **MEMORY_RENDERERS,
        **CHART_RENDERERS,
        **REMINDER_RENDERERS,
        **PERSONALITY_RENDERERS,
    }
