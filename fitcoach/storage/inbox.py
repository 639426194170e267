"""The inbox: accepted messages and their outcome, keyed by (channel, message id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import DateTime, Integer, String, Table, bindparam, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from fitcoach.storage import driver
from fitcoach.storage.database import Database
from fitcoach.storage.models import InboxMessage, utcnow
from fitcoach.storage.repositories import MessageHistory

_INSERTS: dict[str, Executable] = {}
CLAIM_ENDED_AT = datetime(1970, 1, 1, tzinfo=UTC)
"""The ``claimed_at`` of a claim ended before its lease ran out."""

# The worker's step between two turns as one PostgreSQL round trip: mark the reply just sent
# as delivered, find the conversation's oldest unfinished row and claim it if it is new or its
# worker's claim went stale. A data-modifying CTE runs whether or not it is read. Under READ
# COMMITTED a competing claim blocks on the row lock and re-checks the status condition, so
# two workers never both claim a row. The lookup reads the partial index of unfinished rows
# (ix_inbox_open_by_conversation), the claim the primary key: neither walks the dead index
# entries that every status change leaves until VACUUM. The next row is not claimed while an
# earlier reply of the conversation is still being sent by another live claim (finished, not
# marked delivered, claim renewed within the lease; `:previous` is this drain's own last row):
# with two drains of one conversation (the Redis lock unreachable) the reply to a later
# message could otherwise reach the person first. That look reads the partial index of
# unsent rows (ix_inbox_unsent_by_conversation). `:claim` labels this one claim
# attempt: when the statement is run again because its answer was lost with the connection,
# the row it claimed the first time is its own (no other claim carries that label).
_CLAIM_NEXT_POSTGRESQL = text(
    """
    WITH delivered AS (
        UPDATE inbox SET delivered_at = :now
        WHERE id = :delivered AND delivered_at IS NULL
        RETURNING id
    ), next AS (
        SELECT id FROM inbox
        WHERE channel = :channel AND conversation_id = :conversation_id
          AND status IN ('received', 'processing')
        ORDER BY id LIMIT 1
    ), sending AS (
        SELECT id FROM inbox
        WHERE channel = :channel AND conversation_id = :conversation_id
          AND processed_at IS NOT NULL AND delivered_at IS NULL
          AND id < (SELECT id FROM next) AND id IS DISTINCT FROM :previous
          AND reply IS NOT NULL AND reply <> '[]' AND claimed_at >= :stale_before
        LIMIT 1
    ), claimed AS (
        UPDATE inbox SET status = 'processing', claimed_at = :now, claimed_by = :claim,
                         attempts = attempts + 1
        WHERE inbox.id = (SELECT id FROM next)
          AND NOT EXISTS (SELECT 1 FROM sending)
          AND (inbox.status = 'received'
               OR (inbox.status = 'processing'
                   AND (inbox.claimed_at < :stale_before OR inbox.claimed_by = :claim)))
        RETURNING inbox.id, inbox.message_id, inbox.payload, inbox.attempts
    )
    SELECT next.id, claimed.message_id, claimed.payload, claimed.attempts
    FROM next LEFT JOIN claimed ON claimed.id = next.id
    """
).bindparams(
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("stale_before", type_=DateTime(timezone=True)),
    bindparam("channel", type_=String),
    bindparam("conversation_id", type_=String),
    bindparam("delivered", type_=Integer),
    bindparam("previous", type_=Integer),
    bindparam("claim", type_=String),
)


# The end of a turn as one PostgreSQL round trip: the inbox row records the outcome and, only
# if that row was found unfinished, the message and the reply go into the person's message
# log: together or not at all (a turn re-run after a crash logs its message once, and so does
# a statement run again because its answer was lost with the connection). "Unfinished" is
# said as `processed_at IS NULL` (only a finish sets it), not by the status: a status
# condition matches the partial index of open rows, which the planner then walks for the
# whole channel instead of using the (channel, message_id) key.
_FINISH_TURN_POSTGRESQL = text(
    """
    WITH finished AS (
        UPDATE inbox SET status = :status, reply = :reply, user_id = :user_id,
                         processed_at = :now
        WHERE channel = :channel AND message_id = :message_id AND processed_at IS NULL
        RETURNING id
    )
    INSERT INTO message_log
        (user_id, channel, conversation_id, direction, external_message_id, text, created_at)
    SELECT :user_id, :channel, :conversation_id, entry.direction, entry.external_message_id,
           entry.text, entry.created_at
    FROM finished,
         (VALUES (1, 'in', CAST(:message_id AS VARCHAR), :in_text, :received_at),
                 (2, 'out', NULL, :out_text, :now))
             AS entry (position, direction, external_message_id, text, created_at)
    ORDER BY entry.position
    """
).bindparams(
    bindparam("user_id", type_=Integer),
    bindparam("channel", type_=String),
    bindparam("conversation_id", type_=String),
    bindparam("message_id", type_=String),
    bindparam("in_text", type_=String),
    bindparam("out_text", type_=String),
    bindparam("received_at", type_=DateTime(timezone=True)),
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("status", type_=String),
    bindparam("reply", type_=String),
)


@dataclass(frozen=True, slots=True)
class FinishedTurn:
    """A turn's outcome for the inbox, and the exchange for the person's message log."""

    channel: str
    message_id: str
    conversation_id: str
    status: str
    reply: str
    """The outbound messages as stored JSON (re-sent if delivery is interrupted)."""
    received_at: datetime
    """When the turn began: the logged message's time (its reply is logged at the end)."""
    user_id: int | None = None
    """None for replies given before a person was known (nothing goes to a message log)."""
    in_text: str = ""
    out_texts: tuple[str, ...] = ()

    @property
    def single_statement(self) -> bool:
        """True when :meth:`Inbox.finish_turn` records this turn in one statement on
        PostgreSQL (so it may run in autocommit mode)."""
        return self.user_id is None or len(self.out_texts) == 1

    @property
    def logged_in_one_statement(self) -> bool:
        """True when PostgreSQL records the outcome and logs the exchange in one statement."""
        return self.user_id is not None and len(self.out_texts) == 1


