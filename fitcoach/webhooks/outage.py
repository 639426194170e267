"""Requests that fail because the database is unreachable answer 503 with Retry-After.

A webhook must not be acknowledged before its message is stored (the inbox), so while
PostgreSQL restarts a platform's delivery fails either way; a 503 says why, the platforms
deliver it again, and the log gets one warning instead of a traceback per request. Any other
failure still answers 500."""

from __future__ import annotations

import asyncpg
import psycopg
import structlog
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as sa_exc
from starlette.requests import HTTPConnection

from fitcoach.metrics import ERRORS
from fitcoach.storage.outage import database_unavailable

log = structlog.get_logger(__name__)

RETRY_AFTER_S = 2
UNAVAILABLE_MESSAGE = "storage is briefly unavailable; nothing was accepted, try again"
# Every type a driver raises for a lost or refused connection; the handler checks the rest.
_CANDIDATES: tuple[type[Exception], ...] = (
    OSError,
    sa_exc.DBAPIError,
    # What the asyncpg adapter raises unwrapped when the pool cannot open a connection
    # (the statements run straight on the driver take connections that way).
    sa_exc.EmulatedDBAPIException,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    psycopg.Error,
)


async def _unavailable(request: HTTPConnection, error: Exception) -> Response:
    if request.scope["type"] != "http" or not database_unavailable(error):
        raise error  # as before: a 500 (not an outage), or a WebSocket's own handling
    ERRORS.labels("database").inc()
    log.warning("database_unavailable", route=request.url.path, error=type(error).__name__)
    return JSONResponse(
        {"detail": UNAVAILABLE_MESSAGE},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def answer_outages_with_503(app: FastAPI) -> None:
    """Install the handler for every exception type a database outage raises."""
    for error_type in _CANDIDATES:
        app.add_exception_handler(error_type, _unavailable)
