"""The coaching personality each person chose (``personality_choices``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.models import utcnow


async def get_personality(session: AsyncSession, user_id: int) -> str | None:
    """The person's chosen personality, or None for the default."""
    row = await session.get(PersonalityChoice, user_id)
    return row.personality if row else None


async def choose_personality(session: AsyncSession, user_id: int, personality: str) -> None:
    """Store the person's choice (insert or update)."""
    row = await session.get(PersonalityChoice, user_id)
    if row is None:
        session.add(PersonalityChoice(user_id=user_id, personality=personality))
    else:
        row.personality = personality
        row.updated_at = utcnow()
    await session.flush()
