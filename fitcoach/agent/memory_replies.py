"""Replies for the memory tools (remember, forget_memory, recall_memories).

``MEMORY_RENDERERS`` is merged into the renderers of :mod:`fitcoach.agent.replies`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fitcoach.memory.models import CATEGORY_LABELS


def _remember(result: dict[str, Any]) -> str:
    changes = result.get("changes") or []
    if not changes:
        return "I didn't find anything to remember in that."
    lines = []
    for change in changes:
        if change.get("action") == "updated" and change.get("previous"):
            lines.append(f"• {change['text']} (instead of: {change['previous']})")
        else:
            lines.append(f"• {change['text']}")
    return "Got it, I'll remember:\n" + "\n".join(lines)


def _forget(result: dict[str, Any]) -> str:
    status = result.get("status")
    if status == "forgot_everything":
        count = result.get("count", 0)
        return f"Done: I deleted everything I remembered about you ({count} memories)."
    if status == "not_found":
        return (
            f"I don't have anything saved about “{result.get('what', '')}”. "
            "Ask “what do you remember about me?” to see what I know."
        )
    items = result.get("forgotten") or []
    return "OK, I forgot:\n" + "\n".join(f"• {item['text']}" for item in items)


def _recall(result: dict[str, Any]) -> str:
    categories: dict[str, list[dict[str, Any]]] = result.get("categories") or {}
    if not categories:
        if result.get("category"):
            label = CATEGORY_LABELS.get(result["category"], result["category"]).lower()
            return f"I don't have anything saved under {label} yet."
        return (
            "I don't remember anything about you yet. Tell me about your goals, injuries or "
            "food preferences, or say “remember that …”."
        )
    lines = ["Here's what I remember about you:"]
    for name, items in categories.items():
        lines.append(f"{CATEGORY_LABELS.get(name, name)}:")
        lines.extend(f"• {item['text']}" for item in items)
    lines.append("Say “forget …” to remove something.")
    return "\n".join(lines)


MEMORY_RENDERERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "remember": _remember,
    "forget_memory": _forget,
    "recall_memories": _recall,
}
