"""Async engine and session factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry


class Database:
    """Owns the async engine; hands out sessions that commit on success."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        pre_ping: bool = False,
        recycle_s: int = 1800,
    ) -> None:
        self.url = url
        pooled = (
            {}
            if url.startswith("sqlite")
            else {
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_recycle": recycle_s,
                # Most recently used first: asyncpg prepares statements per connection, and a
                # rotating pool prepared each one on every connection in turn.
                "pool_use_lifo": True,
            }
        )
        # hide_parameters: a statement's error must not carry message text into the logs
        self.engine: AsyncEngine = create_async_engine(
            url, pool_pre_ping=pre_ping, hide_parameters=True, **pooled
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; no BEGIN/COMMIT round trips (the isolation level is set client-side).
        self._autocommit_sessions = (
            async_sessionmaker(
                self.engine.execution_options(isolation_level="AUTOCOMMIT"),
                expire_on_commit=False,
            )
            if self.engine.dialect.name == "postgresql"
            else self._sessions
        )

    @asynccontextmanager
    async def session(self, *, single_statement: bool = False) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back on error.

        ``single_statement``: on PostgreSQL the block runs one statement, atomic by itself,
        in autocommit mode (one round trip instead of BEGIN, statement, COMMIT); other engines
        keep the transaction."""
        factory = self._autocommit_sessions if single_statement else self._sessions
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
