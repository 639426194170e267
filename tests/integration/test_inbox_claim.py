"""The worker's claim step (mark the last reply delivered, claim the next row) on SQLite and
on a real PostgreSQL, where it is one statement: through a session, and (what the worker uses)
as a unit of work of its own, which on PostgreSQL runs on the asyncpg driver."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Protocol

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.util import greenlet_spawn

from fitcoach.storage import inbox as inbox_module
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import Inbox, NextRow
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import InboxMessage, utcnow

LEASE = timedelta(seconds=30)


@pytest.fixture
def database(engine_database: Database) -> Database:
    return engine_database


class Claim(Protocol):
    async def __call__(
        self,
        database: Database,
        worker: str,
        delivered: int | None = None,
        conversation: str = "c1",
    ) -> NextRow | None: ...


async def accept(database: Database, *ids: str, conversation: str = "c1") -> None:
    async with database.session() as session:
        for message_id in ids:
            await Inbox(session).accept(
                "telegram", message_id, conversation, f'{{"m":"{message_id}"}}'
            )


async def claim_in_session(
    database: Database, worker: str, delivered: int | None = None, conversation: str = "c1"
) -> NextRow | None:
    async with database.session() as session:
        return await Inbox(session).claim_next(
            "telegram", conversation, worker, utcnow() - LEASE, delivered=delivered
        )


async def claim_on_its_own(
    database: Database, worker: str, delivered: int | None = None, conversation: str = "c1"
) -> NextRow | None:
    return await inbox_module.claim_next(
        database, "telegram", conversation, worker, utcnow() - LEASE, delivered=delivered
    )


@pytest.fixture(params=["in a session", "on its own"])
def claim(request: pytest.FixtureRequest) -> Claim:
    """``Inbox.claim_next`` in the caller's session, and ``inbox.claim_next`` in a unit of
    work of its own (the worker's: on PostgreSQL it runs on the asyncpg driver)."""
    return claim_in_session if request.param == "in a session" else claim_on_its_own


async def finish(database: Database, message_id: str) -> None:
    async with database.session() as session:
        await Inbox(session).finish("telegram", message_id, user_id=None, status="done", reply="[]")


async def row(database: Database, message_id: str) -> InboxMessage:
    async with database.session() as session:
        found = await session.execute(
            select(InboxMessage).where(InboxMessage.message_id == message_id)
        )
        return found.scalar_one()


async def test_claims_the_oldest_unfinished_row_and_marks_the_last_reply_delivered(
    database: Database, claim: Claim
) -> None:
    await accept(database, "m1", "m2")
    await accept(database, "x1", conversation="other")
    first = await claim(database, "w1")
    assert first is not None and first.claimed
    assert (first.message_id, first.payload) == ("m1", '{"m":"m1"}')
    stored = await row(database, "m1")
    assert (stored.status, stored.claimed_by) == ("processing", "w1")
    assert stored.delivered_at is None

    await finish(database, "m1")
    second = await claim(database, "w1", delivered=first.id)
    assert second is not None and second.message_id == "m2" and second.claimed
    assert (await row(database, "m1")).delivered_at is not None
    assert (await row(database, "x1")).status == "received"  # another conversation: untouched

    await finish(database, "m2")
    assert await claim(database, "w1", delivered=second.id) is None  # nothing left
    assert (await row(database, "m2")).delivered_at is not None


async def test_a_row_held_by_a_live_worker_is_reported_not_claimed(
    database: Database, claim: Claim
) -> None:
    await accept(database, "m1", "m2")
    held = await claim(database, "w1")
    assert held is not None and held.claimed
    other = await claim(database, "w2")
    assert other is not None and other.id == held.id and not other.claimed
    assert other.payload is None  # the second message waits behind the first: order kept
    assert (await row(database, "m1")).claimed_by == "w1"


async def test_a_claim_tried_again_takes_its_own_row_and_no_other_claim_does(
    database: Database, claim: Claim
) -> None:
    """The same claim run twice (its first answer lost with the connection) gets the row it
    claimed; a different claim of the same worker process (another drain) does not."""
    await accept(database, "m1", "m2")
    first = await claim(database, "w1:a")
    again = await claim(database, "w1:a")
    assert first is not None and again is not None
    assert again.claimed and (again.id, again.message_id) == (first.id, "m1")
    other_drain = await claim(database, "w1:b")
    assert other_drain is not None and not other_drain.claimed
    assert (await row(database, "m1")).claimed_by == "w1:a"


async def answered(database: Database, message_id: str) -> None:
    async with database.session() as session:
        await Inbox(session).finish(
            "telegram", message_id, user_id=None, status="done", reply='[{"text": "hi"}]'
        )


async def test_the_next_row_waits_while_another_claim_still_sends_an_earlier_reply(
    database: Database, claim: Claim
) -> None:
    """Two drains of one conversation (the Redis lock unreachable): the second does not
    claim the next message while the first still sends the reply before it, so the replies
    reach the person in order. The first drain itself goes on; a reply whose claim went
    stale (its worker died) holds nothing up (the recovery sweep resends it)."""
    await accept(database, "m1", "m2")
    first = await claim(database, "w1:a")
    assert first is not None and first.claimed
    await answered(database, "m1")  # its reply is being sent
    other = await claim(database, "w2:b")
    assert other is not None and not other.claimed and other.message_id is None
    # A drain never waits for its own last row, sent (recorded now) or not.
    own = await claim_own(database, "w1:c", previous=first.id)
    assert own is not None and own.claimed and own.message_id == "m2"


async def test_a_reply_whose_claim_went_stale_holds_nothing_up(
    database: Database, claim: Claim
) -> None:
    await accept(database, "m1", "m2")
    first = await claim(database, "w1:a")
    assert first is not None
    await answered(database, "m1")
    async with database.session() as session:
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == first.id)
            .values(claimed_at=utcnow() - 2 * LEASE)  # its worker died while sending
        )
    later = await claim(database, "w2:b")
    assert later is not None and later.claimed and later.message_id == "m2"


