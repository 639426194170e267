"""Group commit of the inbox on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import event, select

from fitcoach.storage import driver
from fitcoach.storage.database import Database
from fitcoach.storage.inbox_writer import _INSERT_ARRAYS, InboxWriter
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import InboxMessage, utcnow


@pytest.fixture
def database(engine_database: Database) -> Database:
    return engine_database


def count_commits(database: Database) -> list[int]:
    commits = [0]

    def on_commit(_connection: object) -> None:
        commits[0] += 1

    event.listen(database.engine.sync_engine, "commit", on_commit)
    return commits


async def stored(database: Database) -> list[tuple[str, str]]:
    async with database.session() as session:
        rows = await session.execute(
            select(InboxMessage.message_id, InboxMessage.conversation_id).order_by(InboxMessage.id)
        )
        return [(row[0], row[1]) for row in rows]


def count_batches(writer: InboxWriter) -> list[int]:
    """The size of each batch the writer writes."""
    sizes: list[int] = []
    write = writer._write

    async def counted(batch: list[Any]) -> set[tuple[str, str]]:
        sizes.append(len(batch))
        return await write(batch)

    writer._write = counted  # type: ignore[method-assign]
    return sizes


async def test_concurrent_messages_share_batches_and_keep_their_order(database: Database) -> None:
    writer = InboxWriter(database)
    batches = count_batches(writer)
    results = await asyncio.gather(
        *(writer.accept("telegram", f"m{i}", f"c{i % 3}", "{}") for i in range(60))
    )
    assert results == [True] * 60
    assert 1 <= len(batches) < 10 and sum(batches) == 60  # 60 messages, a few writes
    assert [m for m, _ in await stored(database)] == [f"m{i}" for i in range(60)]


async def test_each_batch_is_one_transaction_or_one_statement_on_the_driver(
    database: Database,
) -> None:
    """Through SQLAlchemy each batch commits once; on PostgreSQL through asyncpg a batch is
    a single statement on the driver, with no BEGIN and COMMIT around it."""
    writer = InboxWriter(database)
    commits = count_commits(database)
    batches = count_batches(writer)
    await asyncio.gather(*(writer.accept("telegram", f"m{i}", "c1", "{}") for i in range(30)))
    assert commits[0] == (0 if driver.uses_driver(database) else len(batches))
    assert len(await stored(database)) == 30


async def test_a_message_alone_is_written_at_once(database: Database) -> None:
    writer = InboxWriter(database)
    assert await asyncio.wait_for(writer.accept("telegram", "solo", "c1", "{}"), 5)
    assert await stored(database) == [("solo", "c1")]


async def test_duplicates_are_new_once_in_one_batch_and_across_batches(
    database: Database,
) -> None:
    writer = InboxWriter(database)
    first = await asyncio.gather(
        writer.accept("telegram", "u1", "c1", "{}"),
        writer.accept("telegram", "u1", "c1", "{}"),
        writer.accept("slack", "u1", "c1", "{}"),  # same id on another channel: new
    )
    assert sorted(first) == [False, True, True]
    assert first[2] is True
    assert await writer.accept("telegram", "u1", "c1", "{}") is False
    assert len(await stored(database)) == 2


async def test_a_bad_row_fails_alone_and_the_rest_of_its_batch_is_stored(
    database: Database,
) -> None:
    if database.engine.dialect.name == "sqlite":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    writer = InboxWriter(database)
    results = await asyncio.gather(
        writer.accept("telegram", "good1", "c1", "{}"),
        writer.accept("telegram", "x" * 300, "c1", "{}"),  # longer than message_id allows
        writer.accept("telegram", "good2", "c1", "{}"),
        return_exceptions=True,
    )
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], Exception)
    assert [m for m, _ in await stored(database)] == ["good1", "good2"]


def test_the_driver_statement_sets_every_column_a_new_row_sets() -> None:
    """The PostgreSQL batch statement lists its columns; a column added to new rows must be
    added there too, or the driver path would store rows without it."""
    from fitcoach.storage.inbox import new_row
    from fitcoach.storage.inbox_writer import _ARRAY_COLUMNS

    assert [name for name, _ in _ARRAY_COLUMNS] == list(new_row("telegram", "m", "c", "{}"))


async def test_a_stored_row_keeps_every_value_it_was_given(database: Database) -> None:
    """On PostgreSQL the batch travels as text arrays and is cast back on the server: the
    payload, status, attempts and arrival time must come back as they were."""
    payload = '{"text": "a \\"quoted\\", {braced} NULL, 🏋️ \\\\ done", "n": [1, 2]}'
    before = utcnow()
    assert await InboxWriter(database).accept("telegram", "NULL", "c,1", payload)
    after = utcnow()
    async with database.session() as session:
        row = (await session.execute(select(InboxMessage))).scalar_one()
    assert (row.message_id, row.conversation_id, row.payload) == ("NULL", "c,1", payload)
    assert (row.status, row.attempts) == ("received", 0)
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    assert before <= created <= after


async def test_the_driver_statement_needs_no_type_lookup_on_a_new_connection(
    pg_url: str,
) -> None:
    """asyncpg knows ``text[]`` by itself but looks up any other array type on each new
    connection (≈ 10 ms, paid by every pooled connection on its first batch)."""
    import asyncpg

    await upgrade_database_async(pg_url)
    database = Database(pg_url)
    try:
        prepared = driver.compile_for_driver(_INSERT_ARRAYS, database.engine.dialect)
    finally:
        await database.dispose()
    connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql", 1))
    try:
        statement = await connection.prepare(prepared.sql)
        assert {parameter.name for parameter in statement.get_parameters()} == {"text[]"}
    finally:
        await connection.close()


async def test_warming_up_writes_nothing_and_the_writer_still_works(database: Database) -> None:
    writer = InboxWriter(database)
    await writer.warm_up()
    assert await stored(database) == []
    assert await writer.accept("telegram", "after", "c1", "{}")
    assert await stored(database) == [("after", "c1")]
