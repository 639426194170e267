"""Replica coordination on a real Redis, fallbacks when it fails, recovery of dead work."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from fitcoach.bootstrap import Services, open_services
from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.config import get_settings
from fitcoach.conversation import RATE_LIMITED_REPLY
from fitcoach.coordination import (
    REDIS_MAX_CONNECTIONS,
    WORK_LIST,
    WORKER_LOADS,
    LocalCoordinator,
    RedisCoordinator,
    RedisLease,
)
from fitcoach.storage.models import InboxMessage, MealItem, utcnow

REDIS_URL = os.environ.get("FITCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    probe = RedisCoordinator(REDIS_URL)
    try:
        await probe.redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    finally:
        await probe.close()
    yield REDIS_URL


@pytest.mark.redis
async def test_two_replicas_never_process_one_conversation_at_once(redis_url: str) -> None:
    replicas = [RedisCoordinator(redis_url), RedisCoordinator(redis_url)]
    key = f"conv-{uuid.uuid4().hex}"
    inside = 0
    overlaps = 0
    order: list[int] = []

    async def work(replica: RedisCoordinator, n: int) -> None:
        nonlocal inside, overlaps
        while (lease := await replica.try_lock(key, 5)) is None:
            await asyncio.sleep(0.01)
        try:
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.02)
            order.append(n)
            inside -= 1
        finally:
            await lease.release()

    await asyncio.gather(*(work(replicas[n % 2], n) for n in range(10)))
    assert overlaps == 0 and sorted(order) == list(range(10))
    for replica in replicas:
        await replica.close()


@pytest.mark.redis
async def test_an_expired_lease_is_taken_back_unless_another_worker_holds_it(
    redis_url: str,
) -> None:
    holder, other = RedisCoordinator(redis_url), RedisCoordinator(redis_url)
    key = f"conv-{uuid.uuid4().hex}"
    redis_key = f"fitcoach:lease:{key}"
    try:
        lease = await holder.try_lock(key, 5)
        assert lease is not None
        assert await lease.renew()
        await holder.redis.delete(redis_key)  # expired; nobody took it
        assert await lease.renew()  # taken back
        assert await other.try_lock(key, 5) is None
        await holder.redis.set(redis_key, b"another-worker")  # expired and taken
        assert not await lease.renew()
        assert await holder.redis.get(redis_key) == b"another-worker"
        await lease.release()
        assert await holder.redis.get(redis_key) == b"another-worker"  # not ours to release
    finally:
        await holder.redis.delete(redis_key)
        await holder.close()
        await other.close()


@pytest.mark.redis
async def test_a_kept_lease_outlives_its_expiry_whatever_the_holder_waits_for(
    redis_url: str,
) -> None:
    from fitcoach.conversation_queue import kept

    coordinator = RedisCoordinator(redis_url)
    key = f"conv-{uuid.uuid4().hex}"
    try:
        lease = await coordinator.try_lock(key, 0.6)
        assert lease is not None
        async with kept(lease, 0.2) as keeper:
            await asyncio.sleep(1.5)  # e.g. waiting for a database connection
            assert await coordinator.redis.exists(f"fitcoach:lease:{key}")
            assert not keeper.lost
            await coordinator.redis.set(f"fitcoach:lease:{key}", b"another-worker")
            await asyncio.sleep(0.5)
            assert keeper.lost
        await lease.release()
    finally:
        await coordinator.redis.delete(f"fitcoach:lease:{key}")
        await coordinator.close()


@pytest.mark.redis
async def test_a_released_lease_is_not_renewed(redis_url: str) -> None:
    from prometheus_client import REGISTRY

    def redis_errors() -> float | None:
        return REGISTRY.get_sample_value("fitcoach_errors_total", {"where": "redis"})

    first = RedisCoordinator(redis_url)
    second = RedisCoordinator(redis_url)
    key = f"conv-{uuid.uuid4().hex}"
    try:
        old = await first.try_lock(key, 5)
        assert old is not None
        await old.release()
        newer = await second.try_lock(key, 5)
        assert newer is not None
        holder = await second.redis.get(f"fitcoach:lease:{key}")
        errors = redis_errors()
        assert not await old.renew()  # a late renewal: not held, and not a Redis error
        assert redis_errors() == errors
        assert await second.redis.get(f"fitcoach:lease:{key}") == holder
        assert await newer.renew()
        await newer.release()
    finally:
        await first.redis.delete(f"fitcoach:lease:{key}")
        await first.close()
        await second.close()


async def test_a_repeating_action_stops_with_its_block_even_if_it_swallows_a_cancel() -> None:
    from fitcoach.conversation_queue import every

    calls = 0

    async def action() -> None:
        nonlocal calls
        calls += 1
        # like a client library that turns the cancellation into its own timeout:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.2)

    started = asyncio.get_running_loop().time()
    async with every(0.01, action):
        await asyncio.sleep(0.05)  # the action is in its await when the block ends
    assert asyncio.get_running_loop().time() - started < 1.0
    after_block = calls
    await asyncio.sleep(0.3)
    assert calls == after_block == 1


@pytest.mark.redis
async def test_rate_limits_are_shared_across_replicas(redis_url: str) -> None:
    a, b = RedisCoordinator(redis_url), RedisCoordinator(redis_url)
    key = f"ip:{uuid.uuid4().hex}"
    results = [await (a if i % 2 else b).allow(key, 5, 60) for i in range(8)]
    assert results == [True] * 5 + [False] * 3
    await a.close()
    await b.close()


@pytest.mark.redis
async def test_a_rate_window_expires_and_survives_a_script_flush(redis_url: str) -> None:
    coordinator = RedisCoordinator(redis_url)
    key = f"person:{uuid.uuid4().hex}"
    try:
        day = 86_400  # a window the test cannot cross
        assert await coordinator.allow(key, 2, day) is True
        (bucket,) = await coordinator.redis.keys(f"fitcoach:rate:{key}:*")
        assert 0 < await coordinator.redis.ttl(bucket) <= day + 1
        await coordinator.redis.script_flush()  # what a Redis restart does to loaded scripts
        assert [await coordinator.allow(key, 2, day) for _ in range(2)] == [True, False]
        assert int(await coordinator.redis.get(bucket)) == 3
    finally:
        for bucket in await coordinator.redis.keys(f"fitcoach:rate:{key}:*"):
            await coordinator.redis.delete(bucket)
        await coordinator.close()


@pytest.mark.redis
async def test_a_burst_larger_than_the_connection_pool_waits_for_connections(
    redis_url: str,
) -> None:
    """More concurrent commands than the pool has connections: they wait for one, rather
    than fail and fall back to this process's own counters and locks."""
    coordinator = RedisCoordinator(redis_url)
    key = f"burst-{uuid.uuid4().hex[:8]}"
    burst = 3 * REDIS_MAX_CONNECTIONS
    try:
        allowed = await asyncio.gather(*(coordinator.allow(key, burst, 60) for _ in range(burst)))
        assert all(allowed)
        buckets = await coordinator.redis.keys(f"fitcoach:rate:{key}:*")
        counted = sum([int(await coordinator.redis.get(b)) for b in buckets])
        assert counted == burst  # every hit reached Redis
        leases = await asyncio.gather(
            *(coordinator.try_lock(f"{key}-{n}", 5) for n in range(burst))
        )
        assert all(isinstance(lease, RedisLease) for lease in leases)  # none only local
        await asyncio.gather(*(lease.release() for lease in leases if lease is not None))
    finally:
        for bucket in await coordinator.redis.keys(f"fitcoach:rate:{key}:*"):
            await coordinator.redis.delete(bucket)
        await coordinator.close()


