"""Coordination between replicas: per-conversation leases (taken without waiting, renewed
while held), rate limits, and the hand-off of work from web to worker processes.

In-process when embedded; Redis when ``FITCOACH_REDIS_URL`` is set. A Redis failure degrades
to the in-process version (logged and counted) so a message still gets its reply."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from fitcoach.metrics import ERRORS, LEASES_EXPIRED

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = structlog.get_logger(__name__)

WORK_LIST = "fitcoach:work"
"""Conversations handed from web processes to worker processes ("channel\tconversation")."""
WORKER_LOADS = "fitcoach:worker-loads"
"""Each worker's current load ("<conversations>:<Redis time in ms>"), for load sharing."""
REDIS_MAX_CONNECTIONS = 100
"""Connections per client (redis-py's default); more concurrent commands wait for one."""


def redis_client(url: str, timeout_s: float) -> Redis:
    """A Redis client whose commands time out after ``timeout_s``, and whose pool waits up to
    as long for a free connection when all are busy. redis-py's default pool fails the
    command at once instead (``MaxConnectionsError``): a burst of a few hundred concurrent
    commands then turned shared locks and counters into per-process ones."""
    from redis.asyncio import BlockingConnectionPool, Redis

    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
    )
    return Redis.from_pool(pool)


class Lease(Protocol):
    """A lock taken without waiting; it expires unless renewed (a dead holder loses it)."""

    async def renew(self) -> bool:
        """Extend the lease; False when another worker holds it now. A backend failure counts
        as held (the inbox claims keep the order meanwhile)."""

    async def release(self) -> None:
        """Give the lock back; never raises."""


class Coordinator(Protocol):
    """Locks and counters shared by every replica that uses the same backend."""

    async def try_lock(self, key: str, lease_s: float) -> Lease | None:
        """Take ``key`` now, or None when another worker (any replica) holds it."""

    async def mark_waiting(self, key: str, lease_s: float) -> bool:
        """Tell the holder of lock ``key`` that more work arrived for it (it looks after
        releasing); False when the mark could not be stored (the caller must poll instead)."""

    async def take_waiting(self, key: str) -> bool:
        """True (once) when work was marked for lock ``key``; True too when the backend fails
        (the caller then looks once more: costs a lock attempt, loses nothing)."""

    async def allow(self, key: str, limit: int, window_s: int) -> bool:
        """True while ``key`` has been used fewer than ``limit`` times in the window."""

    async def hand_off(self, key: str) -> bool:
        """Ask one worker process to drain conversation ``key``; False when there is no
        shared queue (or it failed): the caller processes it itself."""

    async def hand_off_or_mark(self, key: str, lock_key: str, lease_s: float) -> bool:
        """Like ``hand_off``, but while a worker holds lock ``lock_key`` mark the work for it
        (``mark_waiting``) instead, in one atomic step: the holder takes it after its turn in
        progress, and no other worker is woken to find the conversation taken."""

    async def take_hand_off(self, timeout_s: float) -> str | None:
        """The next conversation handed to the workers, waiting up to ``timeout_s``."""

    async def report_load(self, worker_id: str, load: int, ttl_s: float) -> list[int] | None:
        """Store this worker's load; the loads of every worker that reported within
        ``ttl_s`` (this one included), or None when they cannot be known (backend failing)."""

    async def warm_up(self, connections: int) -> None:
        """Open up to ``connections`` connections now (at start-up), not in the first burst."""

    async def close(self) -> None:
        """Release connections."""


class LocalLease:
    """An in-process lease: held until released (the process is the only holder)."""

    def __init__(self, held: set[str], key: str) -> None:
        self._held = held
        self._key = key

    async def renew(self) -> bool:
        """Still held (nobody else in this process can take it)."""
        return self._key in self._held

    async def release(self) -> None:
        """Give the key back."""
        self._held.discard(self._key)


