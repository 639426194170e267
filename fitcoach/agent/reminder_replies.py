"""Replies for reminder tool results (merge into ``replies._RENDERERS`` via REMINDER_RENDERERS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _set(result: dict[str, Any]) -> str:
    r = result["reminder"]
    when = f"at {r['time_local']} {r['recurrence']}"
    nxt = f" (next: {r['next']})" if r.get("next") else ""
    return f"Done — I'll remind you to {r['text']} {when}{nxt}. Say “stop reminding me” any time."


def _list(result: dict[str, Any]) -> str:
    settings = result.get("settings", {})
    lines = [f"• {r['text']} — {r['time_local']} {r['recurrence']}" for r in result["reminders"]]
    head = "Your reminders:" if lines else "You have no reminders set."
    extra = [f"Quiet hours: {settings.get('quiet_hours')}."]
    if not settings.get("nudges", True):
        extra.append("Check-ins are off.")
    if settings.get("meal_reminders"):
        extra.append("Meal reminders are on.")
    if settings.get("paused_until"):
        extra.append(f"Everything is paused until {settings['paused_until']}.")
    return "\n".join([head, *lines, " ".join(extra)])


def _stop(result: dict[str, Any]) -> str:
    stopped = result.get("stopped") or []
    if not stopped:
        return "You don't have any active reminders to stop."
    if len(stopped) == 1:
        return f"OK, I stopped your reminder to {stopped[0]}."
    return f"OK, I stopped all {len(stopped)} of your reminders."


def _pause(result: dict[str, Any]) -> str:
    return (f"Paused — no reminders or check-ins until {result['until']}. "
            "Say “resume reminders” to turn them back on sooner.")


def _quiet(result: dict[str, Any]) -> str:
    text = f"Got it: I won't message you between {result['start']} and {result['end']}."
    held = result.get("reminders_in_quiet_hours") or []
    if held:
        text += " Note: these reminders now fall in your quiet hours and won't be sent: " + (
            ", ".join(held) + ".")
    return text


def _opt_out(result: dict[str, Any]) -> str:
    what = result.get("what")
    if what == "meal_reminders":
        return "OK, no more meal reminders."
    if what == "all":
        return "OK, I'll only reply when you write to me — no check-ins or reminders."
    return ("OK, no more check-ins from me. Reminders you set still come; say “stop "
            "reminding me” to end those too.")


def _opt_in(result: dict[str, Any]) -> str:
    if result.get("what") == "meal_reminders":
        return ("Meal reminders are on: if I haven't seen lunch by 14:00 or dinner by 20:30, "
                "I'll check in.")
    return "Check-ins are back on. I'll keep them to at most one a day."


REMINDER_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "set_reminder": _set,
    "list_reminders": _list,
    "stop_reminders": _stop,
    "pause_reminders": _pause,
    "set_quiet_hours": _quiet,
    "opt_out_nudges": _opt_out,
    "opt_in": _opt_in,
}