async def claim_own(database: Database, label: str, previous: int) -> NextRow | None:
    return await inbox_module.claim_next(
        database, "telegram", "c1", label, utcnow() - LEASE, previous=previous
    )


async def test_a_stale_claim_is_taken_over(database: Database, claim: Claim) -> None:
    await accept(database, "m1")
    async with database.session() as session:
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.message_id == "m1")
            .values(status="processing", claimed_by="dead", claimed_at=utcnow() - 2 * LEASE)
        )
    taken = await claim(database, "w2")
    assert taken is not None and taken.claimed and taken.message_id == "m1"
    assert (await row(database, "m1")).claimed_by == "w2"


async def test_a_delivery_is_marked_once(database: Database, claim: Claim) -> None:
    await accept(database, "m1")
    first = await claim(database, "w1")
    assert first is not None
    await finish(database, "m1")
    assert await claim(database, "w1", delivered=first.id) is None
    first_mark = (await row(database, "m1")).delivered_at
    await claim(database, "w1", delivered=first.id)
    assert (await row(database, "m1")).delivered_at == first_mark


async def test_concurrent_claims_of_one_row_give_it_to_one_worker(
    database: Database, claim: Claim
) -> None:
    await accept(database, "m1")
    results = await asyncio.gather(*(claim(database, f"w{i}") for i in range(8)))
    claimed = [r for r in results if r is not None and r.claimed]
    assert len(claimed) == 1
    assert (await row(database, "m1")).claimed_by is not None


