"""Statements run on the asyncpg driver (fitcoach.storage.driver), on a real PostgreSQL: what
happens to the pooled connection after a server error, a cancellation and a server restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import Integer, bindparam, text

from fitcoach.storage import driver
from fitcoach.storage.database import Database

pytestmark = pytest.mark.postgres

BACKEND = text("SELECT pg_backend_pid() AS pid, CAST(:n AS INTEGER) + 1 AS next").bindparams(
    bindparam("n", type_=Integer)
)
DIVIDE = text("SELECT 1 / CAST(:d AS INTEGER)").bindparams(bindparam("d", type_=Integer))
SLEEP = text("SELECT pg_sleep(5)")


@pytest.fixture
async def database(pg_url: str) -> AsyncIterator[Database]:
    opened = Database(pg_url, pool_size=1, max_overflow=0)
    try:
        yield opened
    finally:
        await opened.dispose()


async def _backend(database: Database) -> int:
    rows = await driver.fetch(database, BACKEND, {"n": 41})
    assert rows[0]["next"] == 42  # parameters by name, in the driver's positional order
    return int(rows[0]["pid"])


async def test_an_error_postgresql_reports_keeps_the_connection(database: Database) -> None:
    before = await _backend(database)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await driver.fetch(database, DIVIDE, {"d": 0})
    assert await _backend(database) == before


async def test_a_cancelled_statement_does_not_return_its_connection(database: Database) -> None:
    before = await _backend(database)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await driver.fetch(database, SLEEP, {})
    assert await _backend(database) != before  # a fresh connection, not the interrupted one


async def test_connections_the_server_closed_are_replaced_without_a_failure(
    pg_url: str,
) -> None:
    database = Database(pg_url, pool_size=4, max_overflow=0)
    admin_url = "postgresql://" + pg_url.split("://", 1)[1]
    try:
        first = set(await asyncio.gather(*(_backend(database) for _ in range(4))))
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the driver sees each close as it arrives
        after = [await _backend(database) for _ in range(6)]  # every call succeeds
        assert not first & set(after)
    finally:
        await database.dispose()


async def test_the_pool_hands_out_the_most_recently_used_connection(pg_url: str) -> None:
    """Statements are prepared per connection: a pool that rotated through all of them would
    prepare each statement on every connection in turn."""
    database = Database(pg_url, pool_size=3, max_overflow=0)
    try:
        first, second = await database.engine.connect(), await database.engine.connect()
        pids = [
            (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            for connection in (first, second)
        ]
        await first.close()
        await second.close()  # back last: alone, each statement then finds it again
        assert [await _backend(database) for _ in range(3)] == [pids[1]] * 3
    finally:
        await database.dispose()
