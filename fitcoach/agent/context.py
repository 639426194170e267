"""Trusted run-time context: who is talking, from the verified channel identity.

It reaches tools through ``ToolRuntime.context``; the model never sees or sets it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CoachContext:
    """Identity and preferences of the person the agent is serving right now."""

    user_id: int
    channel: str
    conversation_id: str
    timezone: str = "UTC"
    unit_system: str = "metric"
    profile_summary: str = ""
    memory_context: str = ""
    personality: str | None = None
    """The coaching style the person chose, read when the turn opened."""
    missing_facts: frozenset[str] | None = None
    """Profile facts not known yet, read when the turn opened; None: look them up."""
