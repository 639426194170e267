"""Telling "the Chroma server is unreachable" from every other memory failure.

Memories make the coach's answers personal, but a person who logs a meal while the Chroma
server restarts should still get their answer: turns go on without the memory block, the
memory tools say they cannot reach the memory right now, and the readiness check reports the
memory as down without taking the replica out of service."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import structlog

from fitcoach.metrics import ERRORS

log = structlog.get_logger(__name__)


class MemoryUnavailable(ConnectionError):
    """The memory store (a Chroma server) cannot be reached."""


UNAVAILABLE_TEXT = (
    "I can't reach my memory right now, so I couldn't do that (nothing there changed). "
    "Please try again in a minute."
)
"""What a memory tool answers while the memory store is unreachable."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


def memory_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the memory store could not be reached or answered with a
    server error (refused, reset, timed out, 5xx from the server or a proxy before it)."""
    for cause in _chain(error):
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
