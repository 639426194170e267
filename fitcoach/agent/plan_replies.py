"""Replies for plan tool results (merged into ``replies._RENDERERS`` via PLAN_RENDERERS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _exercise_line(e: dict[str, Any]) -> str:
    load = f" @ {e['load_kg']:g} kg" if e.get("load_kg") else ""
    return f"• {e['name']}: {e['sets']}×{e['reps']}{load}, rest {e['rest_s']} s, RIR {e['rir']}"


def _day_block(day: dict[str, Any]) -> str:
    head = f"{day['weekday']} — {day['name']} (~{day['est_min']} min)"
    return "\n".join([head, *(_exercise_line(e) for e in day["exercises"])])


def _nutrition_line(n: dict[str, Any], care: bool) -> str:
    if care:
        return (f"Eat regular meals: about {n['kcal']} kcal and {n['protein_g']} g protein a "
                "day, no deficit.")
    return (f"Nutrition: {n['kcal']} kcal/day · protein {n['protein_g']} g · carbs "
            f"{n['carbs_g']} g · fat {n['fat_g']} g (maintenance ≈ {n['tdee']} kcal).")


def render_plan(result: dict[str, Any]) -> str:
    """get_plan: the week, nutrition and the key notes."""
    care = bool(result.get("safety", {}).get("care_mode"))
    intro = ("Here's your current plan" if result["status"] == "current"
             else "Your new plan is ready")
    lines = [f"{intro} (v{result['version']}, {result['split']}):", ""]
    for day in result["days"]:
        lines += [_day_block(day), ""]
    lines.append(_nutrition_line(result["nutrition"], care))
    notes = result.get("notes", [])[:4]
    if notes:
        lines.append("Notes:\n" + "\n".join(f"- {n}" for n in notes))
    if result.get("assumed"):
        lines.append("I assumed: " + ", ".join(result["assumed"]).replace("_", " ")
                     + ". Tell me if any of that is different.")
    return "\n".join(lines).strip()


def render_todays_workout(result: dict[str, Any]) -> str:
    """todays_workout: today's session, or the next one after a rest day."""
    if result["status"] == "no_plan":
        return str(result["message"])
    day = result["day"]
    if result["status"] == "rest_day":
        return (f"Today ({result['weekday']}) is a rest day. Next session in "
                f"{result['next_in_days']} day(s):\n" + _day_block(day))
    return "Today's workout:\n" + _day_block(day)


def render_swap(result: dict[str, Any]) -> str:
    """swap_exercise: alternatives, or the confirmed swap."""
    if result["status"] == "no_plan":
        return str(result["message"])
    if result["status"] == "swapped":
        return (f"Done: {result['name']} is now {result['new_name']} in your plan "
                f"(v{result['version']}).")
    options = result.get("options", [])
    if not options:
        return (f"I couldn't find a safe alternative for {result['name']} with your "
                "equipment. Want to add equipment or keep it?")
    lines = [f"Alternatives for {result['name']} (same muscles, your equipment):"]
    lines += [f"{i}. {o['name']} ({o['equipment']})" for i, o in enumerate(options, start=1)]
    lines.append("Which one should I put in your plan?")
    return "\n".join(lines)


def render_nutrition_targets(result: dict[str, Any]) -> str:
    """nutrition_targets: targets, eaten today and what is left."""
    if result["status"] == "no_plan":
        return str(result["message"])
    t, e, r = result["targets"], result["eaten"], result["remaining"]
    if result.get("care_mode"):
        return (f"Today you've had {e['kcal']:.0f} kcal and {e['protein_g']:g} g protein. "
                "Keep meals regular; there's no target to hit or to stay under.")
    return (
        f"Targets: {t['kcal']} kcal · protein {t['protein_g']} g · carbs {t['carbs_g']} g · "
        f"fat {t['fat_g']} g.\n"
        f"Today so far: {e['kcal']:.0f} kcal · protein {e['protein_g']:g} g · carbs "
        f"{e['carbs_g']:g} g · fat {e['fat_g']:g} g.\n"
        f"Left: {max(0, r['kcal'])} kcal · protein {max(0, r['protein_g'])} g."
    )


def render_adjust_plan(result: dict[str, Any]) -> str:
    """adjust_plan: each change with its reason."""
    if result["status"] == "no_plan":
        return str(result["message"])
    if result["status"] == "unchanged":
        return ("Your plan stays as it is: keep going and log your sets so I can adjust the "
                "loads.")
    lines = [f"I updated your plan (v{result['version']}):"]
    for c in result["changes"][:10]:
        lines.append(f"• {c['name']}: {c['before']} → {c['after']} ({c['reason']})")
    return "\n".join(lines)


PLAN_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "get_plan": render_plan,
    "todays_workout": render_todays_workout,
    "swap_exercise": render_swap,
    "nutrition_targets": render_nutrition_targets,
    "adjust_plan": render_adjust_plan,
}
