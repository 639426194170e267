"""Migration 0016: on SQLite a deleted person's id is never handed to someone new, and the
rebuild of ``users`` keeps every row and every reference to it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select, text

from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.models import ChannelIdentity, MessageLog, User


async def test_sqlite_never_reuses_a_deleted_persons_id(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ids.sqlite'}"
    await upgrade_database_async(url, "0015")  # before the rebuild, with people in it
    database = Database(url)
    try:
        async with database.session() as session:
            for n in (1, 2):
                user = User(name=f"p{n}")
                session.add(user)
                await session.flush()
                session.add(ChannelIdentity(user_id=user.id, channel="test", external_id=f"p{n}"))
                session.add(
                    MessageLog(
                        user_id=user.id, channel="test", conversation_id=f"p{n}", direction="in"
                    )
                )
    finally:
        await database.dispose()

    await upgrade_database_async(url)
    database = Database(url)
    try:
        async with database.session() as session:
            assert (await session.execute(select(User.id, User.name))).all() == [
                (1, "p1"),
                (2, "p2"),
            ]
            assert (await session.execute(select(func.count(MessageLog.id)))).scalar() == 2
            ddl = (
                await session.execute(text("SELECT sql FROM sqlite_master WHERE name = 'users'"))
            ).scalar()
            assert "AUTOINCREMENT" in str(ddl)
            assert (await session.execute(text("PRAGMA foreign_key_check"))).all() == []
            # References still work both ways: deleting a person cascades to their rows.
            await session.execute(delete(User).where(User.id == 2))
        async with database.session() as session:
            assert (await session.execute(select(func.count(MessageLog.id)))).scalar() == 1
            newcomer = User(name="new")
            session.add(newcomer)
            await session.flush()
            assert newcomer.id == 3  # not 2, the deleted person's id
    finally:
        await database.dispose()
