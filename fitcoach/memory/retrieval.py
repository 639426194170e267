"""Memory context for the system prompt: an always-on profile plus relevant memories.

Kept within a token budget (default 300) so it never crowds out the conversation."""

from __future__ import annotations

import math

from fitcoach.memory.models import Memory
from fitcoach.memory.store import MemoryStore, constraints_from

DEFAULT_BUDGET_TOKENS = 300
RELEVANT_K = 8
MIN_RELEVANCE = 0.15
HEADER = "Long-term memory about this person (use it, don't recite it):"


def _strip_label(text: str) -> str:
    return text.split(": ", 1)[1] if text.startswith(("Goal: ", "Goal weight: ")) else text


def estimate_tokens(text: str) -> int:
    """A conservative token count: about 3.5 characters per token."""
    return math.ceil(len(text) / 3.5) if text else 0


def _profile_lines(memories: list[Memory]) -> tuple[list[str], set[str]]:
    """Goals, injuries/conditions and dietary constraints: always shown."""
    used: set[str] = set()
    goals = [m for m in memories if m.category == "goals"]
    goals.sort(key=lambda m: m.updated_at, reverse=True)
    constraints_mem = [
        m
        for m in memories
        if "resolved" not in m.tags
        and any(t.startswith(("injury:", "condition:", "diet:", "allergy:")) for t in m.tags)
    ]
    lines: list[str] = []
    if goals:
        lines.append("Goals: " + "; ".join(_strip_label(m.text) for m in goals[:3]))
        used.update(m.id for m in goals[:3])
    health = [m for m in constraints_mem if m.category == "challenges"]
    if health:
        lines.append("Injuries/health: " + "; ".join(m.text for m in health))
        used.update(m.id for m in health)
    diet = [m for m in constraints_mem if m.category != "challenges"]
    if diet:
        lines.append("Diet: " + "; ".join(m.text for m in diet))
        used.update(m.id for m in diet)
    dislikes = constraints_from(memories).dislikes
    if dislikes:
        lines.append("Dislikes: " + ", ".join(dislikes))
        used.update(m.id for m in memories if any(t.startswith("dislike:") for t in m.tags))
    return lines, used


def build_memory_context(
    store: MemoryStore, message: str, budget_tokens: int = DEFAULT_BUDGET_TOKENS
) -> str:
    """The memory block for this person and message, or "" when nothing is known."""
    memories = store.all()
    if not memories:
        return ""
    profile, used = _profile_lines(memories)
    lines = [HEADER]
    for line in profile:
        candidate = "\n".join([*lines, line])
        if estimate_tokens(candidate) > budget_tokens:
            break
        lines.append(line)
    relevant = [
        m
        for m in store.search(message, k=RELEVANT_K)
        if m.id not in used and (m.score or 0.0) >= MIN_RELEVANCE
    ]
    if relevant:
        title = "Relevant:"
        if estimate_tokens("\n".join([*lines, title])) < budget_tokens:
            lines.append(title)
            for memory in relevant:
                line = f"- {memory.text} ({memory.category.replace('_', ' ')})"
                if estimate_tokens("\n".join([*lines, line])) > budget_tokens:
                    break
                lines.append(line)
            if lines[-1] == title:
                lines.pop()
    return "\n".join(lines) if len(lines) > 1 else ""