class LocalCoordinator:
    """Single-process locks and sliding-window rate limits."""

    def __init__(self) -> None:
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)
        self._held: set[str] = set()
        self._waiting: set[str] = set()

    async def try_lock(self, key: str, lease_s: float) -> LocalLease | None:
        """Take the key unless a task of this process holds it."""
        if key in self._held:
            return None
        self._held.add(key)
        return LocalLease(self._held, key)

    async def mark_waiting(self, key: str, lease_s: float) -> bool:
        """Remember it for this process's holder."""
        self._waiting.add(key)
        return True

    async def take_waiting(self, key: str) -> bool:
        """True once after ``mark_waiting``."""
        if key in self._waiting:
            self._waiting.discard(key)
            return True
        return False

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

    async def hand_off(self, key: str) -> bool:
        """No other process to hand work to."""
        return False

    async def hand_off_or_mark(self, key: str, lock_key: str, lease_s: float) -> bool:
        """No other process to hand work to."""
        return False

    async def take_hand_off(self, timeout_s: float) -> str | None:
        """Nothing is ever handed off in one process."""
        await asyncio.sleep(timeout_s)
        return None

    async def report_load(self, worker_id: str, load: int, ttl_s: float) -> list[int] | None:
        """The only worker there is."""
        return [load]

    async def warm_up(self, connections: int) -> None:
        """No connections to open."""

    async def close(self) -> None:
        """Nothing to release."""


def lease_key(key: str) -> str:
    """The Redis key of lock ``key``."""
    return f"fitcoach:lease:{key}"


def waiting_key(key: str) -> str:
    """The Redis key of the mark that work waits for the holder of lock ``key``."""
    return f"fitcoach:waiting:{key}"


class RedisLease:
    """A Redis lock (SET NX PX with a token) inside this process's own lease."""

    def __init__(self, lock: Any, local: LocalLease) -> None:
        self._lock = lock
        self._local = local

    async def renew(self) -> bool:
        """Reset the Redis expiry; an expired lock nobody took is taken back. False when
        another worker holds it or this lease was released; True while Redis fails (nothing
        to compare with)."""
        from redis.exceptions import LockNotOwnedError

        if self._lock.local.token is None:
            return False  # released: nothing of ours left in Redis to renew
        try:
            await self._lock.reacquire()
        except LockNotOwnedError:
            try:
                retaken = bool(await self._lock.do_acquire(self._lock.local.token))
            except Exception as exc:
                log.warning("redis_lease_unknown", error_type=type(exc).__name__)
                return True
            log.warning("redis_lease_expired", retaken=retaken)
            LEASES_EXPIRED.labels("retaken" if retaken else "lost").inc()
            return retaken
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_lease_unknown", error_type=type(exc).__name__)
        return True

    async def release(self) -> None:
        """Release in Redis (if still ours) and in this process."""
        try:
            await self._lock.release()
        except Exception as exc:  # expired, or Redis gone: nothing to release
            log.warning("redis_lock_release_failed", error_type=type(exc).__name__)
        await self._local.release()


COUNT_HIT_SCRIPT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count == tonumber(ARGV[1]) then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return count
"""
"""ARGV[1] hits on a fixed-window counter (KEYS[1]), whose key expires ARGV[2] seconds after
the first hits; the count so far. One script call costs less client CPU than an INCRBY +
EXPIRE pipeline."""


HAND_OFF_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  return 0
end
redis.call('LPUSH', KEYS[3], ARGV[1])
return 1
"""
"""While lock KEYS[1] is held, mark work waiting for its holder (KEYS[2], expiring with the
lease, ARGV[2] ms); otherwise push conversation ARGV[1] onto the workers' list KEYS[3]. 1 when
pushed, 0 when marked. Atomic: the holder cannot release between the check and the mark."""


