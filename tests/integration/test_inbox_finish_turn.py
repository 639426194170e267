"""The end of a turn: outcome, message and reply recorded together, on SQLite and on a real
PostgreSQL (where it is one statement in autocommit mode), through a session and (what the
worker uses) as a unit of work of its own, which on PostgreSQL runs on the asyncpg driver."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from fitcoach.storage import inbox as inbox_module
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import FinishedTurn, Inbox
from fitcoach.storage.models import InboxMessage, MessageLog, utcnow
from fitcoach.storage.repositories import UserDirectory


@pytest.fixture
def database(engine_database: Database) -> Database:
    return engine_database


@pytest.fixture(params=["in a session", "on its own"])
def on_its_own(request: pytest.FixtureRequest) -> bool:
    """``Inbox.finish_turn`` in the caller's session, or ``inbox.finish_turn`` in a unit of
    work of its own."""
    return request.param == "on its own"


async def _accepted_with_person(database: Database) -> int:
    async with database.session() as session:
        await Inbox(session).accept("telegram", "m1", "chat1", '{"m":"m1"}')
        return (await UserDirectory(session).resolve("telegram", "ann")).id


def _turn(user_id: int | None, *out_texts: str) -> FinishedTurn:
    return FinishedTurn(
        channel="telegram",
        message_id="m1",
        conversation_id="chat1",
        status="done",
        reply='[{"text": "stored"}]',
        user_id=user_id,
        in_text="any tips?",
        out_texts=out_texts,
        received_at=utcnow() - timedelta(seconds=2),
    )


async def _finish(database: Database, turn: FinishedTurn, on_its_own: bool) -> list[str]:
    """The turn recorded; the statements SQLAlchemy ran for it (none on the driver path)."""
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        if on_its_own:
            await inbox_module.finish_turn(database, turn)
        else:
            async with database.session(single_statement=turn.single_statement) as session:
                await Inbox(session).finish_turn(turn)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    return statements


async def _log(database: Database) -> list[MessageLog]:
    async with database.session() as session:
        found = await session.execute(select(MessageLog).order_by(MessageLog.id))
        return list(found.scalars())


async def _inbox_row(database: Database) -> InboxMessage:
    async with database.session() as session:
        found = await session.execute(select(InboxMessage).where(InboxMessage.message_id == "m1"))
        return found.scalar_one()


async def test_a_turn_logs_the_message_and_the_reply_with_its_outcome(
    database: Database, engine_url: str, on_its_own: bool
) -> None:
    user_id = await _accepted_with_person(database)
    statements = await _finish(database, _turn(user_id, "Keep going!"), on_its_own)
    if engine_url.startswith("postgresql"):
        # one round trip: no BEGIN/COMMIT, one statement (on the driver: none through SQLAlchemy)
        assert statements == ([] if on_its_own else ["WITH"])
    log = await _log(database)
    assert [(m.direction, m.text, m.user_id) for m in log] == [
        ("in", "any tips?", user_id),
        ("out", "Keep going!", user_id),
    ]
    assert log[0].external_message_id == "m1" and log[1].external_message_id is None
    assert log[0].created_at < log[1].created_at  # the message when it arrived, then the reply
    row = await _inbox_row(database)
    assert (row.status, row.user_id, row.reply, row.attempts) == (
        "done",
        user_id,
        '[{"text": "stored"}]',
        0,  # attempts count claims; this row was finished without one
    )
    assert row.processed_at is not None


async def test_a_reply_before_a_person_is_known_logs_nothing(
    database: Database, on_its_own: bool
) -> None:
    await _accepted_with_person(database)
    await _finish(database, _turn(None, "Sorry, this coach is private."), on_its_own)
    assert await _log(database) == []
    assert (await _inbox_row(database)).status == "done"


async def test_several_replies_are_logged_in_one_transaction(
    database: Database, on_its_own: bool
) -> None:
    user_id = await _accepted_with_person(database)
    turn = _turn(user_id, "first", "second")
    assert not turn.single_statement
    await _finish(database, turn, on_its_own)
    assert [m.text for m in await _log(database)] == ["any tips?", "first", "second"]
    assert (await _inbox_row(database)).status == "done"


async def test_nothing_is_logged_for_a_message_the_inbox_does_not_hold(
    database: Database, on_its_own: bool
) -> None:
    user_id = await _accepted_with_person(database)
    gone = dataclasses.replace(_turn(user_id, "Keep going!"), message_id="unknown")
    await _finish(database, gone, on_its_own)
    assert await _log(database) == []
    assert (await _inbox_row(database)).status == "received"


@pytest.mark.parametrize("replies", [("Keep going!",), ("first", "second")])
async def test_a_finish_run_again_logs_nothing_more(
    database: Database, on_its_own: bool, replies: tuple[str, ...]
) -> None:
    """The statement went through but its answer was lost with the connection: the outage
    retry runs it again, and the exchange stays logged once."""
    user_id = await _accepted_with_person(database)
    turn = _turn(user_id, *replies)
    await _finish(database, turn, on_its_own)
    await _finish(database, dataclasses.replace(turn, status="failed"), on_its_own)
    assert [m.text for m in await _log(database)] == ["any tips?", *replies]
    row = await _inbox_row(database)
    assert (row.status, row.attempts) == ("done", 0)  # a finish is no attempt
