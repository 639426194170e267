"""Admin views of people: search by name or channel id; no message contents by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.models import ChannelIdentity, MessageLog, User


@dataclass(slots=True)
class PersonView:
    """What an admin sees of a person: profile basics, identities, activity counts."""

    id: int
    name: str | None
    goal: str | None
    timezone: str
    unit_system: str
    created_at: datetime
    identities: list[tuple[str, str]]
    personality: str | None = None
    messages_in: int = 0
    messages_out: int = 0
    last_message_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_people(
    session: AsyncSession,
    query: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[PersonView]:
    """People whose name or channel id contains ``query`` (and who use ``channel``)."""
    conditions: list[ColumnElement[bool]] = []
    if query:
        by_identity = select(ChannelIdentity.user_id).where(
            ChannelIdentity.external_id.ilike(_like(query), escape="\\")
        )
        matches: list[ColumnElement[bool]] = [
            User.name.ilike(_like(query), escape="\\"),
            User.id.in_(by_identity),
        ]
        if query.isdigit():
            matches.append(User.id == int(query))
        conditions.append(or_(*matches))
    if channel:
        conditions.append(
            User.id.in_(select(ChannelIdentity.user_id).where(ChannelIdentity.channel == channel))
        )
    stmt = (
        select(User)
        .where(*conditions)
        .options(selectinload(User.identities))
        .order_by(User.id.desc())
        .limit(limit)
        .offset(offset)
    )
    users = list((await session.execute(stmt)).scalars())
    return await _views(session, users)


async def get_person(session: AsyncSession, user_id: int) -> PersonView | None:
    """One person, or None."""
    stmt = select(User).where(User.id == user_id).options(selectinload(User.identities))
    user = (await session.execute(stmt)).scalar_one_or_none()
    return (await _views(session, [user]))[0] if user else None


async def recent_messages(session: AsyncSession, user_id: int, limit: int = 50) -> list[MessageLog]:
    """The person's latest messages, newest first (admin role only, audited by the caller)."""
    stmt = (
        select(MessageLog)
        .where(MessageLog.user_id == user_id)
        .order_by(MessageLog.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def _views(session: AsyncSession, users: list[User]) -> list[PersonView]:
    ids = [u.id for u in users]
    views = {
        u.id: PersonView(
            id=u.id,
            name=u.name,
            goal=u.goal,
            timezone=u.timezone,
            unit_system=u.unit_system,
            created_at=u.created_at,
            identities=[(i.channel, i.external_id) for i in u.identities],
        )
        for u in users
    }
    if not ids:
        return []
    counts = (
        select(
            MessageLog.user_id, MessageLog.direction, func.count(), func.max(MessageLog.created_at)
        )
        .where(MessageLog.user_id.in_(ids))
        .group_by(MessageLog.user_id, MessageLog.direction)
    )
    for user_id, direction, count, last in (await session.execute(counts)).all():
        view = views[user_id]
        if direction == "in":
            view.messages_in = count
        else:
            view.messages_out = count
        if last is not None and (view.last_message_at is None or last > view.last_message_at):
            view.last_message_at = last
    choices = select(PersonalityChoice).where(PersonalityChoice.user_id.in_(ids))
    for choice in (await session.execute(choices)).scalars():
        views[choice.user_id].personality = choice.personality
    return [views[i] for i in ids]