async def test_redis_outage_degrades_to_local_coordination() -> None:
    broken = RedisCoordinator("redis://127.0.0.1:1/0")  # nothing listens there
    lease = await broken.try_lock("c", 5)  # this process's own lease still serialises it
    assert lease is not None and await broken.try_lock("c", 5) is None
    await lease.release()
    assert await broken.allow("k", 1, 60) is True
    assert await broken.allow("k", 1, 60) is False
    await broken.close()


@pytest.mark.redis
async def test_a_waiting_mark_is_seen_once_by_any_replica(redis_url: str) -> None:
    one, two = RedisCoordinator(redis_url), RedisCoordinator(redis_url)
    key = f"test\tmark-{uuid.uuid4().hex[:8]}"
    assert await one.take_waiting(key) is False
    assert await one.mark_waiting(key, 5)
    assert await two.take_waiting(key) is True  # the holder may be another replica
    assert await one.take_waiting(key) is False
    assert await one.mark_waiting(key, 0.2)
    await asyncio.sleep(0.4)  # the mark of a holder that died goes with its lease
    assert await two.take_waiting(key) is False
    local = LocalCoordinator()
    assert await local.mark_waiting(key, 5) and await local.take_waiting(key)
    assert await local.take_waiting(key) is False
    for c in (one, two):
        await c.close()


