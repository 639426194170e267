"""Telling "the Chroma server is unreachable" from every other memory failure.

Memories make the coach's answers personal, but a person who logs a meal while the Chroma
server restarts should still get their answer: turns go on without the memory block, the
memory tools say they cannot reach the memory right now, and the readiness check reports the
memory as down without taking the replica out of service."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import httpx
import structlog

from fitcoach.errors import error_chain
from fitcoach.metrics import ERRORS

log = structlog.get_logger(__name__)
T = TypeVar("T")


class MemoryUnavailable(ConnectionError):
    """The memory store (a Chroma server) cannot be reached."""


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