def _finish_turn_parameters(turn: FinishedTurn) -> dict[str, Any]:
    return {
        "user_id": turn.user_id,
        "channel": turn.channel,
        "conversation_id": turn.conversation_id,
        "message_id": turn.message_id,
        "in_text": turn.in_text,
        "out_text": turn.out_texts[0],
        "received_at": turn.received_at,
        "now": utcnow(),
        "status": turn.status,
        "reply": turn.reply,
    }


def _claim_parameters(
    channel: str,
    conversation_id: str,
    claim: str,
    stale_before: datetime,
    delivered: int | None,
    previous: int | None,
) -> dict[str, Any]:
    return {
        "now": utcnow(),
        "stale_before": stale_before,
        "channel": channel,
        "conversation_id": conversation_id,
        "delivered": delivered,
        "previous": previous if previous is not None else delivered,
        "claim": claim,
    }


@cache
def _finish_statement() -> Executable:
    # Built once (once per turn otherwise): the compiled form is cached either way.
    return (
        update(InboxMessage)
        .where(
            InboxMessage.channel == bindparam("key_channel"),
            InboxMessage.message_id == bindparam("key_message_id"),
            InboxMessage.processed_at.is_(None),  # unfinished (see _FINISH_TURN_POSTGRESQL)
        )
        .values(
            status=bindparam("new_status"),
            reply=bindparam("new_reply"),
            user_id=bindparam("new_user_id"),
            processed_at=bindparam("now"),
        )
        # No ORM objects of the row are loaded here: skip finding and updating them.
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class NextRow:
    """A conversation's oldest unfinished row; ``payload`` is None when another live worker
    holds it (this worker did not claim it)."""

    id: int
    message_id: str | None
    payload: str | None
    attempts: int = 0
    """How many times the row was claimed to be run, this claim included."""

    @property
    def claimed(self) -> bool:
        """True when this worker now holds the row."""
        return self.payload is not None


def _insert_if_new(dialect: str) -> Executable:
    """``INSERT … ON CONFLICT (channel, message_id) DO NOTHING`` for this dialect."""
    if dialect not in _INSERTS:
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        _INSERTS[dialect] = insert(cast(Table, InboxMessage.__table__)).on_conflict_do_nothing(
            index_elements=["channel", "message_id"]
        )
    return _INSERTS[dialect]


def new_row(channel: str, message_id: str, conversation_id: str, payload: str) -> dict[str, Any]:
    """The column values of a message accepted now."""
    return {
        "channel": channel,
        "message_id": message_id,
        "conversation_id": conversation_id,
        "payload": payload,
        "status": "received",
        "attempts": 0,
        "created_at": utcnow(),
    }


class Inbox:
    """Stores inbound messages once and records how each ended."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        """The session's database engine: ``postgresql``, ``sqlite``, … ("" when unbound)."""
        return self.session.bind.dialect.name if self.session.bind is not None else ""

    async def accept(
        self, channel: str, message_id: str, conversation_id: str, payload: str
    ) -> bool:
        """Store a new message; False when this (channel, message id) was seen before.

        One ``INSERT … ON CONFLICT DO NOTHING`` (PostgreSQL, SQLite): the webhook's ack waits
        for this statement only."""
        values = new_row(channel, message_id, conversation_id, payload)
        if self.dialect in ("postgresql", "sqlite"):
            # A Core statement built once, executed with parameters: no ORM bulk-insert
            # machinery or statement building on the webhook's hot path.
            connection = await self.session.connection()
            result = await connection.execute(_insert_if_new(self.dialect), values)
            return bool(result.rowcount)
        try:
            async with self.session.begin_nested():
                self.session.add(InboxMessage(**values))
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def get(self, channel: str, message_id: str) -> InboxMessage | None:
        """The stored message, if any."""
        stmt = select(InboxMessage).where(
            InboxMessage.channel == channel, InboxMessage.message_id == message_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def finish(
        self, channel: str, message_id: str, *, user_id: int | None, status: str, reply: str
    ) -> bool:
        """Record the outcome and the reply of a processed message; False when the inbox has
        no such message, or it is finished already (a retried finish changes nothing)."""
        result = await self.session.execute(
            _finish_statement(),
            {
                "key_channel": channel,
                "key_message_id": message_id,
                "new_status": status,
                "new_reply": reply,
                "new_user_id": user_id,
                "now": utcnow(),
            },
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish_turn(self, turn: FinishedTurn) -> None:
        """Record the outcome and, for a known person, log the message and the reply (nothing
        is logged when the inbox has no such message)."""
        if self.dialect == "postgresql" and turn.logged_in_one_statement:
            connection = await self.session.connection()
            await connection.execute(_FINISH_TURN_POSTGRESQL, _finish_turn_parameters(turn))
            return
        finished = await self.finish(
            turn.channel,
            turn.message_id,
            user_id=turn.user_id,
            status=turn.status,
            reply=turn.reply,
        )
        if not finished or turn.user_id is None:
            return
        history = MessageHistory(self.session, turn.user_id)
        await history.record(
            channel=turn.channel,
            conversation_id=turn.conversation_id,
            direction="in",
            text=turn.in_text,
            external_message_id=turn.message_id,
            created_at=turn.received_at,
        )
        for out_text in turn.out_texts:
            await history.record(
                channel=turn.channel,
                conversation_id=turn.conversation_id,
                direction="out",
                text=out_text,
            )

    async def redact(self, channel: str, message_id: str) -> None:
        """Drop the stored payload (after the person was deleted: keep no personal data)."""
        await self.session.execute(
            update(InboxMessage)
            .where(InboxMessage.channel == channel, InboxMessage.message_id == message_id)
            .values(payload="{}", reply=None)
        )

    async def claim(
        self, channel: str, message_id: str, worker: str, stale_before: datetime
    ) -> bool:
        """Take a message for processing: new, or claimed by a worker whose lease expired."""
        result = await self.session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.channel == channel,
                InboxMessage.message_id == message_id,
                or_(
                    InboxMessage.status == "received",
                    (InboxMessage.status == "processing")
                    & (InboxMessage.claimed_at < stale_before),
                ),
            )
            .values(status="processing", claimed_at=utcnow(), claimed_by=worker)
        )
        return bool(getattr(result, "rowcount", 0))

    async def stale(self, stale_before: datetime, limit: int = 100) -> list[InboxMessage]:
        """Messages accepted but never finished: unclaimed or with an expired lease."""
        stmt = (
            select(InboxMessage)
            .where(
                or_(
                    (InboxMessage.status == "received") & (InboxMessage.created_at < stale_before),
                    (InboxMessage.status == "processing")
                    & (InboxMessage.claimed_at < stale_before),
                )
            )
            .order_by(InboxMessage.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def next_in_conversation(self, channel: str, conversation_id: str) -> InboxMessage | None:
        """The conversation's oldest unfinished message (received or being processed)."""
        stmt = (
            select(InboxMessage)
            .where(
                InboxMessage.channel == channel,
                InboxMessage.conversation_id == conversation_id,
                InboxMessage.status.in_(("received", "processing")),
            )
            .order_by(InboxMessage.id)
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def claim_next(
        self,
        channel: str,
        conversation_id: str,
        claim: str,
        stale_before: datetime,
        *,
        delivered: int | None = None,
        previous: int | None = None,
    ) -> NextRow | None:
        """Record the reply to row ``delivered`` (its id) as sent, then claim the conversation's
        oldest unfinished row; None when the conversation has none left. The row is reported
        as held (not claimed) while another live claim still sends an earlier reply of the
        conversation; ``previous`` is the caller's own last row (sent or not: it never waits
        for itself), ``delivered`` by default."""
        if self.dialect == "postgresql":
            connection = await self.session.connection()
            found = (
                await connection.execute(
                    _CLAIM_NEXT_POSTGRESQL,
                    _claim_parameters(
                        channel, conversation_id, claim, stale_before, delivered, previous
                    ),
                )
            ).first()
            return (
                NextRow(found[0], found[1], found[2], found[3] or 0) if found is not None else None
            )
        if delivered is not None:
            await self.mark_row_delivered(delivered)
        row = await self.next_in_conversation(channel, conversation_id)
        if row is None:
            return None
        own = previous if previous is not None else delivered
        if await self._sending_before(row, own, stale_before) or not await self.claim_row(
            row.id, claim, stale_before
        ):
            return NextRow(row.id, None, None)
        return NextRow(row.id, row.message_id, row.payload, row.attempts + 1)

    async def _sending_before(
        self, row: InboxMessage, own: int | None, stale_before: datetime
    ) -> bool:
        """True while another live claim sends a reply of this conversation older than
        ``row`` (the condition of the ``sending`` step of _CLAIM_NEXT_POSTGRESQL)."""
        stmt = (
            select(InboxMessage.id)
            .where(
                InboxMessage.channel == row.channel,
                InboxMessage.conversation_id == row.conversation_id,
                InboxMessage.processed_at.is_not(None),
                InboxMessage.delivered_at.is_(None),
                InboxMessage.id < row.id,
                InboxMessage.reply.is_not(None),
                InboxMessage.reply != "[]",
                InboxMessage.claimed_at >= stale_before,
            )
            .limit(1)
        )
        if own is not None:
            stmt = stmt.where(InboxMessage.id != own)
        return (await self.session.execute(stmt)).first() is not None

    async def claim_row(self, row_id: int, claim: str, stale_before: datetime) -> bool:
        """Claim this row if it is new, its claim's lease expired, or it carries this very
        claim label ``claim`` (the claim is being tried again)."""
        result = await self.session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.id == row_id,
                or_(
                    InboxMessage.status == "received",
                    (InboxMessage.status == "processing")
                    & (
                        (InboxMessage.claimed_at < stale_before)
                        | (InboxMessage.claimed_by == claim)
                    ),
                ),
            )
            .values(
                status="processing",
                claimed_at=utcnow(),
                claimed_by=claim,
                attempts=InboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def renew(self, row_id: int, claim: str) -> bool:
        """Keep the claim labelled ``claim`` fresh while a long turn runs and its reply is sent;
        False when the row was taken."""
        result = await self.session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == row_id, InboxMessage.claimed_by == claim)
            .values(claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def end_claim(self, row_id: int, claim: str) -> None:
        """End the claim labelled ``claim`` on this row now, as if its lease had run out
        (``claimed_at`` set to the epoch; ``stale``, ``undelivered`` and the claim step then
        treat it as a claim whose worker is gone)."""
        await self.session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == row_id, InboxMessage.claimed_by == claim)
            .values(claimed_at=CLAIM_ENDED_AT)
            .execution_options(synchronize_session=False)
        )

    async def mark_row_delivered(self, row_id: int) -> None:
        """Record that the reply to this row went out (once)."""
        await self.session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == row_id, InboxMessage.delivered_at.is_(None))
            .values(delivered_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def claim_unsent(self, row_id: int, claim: str, stale_before: datetime) -> bool:
        """Take an answered row's unsent reply to send it again (the recovery sweep): only one
        sender at a time, and while the claim is renewed within the lease, later replies of
        the conversation wait for it as for any reply being sent. False when the reply was
        sent meanwhile or another live claim sends it."""
        result = await self.session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.id == row_id,
                InboxMessage.delivered_at.is_(None),
                InboxMessage.claimed_at < stale_before,
            )
            .values(claimed_at=utcnow(), claimed_by=claim)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def mark_delivered(self, channel: str, message_id: str) -> bool:
        """Record that the reply went out; False when it was already marked (by anyone)."""
        result = await self.session.execute(
            update(InboxMessage)
            .where(
                InboxMessage.channel == channel,
                InboxMessage.message_id == message_id,
                InboxMessage.delivered_at.is_(None),
            )
            .values(delivered_at=utcnow())
        )
        return bool(getattr(result, "rowcount", 0))

    async def undelivered(
        self, claimed_before: datetime, channels: list[str], limit: int = 100
    ) -> list[InboxMessage]:
        """Answered messages whose reply never went out (the worker died in between)."""
        stmt = (
            select(InboxMessage)
            .where(
                InboxMessage.channel.in_(channels),
                InboxMessage.status.not_in(("received", "processing")),
                InboxMessage.reply.is_not(None),
                InboxMessage.delivered_at.is_(None),
                # the claim stops being renewed once the worker is gone
                InboxMessage.claimed_at < claimed_before,
            )
            .order_by(InboxMessage.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


async def claim_next(
    database: Database,
    channel: str,
    conversation_id: str,
    claim: str,
    stale_before: datetime,
    *,
    delivered: int | None = None,
    previous: int | None = None,
) -> NextRow | None:
    """:meth:`Inbox.claim_next` in a unit of work of its own: on PostgreSQL through asyncpg,
    its one statement runs on the driver (:mod:`fitcoach.storage.driver`)."""
    if driver.uses_driver(database):
        rows = await driver.fetch(
            database,
            _CLAIM_NEXT_POSTGRESQL,
            _claim_parameters(channel, conversation_id, claim, stale_before, delivered, previous),
        )
        return NextRow(rows[0][0], rows[0][1], rows[0][2], rows[0][3] or 0) if rows else None
    async with database.session(single_statement=True) as session:
        return await Inbox(session).claim_next(
            channel, conversation_id, claim, stale_before, delivered=delivered, previous=previous
        )


async def finish_turn(database: Database, turn: FinishedTurn) -> None:
    """:meth:`Inbox.finish_turn` in a unit of work of its own: on PostgreSQL through asyncpg,
    a turn with one reply is recorded by one statement on the driver."""
    if driver.uses_driver(database) and turn.logged_in_one_statement:
        await driver.fetch(database, _FINISH_TURN_POSTGRESQL, _finish_turn_parameters(turn))
        return
    async with database.session(single_statement=turn.single_statement) as session:
        await Inbox(session).finish_turn(turn)
