"""set_personality: the person switches the coaching style in chat."""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from fitcoach.admin.personality_store import choose_personality, get_personality
from fitcoach.admin.prompt_service import PromptService
from fitcoach.agent.context import CoachContext
from fitcoach.agent.personality_intents import normalise_personality
from fitcoach.agent.prompts import PromptSet
from fitcoach.tools.runtime import ToolServices, encode, trusted_context


def make_set_personality(services: ToolServices, prompts: PromptService | None = None) -> BaseTool:
    """Build the set_personality tool (personalities come from the prompt documents)."""
    holder: list[PromptService] = [prompts] if prompts is not None else []

    async def current_set() -> PromptSet:
        if not holder:
            holder.append(PromptService(services.database))
        return await holder[0].current()

    @tool
    async def set_personality(
        runtime: ToolRuntime[CoachContext, Any], personality: str | None = None
    ) -> str:
        """Change how you coach this person. personality: "supportive" (warm, encouraging),
        "tough-love" (direct, demanding: "be tougher on me") or "data-driven" (numbers first:
        "just give me the data"). Leave it out to show the current style and the choices."""
        context = trusted_context(runtime)
        prompt_set = await current_set()
        styles = prompt_set.personalities.personalities
        choices = [
            {"name": k, "label": v.label, "description": v.description} for k, v in styles.items()
        ]
        async with services.database.session() as session:
            stored = await get_personality(session, context.user_id)
            current, style = prompt_set.personality(stored)
            if personality is None:
                return encode(
                    "set_personality",
                    "current",
                    personality=current,
                    label=style.label,
                    choices=choices,
                )
            key = normalise_personality(personality)
            if key not in styles:
                return encode("set_personality", "unknown", requested=personality, choices=choices)
            if key == stored:
                return encode(
                    "set_personality", "unchanged", personality=key, label=styles[key].label
                )
            await choose_personality(session, context.user_id, key)
        return encode(
            "set_personality",
            "updated",
            personality=key,
            label=styles[key].label,
            description=styles[key].description,
            previous=current,
        )

    return set_personality
