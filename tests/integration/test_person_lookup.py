"""What a turn reads about a person, on SQLite and on a real PostgreSQL: in the caller's session
and on its own (the usual turn's path, which on PostgreSQL runs on the asyncpg driver); both
give the same person, pending deletion and personality, and only for the identity asked. And
the person made on first contact, once, even when workers race."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.database import Database
from fitcoach.storage.models import User, utcnow
from fitcoach.storage.person_lookup import (
    PersonAtTurn,
    create_person,
    find_person,
    find_person_at_turn,
)
from fitcoach.storage.privacy import PendingAction
from fitcoach.storage.repositories import UserDirectory


@pytest.fixture
def database(engine_database: Database) -> Database:
    return engine_database


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite's


async def _both(database: Database, external_id: str) -> tuple[PersonAtTurn | None, ...]:
    async with database.session() as session:
        in_session = await find_person_at_turn(session, "telegram", external_id)
    return in_session, await find_person(database, "telegram", external_id)


async def test_both_paths_read_the_same_person(database: Database) -> None:
    expires = utcnow() + timedelta(minutes=5)
    async with database.session() as session:
        ann = await UserDirectory(session).resolve("telegram", "ann", name="Ann")
        ann.sex, ann.birth_year, ann.height_cm, ann.weight_kg = "female", 1990, 168.5, 61.2
        ann.goal, ann.timezone, ann.unit_system = "run a 10k", "Europe/Oslo", "imperial"
        bob = await UserDirectory(session).resolve("telegram", "bob", name="Bob")
        await session.flush()
        session.add(PendingAction(user_id=ann.id, action="delete", expires_at=expires))
        session.add(PersonalityChoice(user_id=ann.id, personality="tough"))
        ann_id, bob_id = ann.id, bob.id

    for found in await _both(database, "ann"):
        assert found is not None
        user = found.user
        assert (user.id, user.name, user.sex, user.birth_year) == (ann_id, "Ann", "female", 1990)
        assert (user.height_cm, user.weight_kg, user.goal) == (168.5, 61.2, "run a 10k")
        assert (user.timezone, user.unit_system) == ("Europe/Oslo", "imperial")
        assert user.created_at is not None and user.updated_at is not None
        assert found.deletion_expires_at is not None
        assert abs(_aware(found.deletion_expires_at) - expires) < timedelta(seconds=1)
        assert found.personality == "tough"

    for found in await _both(database, "bob"):
        assert found is not None
        assert (found.user.id, found.user.name) == (bob_id, "Bob")
        assert (found.deletion_expires_at, found.personality) == (None, None)

    assert await _both(database, "nobody") == (None, None)
    assert await find_person(database, "slack", "ann") is None  # another channel's identity


async def _user_count(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


async def test_first_contact_creates_the_person_with_their_identity(database: Database) -> None:
    created = await create_person(database, "telegram", "cleo", "Cleo")
    assert (created.name, created.timezone, created.unit_system) == ("Cleo", "UTC", "metric")
    assert created.id is not None and created.created_at is not None
    found = await find_person(database, "telegram", "cleo")
    assert found is not None and found.user.id == created.id
    assert await find_person(database, "slack", "cleo") is None
    assert await _user_count(database) == 1


async def test_concurrent_first_contacts_make_one_person_and_no_orphans(
    database: Database,
) -> None:
    existing = await create_person(database, "telegram", "dan", "Dan")
    again = await create_person(database, "telegram", "dan", "Dan")  # known: found, not made
    assert again.id == existing.id
    racing = await asyncio.gather(
        *(create_person(database, "telegram", "eve", "Eve") for _ in range(6))
    )
    assert len({user.id for user in racing}) == 1
    assert await _user_count(database) == 2  # Dan and Eve: a lost race leaves no user behind