@pytest.mark.redis
async def test_a_hand_off_goes_to_the_holder_while_one_holds_the_conversation(
    redis_url: str,
) -> None:
    web, worker = RedisCoordinator(redis_url), RedisCoordinator(redis_url)
    lock = f"test:held-{uuid.uuid4().hex[:8]}"
    item = f"test\t{lock}"
    try:
        await web.redis.delete(WORK_LIST)
        lease = await worker.try_lock(lock, 5)
        assert lease is not None
        assert await web.hand_off_or_mark(item, lock, 5)
        assert await web.redis.llen(WORK_LIST) == 0  # no other worker is woken for it
        await lease.release()
        assert await worker.take_waiting(lock) is True  # the holder takes it after release
        assert await worker.take_waiting(lock) is False
        assert await web.hand_off_or_mark(item, lock, 5)  # nobody holds it: a worker takes it
        assert await worker.take_hand_off(0.1) == item
        assert await worker.take_waiting(lock) is False
        await web.redis.script_flush()  # what a Redis restart does to loaded scripts
        assert await web.hand_off_or_mark(item, lock, 5)
        assert await worker.take_hand_off(0.1) == item
    finally:
        await web.redis.delete(WORK_LIST)
        for c in (web, worker):
            await c.close()
    broken = RedisCoordinator("redis://127.0.0.1:1/0")
    assert await broken.hand_off_or_mark(item, lock, 5) is False  # the web runs it itself
    await broken.close()
    assert await LocalCoordinator().hand_off_or_mark(item, lock, 5) is False


@pytest.mark.redis
async def test_workers_see_each_others_loads_until_one_stops_reporting(redis_url: str) -> None:
    one, two = RedisCoordinator(redis_url), RedisCoordinator(redis_url)
    try:
        await one.redis.delete(WORKER_LOADS)
        assert await one.report_load("w1", 7, 0.3) == [7]
        assert sorted(await two.report_load("w2", 2, 0.3) or []) == [2, 7]
        assert sorted(await one.report_load("w1", 5, 0.3) or []) == [2, 5]  # replaced, not added
        await asyncio.sleep(0.5)  # w2 stopped reporting: gone after its time to live
        assert await one.report_load("w1", 4, 0.3) == [4]
        assert await one.redis.hkeys(WORKER_LOADS) == [b"w1"]  # the stale entry was removed
        assert 0 < await one.redis.pttl(WORKER_LOADS) <= 3000  # gone once no worker reports
    finally:
        await one.redis.delete(WORKER_LOADS)
        for c in (one, two):
            await c.close()


async def test_loads_are_unknown_while_redis_fails_and_alone_in_process() -> None:
    broken = RedisCoordinator("redis://127.0.0.1:1/0")
    assert await broken.report_load("w1", 3, 1.0) is None  # the worker then works on its own
    await broken.close()
    assert await LocalCoordinator().report_load("w1", 3, 1.0) == [3]


@pytest.mark.redis
async def test_a_mark_that_cannot_be_stored_says_so() -> None:
    broken = RedisCoordinator("redis://127.0.0.1:1/0")
    assert await broken.mark_waiting("c", 5) is False  # the caller polls instead
    assert await broken.take_waiting("c") is True  # look once more rather than lose work
    await broken.close()


@pytest.mark.redis
async def test_warming_up_opens_the_connections_a_burst_would_open(redis_url: str) -> None:
    coordinator = RedisCoordinator(redis_url)
    try:
        before = len(await coordinator.redis.client_list())
        await coordinator.warm_up(6)
        assert len(await coordinator.redis.client_list()) - before >= 5
        # the rate-limit script is loaded: its first use is one EVALSHA, not a NOSCRIPT
        assert await coordinator.redis.script_exists(coordinator._count_hit.sha) == [True]
    finally:
        await coordinator.close()


async def test_warming_up_without_redis_is_not_an_error() -> None:
    broken = RedisCoordinator("redis://127.0.0.1:1/0")
    await broken.warm_up(3)  # logged; the process still starts and falls back per call
    await LocalCoordinator().warm_up(3)
    await broken.close()


