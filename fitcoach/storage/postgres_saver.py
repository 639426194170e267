"""LangGraph's PostgreSQL checkpointer without a thread hop for a small checkpoint.

``AsyncPostgresSaver`` (langgraph-checkpoint-postgres 3.2) hands two steps of every turn to
the default thread pool so that a large state cannot stall the event loop: decoding the
checkpoint's pending writes when it is read, and encoding the changed channels when it is
written. A coach turn's checkpoint has no pending writes (durability "exit") and a few dozen
messages: each hop (a pool job, a future and two wake-ups, ≈ 0.08 ms of CPU) cost more than
the work it moved, and the work itself holds the interpreter lock in the thread anyway.

:class:`InlinePostgresSaver` does both steps on the loop when they are small and leaves
everything else to the library: the same rows are written and the same tuples read
(tests/integration/test_postgres_saver.py compares them with the library's)."""

from __future__ import annotations

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
                    **self._load_blobs(value["channel_values"]),
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
        async with self._cursor(pipeline=True) as cur:
            if blob_versions := {k: v for k, v in new_versions.items() if k in blob_values}:
                await cur.executemany(
                    self.UPSERT_CHECKPOINT_BLOBS_SQL,
                    self._dump_blobs(thread_id, checkpoint_ns, blob_values, blob_versions),
                )
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
        return next_config
