"""What a turn needs to know about the person behind a channel identity, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage import driver
from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.database import Database
from fitcoach.storage.models import ChannelIdentity, User
from fitcoach.storage.privacy import PendingAction


@dataclass(frozen=True, slots=True)
class PersonAtTurn:
    """The person, when their pending deletion request (if any) expires, and their chosen
    personality."""

    user: User
    deletion_expires_at: datetime | None
    personality: str | None


@cache
def _statement() -> Select[User, datetime, str]:
    # Built once: building the joins costs more than running the cached compiled form.
    return (
        select(User, PendingAction.expires_at, PersonalityChoice.personality)
        .join(ChannelIdentity, ChannelIdentity.user_id == User.id)
        .outerjoin(
            PendingAction,
            (PendingAction.user_id == User.id) & (PendingAction.action == "delete"),
        )
        .outerjoin(PersonalityChoice, PersonalityChoice.user_id == User.id)
        .where(
            ChannelIdentity.channel == bindparam("channel"),
            ChannelIdentity.external_id == bindparam("external_id"),
        )
    )


async def find_person_at_turn(
    session: AsyncSession, channel: str, external_id: str
) -> PersonAtTurn | None:
    """The person with this identity, with what the turn checks, or None on first contact."""
    found = await session.execute(_statement(), {"channel": channel, "external_id": external_id})
    row = found.first()
    if row is None:
        return None
    return PersonAtTurn(user=row[0], deletion_expires_at=row[1], personality=row[2])


_USER_COLUMNS = tuple((column.key, column.name) for column in User.__table__.columns)


async def find_person(database: Database, channel: str, external_id: str) -> PersonAtTurn | None:
    """:func:`find_person_at_turn` outside any transaction: on PostgreSQL through asyncpg, one
    statement on the driver, the person built from its row (a detached ``User``)."""
    if not driver.uses_driver(database):
        async with database.session(single_statement=True) as session:
            return await find_person_at_turn(session, channel, external_id)
    rows = await driver.fetch(
        database, _statement(), {"channel": channel, "external_id": external_id}
    )
    if not rows:
        return None
    row = rows[0]
    user = User(**{key: row[name] for key, name in _USER_COLUMNS})
    return PersonAtTurn(
        user=user, deletion_expires_at=row["expires_at"], personality=row["personality"]
    )
