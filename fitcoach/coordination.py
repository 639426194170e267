"""Coordination between replicas: per-conversation locks and rate limits.

In-process when embedded; Redis when ``FITCOACH_REDIS_URL`` is set. A Redis failure degrades
to the in-process version (logged and counted) so a message still gets its reply."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import structlog

from fitcoach.metrics import ERRORS

log = structlog.get_logger(__name__)

LOCK_LEASE_S = 120.0
LOCK_WAIT_S = 90.0


class Coordinator(Protocol):
    """Locks and counters shared by every replica that uses the same backend."""

    def conversation_lock(self, key: str) -> Any:
        """An async context manager held while one conversation's message is processed."""

    async def allow(self, key: str, limit: int, window_s: int) -> bool:
        """True while ``key`` has been used fewer than ``limit`` times in the window."""

    async def close(self) -> None:
        """Release connections."""


class LocalCoordinator:
    """Single-process locks and sliding-window rate limits."""

    def __init__(self) -> None:
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[None]:
        """Hold the in-process lock of this conversation."""
        async with self._locks[key]:
            yield

    async def allow(self, key: str, limit: int, window_s: int) -> bool:
        """Sliding window over the last ``window_s`` seconds."""
        now = time.monotonic()
        hits = self._hits[key]
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True

    async def close(self) -> None:
        """Nothing to release."""


class RedisCoordinator:
    """Redis locks (with a lease, so a crashed replica's lock expires) and fixed-window counters."""

    def __init__(self, url: str) -> None:
        from redis.asyncio import Redis

        self.redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.local = LocalCoordinator()

    @asynccontextmanager
    async def conversation_lock(self, key: str) -> AsyncIterator[None]:
        """Hold the Redis lock of this conversation; fall back to the local lock if Redis fails."""
        lock = self.redis.lock(
            f"fitcoach:lock:{key}", timeout=LOCK_LEASE_S, blocking_timeout=LOCK_WAIT_S
        )
        try:
            acquired = await lock.acquire()
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_lock_unavailable", error_type=type(exc).__name__)
            async with self.local.conversation_lock(key):
                yield
            return
        if not acquired:
            log.warning("redis_lock_timeout")
        try:
            yield
        finally:
            if acquired:
                try:
                    await lock.release()
                except Exception as exc:  # lease expired or Redis gone: nothing to release
                    log.warning("redis_lock_release_failed", error_type=type(exc).__name__)

    async def allow(self, key: str, limit: int, window_s: int) -> bool:
        """INCR on a per-window key; the local limiter answers when Redis is down."""
        bucket = f"fitcoach:rate:{key}:{int(time.time() // window_s)}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(bucket)
            pipe.expire(bucket, window_s + 1)
            count, _ = await pipe.execute()
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_rate_limit_unavailable", error_type=type(exc).__name__)
            return await self.local.allow(key, limit, window_s)
        return int(count) <= limit

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


def create_coordinator(redis_url: str | None) -> Coordinator:
    """Redis-backed when a URL is configured, in-process otherwise."""
    return RedisCoordinator(redis_url) if redis_url else LocalCoordinator()
