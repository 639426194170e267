"""What a turn needs to know about the person behind a channel identity, in one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.models import ChannelIdentity, User
from fitcoach.storage.privacy import PendingAction


@dataclass(frozen=True, slots=True)
class PersonAtTurn:
    """The person, their pending deletion request (if any) and their chosen personality."""

    user: User
    pending_deletion: PendingAction | None
    personality: str | None


async def find_person_at_turn(
    session: AsyncSession, channel: str, external_id: str
) -> PersonAtTurn | None:
    """The person with this identity, with what the turn checks, or None on first contact.

    The rows are loaded into the session like ``session.get`` would load them."""
    stmt = (
        select(User, PendingAction, PersonalityChoice.personality)
        .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
        .outerjoin(
            PendingAction,
            (PendingAction.user_id == User.id) & (PendingAction.action == "delete"),
        )
        .outerjoin(PersonalityChoice, PersonalityChoice.user_id == User.id)
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return PersonAtTurn(user=row[0], pending_deletion=row[1], personality=row[2])
