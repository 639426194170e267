"""Per-turn statements bench: CPU of the worker's three statements, session path vs driver path.

Prints figures; not a test. On a scratch PostgreSQL database, one task runs each of the steps
every turn takes (read the person, claim the next message, record the outcome) ``--rounds``
times through an ORM session (the path SQLite and other engines keep) and through
``fitcoach.storage.driver`` (PostgreSQL on asyncpg), and prints the client CPU per statement.

    python bench/statements.py
    python bench/statements.py --rounds 5000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h

from fitcoach.storage import inbox as inbox_module
from fitcoach.storage import person_lookup
from fitcoach.storage.database import Database
from fitcoach.storage.inbox import FinishedTurn, Inbox
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import utcnow
from fitcoach.storage.repositories import UserDirectory

Step = Callable[[int], Awaitable[object]]


async def _session_person(database: Database, _i: int) -> object:
    async with database.session(single_statement=True) as session:
        return await person_lookup.find_person_at_turn(session, "telegram", "42")


async def _driver_person(database: Database, _i: int) -> object:
    return await person_lookup.find_person(database, "telegram", "42")


def _turn(user_id: int, message_id: str) -> FinishedTurn:
    return FinishedTurn(
        channel="telegram",
        message_id=message_id,
        conversation_id="c1",
        status="done",
        reply='[{"text": "ok"}]',
        received_at=utcnow(),
        user_id=user_id,
        in_text="any tips?",
        out_texts=("Keep going.",),
    )


async def _measure(rounds: int, step: Step) -> float:
    """CPU milliseconds per call of ``step`` (after a warm-up of 50 calls)."""
    for i in range(50):
        await step(i)
    started = time.process_time()
    for i in range(rounds):
        await step(i)
    return (time.process_time() - started) / rounds * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    name, url = await h.create_database()
    url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        await upgrade_database_async(url)
        database = Database(url)
        async with database.session() as session:
            user_id = (await UserDirectory(session).resolve("telegram", "42", name="P")).id
            inbox = Inbox(session)
            for n in range(4 * (args.rounds + 50)):
                await inbox.accept("telegram", f"m{n:07d}", "c1", "{}")
        stale = utcnow() - timedelta(seconds=30)
        # As a drain does: each claim records the previous row's reply as sent (else the
        # claim would wait for that reply to be sent).
        sent: list[int | None] = [None]

        async def session_claim_finish(_i: int) -> None:
            async with database.session(single_statement=True) as session:
                row = await Inbox(session).claim_next(
                    "telegram", "c1", "w", stale, delivered=sent[0], previous=sent[0]
                )
            assert row is not None and row.message_id is not None
            sent[0] = row.id
            async with database.session(single_statement=True) as session:
                await Inbox(session).finish_turn(_turn(user_id, row.message_id))

        async def driver_claim_finish(_i: int) -> None:
            row = await inbox_module.claim_next(
                database, "telegram", "c1", "w", stale, delivered=sent[0], previous=sent[0]
            )
            assert row is not None and row.message_id is not None
            sent[0] = row.id
            await inbox_module.finish_turn(database, _turn(user_id, row.message_id))

        for label, session_step, driver_step, statements in (
            (
                "read the person",
                lambda i: _session_person(database, i),
                lambda i: _driver_person(database, i),
                1,
            ),
            ("claim + record the outcome", session_claim_finish, driver_claim_finish, 2),
        ):
            session_ms = await _measure(args.rounds, session_step) / statements
            driver_ms = await _measure(args.rounds, driver_step) / statements
            print(
                f"{label:28} session {session_ms:.3f} ms  driver {driver_ms:.3f} ms "
                f"per statement (client CPU, {args.rounds} rounds)"
            )
        await database.dispose()
    finally:
        await h.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
