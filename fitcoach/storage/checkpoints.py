"""LangGraph checkpointers: SQLite file when embedded, PostgreSQL when the database is."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from fitcoach.config import Settings
from fitcoach.storage.outage import when_reachable

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

CHECKPOINT_SETUP_LOCK = 7_346_113

ReadAhead = Callable[[str], AbstractAsyncContextManager[bool]]
"""``async with read_ahead(thread_id) as may_await_answer``: the thread's checkpoint read once
for the turn run inside the block; False only when the thread certainly waits for no answer."""


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """The checkpointer for these settings, set up and ready; closed on exit."""
    url = settings.resolved_database_url
    if url.startswith("postgresql"):
        async with _postgres(plain_postgres_url(url), settings.db_outage_wait_s) as saver:
            yield saver
        return
    async with AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path)) as saver:
        yield saver


def plain_postgres_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (drops the +driver part)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


@asynccontextmanager
async def _postgres(conninfo: str, outage_wait_s: float) -> AsyncIterator[BaseCheckpointSaver[str]]:
    from fitcoach.storage.postgres_saver import InlinePostgresSaver

    # A replica started while PostgreSQL restarts waits for it here too, as for the migration.
    await when_reachable(outage_wait_s, lambda: _set_up_tables(conninfo))
    pool = await open_checkpoint_pool(conninfo)
    try:
        yield InlinePostgresSaver(pool)
    finally:
        await pool.close()


async def _set_up_tables(conninfo: str) -> None:
    """Create or migrate the checkpoint tables, one replica at a time."""
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg import AsyncConnection

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


def checkpoint_read_ahead(saver: BaseCheckpointSaver[str]) -> ReadAhead | None:
    """For the PostgreSQL checkpointer, its read-ahead: a turn reads the thread's checkpoint
    once, both to see whether the thread waits for an answer (a confirmation it asked for) and
    for the run; the other turns then load the thread's state once instead of twice. None for
    other checkpointers (every turn then loads the state to look for a pending answer)."""
    from fitcoach.storage.postgres_saver import InlinePostgresSaver

    return saver.read_ahead if isinstance(saver, InlinePostgresSaver) else None