@pytest.mark.postgres
async def test_on_postgresql_the_step_is_one_statement(pg_url: str) -> None:
    await upgrade_database_async(pg_url)
    database = Database(pg_url, pool_size=1, max_overflow=0)
    try:
        await accept(database, "m1", "m2", "m3")
        first = await claim_in_session(database, "w1")
        assert first is not None
        await finish(database, "m1")
        statements: list[str] = []

        def on_execute(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
        second = await claim_in_session(database, "w1", delivered=first.id)
        assert second is not None and second.claimed
        assert len(statements) == 1
        event.remove(database.engine.sync_engine, "before_cursor_execute", on_execute)

        # On its own, the step is that statement alone on the driver: no BEGIN, no COMMIT.
        await finish(database, "m2")
        pooled = await database.engine.raw_connection()
        pooled.driver_connection.add_query_logger(lambda query: statements.append(query.query))
        await greenlet_spawn(pooled.close)
        statements.clear()
        third = await claim_on_its_own(database, "w1", delivered=second.id)
        assert third is not None and third.message_id == "m3" and third.claimed
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon after, not at once
        assert [" ".join(s.split())[:19] for s in statements] == ["WITH delivered AS ("]
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_on_postgresql_the_claim_reads_only_unfinished_rows(pg_url: str) -> None:
    # Every status change leaves a dead index entry until VACUUM; a lookup through an index of
    # all rows read thousands of them per claim once a conversation had a history.
    from sqlalchemy import text

    from fitcoach.storage.inbox import _CLAIM_NEXT_POSTGRESQL

    await upgrade_database_async(pg_url)
    database = Database(pg_url)
    try:
        previous: int | None = None
        for n in range(40):
            await accept(database, f"m{n}")
            claimed = await claim_on_its_own(database, "w1", delivered=previous)
            assert claimed is not None
            previous = claimed.id
            await finish(database, f"m{n}")
        await accept(database, "open")
        explain = text("EXPLAIN (ANALYZE) " + _CLAIM_NEXT_POSTGRESQL.text).bindparams(
            *_CLAIM_NEXT_POSTGRESQL._bindparams.values()
        )
        async with database.session() as session:
            plan = "\n".join(
                row[0]
                for row in await session.execute(
                    explain,
                    {
                        "now": utcnow(),
                        "stale_before": utcnow() - LEASE,
                        "channel": "telegram",
                        "conversation_id": "c1",
                        "delivered": previous,
                        "previous": previous,
                        "claim": "w1",
                    },
                )
            )
        before_claim, claim_step = plan.split("CTE claimed")
        delivered, lookup = before_claim.split("CTE next")
        assert "pk_inbox" in delivered, plan
        assert "ix_inbox_open_by_conversation" in lookup, plan
        # the look for an earlier reply still being sent (inlined into the claim)
        assert "ix_inbox_unsent_by_conversation" in claim_step, plan
        assert "ix_inbox_status" not in plan, plan
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_on_postgresql_a_message_is_found_by_its_key_not_by_walking_its_channel(
    pg_url: str,
) -> None:
    # The turn's outcome and its reply's delivery look a row up by (channel, message_id).
    # A fresh table has no statistics until autovacuum analyzes it; the planner then took an
    # index that starts with the channel alone and filtered every row of that channel (796
    # buffers per finished turn after 1,000 turns of bench/load.py; more as the inbox grew).
    from sqlalchemy import text

    from fitcoach.storage.inbox import _FINISH_TURN_POSTGRESQL as FINISH
    from fitcoach.storage.inbox import FinishedTurn, _finish_turn_parameters
    from fitcoach.storage.person_lookup import create_person

    await upgrade_database_async(pg_url)
    database = Database(pg_url)
    try:
        person = await create_person(database, "telegram", "7000010", "Ann")
        for n in range(300):
            await accept(database, f"m{n}", conversation=f"c{n % 30}")
        turn = FinishedTurn(
            channel="telegram",
            message_id="m250",
            conversation_id="c10",
            status="done",
            reply="[]",
            user_id=person.id,
            in_text="hi",
            out_texts=("hello",),
            received_at=utcnow(),
        )
        explain = text("EXPLAIN (ANALYZE, BUFFERS) " + FINISH.text).bindparams(
            *FINISH._bindparams.values()
        )
        async with database.session() as session:
            plan = "\n".join(
                row[0] for row in await session.execute(explain, _finish_turn_parameters(turn))
            )
        assert "uq_inbox_channel" in plan, plan
        assert "Rows Removed by Filter" not in plan, plan
    finally:
        await database.dispose()