async def test_local_sliding_window() -> None:
    local = LocalCoordinator()
    assert [await local.allow("x", 2, 60) for _ in range(3)] == [True, True, False]


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = get_settings(data_dir=tmp_path / "var", model="offline", rate_limit_person_per_min=3)
    async with open_services(settings) as opened:
        yield opened


def message(text: str, message_id: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel="test",
        external_user_id="p",
        conversation_id="p",
        message_id=message_id or uuid.uuid4().hex,
        text=text,
    )


async def test_a_person_over_the_limit_still_gets_one_short_reply(services: Services) -> None:
    replies = [
        await services.conversation.handle(message("how am I doing today?")) for _ in range(4)
    ]
    assert all(len(r) == 1 for r in replies)
    assert replies[-1][0].text == RATE_LIMITED_REPLY
    assert replies[0][0].text != RATE_LIMITED_REPLY


async def claimed_by_the_dead(services: Services, message_id: str) -> None:
    """Mark a message as claimed ten minutes ago by a worker that is gone."""
    async with services.database.session() as session:
        await session.execute(
            update(InboxMessage)
            .where(InboxMessage.message_id == message_id)
            .values(
                status="processing",
                claimed_at=utcnow() - timedelta(minutes=10),
                claimed_by="dead-worker",
            )
        )


async def test_work_of_a_dead_replica_is_taken_over_once(services: Services) -> None:
    delivered: list[tuple[str, list[OutboundMessage]]] = []

    async def deliver(inbound: InboundMessage, replies: list[OutboundMessage]) -> None:
        delivered.append((inbound.message_id, replies))

    services.conversation.register_deliverer("test", deliver)
    dead = message("had 2 large eggs", "m-dead")
    assert await services.conversation.accept(dead)
    await claimed_by_the_dead(services, "m-dead")  # a replica claimed it, then died
    fresh = message("had a banana", "m-fresh")
    assert await services.conversation.accept(fresh)  # just arrived: not stale yet
    assert await services.conversation.recover() == 1
    await services.conversation.drain()
    assert await services.conversation.recover() == 0  # done once, never again
    # The dead replica's message first, then the newer one of the same chat: order kept.
    assert [m for m, _ in delivered] == ["m-dead", "m-fresh"]
    assert "143 kcal" in delivered[0][1][0].text
    async with services.database.session() as session:
        items = list((await session.execute(select(MealItem))).scalars())
        row = (
            await session.execute(select(InboxMessage).where(InboxMessage.message_id == "m-dead"))
        ).scalar_one()
    assert sorted(i.ndb_no for i in items) == ["01123", "09040"]  # each meal logged once
    assert row.status == "done" and row.delivered_at is not None


def split_settings(tmp_path: Path, redis_url: str) -> Callable[[str], Any]:
    """Settings of a web or worker process sharing one SQLite file and Redis."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"

    def settings(role: str) -> Any:
        return get_settings(
            data_dir=tmp_path / role,
            database_url=database_url,
            redis_url=redis_url,
            model="offline",
            process_role=role,
        )

    return settings


def recording_deliverers(sent: dict[str, list[str]]) -> Callable[[str], Any]:
    """A deliverer per role that records the first reply's text under that role."""

    def deliverer(role: str) -> Any:
        async def deliver(inbound: InboundMessage, replies: list[OutboundMessage]) -> None:
            sent[role].append(replies[0].text)

        return deliver

    return deliverer


@contextlib.asynccontextmanager
async def web_and_worker(
    redis_url: str, tmp_path: Path, sent: dict[str, list[str]]
) -> AsyncIterator[tuple[Services, Services]]:
    """A web process and a worker on one Redis, each recording the replies it sends into
    ``sent`` under its role; the hand-off list starts empty."""
    settings = split_settings(tmp_path, redis_url)
    deliverer = recording_deliverers(sent)
    async with open_services(settings("web")) as web, open_services(settings("worker")) as worker:
        await RedisCoordinator(redis_url).redis.delete("fitcoach:work")
        web.conversation.register_deliverer("test", deliverer("web"))
        worker.conversation.register_deliverer("test", deliverer("worker"))
        yield web, worker


