"""Replies for set_personality results (merge into ``replies.renderers()``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_HOW_TO = 'Say "be tougher on me", "be more supportive" or "just give me the data" to switch.'


def _choices(result: dict[str, Any]) -> str:
    return "\n".join(
        f"• {c['label']} ({c['name']}): {c['description']}" for c in result.get("choices", [])
    )


def render_personality(result: dict[str, Any]) -> str:
    """set_personality: the new style, the current one, or the available ones."""
    status = result["status"]
    label = result.get("label", "")
    if status == "updated":
        return f"Done: I'll coach you in {label} mode from now on. {result['description']}"
    if status == "unchanged":
        return f"You're already on {label} mode; I'll keep it that way."
    if status == "unknown":
        return (
            f"I don't have a “{result['requested']}” style. I can coach you like this:\n"
            + _choices(result)
        )
    return f"I'm coaching you in {label} mode. Styles I can use:\n{_choices(result)}\n{_HOW_TO}"


PERSONALITY_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "set_personality": render_personality,
}
