"""The conversation queue across "replicas": several queues on one database (SQLite file or
PostgreSQL) and one real Redis, each with its own worker id, as separate processes would be."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.conversation_queue import ConversationKey, ConversationQueue
from fitcoach.coordination import (
    WORK_LIST,
    WORKER_LOADS,
    Coordinator,
    Lease,
    LocalCoordinator,
    RedisCoordinator,
)
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import Inbox
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import InboxMessage, utcnow

REDIS_URL = os.environ.get("FITCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    yield db
    await db.dispose()


async def redis_or_skip() -> None:
    probe = RedisCoordinator(REDIS_URL)
    try:
        await probe.redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await probe.close()


class Replica:
    """One queue with a runner that records what it ran and answers after a random delay."""

    def __init__(
        self,
        database: Database,
        coordinator: Coordinator,
        log: list[str],
        lease_s: float = 5,
        turn_s: tuple[float, float] = (0.0, 0.03),
    ) -> None:
        self.database = database
        self.turn_s = turn_s
        self.log = log
        self.sent: list[str] = []
        self.inside: set[str] = set()
        self.overlaps = 0
        self.queue = ConversationQueue(
            database,
            coordinator,
            self.run,
            worker_id=uuid.uuid4().hex[:12],
            lease_s=lease_s,
            max_concurrent_turns=8,
        )
        self.queue.deliverers["test"] = self.deliver

    async def run(self, message: InboundMessage) -> list[OutboundMessage]:
        if message.conversation_id in self.inside:
            self.overlaps += 1
        self.inside.add(message.conversation_id)
        await asyncio.sleep(random.uniform(*self.turn_s))
        self.log.append(message.message_id)
        self.inside.discard(message.conversation_id)
        async with self.database.session() as session:
            await Inbox(session).finish(
                message.channel, message.message_id, user_id=None, status="done", reply="[]"
            )
        return [OutboundMessage(text=f"re {message.message_id}")]

    async def deliver(self, message: InboundMessage, replies: list[OutboundMessage]) -> None:
        self.sent.append(message.message_id)

    async def submit(self, message: InboundMessage) -> None:
        async with self.database.session() as session:
            assert await Inbox(session).accept(
                message.channel,
                message.message_id,
                message.conversation_id,
                message.model_dump_json(),
            )
        self.queue.enqueue(message)

    async def idle(self) -> None:
        while self.queue.tasks:
            await asyncio.gather(*self.queue.tasks, return_exceptions=True)


def msg(conversation: str, n: int) -> InboundMessage:
    return InboundMessage(
        channel="test",
        external_user_id=conversation,
        conversation_id=conversation,
        message_id=f"{conversation}-{n:02d}",
        text=f"message {n}",
    )


async def send_interleaved(replicas: list[Replica], conversations: int, per: int) -> None:
    """Every conversation's messages in order, each to a random replica, arriving quickly."""
    for n in range(per):
        for c in range(conversations):
            await random.choice(replicas).submit(msg(f"c{c}", n))
        await asyncio.sleep(0.005)


def check_order(log: list[str], conversations: int, per: int) -> None:
    for c in range(conversations):
        ran = [m for m in log if m.startswith(f"c{c}-")]
        assert ran == [f"c{c}-{n:02d}" for n in range(per)], ran


@pytest.mark.redis
async def test_two_replicas_on_redis_keep_each_conversations_order(database: Database) -> None:
    await redis_or_skip()
    log: list[str] = []
    coordinators = [RedisCoordinator(REDIS_URL), RedisCoordinator(REDIS_URL)]
    replicas = [Replica(database, c, log) for c in coordinators]
    await send_interleaved(replicas, conversations=6, per=8)
    for _ in range(3):  # a replica may exit while the other still drains: settle both
        for replica in replicas:
            await replica.idle()
        await asyncio.sleep(0.3)
    check_order(log, 6, 8)
    assert len(log) == 48 and sum(r.overlaps for r in replicas) == 0
    assert sorted(replicas[0].sent + replicas[1].sent) == sorted(log)  # each reply sent once
    for c in coordinators:
        await c.close()


