"""InlinePostgresSaver writes the rows and reads the tuples that the library's saver does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.base import CheckpointTuple, create_checkpoint, empty_checkpoint
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg_pool import AsyncConnectionPool

from fitcoach.storage.checkpoints import open_checkpoint_pool, plain_postgres_url
from fitcoach.storage.postgres_saver import INLINE_MAX_MESSAGES, InlinePostgresSaver

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pool(pg_url: str) -> AsyncIterator[AsyncConnectionPool]:
    pool = await open_checkpoint_pool(plain_postgres_url(pg_url), max_size=4)
    await AsyncPostgresSaver(pool).setup()
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


async def write(
    saver: AsyncPostgresSaver,
    thread: str,
    messages: list[Any],
    versions: tuple[str, str] = ("1", "2"),
) -> dict[str, Any]:
    first = create_checkpoint(empty_checkpoint(), None, 1)
    first["channel_values"] = {"messages": messages[:2], "jump_to": None, "step": 3}
    first["channel_versions"] = {"messages": versions[0], "step": "1"}
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    config = await saver.aput(
        config, first, {"source": "loop", "step": 1}, {"messages": versions[0]}
    )
    second = create_checkpoint(first, None, 2)
    second["channel_values"] = {"messages": messages, "jump_to": None, "step": 4}
    second["channel_versions"] = {"messages": versions[1], "step": "2"}
    return dict(
        await saver.aput(config, second, {"source": "loop", "step": 2}, {"messages": versions[1]})
    )


def next_versions(saver: AsyncPostgresSaver) -> tuple[str, str]:
    """Two versions as LangGraph makes them (a counter and a random part)."""
    first = saver.get_next_version(None, None)
    return first, saver.get_next_version(first, None)


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
    inline = InlinePostgresSaver(pool)
    await write(inline, "small", conversation(3))
    assert await inline.aget_tuple({"configurable": {"thread_id": "small", "checkpoint_ns": ""}})
    assert hops == []
    await write(AsyncPostgresSaver(pool), "library", conversation(3))  # type: ignore[arg-type]
    assert hops == ["_dump_blobs", "_dump_blobs"]


async def test_a_value_this_process_wrote_is_read_back_without_decoding(
    pool: AsyncConnectionPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = InlinePostgresSaver(pool)
    messages = conversation(3)
    await write(inline, "kept", messages, next_versions(inline))
    decoded: list[str] = []
    loads = inline.serde.loads_typed

    def counted(data: Any) -> Any:
        decoded.append(data[0])
        return loads(data)

    monkeypatch.setattr(inline.serde, "loads_typed", counted)
    read: Any = {"configurable": {"thread_id": "kept", "checkpoint_ns": ""}}
    first = await inline.aget_tuple(read)
    assert first is not None and first.checkpoint["channel_values"]["messages"] == messages
    assert decoded == []
    first.checkpoint["channel_values"]["messages"].append(HumanMessage("changed by a caller"))
    again = await inline.aget_tuple(read)
    assert again is not None and again.checkpoint["channel_values"]["messages"] == messages
    # Another replica's newer version is decoded; the kept value is of an older version.
    other = InlinePostgresSaver(pool)
    longer = conversation(4)
    await write(other, "kept", longer, next_versions(other))
    newest = await inline.aget_tuple(read)
    assert newest is not None and newest.checkpoint["channel_values"]["messages"] == longer
    assert decoded == ["msgpack"]
    await inline.adelete_thread("kept")
    assert await inline.aget_tuple(read) is None
    assert not [key for key in inline._values if key[0] == "kept"]


async def test_turns_of_a_graph_read_back_what_a_new_process_reads(
    pool: AsyncConnectionPool,
) -> None:
    from langgraph.graph import START, MessagesState, StateGraph

    def coach(state: MessagesState) -> dict[str, Any]:
        last = state["messages"][-1]
        return {"messages": [AIMessage(f"noted: {last.content}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("coach", coach)
    builder.add_edge(START, "coach")
    graph = builder.compile(checkpointer=InlinePostgresSaver(pool))
    config: Any = {"configurable": {"thread_id": "graph"}}
    for n in range(6):
        result = await graph.ainvoke(
            {"messages": [HumanMessage(f"ran {n} km", id=f"h{n}")]}, config, durability="exit"
        )
    assert [m.content for m in result["messages"]][-2:] == ["ran 5 km", "noted: ran 5 km"]
    fresh = await AsyncPostgresSaver(pool).aget_tuple(config)  # type: ignore[arg-type]
    assert fresh is not None
    assert fresh.checkpoint["channel_values"]["messages"] == result["messages"]
    assert len(result["messages"]) == 12


async def test_a_kept_value_is_used_only_for_the_bytes_it_was_kept_with(
    pool: AsyncConnectionPool,
) -> None:
    inline = InlinePostgresSaver(pool)
    key = ("t", "", "messages", "00000000000000000000000000000001.0.5")
    inline._keep(key, b"encoded", ["kept"])
    assert inline._known(key, b"encoded") == ["kept"]
    assert inline._known(key, b"other bytes") is not inline._known(key, b"encoded")
    assert inline._known(key, b"other bytes") is _missing()


def _missing() -> object:
    from fitcoach.storage import postgres_saver

    return postgres_saver._MISSING
