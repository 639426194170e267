"""What a turn needs to know about the person behind a channel identity, in one query; and
the person created on first contact, in one statement on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

import asyncpg
from sqlalchemy import DateTime, Select, String, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage import driver
from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.database import Database
from fitcoach.storage.models import ChannelIdentity, User, utcnow
from fitcoach.storage.privacy import PendingAction
from fitcoach.storage.repositories import NEW_PERSON_DEFAULTS, UserDirectory


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
    return PersonAtTurn(
        user=_user_of(row), deletion_expires_at=row["expires_at"], personality=row["personality"]
    )


def _user_of(row: asyncpg.Record) -> User:
    return User(**{key: row[name] for key, name in _USER_COLUMNS})


# First contact as one statement: the person and their identity together or not at all (a
# worker that created the same identity meanwhile makes the identity's insert, and with it
# the whole statement, fail on the unique constraint).
_CREATE_PERSON_POSTGRESQL = text(
    """
    WITH new_user AS (
        INSERT INTO users (name, timezone, unit_system, created_at, updated_at)
        VALUES (:name, :timezone, :unit_system, :now, :now)
        RETURNING *
    ), identity AS (
        INSERT INTO channel_identities (user_id, channel, external_id, created_at)
        SELECT id, :channel, :external_id, :now FROM new_user
        RETURNING user_id
    )
    SELECT new_user.* FROM new_user
    """
).bindparams(
    bindparam("name", type_=String),
    bindparam("timezone", type_=String),
    bindparam("unit_system", type_=String),
    bindparam("channel", type_=String),
    bindparam("external_id", type_=String),
    bindparam("now", type_=DateTime(timezone=True)),
)


async def create_person(
    database: Database, channel: str, external_id: str, name: str | None = None
) -> User:
    """:meth:`UserDirectory.create` in a unit of work of its own (first contact): on
    PostgreSQL through asyncpg, one statement on the driver."""
    if not driver.uses_driver(database):
        async with database.session() as session:
            return await UserDirectory(session).create(channel, external_id, name)
    parameters = {
        "name": name,
        "channel": channel,
        "external_id": external_id,
        "now": utcnow(),
        **NEW_PERSON_DEFAULTS,
    }
    try:
        rows = await driver.fetch(database, _CREATE_PERSON_POSTGRESQL, parameters)
    except asyncpg.UniqueViolationError:
        found = await find_person(database, channel, external_id)
        if found is None:
            raise
        return found.user
    return _user_of(rows[0])