@pytest.mark.redis
async def test_a_replica_finding_the_conversation_taken_leaves_its_message_to_the_holder(
    database: Database,
) -> None:
    """No polling between replicas: the second replica marks the conversation and stops; the
    holder sees the mark when it releases the lock and runs the message, in order."""
    await redis_or_skip()
    log: list[str] = []
    coordinators = [RedisCoordinator(REDIS_URL), RedisCoordinator(REDIS_URL)]
    holder, other = (Replica(database, c, log) for c in coordinators)
    conversation = f"mark-{uuid.uuid4().hex[:8]}"
    release = asyncio.Event()
    run = holder.run

    async def slow_first(message: InboundMessage) -> list[OutboundMessage]:
        if message.message_id.endswith("-00"):
            await release.wait()
        return await run(message)

    tries = 0
    try_lock = coordinators[1].try_lock

    async def counted_try_lock(key: str, lease_s: float) -> Lease | None:
        nonlocal tries
        tries += 1
        return await try_lock(key, lease_s)

    holder.queue.run = slow_first
    coordinators[1].try_lock = counted_try_lock  # type: ignore[method-assign]
    await holder.submit(msg(conversation, 0))
    await asyncio.sleep(0.1)  # the holder is inside its turn, holding the lock
    await other.submit(msg(conversation, 1))
    await asyncio.wait_for(other.idle(), 1.0)
    assert log == []
    assert tries == 2  # one try, the mark, one more try: no polling
    release.set()
    await asyncio.wait_for(holder.idle(), 5.0)
    assert log == [f"{conversation}-00", f"{conversation}-01"]
    assert holder.sent == log and other.sent == []
    for c in coordinators:
        await c.close()


@pytest.mark.redis
async def test_work_marked_for_a_request_holding_the_conversation_runs_after_it(
    database: Database,
) -> None:
    """A web process leaves a message to whoever holds the conversation; a synchronous
    request (``run_now``) holding it takes that message too once its own is answered."""
    await redis_or_skip()
    log: list[str] = []
    web = RedisCoordinator(REDIS_URL)
    holder_coordinator = RedisCoordinator(REDIS_URL)
    holder = Replica(database, holder_coordinator, log, turn_s=(0.2, 0.2))
    conversation = f"now-{uuid.uuid4().hex[:8]}"
    first, second = msg(conversation, 0), msg(conversation, 1)
    key = ConversationKey.of(first)
    async with database.session() as session:
        for message in (first, second):
            await Inbox(session).accept(
                message.channel,
                message.message_id,
                message.conversation_id,
                message.model_dump_json(),
            )
    answering = asyncio.create_task(holder.queue.run_now(first))
    await asyncio.sleep(0.1)  # the request is inside its turn, holding the lock
    assert await web.hand_off_or_mark(f"test\t{conversation}", key.lock_name, 5)
    replies = await asyncio.wait_for(answering, 2.0)
    assert replies is not None and replies[0].text == f"re {first.message_id}"
    await asyncio.wait_for(holder.idle(), 2.0)
    assert log == [first.message_id, second.message_id]
    assert holder.sent == [second.message_id]
    for c in (web, holder_coordinator):
        await c.close()


async def test_without_a_shared_lock_the_inbox_claims_still_keep_order(
    database: Database,
) -> None:
    """Redis down: each replica only has its own in-process lease; the inbox decides."""
    log: list[str] = []
    replicas = [Replica(database, LocalCoordinator(), log) for _ in range(2)]
    await send_interleaved(replicas, conversations=4, per=6)
    for _ in range(3):
        for replica in replicas:
            await replica.idle()
        await asyncio.sleep(0.3)
    check_order(log, 4, 6)
    assert len(log) == 24


async def test_a_dead_workers_claim_is_taken_over_after_the_lease(database: Database) -> None:
    log: list[str] = []
    replica = Replica(database, LocalCoordinator(), log, lease_s=2)
    first, second = msg("c0", 0), msg("c0", 1)
    async with database.session() as session:
        inbox = Inbox(session)
        for m in (first, second):
            await inbox.accept(m.channel, m.message_id, m.conversation_id, m.model_dump_json())
        await session.execute(  # another worker claimed the first one just now, then died
            update(InboxMessage)
            .where(InboxMessage.message_id == first.message_id)
            .values(status="processing", claimed_by="dead", claimed_at=utcnow())
        )
    replica.queue.enqueue(second)
    await asyncio.sleep(0.5)
    assert log == []  # the second waits: the first is still claimed (the lease is fresh)
    await asyncio.wait_for(replica.idle(), 10)
    assert log == [first.message_id, second.message_id]


