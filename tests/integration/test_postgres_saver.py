"""InlinePostgresSaver writes the rows and reads the tuples that the library's saver does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import CheckpointTuple, create_checkpoint, empty_checkpoint
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from fitcoach.storage.checkpoints import plain_postgres_url
from fitcoach.storage.postgres_saver import INLINE_MAX_MESSAGES, InlinePostgresSaver

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator[AsyncConnectionPool]:
    conninfo = plain_postgres_url(pg_url)
    pool: AsyncConnectionPool = AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=4,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    await AsyncPostgresSaver(pool).setup()  # type: ignore[arg-type]
    try:
        yield pool
    finally:
        await pool.close()


def conversation(turns: int) -> list[Any]:
    messages: list[Any] = []
    for n in range(turns):
        messages.append(HumanMessage(f"how was session {n}?", id=f"h{n}"))
        messages.append(
            AIMessage(
                "",
                id=f"a{n}",
                tool_calls=[{"name": "log_workout", "args": {"text": "ran 5k"}, "id": f"t{n}"}],
            )
        )
        messages.append(ToolMessage("logged", tool_call_id=f"t{n}", id=f"r{n}"))
        messages.append(AIMessage(f"Nice run number {n}!", id=f"b{n}"))
    return messages


async def write(saver: AsyncPostgresSaver, thread: str, messages: list[Any]) -> dict[str, Any]:
    first = create_checkpoint(empty_checkpoint(), None, 1)
    first["channel_values"] = {"messages": messages[:2], "jump_to": None, "step": 3}
    first["channel_versions"] = {"messages": "1", "step": "1"}
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    config = await saver.aput(config, first, {"source": "loop", "step": 1}, {"messages": "1"})
    second = create_checkpoint(first, None, 2)
    second["channel_values"] = {"messages": messages, "jump_to": None, "step": 4}
    second["channel_versions"] = {"messages": "2", "step": "2"}
    return dict(await saver.aput(config, second, {"source": "loop", "step": 2}, {"messages": "2"}))


async def rows(pool: AsyncConnectionPool, thread: str) -> list[Any]:
    async with pool.connection() as conn:
        checkpoints = await (
            await conn.execute(
                "SELECT checkpoint_id, parent_checkpoint_id, checkpoint, metadata "
                "FROM checkpoints WHERE thread_id = %s ORDER BY checkpoint_id",
                (thread,),
            )
        ).fetchall()
        blobs = await (
            await conn.execute(
                "SELECT channel, version, type, blob FROM checkpoint_blobs "
                "WHERE thread_id = %s ORDER BY channel, version",
                (thread,),
            )
        ).fetchall()
    return [*checkpoints, *blobs]


def normalized(found: list[Any]) -> list[Any]:
    """Rows with each checkpoint's own id and time replaced by its position."""
    ids = {row["checkpoint_id"]: n for n, row in enumerate(found) if "checkpoint_id" in row}
    result = []
    for row in found:
        row = dict(row)
        if "checkpoint_id" in row:
            row["checkpoint_id"] = ids[row["checkpoint_id"]]
            row["parent_checkpoint_id"] = ids.get(row["parent_checkpoint_id"])
            row["checkpoint"] = {**row["checkpoint"], "id": row["checkpoint_id"], "ts": None}
        result.append(row)
    return result


def without_thread(found: CheckpointTuple | None) -> Any:
    assert found is not None
    parent = found.parent_config["configurable"]["checkpoint_id"] if found.parent_config else None
    return (
        found.config["configurable"]["checkpoint_id"],
        found.checkpoint,
        found.metadata,
        parent,
        found.pending_writes,
    )


@pytest.mark.parametrize("turns", [3, INLINE_MAX_MESSAGES // 4 + 1])
async def test_the_same_rows_are_written_and_the_same_tuples_read(
    pool: AsyncConnectionPool, turns: int
) -> None:
    library, inline = AsyncPostgresSaver(pool), InlinePostgresSaver(pool)  # type: ignore[arg-type]
    messages = conversation(turns)
    by_library = await write(library, f"lib-{turns}", messages)
    by_inline = await write(inline, f"inl-{turns}", messages)
    assert by_inline["configurable"]["thread_id"] == f"inl-{turns}"
    assert by_inline["configurable"].keys() == by_library["configurable"].keys()
    library_rows, inline_rows = await rows(pool, f"lib-{turns}"), await rows(pool, f"inl-{turns}")
    assert len(inline_rows) == 4  # two checkpoints, two versions of the messages blob
    assert normalized(inline_rows) == normalized(library_rows)
    for thread in (f"lib-{turns}", f"inl-{turns}"):
        config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        read_by_library = without_thread(await library.aget_tuple(config))
        read_by_inline = without_thread(await inline.aget_tuple(config))
        assert read_by_inline == read_by_library
        assert read_by_inline[1]["channel_values"]["messages"] == messages


async def test_pending_writes_are_read_as_the_library_reads_them(
    pool: AsyncConnectionPool,
) -> None:
    library, inline = AsyncPostgresSaver(pool), InlinePostgresSaver(pool)  # type: ignore[arg-type]
    config: Any = await write(inline, "writes", conversation(2))
    await inline.aput_writes(config, [("__interrupt__", {"question": "log it?"})], "task-1")
    read: Any = {"configurable": {"thread_id": "writes", "checkpoint_ns": ""}}
    by_inline, by_library = await inline.aget_tuple(read), await library.aget_tuple(read)
    assert by_inline is not None and by_library is not None
    assert by_inline.pending_writes == by_library.pending_writes
    assert by_inline.pending_writes == [("task-1", "__interrupt__", {"question": "log it?"})]


async def test_a_small_checkpoint_is_written_and_read_without_a_thread(
    pool: AsyncConnectionPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops: list[str] = []
    to_thread = asyncio.to_thread

    async def counted(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", "?"))
        return await to_thread(func, *args, **kwargs)

    monkeypatch.setattr(asyncio, "to_thread", counted)
    inline = InlinePostgresSaver(pool)  # type: ignore[arg-type]
    await write(inline, "small", conversation(3))
    assert await inline.aget_tuple({"configurable": {"thread_id": "small", "checkpoint_ns": ""}})
    assert hops == []
    await write(AsyncPostgresSaver(pool), "library", conversation(3))  # type: ignore[arg-type]
    assert hops == ["_dump_blobs", "_dump_blobs"]
