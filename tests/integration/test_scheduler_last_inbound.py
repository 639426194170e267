"""The scheduler's "last contact" is the latest message by arrival, not by log row order
(a message is logged when its turn ends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fitcoach.scheduler.context import load_people
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.repositories import MessageHistory, UserDirectory
from fitcoach.storage.scheduling import ProactiveOccurrence


@pytest.fixture
def database(engine_database: Database) -> Database:
    return engine_database


async def test_the_latest_arrival_is_the_last_contact(database: Database) -> None:
    now = utcnow()
    async with database.session() as session:
        ann = await UserDirectory(session).resolve("telegram", "ann")
        bob = await UserDirectory(session).resolve("telegram", "bob")
        log = MessageHistory(session, ann.id)
        # The turn of the later message (in "web-chat") ended first: its row has the lower id.
        await log.record(
            channel="web",
            conversation_id="web-chat",
            direction="in",
            text="later",
            created_at=now - timedelta(minutes=1),
        )
        await log.record(
            channel="telegram",
            conversation_id="tg-chat",
            direction="in",
            text="earlier",
            created_at=now - timedelta(minutes=5),
        )
        await log.record(channel="telegram", conversation_id="tg-chat", direction="out", text="x")
        await MessageHistory(session, bob.id).record(
            channel="telegram",
            conversation_id="bob-chat",
            direction="in",
            text="hi",
            created_at=now - timedelta(hours=3),
        )
    occurrences = [
        ProactiveOccurrence(user_id=user_id, trigger="inactivity") for user_id in (ann.id, bob.id)
    ]
    async with database.session() as session:
        people = await load_people(session, occurrences, now)
    assert (people[ann.id].channel, people[ann.id].conversation_id) == ("web", "web-chat")
    assert people[ann.id].last_inbound_at == now - timedelta(minutes=1)
    assert people[bob.id].conversation_id == "bob-chat"
    assert people[bob.id].last_inbound_at == now - timedelta(hours=3)