async def take_handed_off_until_replied(worker: Services, sent: dict[str, list[str]]) -> None:
    """Run the worker's hand-off loop until it has sent a reply (10 s at most)."""
    taker = asyncio.create_task(worker.conversation.work_handed_off(poll_s=0.2))
    try:
        for _ in range(200):
            if sent["worker"]:
                break
            await asyncio.sleep(0.05)
    finally:
        taker.cancel()
        await asyncio.gather(taker, return_exceptions=True)
    await worker.conversation.drain()


@pytest.mark.redis
async def test_a_web_process_hands_platform_messages_to_a_worker(
    redis_url: str, tmp_path: Path
) -> None:
    """FITCOACH_PROCESS_ROLE=web only stores and acknowledges; a worker process runs the turn
    and sends the reply (the web process's event loop never waits behind a turn)."""
    sent: dict[str, list[str]] = {"web": [], "worker": []}
    async with web_and_worker(redis_url, tmp_path, sent) as (web, worker):
        web_deliverer = web.conversation.deliverers["test"]
        assert await web.conversation.submit(message("had 2 large eggs"), web_deliverer)
        await take_handed_off_until_replied(worker, sent)
    assert sent["web"] == [] and len(sent["worker"]) == 1
    assert "143 kcal" in sent["worker"][0]


@pytest.mark.redis
async def test_a_web_process_hands_recovered_work_to_a_worker(
    redis_url: str, tmp_path: Path
) -> None:
    """The recovery sweep of a web process finds a dead worker's message; a worker runs it
    (once kicked into the web process's own queue, the conversation's later messages ran
    there too, behind the acks: half the turns of a run after a PostgreSQL restart)."""
    sent: dict[str, list[str]] = {"web": [], "worker": []}
    async with web_and_worker(redis_url, tmp_path, sent) as (web, worker):
        assert await web.conversation.accept(message("had 2 large eggs", "m-dead"))
        await claimed_by_the_dead(web, "m-dead")  # a worker claimed it, then died
        assert await web.conversation.recover() == 1
        await take_handed_off_until_replied(worker, sent)
        await web.conversation.drain()
    assert sent["web"] == [] and len(sent["worker"]) == 1
    assert "143 kcal" in sent["worker"][0]


@pytest.mark.redis
async def test_a_web_process_that_ran_a_turn_itself_hands_the_next_to_a_worker(
    redis_url: str, tmp_path: Path
) -> None:
    """A web process runs a conversation itself when the hand-off fails (Redis down). Once
    its turn is over and the hand-off works again, the conversation's next message goes to
    a worker: it used to stay in the web process while messages kept coming (a soak with
    Redis restarts had the web processes run 72 % of the turns, behind the acks)."""
    sent: dict[str, list[str]] = {"web": [], "worker": []}
    async with web_and_worker(redis_url, tmp_path, sent) as (web, worker):
        first, second = message("had 2 large eggs", "m1"), message("had a banana", "m2")
        assert await web.conversation.accept(first)
        assert await web.conversation.accept(second)
        web.conversation.queue.enqueue(first)  # as when the hand-off failed
        await take_handed_off_until_replied(worker, sent)
        await web.conversation.drain()
    assert len(sent["web"]) == 1 and "143 kcal" in sent["web"][0]
    assert len(sent["worker"]) == 1 and "banana" in sent["worker"][0].lower()


@pytest.mark.redis
async def test_a_cancelled_worker_loop_stops(redis_url: str) -> None:
    # A cancelled BRPOP sometimes came back from redis-py as a plain timeout, so a worker's
    # take loop (and the shutdown waiting for it) went on for ever. (A hand-off popped by
    # Redis as the cancellation lands can still be lost; its messages wait in the inbox for
    # the recovery sweep, as before.)
    import random

    coordinator = RedisCoordinator(redis_url)
    await coordinator.redis.delete(WORK_LIST)

    async def take_loop() -> None:
        while True:
            await coordinator.take_hand_off(0.05)

    rng = random.Random(7)
    try:
        for n in range(150):
            loop = asyncio.create_task(take_loop())
            await asyncio.sleep(rng.uniform(0.0, 0.12))
            if n % 3 == 0:
                await coordinator.hand_off(f"test\tc{n}")
            loop.cancel()
            done, _ = await asyncio.wait({loop}, timeout=2)
            assert done, f"the loop did not stop (round {n})"
    finally:
        await coordinator.redis.delete(WORK_LIST)
        await coordinator.close()
