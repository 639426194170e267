"""Riding out a database outage (a PostgreSQL restart or failover) instead of failing turns.

While PostgreSQL restarts, every statement fails for a few seconds: connections are refused,
pooled ones are closed by the server, and new ones are told "the database system is shutting
down" or "starting up". When every connection slot is taken ("too many clients already"), a
new connection fails the same passing way. A turn that failed that way has lost nothing (its
inbox row is still claimed), so the right answer is to wait and try again, not to send the
person an apology and leave the row for the recovery sweep. :func:`database_unavailable`
tells such a failure from every other (a bad statement, a model error, a timeout), and
:func:`when_reachable` retries a block of work while the database is unreachable, up to a
time budget."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
import psycopg
import structlog
from sqlalchemy import exc as sa_exc
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential,
)

from fitcoach.errors import error_chain

log = structlog.get_logger(__name__)
T = TypeVar("T")

DATABASE_MODULES = ("asyncpg", "psycopg", "sqlalchemy", "fitcoach.storage")
"""Code whose connection errors are the database's (not the model's or a platform's)."""
SERVER_GOING_AWAY = frozenset({"57P01", "57P02", "57P03"})
"""admin_shutdown, crash_shutdown, cannot_connect_now: the server is stopping or starting."""
NO_CONNECTION_SLOTS = "53300"
"""too_many_connections: every connection slot is taken (for now: the other replicas' pools
grew during a backlog); a new connection a moment later gets one."""
MAX_WAIT_S = 2.0
"""Longest pause between two attempts while the database is down."""


class DatabaseUnavailable(ConnectionError):
    """Raised by fitcoach itself when the database did not answer in time (a hung server)."""


def _raised_in_database_code(error: BaseException) -> bool:
    frame = error.__traceback__
    while frame is not None:
        module = frame.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(DATABASE_MODULES):
            return True
        frame = frame.tb_next
    return False


def _is_connection_failure(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable):
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, asyncpg.PostgresError | psycopg.Error):
        if (
            str(sqlstate)[:2] == "08"
            or sqlstate in SERVER_GOING_AWAY
            or sqlstate == NO_CONNECTION_SLOTS
        ):
            return True
        # psycopg reports a connection it could not open or lost as OperationalError without
        # a SQLSTATE (the server never answered).
        return isinstance(error, psycopg.OperationalError) and sqlstate is None
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
        return True
    if isinstance(error, asyncpg.InternalClientError):
        # The driver lost step with the server: a shutting-down server tells its idle
        # connections FATAL before it closes them, and a connection taken from the pool in
        # between fails this way (the statement never left). A new connection works.
        return True
    return isinstance(error, ConnectionError) and _raised_in_database_code(error)


def database_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) is the database being unreachable: refused or
    lost connections, a server shutting down or starting up. False for everything else,
    including errors the database reported about a statement and query timeouts."""
    return any(_is_connection_failure(link) for link in error_chain(error))


async def when_reachable(budget_s: float, work: Callable[[], Awaitable[T]]) -> T:
    """``work()``, run again while it fails because the database is unreachable, for up to
    ``budget_s`` seconds; any other failure, and the last one, is raised. The first attempt
    runs without the retry machinery (the usual case costs nothing)."""
    try:
        return await work()
    except Exception as error:
        if budget_s <= 0 or not database_unavailable(error):
            raise
        log.warning("database_unavailable_waiting", attempt=1, error=type(error).__name__)
    retrying = AsyncRetrying(
        retry=retry_if_exception(database_unavailable),
        wait=wait_exponential(multiplier=0.1, max=MAX_WAIT_S),
        stop=stop_after_delay(budget_s),
        reraise=True,
    )

    async def again() -> T:  # tenacity awaits only what a coroutine function returns
        return await work()

    # One line when the wait starts and one when it ends (not one per attempt: a restart
    # of a few seconds under load would log thousands).
    result: T = await retrying(again)
    log.info(
        "database_reachable_again",
        attempts=retrying.statistics.get("attempt_number", 0) + 1,
        waited_s=round(retrying.statistics.get("delay_since_first_attempt", 0.0), 2),
    )
    return result


def log_job_failure(logger: Any, event: str, error: Exception) -> None:
    """A periodic job's failure, from inside its ``except`` block: one warning line while the
    database is away (its next run will do), the traceback for anything else."""
    if database_unavailable(error):
        logger.warning(event, reason="database_unavailable", error=type(error).__name__)
    else:
        logger.exception(event)