async def test_a_reply_stored_but_never_sent_is_found_for_resending(database: Database) -> None:
    m = msg("c0", 0)
    async with database.session() as session:
        inbox = Inbox(session)
        await inbox.accept(m.channel, m.message_id, m.conversation_id, m.model_dump_json())
        await inbox.claim_row(1, "dead", utcnow())
        await inbox.finish(m.channel, m.message_id, user_id=None, status="done", reply="[]")
    async with database.session() as session:
        # fresh claim: its worker may still be sending
        assert await Inbox(session).undelivered(utcnow() - timedelta(seconds=30), ["test"]) == []
        later = await Inbox(session).undelivered(utcnow() + timedelta(seconds=1), ["test"])
        assert [r.message_id for r in later] == [m.message_id]
        assert await Inbox(session).mark_delivered(m.channel, m.message_id)
        assert not await Inbox(session).mark_delivered(m.channel, m.message_id)  # only once
        row = (await session.execute(select(InboxMessage))).scalar_one()
    assert row.delivered_at is not None


class FailingFirstSend(Replica):
    """Stores a real reply for each turn; the first send fails (the platform is down)."""

    async def run(self, message: InboundMessage) -> list[OutboundMessage]:
        self.log.append(message.message_id)
        async with self.database.session() as session:
            await Inbox(session).finish(
                message.channel,
                message.message_id,
                user_id=None,
                status="done",
                reply='[{"text": "re"}]',
            )
        return [OutboundMessage(text=f"re {message.message_id}")]

    async def deliver(self, message: InboundMessage, replies: list[OutboundMessage]) -> None:
        if not self.sent:
            self.sent.append("failed")
            raise ConnectionError("platform down")
        self.sent.append(message.message_id)


async def test_a_reply_that_could_not_be_sent_holds_up_no_later_message(
    database: Database,
) -> None:
    """A failed send ends its claim at once: the conversation's next message (a new drain)
    does not wait out the lease for a reply that nobody is sending any more, and the
    recovery sweep finds that reply to send again at its next pass."""
    log: list[str] = []
    replica = FailingFirstSend(database, LocalCoordinator(), log, lease_s=30)
    first, second = msg("c0", 0), msg("c0", 1)
    await replica.submit(first)
    await asyncio.wait_for(replica.idle(), 10)
    assert replica.sent == ["failed"]
    async with database.session() as session:
        unsent = await Inbox(session).undelivered(utcnow() - timedelta(seconds=30), ["test"])
    assert [r.message_id for r in unsent] == [first.message_id]
    await replica.submit(second)
    await asyncio.wait_for(replica.idle(), 5)  # not the 30 s lease
    assert log == [first.message_id, second.message_id]
    assert replica.sent == ["failed", second.message_id]


@pytest.mark.redis
async def test_a_drain_that_lost_its_lease_stops_after_the_turn_in_progress(
    database: Database,
) -> None:
    await redis_or_skip()
    coordinator = RedisCoordinator(REDIS_URL)
    log: list[str] = []
    replica = Replica(database, coordinator, log, lease_s=0.9)
    first, second = msg("lost", 0), msg("lost", 1)
    lease_key = "fitcoach:lease:test:lost"
    original_run = replica.run

    async def slow_run(message: InboundMessage) -> list[OutboundMessage]:
        if message == first:
            # Meanwhile the lease expired and another worker took the conversation.
            await coordinator.redis.set(lease_key, b"another-worker")
            await asyncio.sleep(0.8)
        return await original_run(message)

    replica.queue.run = slow_run
    try:
        await replica.submit(first)
        async with database.session() as session:
            await Inbox(session).accept(
                second.channel, second.message_id, second.conversation_id, second.model_dump_json()
            )
        await asyncio.wait_for(replica.idle(), 10)
        assert log == [first.message_id]  # the second is left to the lease's holder
        async with database.session() as session:
            rows = {
                row.message_id: row
                for row in (await session.execute(select(InboxMessage))).scalars()
            }
        assert rows[first.message_id].delivered_at is not None  # its delivery still recorded
        assert rows[second.message_id].status == "received"
        assert await coordinator.redis.get(lease_key) == b"another-worker"
    finally:
        await coordinator.redis.delete(lease_key)
        await coordinator.close()


class Worker:
    """A replica as a worker process: it also takes conversations from the shared queue (not
    while over its share), and hands conversations back while over its share. ``overloaded``
    True: always over it; False: never; None: as the queue judges from the loads."""

    def __init__(self, replica: Replica, coordinator: Coordinator, overloaded: bool | None) -> None:
        self.replica = replica
        self.coordinator = coordinator
        if overloaded is not None:
            replica.queue.share_margin = -1000.0 if overloaded else 1000.0
        if overloaded:
            replica.queue.hand_back_every_s = 0.0
        self.handed_back = 0
        self.stopped = False

    async def hand_off(self, key: ConversationKey) -> bool:
        self.handed_back += 1
        return await self.coordinator.hand_off(f"{key.channel}\t{key.conversation_id}")

    async def take(self) -> None:
        while not self.stopped:  # stopped by a flag: a cancelled BRPOP may be retried
            if not self.replica.queue.takes_more():
                await asyncio.sleep(0.02)
                continue
            item = await self.coordinator.take_hand_off(0.1)
            if item and "\t" in item:
                channel, conversation_id = item.split("\t", 1)
                self.replica.queue.kick(ConversationKey(channel, conversation_id))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        taking = asyncio.create_task(self.take())
        sharing = asyncio.create_task(self.replica.queue.share_load(self.hand_off))
        try:
            yield
        finally:
            self.stopped = True
            sharing.cancel()
            await asyncio.wait_for(asyncio.gather(taking, sharing, return_exceptions=True), 5)


