"""Group commit for the inbox: webhooks arriving together share one INSERT and one COMMIT.

Each caller still waits until its own row is committed (the webhook's ack promises that the
message is stored). While one batch is being written, new messages queue; the next batch takes
them all. One message alone is written at once, so an idle replica adds no delay; under a burst
of N concurrent webhooks, N transactions become a few (bench/ack.py).

On PostgreSQL through asyncpg a batch is one statement on the driver (the rows as one array
per column, ``unnest``-ed): atomic by itself, so it needs no BEGIN and COMMIT round trips."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import structlog
from sqlalchemy import DateTime, Integer, String, Table, Text, bindparam, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.types import TypeEngine

from fitcoach.storage import driver
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import Inbox, new_row
from fitcoach.storage.models import InboxMessage
from fitcoach.storage.outage import DatabaseUnavailable, database_unavailable

log = structlog.get_logger(__name__)

MAX_BATCH = 200
Key = tuple[str, str]


@dataclass
class _Pending:
    values: dict[str, Any]
    accepted: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def key(self) -> Key:
        return (self.values["channel"], self.values["message_id"])


def _insert_new_returning(dialect: str) -> Executable:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING channel, message_id``: the rows returned are
    the messages seen for the first time."""
    table = cast(Table, InboxMessage.__table__)
    dialect_insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(table.c.channel, table.c.message_id)
    )


# The columns a new row sets (``new_row``) and their types. Each is sent as one ``text[]``
# parameter and cast on the server: asyncpg knows ``text[]`` by itself but looks up every
# other array type on each new connection (≈ 10 ms, ≈ 40 ms under load), which every pooled
# connection paid on its first batch, in the first burst after a start.
_ARRAY_COLUMNS: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("channel", String()),
    ("message_id", String()),
    ("conversation_id", String()),
    ("payload", Text()),
    ("status", String()),
    ("attempts", Integer()),
    ("created_at", DateTime(timezone=True)),
)


def _as_text(value: Any) -> str | None:
    """A column value as PostgreSQL reads it back from text (the casts above)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _insert_arrays_returning() -> ClauseElement:
    """PostgreSQL: the same insert, with the batch as one array per column (one statement
    and one prepared form, whatever the batch size)."""
    table = cast(Table, InboxMessage.__table__)
    names = [name for name, _ in _ARRAY_COLUMNS]
    arrays = (
        func.unnest(*(bindparam(name, type_=ARRAY(Text())) for name in names))
        .table_valued(*names, with_ordinality="position")
        .render_derived(name="batch")
    )
    # In the batch's order, so that ids follow the order the messages arrived in.
    columns = [
        arrays.c[name] if isinstance(kind, String) else sql_cast(arrays.c[name], kind)
        for name, kind in _ARRAY_COLUMNS
    ]
    rows = select(*columns).order_by(arrays.c.position)
    return (
        postgresql_insert(table)
        .from_select(names, rows)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(table.c.channel, table.c.message_id)
    )


_INSERT_ARRAYS = _insert_arrays_returning()


class InboxWriter:
    """Stores accepted messages in batches; ``accept`` answers for one message."""

    def __init__(self, database: Database, *, accept_timeout_s: float = 5.0) -> None:
        self.database = database
        self.accept_timeout_s = accept_timeout_s
        self.dialect = database.engine.dialect.name
        self._batched = self.dialect in ("postgresql", "sqlite")
        self._statement = _insert_new_returning(self.dialect) if self._batched else None
        self._on_driver = driver.uses_driver(database)
        self._queue: list[_Pending] = []
        self._writer: asyncio.Task[None] | None = None

    async def accept(
        self, channel: str, message_id: str, conversation_id: str, payload: str
    ) -> bool:
        """Store a new message (committed when this returns); False for one seen before.
        :class:`DatabaseUnavailable` when the database has not confirmed it within the accept
        timeout (the write goes on; a message stored late is processed all the same)."""
        try:
            async with asyncio.timeout(self.accept_timeout_s):
                return await self._accept(channel, message_id, conversation_id, payload)
        except TimeoutError:
            raise DatabaseUnavailable(
                f"the inbox did not confirm the message within {self.accept_timeout_s:g} s"
            ) from None

    async def _accept(
        self, channel: str, message_id: str, conversation_id: str, payload: str
    ) -> bool:
        if not self._batched:  # no ON CONFLICT … RETURNING: one transaction per message
            async with self.database.session() as session:
                return await Inbox(session).accept(channel, message_id, conversation_id, payload)
        pending = _Pending(new_row(channel, message_id, conversation_id, payload))
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        # The batch's outcome stays with the batch: a caller that gives up (client gone,
        # timeout) does not cancel the writing of the others.
        return await asyncio.shield(pending.accepted)

    async def warm_up(self) -> None:
        """Prepare the batch statement now (it writes no row), not in the first burst. With
        the database away (a restart during start-up) the first write prepares it instead."""
        if not self._on_driver:
            return
        try:
            await driver.fetch(
                self.database, _INSERT_ARRAYS, {name: [] for name, _ in _ARRAY_COLUMNS}
            )
        except Exception as error:
            if not database_unavailable(error):
                raise
            log.warning("inbox_warm_up_skipped", error_type=type(error).__name__)

    async def _write_queued(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                new = await self._write(batch)
            except Exception as error:
                if len(batch) == 1:
                    _fail(batch, error)
                    continue
                # One bad row must not cost the others their place: write each on its own.
                log.warning("inbox_batch_failed", rows=len(batch), error=type(error).__name__)
                for pending in batch:
                    try:
                        _settle([pending], await self._write([pending]))
                    except Exception as single_error:
                        _fail([pending], single_error)
                continue
            except BaseException as error:
                _fail(batch, error)
                raise
            _settle(batch, new)

    async def _write(self, batch: list[_Pending]) -> set[Key]:
        if self._on_driver:
            columns = {
                name: [_as_text(p.values[name]) for p in batch] for name, _ in _ARRAY_COLUMNS
            }
            rows = await driver.fetch(self.database, _INSERT_ARRAYS, columns)
            return {(row[0], row[1]) for row in rows}
        assert self._statement is not None
        async with self.database.engine.begin() as connection:
            result = await connection.execute(self._statement, [p.values for p in batch])
            return {(row[0], row[1]) for row in result}


def _settle(batch: list[_Pending], new: set[Key]) -> None:
    for pending in batch:
        if not pending.accepted.done():
            # a key twice in one batch: only its first occurrence is new
            pending.accepted.set_result(pending.key in new)
            new.discard(pending.key)


def _fail(batch: list[_Pending], error: BaseException) -> None:
    for pending in batch:
        if not pending.accepted.done():
            pending.accepted.set_exception(error)
