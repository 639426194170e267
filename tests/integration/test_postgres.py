"""The same storage code on a real PostgreSQL (the CI machine runs one on loopback)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.repositories import Journal, MealItemRecord, UserDirectory

pytestmark = pytest.mark.postgres


async def test_concurrent_migrations_and_scoped_queries(pg_url: str) -> None:
    # Replicas starting at once (separate processes): the advisory lock serialises them.
    code = (
        "import sys; from fitcoach.storage.migrate import upgrade_database; "
        "upgrade_database(sys.argv[1])"
    )
    procs = [
        await asyncio.create_subprocess_exec(sys.executable, "-c", code, pg_url) for _ in range(3)
    ]
    assert [await p.wait() for p in procs] == [0, 0, 0]
    database = Database(pg_url)
    try:
        egg = MealItemRecord(
            ndb_no="01123",
            food_name="Egg",
            grams=100,
            kcal=143,
            protein_g=12.6,
            carbs_g=0.7,
            fat_g=9.5,
        )
        async with database.session() as session:
            ann = await UserDirectory(session).resolve("telegram", "1")
            bob = await UserDirectory(session).resolve("telegram", "2")
            await Journal(session, ann.id).add_meal([egg], source_text="egg")
        now = datetime.now(UTC)
        async with database.session() as session:
            ann_day = await Journal(session, ann.id).summary(
                now - timedelta(hours=1), now + timedelta(hours=1)
            )
            bob_day = await Journal(session, bob.id).summary(
                now - timedelta(hours=1), now + timedelta(hours=1)
            )
        assert ann_day.kcal == 143 and ann_day.meals == 1
        assert bob_day.kcal == 0 and bob_day.meals == 0
        assert await database.ping()
    finally:
        await database.dispose()


async def test_concurrent_first_contact_creates_one_user(pg_url: str) -> None:
    await upgrade_database_async(pg_url)
    database = Database(pg_url)
    try:

        async def resolve() -> int:
            async with database.session() as session:
                return (await UserDirectory(session).resolve("slack", "U1")).id

        ids = await asyncio.gather(*(resolve() for _ in range(5)))
        assert len(set(ids)) == 1
    finally:
        await database.dispose()


async def test_the_whole_chat_runs_on_postgres(pg_url: str, tmp_path: object) -> None:
    from pathlib import Path

    from fitcoach.bootstrap import open_services
    from fitcoach.channels.base import InboundMessage
    from fitcoach.config import get_settings

    settings = get_settings(
        data_dir=Path(str(tmp_path)) / "var", model="offline", database_url=pg_url
    )

    async def say(services: object, text: str) -> str:
        message = InboundMessage(
            channel="test",
            external_user_id="pg",
            conversation_id="pg",
            message_id=uuid.uuid4().hex,
            text=text,
        )
        replies = await services.conversation.handle(message)  # type: ignore[attr-defined]
        return str(replies[0].text)

    async with open_services(settings) as services:
        assert "143 kcal" in await say(services, "had 2 large eggs")
        question = await say(services, "bench 3x5 at 5000kg")
        assert "record" in question
    # A restart keeps the conversation's checkpoint in PostgreSQL.
    async with open_services(settings) as services:
        assert "143 kcal" in await say(services, "how am I doing today?")
        config = {"configurable": {"thread_id": "test:pg"}}
        state = await services.agent.graph.aget_state(config)
        assert len(state.values["messages"]) >= 6
    assert not (Path(str(tmp_path)) / "var" / "checkpoints.sqlite").exists()


async def test_inbox_accepts_once_and_claims_in_order_on_postgres(pg_url: str) -> None:
    from fitcoach.storage.inbox import Inbox
    from fitcoach.storage.models import utcnow

    await upgrade_database_async(pg_url)
    database = Database(pg_url)
    try:
        async with database.session() as session:
            inbox = Inbox(session)
            assert await inbox.accept("telegram", "m1", "c1", "{}")
            assert not await inbox.accept("telegram", "m1", "c1", "{}")  # a redelivery
            assert await inbox.accept("telegram", "m2", "c1", "{}")
        async with database.session() as session:
            inbox = Inbox(session)
            first = await inbox.next_in_conversation("telegram", "c1")
            assert first is not None and first.message_id == "m1"
            assert await inbox.claim_row(first.id, "w1", utcnow() - timedelta(seconds=30))
            assert not await inbox.claim_row(first.id, "w2", utcnow() - timedelta(seconds=30))
            assert await inbox.renew(first.id, "w1")
    finally:
        await database.dispose()


async def test_dropped_connections_fail_one_statement_then_the_pool_is_replaced(
    pg_url: str,
) -> None:
    # Pre-ping is off by default (a round trip per transaction): a server-side disconnect
    # surfaces once as an error the caller retries, and the next transaction works.
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    database = Database(pg_url, pool_size=2)
    try:
        async with database.session() as session:
            pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        killer = Database(pg_url)
        try:
            async with killer.session() as session:
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await killer.dispose()
        with pytest.raises(DBAPIError) as failure:
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
        assert failure.value.connection_invalidated
        async with database.session() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await database.dispose()
