"""Flood control for outgoing Bot API calls: stay under Telegram's limits, honour 429s.

PTB's own ``AIORateLimiter`` needs the ``rate-limiter`` extra (aiolimiter), which fitcoach does
not install; this is the same policy in a few lines on asyncio alone: at most 30 messages a
second per bot (shared by every replica through Redis when configured), 20 a minute per
group, and on ``RetryAfter`` every request waits the time Telegram asked for before the failed
one is retried. Chat actions ("typing…") are not messages and are not counted."""

from __future__ import annotations

import asyncio
import contextlib
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import structlog
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from fitcoach.coordination import COUNT_HIT_SCRIPT, redis_client

log = structlog.get_logger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

MESSAGES_PER_SECOND = 30
GROUP_MESSAGES_PER_MINUTE = 20
MAX_GROUP_WINDOWS = 512
UNCOUNTED_ENDPOINTS = frozenset({"sendChatAction"})


class SlidingWindow:
    """Allows at most ``rate`` acquisitions in any ``period`` seconds; waiters queue fairly."""

    def __init__(
        self, rate: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.period = period
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()

    def idle(self) -> bool:
        """True when nothing was acquired within the last period."""
        self._prune(self._clock())
        return not self._times

    async def acquire(self) -> None:
        """Wait until one more acquisition fits in the window, then take it."""
        async with self._lock:
            while True:
                now = self._clock()
                self._prune(now)
                if len(self._times) < self.rate:
                    self._times.append(now)
                    return
                await asyncio.sleep(self._times[0] + self.period - now)


BLOCK_SHARE = 100
"""A replica takes the shared budget in blocks of 1/BLOCK_SHARE of the rate (one send at a
time up to 199 a second, Telegram's default 30 included)."""


class SharedWindow:
    """The per-second message budget of one bot, shared by every replica through Redis (one
    script call per block: INCRBY on the current second's key, which expires soon after);
    this process's own window answers while Redis fails.

    At a high budget (paid broadcasts allow up to 1,000 a second) a replica takes sends in
    blocks of 1 % of the rate and spends them locally within that second: one Redis call per
    block instead of per message. A block's unspent sends lapse with its second, so each
    replica can leave at most 1 % of a second's budget unused; it never goes over."""

    def __init__(self, redis_url: str, rate: int, key: str) -> None:
        self.redis = redis_client(redis_url, timeout_s=1)
        # redis-py loads the script again by itself after a Redis restart (NOSCRIPT).
        self._take_block = self.redis.register_script(COUNT_HIT_SCRIPT)
        self.rate = rate
        self.key = key
        self.block = max(1, rate // BLOCK_SHARE)
        self.local = SlidingWindow(rate, 1.0)
        self._second = -1
        self._left = 0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until this second has room for one more message, then take it. Concurrent
        senders queue (in order) rather than each asking Redis: one call serves a block."""
        async with self._lock:
            await self._acquire()

    async def _acquire(self) -> None:
        while True:
            now = time.time()
            second = int(now)
            if second == self._second and self._left > 0:
                self._left -= 1
                return
            try:
                count = int(
                    await self._take_block(keys=[f"{self.key}:{second}"], args=[self.block, 3])
                )
            except Exception as exc:
                log.warning("telegram_shared_budget_unavailable", error_type=type(exc).__name__)
                await self.local.acquire()
                return
            granted = min(self.block, self.rate - (count - self.block))
            if granted > 0:
                self._second, self._left = second, granted - 1
                return
            await asyncio.sleep(second + 1 - now)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self.redis.aclose()


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 gives int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the int form is deprecated in favour of timedelta
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class FloodControl(BaseRateLimiter[int]):
    """PTB rate limiter: throttles chat requests and retries after 429 ``RetryAfter``.

    ``max_retries`` bounds the retries of one request; a wait longer than ``max_wait`` seconds
    is not slept through (the error goes to the caller)."""

    def __init__(
        self,
        *,
        overall_rate: int = MESSAGES_PER_SECOND,
        group_rate: int = GROUP_MESSAGES_PER_MINUTE,
        max_retries: int = 3,
        max_wait: float = 120.0,
        shared: SharedWindow | None = None,
    ) -> None:
        self.overall: SlidingWindow | SharedWindow = shared or SlidingWindow(overall_rate, 1.0)
        self.group_rate = group_rate
        self.max_retries = max_retries
        self.max_wait = max_wait
        self._groups: dict[int | str, SlidingWindow] = {}
        self._resume = asyncio.Event()
        self._resume.set()

    async def initialize(self) -> None:
        """Nothing to start."""

    async def shutdown(self) -> None:
        """Close the shared budget's connections."""
        if isinstance(self.overall, SharedWindow):
            await self.overall.close()

    def _group_window(self, chat_id: int | str) -> SlidingWindow:
        if len(self._groups) > MAX_GROUP_WINDOWS:
            for key in [k for k, w in self._groups.items() if k != chat_id and w.idle()]:
                del self._groups[key]
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = SlidingWindow(self.group_rate, 60.0)
        return window

    async def _throttle(self, endpoint: str, data: dict[str, Any]) -> None:
        chat_id: Any = data.get("chat_id")
        if chat_id is None or endpoint in UNCOUNTED_ENDPOINTS:
            return  # getMe, getFile, getUpdates, answerCallbackQuery: not flood-limited
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        if isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0):
            await self._group_window(chat_id).acquire()
        await self.overall.acquire()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Throttle, call, and on ``RetryAfter`` pause all requests and retry."""
        max_retries = self.max_retries if rate_limit_args is None else rate_limit_args
        attempt = 0
        while True:
            await self._resume.wait()
            await self._throttle(endpoint, data)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                if attempt >= max_retries or wait > self.max_wait:
                    log.warning("telegram_flood_limit_gave_up", endpoint=endpoint, wait_s=wait)
                    raise
                attempt += 1
                log.info("telegram_flood_limit", endpoint=endpoint, wait_s=wait, attempt=attempt)
                self._resume.clear()
                try:
                    await asyncio.sleep(wait + 0.1)
                finally:
                    self._resume.set()