async def settle(replicas: list[Replica], log: list[str], expected: int) -> None:
    for _ in range(100):
        if len(log) >= expected and not any(r.queue.tasks for r in replicas):
            return
        await asyncio.sleep(0.05)


async def two_workers(
    database: Database,
    overloaded: tuple[bool | None, bool | None],
    conversations: int,
    per: int,
    turn_s: tuple[float, float] = (0.0, 0.03),
) -> list[Worker]:
    """Two workers on Redis, every message submitted to the first; checks that each
    conversation ran in order and each message ran and was answered exactly once."""
    await redis_or_skip()
    log: list[str] = []
    coordinators = [RedisCoordinator(REDIS_URL), RedisCoordinator(REDIS_URL)]
    await coordinators[0].redis.delete(WORK_LIST, WORKER_LOADS)
    replicas = [Replica(database, c, log, turn_s=turn_s) for c in coordinators]
    workers = [Worker(r, c, o) for r, c, o in zip(replicas, coordinators, overloaded, strict=True)]
    try:
        async with workers[0].running(), workers[1].running():
            await asyncio.sleep(0.3)  # both have reported their loads once
            for n in range(per):
                for c in range(conversations):
                    await replicas[0].submit(msg(f"c{c}", n))
            await settle(replicas, log, conversations * per)
    finally:
        await coordinators[0].redis.delete(WORKER_LOADS)
        for coordinator in coordinators:
            await coordinator.close()
    check_order(log, conversations, per)
    assert len(log) == conversations * per and sum(r.overlaps for r in replicas) == 0
    assert sorted(replicas[0].sent + replicas[1].sent) == sorted(log)  # each reply sent once
    return workers


@pytest.mark.redis
async def test_an_overloaded_worker_hands_conversations_to_the_free_one_in_order(
    database: Database,
) -> None:
    busy, free = await two_workers(database, (True, False), conversations=4, per=6)
    assert busy.handed_back > 0 and free.handed_back == 0
    assert free.replica.sent  # the free worker took conversations over


@pytest.mark.redis
async def test_a_worker_over_its_share_hands_conversations_to_the_other(
    database: Database,
) -> None:
    # No forcing: the loads the workers report decide.
    first, second = await two_workers(
        database, (None, None), conversations=8, per=10, turn_s=(0.04, 0.06)
    )
    assert first.handed_back > 0 and second.replica.sent  # the second worker took a share


@pytest.mark.redis
async def test_a_lone_overloaded_worker_takes_its_conversations_back(database: Database) -> None:
    # It may take a conversation it handed back before its own drain has ended: a new drain
    # starts for it, nothing waits for the recovery sweep.
    await redis_or_skip()
    log: list[str] = []
    coordinator = RedisCoordinator(REDIS_URL)
    await coordinator.redis.delete(WORK_LIST, WORKER_LOADS)
    alone = Replica(database, coordinator, log)
    worker = Worker(alone, coordinator, True)
    async with worker.running():
        for n in range(5):
            for c in range(3):
                await alone.submit(msg(f"c{c}", n))
        await settle([alone], log, 15)
    check_order(log, 3, 5)
    assert len(log) == 15 and worker.handed_back > 0
    await coordinator.close()


async def test_an_overloaded_worker_drains_on_when_the_hand_off_fails(
    database: Database,
) -> None:
    log: list[str] = []
    alone = Replica(database, LocalCoordinator(), log)  # no shared queue: hand_off is refused
    alone.queue.share_margin = -1000.0  # always over its share
    alone.queue.hand_back_every_s = 0.0
    refused: list[ConversationKey] = []

    async def hand_off(key: ConversationKey) -> bool:
        refused.append(key)
        return False

    sharing = asyncio.create_task(alone.queue.share_load(hand_off))
    try:
        for n in range(4):
            await alone.submit(msg("c0", n))
        await settle([alone], log, 4)
    finally:
        sharing.cancel()
    assert log == [f"c0-{n:02d}" for n in range(4)] and refused
