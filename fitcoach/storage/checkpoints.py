"""LangGraph checkpointers: SQLite file when embedded, PostgreSQL when the database is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from sqlalchemy import text

from fitcoach.config import Settings
from fitcoach.storage import driver
from fitcoach.storage.database import Database

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

CHECKPOINT_SETUP_LOCK = 7_346_113

INTERRUPT_CHANNEL = "__interrupt__"
"""The channel of the pending writes that record a graph waiting for an answer (part of
LangGraph's stored format; tests/integration/test_interrupt_probe.py checks it)."""

# A thread can wait for an answer only if its latest checkpoint has an interrupt write.
# Both lookups go by the tables' primary keys (langgraph-checkpoint-postgres 3.x schema).
_PENDING_INTERRUPT_TEMPLATE = """
    SELECT EXISTS (
        SELECT 1 FROM checkpoint_writes
        WHERE thread_id = {thread} AND checkpoint_ns = '' AND channel = {channel}
          AND checkpoint_id = (
              SELECT max(checkpoint_id) FROM checkpoints
              WHERE thread_id = {thread} AND checkpoint_ns = ''
          )
    ) AS pending
"""
# The same query for psycopg (the checkpointer's pool) and for SQLAlchemy (the app's driver).
_PENDING_INTERRUPT_POSTGRESQL = _PENDING_INTERRUPT_TEMPLATE.format(
    thread="%(thread)s", channel="%(channel)s"
)
_PENDING_INTERRUPT = text(_PENDING_INTERRUPT_TEMPLATE.format(thread=":thread", channel=":channel"))

InterruptProbe = Callable[[str], Awaitable[bool]]
"""``await probe(thread_id)``: False only when the thread certainly waits for no answer."""


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """The checkpointer for these settings, set up and ready; closed on exit."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        async with _postgres(plain_postgres_url(url)) as saver:
            yield saver
        return
    async with AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path)) as saver:
        yield saver


def plain_postgres_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (drops the +driver part)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@asynccontextmanager
async def _postgres(conninfo: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection

    from fitcoach.storage.postgres_saver import InlinePostgresSaver

    # Replicas starting together must not race on creating the checkpoint tables.
    async with await AsyncConnection.connect(conninfo, autocommit=True) as conn:
        # Poll a try-lock (a blocking lock deadlocked against the DDL of a replica in setup).
        while True:
            row = await (
                await conn.execute("SELECT pg_try_advisory_lock(%s)", (CHECKPOINT_SETUP_LOCK,))
            ).fetchone()
            if row and row[0]:
                break
            await asyncio.sleep(0.2)
        try:
            await AsyncPostgresSaver(conn).setup()  # type: ignore[arg-type]
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (CHECKPOINT_SETUP_LOCK,))
    pool = await open_checkpoint_pool(conninfo)
    try:
        yield InlinePostgresSaver(pool)
    finally:
        await pool.close()


async def open_checkpoint_pool(conninfo: str, max_size: int = 10) -> AsyncConnectionPool[Any]:
    """An open connection pool as the PostgreSQL checkpointer needs it (autocommit, prepared
    statements, rows as dicts)."""
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    return pool


def interrupt_probe(
    saver: BaseCheckpointSaver[str], database: Database | None = None
) -> InterruptProbe | None:
    """For the PostgreSQL checkpointer, a one-row check whether a thread may be waiting for
    an answer (a confirmation it asked for): the other turns then load the thread's state once
    (by the run) instead of twice. None for other checkpointers.

    The checkpoints live in the app's database; when that one runs its per-turn statements
    on the asyncpg driver (:mod:`fitcoach.storage.driver`), so does the probe (about a third
    of the client CPU of a query through the checkpointer's psycopg pool)."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg_pool import AsyncConnectionPool

    if not isinstance(saver, AsyncPostgresSaver) or not isinstance(saver.conn, AsyncConnectionPool):
        return None
    if database is not None and driver.uses_driver(database):
        app_database = database

        async def may_await_answer_on_driver(thread_id: str) -> bool:
            params = {"thread": thread_id, "channel": INTERRUPT_CHANNEL}
            rows = await driver.fetch(app_database, _PENDING_INTERRUPT, params)
            return bool(rows and rows[0][0])

        return may_await_answer_on_driver
    pool = saver.conn  # its connections return rows as dicts (see _postgres)

    async def may_await_answer(thread_id: str) -> bool:
        async with pool.connection() as conn:
            cursor = await conn.execute(
                _PENDING_INTERRUPT_POSTGRESQL, {"thread": thread_id, "channel": INTERRUPT_CHANNEL}
            )
            row = await cursor.fetchone()
        return bool(row and row["pending"])

    return may_await_answer
