"""LangGraph's PostgreSQL checkpointer without a thread hop for a small checkpoint.

``AsyncPostgresSaver`` (langgraph-checkpoint-postgres 3.2) hands two steps of every turn to
the default thread pool so that a large state cannot stall the event loop: decoding the
checkpoint's pending writes when it is read, and encoding the changed channels when it is
written. A coach turn's checkpoint has no pending writes (durability "exit") and a few dozen
messages: each hop (a pool job, a future and two wake-ups, ≈ 0.08 ms of CPU) cost more than
the work it moved, and the work itself holds the interpreter lock in the thread anyway.

:class:`InlinePostgresSaver` does both steps on the loop when they are small and leaves
everything else to the library: the same rows are written and the same tuples read
(tests/integration/test_postgres_saver.py compares them with the library's).

It also keeps the channel values it wrote or read last, with their encoded form, by (thread,
namespace, channel, version): the next turn of a conversation, usually on the same worker,
reads back the value this process wrote, and when the stored bytes are the kept ones,
decoding them (the whole message history, every turn) is skipped. Whichever replica wrote a
version, equal bytes decode to an equal value; a deleted thread's values are dropped with it.

A turn first needs to know whether its thread waits for an answer (a pending confirmation):
:meth:`InlinePostgresSaver.read_ahead` reads the thread's latest checkpoint for that, and the
run inside the block gets that same tuple for its own first read of the checkpoint instead of
reading it again. One read per turn, where a separate probe query used to come before it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

INLINE_MAX_MESSAGES = 200
"""Above this many messages in a channel, encoding goes to a thread as the library does."""

KEPT_VALUES = 1_000
"""Channel values kept in memory (one per conversation seen lately: its message history)."""

ValueKey = tuple[str, str, str, str]
"""(thread id, checkpoint namespace, channel, version) -> (encoded bytes, value)"""


_MISSING = object()

INTERRUPT_CHANNEL = "__interrupt__"
"""The channel of the pending writes that record a graph waiting for an answer (part of
LangGraph's stored format; tests/integration/test_checkpoint_read_ahead.py checks it)."""


@dataclass
class _ReadAhead:
    thread_id: str
    checkpoint: CheckpointTuple | None
    served: bool = False


_READ_AHEAD: ContextVar[_ReadAhead | None] = ContextVar("fitcoach_read_ahead", default=None)


def _latest_checkpoint_of(config: RunnableConfig) -> str | None:
    """The thread whose latest top-level checkpoint this read asks for, if it asks for one."""
    configurable = config.get("configurable") or {}
    if configurable.get("checkpoint_id") or configurable.get("checkpoint_ns", ""):
        return None
    thread_id = configurable.get("thread_id")
    return str(thread_id) if thread_id is not None else None


def _is_small(values: dict[str, Any]) -> bool:
    for value in values.values():
        if isinstance(value, _DeltaSnapshot):
            return False
        if isinstance(value, list | tuple | dict) and len(value) > INLINE_MAX_MESSAGES:
            return False
    return True


class InlinePostgresSaver(AsyncPostgresSaver):
    """``AsyncPostgresSaver`` that reads a checkpoint without pending writes, and writes a
    small one, without a thread hop (the library's own steps otherwise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._values: OrderedDict[ValueKey, tuple[bytes, Any]] = OrderedDict()

    def _keep(self, key: ValueKey, blob: bytes | None, channel_value: Any) -> None:
        if blob is None:
            return
        if type(channel_value) in (list, dict):
            channel_value = type(channel_value)(channel_value)  # not the run's own container
        self._values[key] = (blob, channel_value)
        self._values.move_to_end(key)
        while len(self._values) > KEPT_VALUES:
            self._values.popitem(last=False)

    def _known(self, key: ValueKey, blob: bytes) -> Any:
        """The kept value of these bytes, as a new list or dict: the caller may change the
        container, never the kept one (the items are shared, as within one run)."""
        found = self._values.get(key)
        if found is None or found[0] != blob:
            return _MISSING
        self._values.move_to_end(key)
        value = found[1]
        return type(value)(value) if type(value) in (list, dict) else value

    def _decoded_blobs(self, value: DictRow) -> dict[str, Any]:
        """``_load_blobs`` of the row, each value decoded only if not kept."""
        versions = value["checkpoint"].get("channel_versions") or {}
        decoded: dict[str, Any] = {}
        for raw_channel, raw_type, blob in value["channel_values"] or ():
            kind = raw_type.decode()
            if kind == "empty":
                continue
            channel = raw_channel.decode()
            key = (value["thread_id"], value["checkpoint_ns"], channel, str(versions.get(channel)))
            found = self._known(key, blob)
            if found is _MISSING:
                found = self.serde.loads_typed((kind, blob))
                self._keep(key, blob, found)
            decoded[channel] = found
        return decoded

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        ahead = _READ_AHEAD.get()
        if (
            ahead is not None
            and not ahead.served
            and _latest_checkpoint_of(config) == ahead.thread_id
        ):
            ahead.served = True
            return ahead.checkpoint
        return await super().aget_tuple(config)

    @asynccontextmanager
    async def read_ahead(self, thread_id: str) -> AsyncIterator[bool]:
        """Read the thread's latest checkpoint now and yield whether it waits for an answer
        (a pending interrupt); the first read of that checkpoint inside the block, in this
        task (the run's own), gets the tuple read here."""
        checkpoint = await self.aget_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
        )
        token = _READ_AHEAD.set(_ReadAhead(thread_id, checkpoint))
        try:
            yield checkpoint is not None and any(
                channel == INTERRUPT_CHANNEL for _, channel, _ in checkpoint.pending_writes or ()
            )
        finally:
            _READ_AHEAD.reset(token)

    async def adelete_thread(self, thread_id: str) -> None:
        for key in [k for k in self._values if k[0] == thread_id]:
            del self._values[key]
        await super().adelete_thread(thread_id)

    async def _load_checkpoint_tuple(self, value: DictRow) -> CheckpointTuple:
        if value["pending_writes"]:
            return await super()._load_checkpoint_tuple(value)
        # The library's steps (aio.py, _load_checkpoint_tuple) with no writes to decode.
        return CheckpointTuple(
            {
                "configurable": {
                    "thread_id": value["thread_id"],
                    "checkpoint_ns": value["checkpoint_ns"],
                    "checkpoint_id": value["checkpoint_id"],
                }
            },
            {  # type: ignore[typeddict-item]  # the stored checkpoint holds the other keys
                **value["checkpoint"],
                "channel_values": {
                    **(value["checkpoint"].get("channel_values") or {}),
                    **self._decoded_blobs(value),
                },
            },
            value["metadata"],
            (
                {
                    "configurable": {
                        "thread_id": value["thread_id"],
                        "checkpoint_ns": value["checkpoint_ns"],
                        "checkpoint_id": value["parent_checkpoint_id"],
                    }
                }
                if value["parent_checkpoint_id"]
                else None
            ),
            [],
        )

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        if not _is_small(checkpoint["channel_values"]):
            return await super().aput(config, checkpoint, metadata, new_versions)
        # The library's steps (aio.py, aput) with the blobs encoded here.
        configurable = config["configurable"].copy()
        thread_id = configurable.pop("thread_id")
        checkpoint_ns = configurable.pop("checkpoint_ns")
        checkpoint_id = configurable.pop("checkpoint_id", None)
        copy = checkpoint.copy()
        copy["channel_values"] = copy["channel_values"].copy()
        next_config: RunnableConfig = {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": checkpoint_ns,
                "checkpoint_id": checkpoint["id"],
            }
        }
        # primitive values stay inline in the checkpoint row, the others go to blobs
        blob_values = {}
        for key, channel_value in checkpoint["channel_values"].items():
            if channel_value is None or isinstance(channel_value, str | int | float | bool):
                continue
            blob_values[key] = copy["channel_values"].pop(key)
        blob_versions = {k: v for k, v in new_versions.items() if k in blob_values}
        blob_rows = self._dump_blobs(thread_id, checkpoint_ns, blob_values, blob_versions)
        async with self._cursor(pipeline=True) as cur:
            if blob_versions:
                await cur.executemany(self.UPSERT_CHECKPOINT_BLOBS_SQL, blob_rows)
            await cur.execute(
                self.UPSERT_CHECKPOINTS_SQL,
                (
                    thread_id,
                    checkpoint_ns,
                    checkpoint["id"],
                    checkpoint_id,
                    Jsonb(copy),
                    Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
                ),
            )
        for _, _, channel, version, _, blob in blob_rows:
            if channel in blob_values:
                self._keep((thread_id, checkpoint_ns, channel, version), blob, blob_values[channel])
        return next_config
