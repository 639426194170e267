"""remember, forget_memory, recall_memories: the person's long-term memory in chat.

Like every tool, they read the person only from the trusted context: no user id argument."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from fitcoach.agent.context import CoachContext
from fitcoach.memory.models import CATEGORIES, Category, Change, Fact, Memory
from fitcoach.memory.outage import UNAVAILABLE_TEXT, or_if_memory_down
from fitcoach.memory.rules import clauses, extract_with_rules, third_person
from fitcoach.memory.store import MemoryService, MemoryStore
from fitcoach.memory.text import tokens
from fitcoach.tools.runtime import encode, trusted_context

CategoryArg = Category
FORGET_MIN_SCORE = 0.3
FORGET_MARGIN = 0.08
_CATEGORY_HINTS: dict[str, Category] = {
    "goal": "goals",
    "loss": "goals",
    "gain": "goals",
    "race": "goals",
    "injury": "challenges",
    "challenge": "challenges",
    "doctor": "challenges",
    "food": "nutrition_preferences",
    "vegetarian": "nutrition_preferences",
    "vegan": "nutrition_preferences",
    "allergic": "nutrition_preferences",
    "motivation": "motivations",
    "work": "profile",
    "child": "profile",
    "sleep": "profile",
    "train": "preferences",
    "like": "preferences",
    "dislike": "preferences",
}


def guess_category(text: str) -> Category:
    """A category for free text the person asked us to remember."""
    for word in tokens(text):
        if word in _CATEGORY_HINTS:
            return _CATEGORY_HINTS[word]
    return "profile"


def _store(memory: MemoryService, runtime: ToolRuntime[CoachContext, Any]) -> MemoryStore:
    return memory.for_user(trusted_context(runtime).user_id)


async def _with_memory(tool_name: str, work: Callable[[], str]) -> str:
    """A memory tool's work, off the event loop; while the memory store is unreachable the
    tool answers so (and the turn goes on)."""
    unavailable = encode(tool_name, "error", message=UNAVAILABLE_TEXT)
    return await or_if_memory_down(asyncio.to_thread(work), tool_name, unavailable)


def remember_text(store: MemoryStore, text: str, category: str | None = None) -> list[Change]:
    """Store what the person asked us to remember: rule facts, else the text itself."""
    facts: list[Fact] = []
    for clause in clauses(text) or [text]:
        found = [Fact(f.text, f.category, f.key, 1.0, f.tags) for f in extract_with_rules(clause)]
        if not found:
            # Nothing a rule understands: keep the person's own words, every clause of them.
            chosen: Category = category if category in CATEGORIES else guess_category(clause)
            cleaned = third_person(clause.strip().rstrip(".!"))
            found = [Fact(cleaned[:1].upper() + cleaned[1:], chosen, None, 1.0)]
        facts.extend(found)
    return [store.add(f, source=text, origin="explicit") for f in facts]


def forget_matching(store: MemoryStore, what: str) -> list[Memory]:
    """Delete the memories that best match a description; returns what was deleted."""
    targets: dict[str, Memory] = {}
    for fact in extract_with_rules(what):
        if fact.key and (found := store.find_key(fact.key)) is not None:
            targets[found.id] = found
    if not targets:
        hits = [m for m in store.search(what, k=5) if (m.score or 0.0) >= FORGET_MIN_SCORE]
        if hits:
            best = hits[0].score or 0.0
            targets = {m.id: m for m in hits if (m.score or 0.0) >= best - FORGET_MARGIN}
    store.delete(list(targets))
    return list(targets.values())


def make_remember(memory: MemoryService) -> BaseTool:
    """Build the remember tool."""

    @tool
    async def remember(
        text: str, runtime: ToolRuntime[CoachContext, Any], category: CategoryArg | None = None
    ) -> str:
        """Save a durable fact the person asked you to remember (e.g. "I have a bad left
        knee", "I train before work"). A newer fact replaces a contradicting older one.
        category: profile, goals, workout_history, nutrition_preferences, progress_metrics,
        preferences, patterns, motivations or challenges (injuries, constraints)."""
        store = _store(memory, runtime)
        if not text.strip():
            return encode(
                "remember",
                "needs_clarification",
                reason="empty",
                question="What would you like me to remember?",
            )

        def save() -> str:
            changes = remember_text(store, text, category)
            return encode("remember", "saved", changes=[c.view() for c in changes])

        return await _with_memory("remember", save)

    return remember


def make_forget_memory(memory: MemoryService) -> BaseTool:
    """Build the forget_memory tool."""

    @tool
    async def forget_memory(
        what: str, runtime: ToolRuntime[CoachContext, Any], everything: bool = False
    ) -> str:
        """Forget something the person asked you to forget (e.g. "that I hate running").
        everything=True deletes ALL of their memories: only when they clearly ask for it."""
        store = _store(memory, runtime)

        def forget() -> str:
            if everything:
                return encode("forget_memory", "forgot_everything", count=store.delete_all())
            deleted = forget_matching(store, what)
            if not deleted:
                return encode("forget_memory", "not_found", what=what)
            return encode(
                "forget_memory",
                "forgotten",
                what=what,
                forgotten=[{"text": m.text, "category": m.category} for m in deleted],
            )

        return await _with_memory("forget_memory", forget)

    return forget_memory


def make_recall_memories(memory: MemoryService) -> BaseTool:
    """Build the recall_memories tool."""

    @tool
    async def recall_memories(
        runtime: ToolRuntime[CoachContext, Any], category: CategoryArg | None = None
    ) -> str:
        """List what you remember about the person, grouped by category (optionally one
        category). Use it when they ask what you know or remember about them."""
        store = _store(memory, runtime)

        def recall() -> str:
            grouped = store.by_category()
            if category:
                grouped = {k: v for k, v in grouped.items() if k == category}
            return encode(
                "recall_memories",
                "listed",
                category=category,
                count=sum(len(v) for v in grouped.values()),
                categories={
                    name: [
                        {"text": m.text, "updated_at": m.updated_at.date().isoformat()}
                        for m in items
                    ]
                    for name, items in grouped.items()
                },
            )

        return await _with_memory("recall_memories", recall)

    return recall_memories


def _item(memory: Memory) -> dict[str, str]:
    return {"text": memory.text, "updated_at": memory.updated_at.date().isoformat()}


def build_memory_tools(memory: MemoryService) -> list[BaseTool]:
    """The three memory tools, bound to the memory service."""
    return [make_remember(memory), make_forget_memory(memory), make_recall_memories(memory)]
