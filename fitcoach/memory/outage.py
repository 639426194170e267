"""Telling "the Chroma server is unreachable" from every other memory failure.

Memories make the coach's answers personal, but a person who logs a meal while the Chroma
server restarts should still get their answer: turns go on without the memory block, the
memory tools say they cannot reach the memory right now, and the readiness check reports the
memory as down without taking the replica out of service.

A hung server (connections accepted, nothing answered) costs each call the request timeout,
and the calls wait in threads: under load they queued behind one another (30 turns at once:
replies after 15 s at the median, 25 s at most). After an outage is seen, the memory is
therefore treated as down for :data:`COOL_DOWN_S`: calls fail at once, without a request,
and the first call after that finds out whether it is back."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import structlog

from fitcoach.errors import error_chain
from fitcoach.metrics import ERRORS

log = structlog.get_logger(__name__)
T = TypeVar("T")


COOL_DOWN_S = 10.0
"""How long the memory counts as down after an outage was seen."""


class MemoryUnavailable(ConnectionError):
    """The memory store (a Chroma server) cannot be reached."""


class MemoryCoolingDown(MemoryUnavailable):
    """A call refused without a request: the store was unreachable moments ago."""


class _Health:
    """Whether the memory store was seen unreachable in the last :data:`COOL_DOWN_S`."""

    def __init__(self) -> None:
        self.down_until = 0.0

    def check(self) -> None:
        """Raise :class:`MemoryUnavailable` while cooling down after an outage."""
        if time.monotonic() < self.down_until:
            raise MemoryCoolingDown("the memory store was unreachable moments ago")

    def failed(self) -> None:
        self.down_until = time.monotonic() + COOL_DOWN_S

    def reset(self) -> None:
        self.down_until = 0.0


MEMORY_HEALTH = _Health()
"""One per process: every memory call of the process goes to the same store."""


UNAVAILABLE_TEXT = (
    "I can't reach my memory right now, so I couldn't do that (nothing there changed). "
    "Please try again in a minute."
)
"""What a memory tool answers while the memory store is unreachable."""


def memory_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the memory store could not be reached or answered with a
    server error (refused, reset, timed out, 5xx from the server or a proxy before it)."""
    for cause in error_chain(error):
        if isinstance(cause, MemoryUnavailable | httpx.TransportError):
            return True
        if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code >= 500:
            return True
    return False


def memory_outage(error: BaseException, where: str) -> bool:
    """:func:`memory_unavailable`, and when so, counted and logged as one warning line."""
    if not memory_unavailable(error):
        return False
    ERRORS.labels("memory").inc()
    if not any(isinstance(cause, MemoryCoolingDown) for cause in error_chain(error)):
        MEMORY_HEALTH.failed()  # a real failure; the refusals meanwhile do not extend it
        log.warning("memory_unavailable", where=where, error=type(error).__name__)
    return True


async def or_if_memory_down(work: Awaitable[T], where: str, fallback: T) -> T:
    """What ``work`` gives, or ``fallback`` when it failed because the memory store is
    unreachable (counted and logged); any other failure is raised."""
    try:
        return await work
    except Exception as error:
        if not memory_outage(error, where):
            raise
        return fallback