REPORT_LOAD_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. now)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 10)
local entries = redis.call('HGETALL', KEYS[1])
local loads = {}
for i = 1, #entries, 2 do
  local load, at = string.match(entries[i + 1], '^(%d+):(%d+)$')
  if at and now - tonumber(at) <= tonumber(ARGV[3]) then
    table.insert(loads, tonumber(load))
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end
return loads
"""
"""Store worker ARGV[1]'s load ARGV[2] in hash KEYS[1], stamped with Redis's clock (replicas'
clocks may differ); drop entries older than ARGV[3] ms (stopped workers); the live loads.
The hash itself goes ten such times after the last report (no workers left)."""


class RedisCoordinator:
    """Redis locks (with a lease, so a crashed replica's lock expires) and fixed-window counters."""

    def __init__(self, url: str) -> None:
        self.redis = redis_client(url, timeout_s=2)
        self.local = LocalCoordinator()
        # redis-py loads the script again by itself after a Redis restart (NOSCRIPT).
        self._count_hit = self.redis.register_script(COUNT_HIT_SCRIPT)
        self._report_load = self.redis.register_script(REPORT_LOAD_SCRIPT)
        self._hand_off = self.redis.register_script(HAND_OFF_SCRIPT)

    async def try_lock(self, key: str, lease_s: float) -> Lease | None:
        """This process's lease first, then Redis; only the process lease while Redis fails
        (the inbox's claims still keep one worker per message and the order)."""
        local = await self.local.try_lock(key, lease_s)
        if local is None:
            return None
        lock = self.redis.lock(lease_key(key), timeout=lease_s, thread_local=False)
        try:
            acquired = await lock.acquire(blocking=False)
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_lock_unavailable", error_type=type(exc).__name__)
            return local
        if not acquired:
            await local.release()
            return None
        return RedisLease(lock, local)

    async def mark_waiting(self, key: str, lease_s: float) -> bool:
        """``SET fitcoach:waiting:<key>`` (expires with the lease: a dead holder's mark goes)."""
        try:
            await self.redis.set(waiting_key(key), b"1", px=_ms(lease_s))
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_mark_unavailable", error_type=type(exc).__name__)
            return False
        return True

    async def take_waiting(self, key: str) -> bool:
        """``GETDEL`` of the mark."""
        try:
            return await self.redis.getdel(waiting_key(key)) is not None
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_mark_unavailable", error_type=type(exc).__name__)
            return True

    async def allow(self, key: str, limit: int, window_s: int) -> bool:
        """INCR on a per-window key (one script call: cheaper than a pipeline); the local
        limiter answers when Redis is down."""
        bucket = f"fitcoach:rate:{key}:{int(time.time() // window_s)}"
        try:
            count = await self._count_hit(keys=[bucket], args=[1, window_s + 1])
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_rate_limit_unavailable", error_type=type(exc).__name__)
            return await self.local.allow(key, limit, window_s)
        return int(count) <= limit

    async def hand_off(self, key: str) -> bool:
        """LPUSH onto the workers' list (each key is taken by exactly one worker)."""
        try:
            await self.redis.lpush(WORK_LIST, key)
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_hand_off_unavailable", error_type=type(exc).__name__)
            return False
        return True

    async def hand_off_or_mark(self, key: str, lock_key: str, lease_s: float) -> bool:
        """One script call: the mark while the lock is held, else LPUSH."""
        try:
            await self._hand_off(
                keys=[lease_key(lock_key), waiting_key(lock_key), WORK_LIST],
                args=[key, _ms(lease_s)],
            )
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_hand_off_unavailable", error_type=type(exc).__name__)
            return False
        return True

    async def take_hand_off(self, timeout_s: float) -> str | None:
        """BRPOP from the workers' list; None on timeout or while Redis fails.

        A cancellation that arrives while the command waits can come back from redis-py as an
        ordinary timeout (2 of 150 cancellations in a probe), and the worker's loop then never
        stopped: a cancelled caller gets its CancelledError here, and a conversation taken at
        that moment is put back first in line for another worker."""
        try:
            item = await self.redis.brpop([WORK_LIST], timeout=timeout_s)
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_take_unavailable", error_type=type(exc).__name__)
            await asyncio.sleep(timeout_s)
            return None
        value = None if item is None else item[1]
        if _cancelling() and value is not None:
            with contextlib.suppress(Exception):
                await self.redis.rpush(WORK_LIST, value)
        _raise_if_cancelling()
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def report_load(self, worker_id: str, load: int, ttl_s: float) -> list[int] | None:
        """One script call: store this worker's load, read the live ones."""
        try:
            loads = await self._report_load(keys=[WORKER_LOADS], args=[worker_id, load, _ms(ttl_s)])
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_load_report_unavailable", error_type=type(exc).__name__)
            return None
        finally:
            _raise_if_cancelling()
        return [int(x) for x in loads]

    async def warm_up(self, connections: int) -> None:
        """Fill the connection pool and load the rate-limit script; a failure is only logged
        (Redis may come up later)."""
        try:
            await asyncio.gather(*(self.redis.ping() for _ in range(connections)))
            for script in (COUNT_HIT_SCRIPT, HAND_OFF_SCRIPT):
                await self.redis.script_load(script)
        except Exception as exc:
            ERRORS.labels("redis").inc()
            log.warning("redis_warm_up_failed", error_type=type(exc).__name__)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _raise_if_cancelling() -> None:
    """redis-py can swallow a cancellation that arrives while a command waits (see
    ``take_hand_off``): a loop that awaits Redis would then never stop."""
    if _cancelling():
        raise asyncio.CancelledError


def create_coordinator(redis_url: str | None) -> Coordinator:
    """Redis-backed when a URL is configured, in-process otherwise."""
    return RedisCoordinator(redis_url) if redis_url else LocalCoordinator()
