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
        # The turn of the later message (in "web-chat") ended first: its row has the lower id.
        arrivals = [
            (ann.id, "web", "web-chat", timedelta(minutes=1)),
            (ann.id, "telegram", "tg-chat", timedelta(minutes=5)),
            (bob.id, "telegram", "bob-chat", timedelta(hours=3)),
        ]
        for user_id, channel, conversation, ago in arrivals:
            await MessageHistory(session, user_id).record(
                channel=channel,
                conversation_id=conversation,
                direction="in",
                text="hello",
                created_at=now - ago,
            )
        await MessageHistory(session, ann.id).record(
            channel="telegram", conversation_id="tg-chat", direction="out", text="x"
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
