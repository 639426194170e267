"""Telegram's per-bot message budget: chat actions are free, the budget is shared by replicas
through a real Redis, and "typing…" is shown only for slow turns."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from fitcoach.channels.telegram.flood import FloodControl, SharedWindow
from fitcoach.channels.telegram.typing_indicator import TypingIndicator
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, fake_telegram

__all__ = ["fake_telegram"]  # the fixture, re-exported for pytest

REDIS_URL = os.environ.get("FITCOACH_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def _send(flood: FloodControl, endpoint: str, stamps: list[float]) -> None:
    async def call() -> bool:
        stamps.append(time.time())
        return True

    await flood.process_request(call, (), {}, endpoint, {"chat_id": 7}, None)


async def test_chat_actions_do_not_use_the_message_budget() -> None:
    flood = FloodControl(overall_rate=2)
    messages: list[float] = []
    actions: list[float] = []
    for _ in range(2):
        await _send(flood, "sendMessage", messages)
    # The message budget of this second is spent; typing indicators still go out at once.
    await asyncio.wait_for(
        asyncio.gather(*(_send(flood, "sendChatAction", actions) for _ in range(10))), 0.5
    )
    assert len(actions) == 10
    blocked = asyncio.create_task(_send(flood, "sendMessage", messages))
    await asyncio.sleep(0.1)
    assert not blocked.done()  # the third message of the second waits for the window
    await blocked
    assert len(messages) == 3


@pytest.mark.redis
async def test_two_replicas_share_one_bot_budget() -> None:
    key = f"fitcoach:test:sends:{uuid.uuid4().hex}"
    try:
        probe = SharedWindow(REDIS_URL, 1, key)
        await probe.redis.ping()
        await probe.close()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    replicas = [FloodControl(shared=SharedWindow(REDIS_URL, 4, key)) for _ in range(2)]
    stamps: list[float] = []
    await asyncio.gather(*(_send(replicas[i % 2], "sendMessage", stamps) for i in range(12)))
    per_second = Counter(int(t) for t in stamps)
    assert len(stamps) == 12
    # The budget is the bot's, not each replica's: unshared, two replicas would send 8 in a
    # second. A send whose second was counted at its very end may be stamped (here, after the
    # acquisition) in the next second: one more is tolerated for that.
    assert max(per_second.values()) <= 5, per_second
    assert len(per_second) >= 3, per_second  # 12 sends at 4 a second take three seconds
    for replica in replicas:
        await replica.shutdown()


@pytest.mark.redis
async def test_a_high_shared_budget_is_taken_in_blocks_and_never_exceeded() -> None:
    key = f"fitcoach:test:sends:{uuid.uuid4().hex}"
    windows = [SharedWindow(REDIS_URL, 300, key) for _ in range(2)]
    try:
        await windows[0].redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    assert windows[0].block == 3
    calls = 0
    take = windows[0]._take_block

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await take(*args, **kwargs)

    windows[0]._take_block = counted  # type: ignore[method-assign]
    replicas = [FloodControl(overall_rate=300, shared=window) for window in windows]
    stamps: list[float] = []
    try:
        await asyncio.gather(*(_send(replicas[i % 2], "sendMessage", stamps) for i in range(640)))
        per_second = Counter(int(t) for t in stamps)
        assert len(stamps) == 640
        # Never over the bot's budget; the blocks' unspent sends lapse (at most 2 of each
        # replica's per second), so 640 sends take three seconds' budgets.
        assert max(per_second.values()) <= 300 + windows[0].block, per_second
        assert len(per_second) >= 3, per_second
        assert calls <= 320 // 3 + 6  # one Redis call per block, not per send
    finally:
        for replica in replicas:
            await replica.shutdown()


@pytest.mark.redis
async def test_a_shared_seconds_count_expires_and_survives_a_script_flush() -> None:
    key = f"fitcoach:test:sends:{uuid.uuid4().hex}"
    window = SharedWindow(REDIS_URL, 100, key)
    try:
        await window.redis.ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    try:
        await window.acquire()
        await window.redis.script_flush()  # what a Redis restart does to loaded scripts
        await window.acquire()
        counts = {
            k: int(await window.redis.get(k)) async for k in window.redis.scan_iter(f"{key}:*")
        }
        assert sum(counts.values()) == 2, counts
        for counted in counts:
            assert 0 < await window.redis.ttl(counted) <= 3  # a second's count does not linger
    finally:
        await window.close()


async def test_a_shared_budget_without_redis_falls_back_to_this_process() -> None:
    flood = FloodControl(shared=SharedWindow("redis://127.0.0.1:1/0", 3, "k"))
    stamps: list[float] = []
    await asyncio.gather(*(_send(flood, "sendMessage", stamps) for _ in range(3)))
    assert len(stamps) == 3
    await flood.shutdown()


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> Any:
    request = HTTPXRequest()
    async with Bot(DEFAULT_TOKEN, base_url=f"{fake_telegram.url}/bot", request=request) as opened:
        yield opened


async def test_typing_is_shown_only_for_slow_turns(bot: Bot, fake_telegram: FakeTelegram) -> None:
    typing = TypingIndicator(bot, delay_s=0.3)
    typing.start("fast", 7)
    await asyncio.sleep(0.05)
    typing.stop("fast")  # answered before the delay: no indicator
    typing.start("slow", 8)
    await fake_telegram.await_for("sendChatAction")
    typing.stop("slow")
    await typing.close()
    assert [c.params["chat_id"] for c in fake_telegram.attempts("sendChatAction")] == [8]
