"""The weekly team-challenge close on one database shared by several replicas (SQLite file,
PostgreSQL): every challenge is posted once and rolled over once; stale claims are taken over;
failures are retried, then given up; a gone channel ends the challenge."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.scheduler.teams import POST_DELAY, TeamChallengeJob
from fitcoach.storage.database import Database
from fitcoach.storage.migrate import upgrade_database_async
from fitcoach.storage.repositories import Journal, UserDirectory, WorkoutSetRecord
from fitcoach.storage.teams import Board, Period, TeamChallenge, TeamChallenges, TeamMember

MON = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
AT = MON + POST_DELAY + timedelta(minutes=1)  # when last week's standings are due


@dataclass
class RecordingPoster:
    """A TeamPoster that records posts (slowly, to widen any race) and can fail on demand."""

    posts: list[tuple[int, bool]] = field(default_factory=list)
    status: str = "sent"

    async def post_standings(
        self, board: Board, *, next_period: Period | None, stopped_by: str | None = None
    ) -> DeliveryResult:
        await asyncio.sleep(0.01)
        if self.status == "failed":
            return DeliveryResult.failed("timeout")
        if self.status == "blocked":
            return DeliveryResult.blocked("not_in_channel")
        self.posts.append((board.challenge_id, next_period is not None))
        return DeliveryResult.sent(f"{board.challenge_id}.0001")


async def seed(db: Database, channels: int = 12) -> None:
    """``channels`` challenges of last week, two members each, one workout each."""
    period = Period(MON - timedelta(days=7), MON, "UTC")
    async with db.session() as session:
        repo = TeamChallenges(session)
        for n in range(channels):
            challenge = await repo.start("slack", "T1", f"C{n:03d}", "workouts", period)
            for who in ("A", "B"):
                user = await UserDirectory(session).resolve("slack", f"T1:U{who}{n}")
                await repo.join(challenge.id, user.id, f"U{who}{n}")
                await Journal(session, user.id).add_workout(
                    [WorkoutSetRecord(exercise_name="running", duration_min=20)],
                    source_text="run",
                    logged_at=MON - timedelta(days=2),
                )


def job(db: Database, poster: RecordingPoster, name: str, at: datetime) -> TeamChallengeJob:
    return TeamChallengeJob(
        db, {"slack": poster}, lambda: at, instance_id=name, stale_claim_s=120, max_attempts=3
    )


async def challenges(db: Database) -> list[TeamChallenge]:
    async with db.session() as session:
        return list((await session.execute(select(TeamChallenge))).scalars())


async def replicas_close_each_once(db_a: Database, db_b: Database) -> None:
    await seed(db_a)
    poster = RecordingPoster()
    a, b = (job(db, poster, name, AT) for db, name in ((db_a, "a"), (db_b, "b")))
    await asyncio.gather(a.run(), b.run(), a.run(), b.run())
    assert len(poster.posts) == 12
    assert max(Counter(cid for cid, _ in poster.posts).values()) == 1
    rows = await challenges(db_a)
    closed = [c for c in rows if c.status == "closed"]
    active = [c for c in rows if c.status == "active"]
    assert len(closed) == 12 and len(active) == 12
    assert {c.channel for c in active} == {f"C{n:03d}" for n in range(12)}
    assert all(c.starts_at.replace(tzinfo=UTC) == MON for c in active)
    async with db_a.session() as session:
        members = list((await session.execute(select(TeamMember))).scalars())
    assert {m.challenge_id for m in members} == {c.id for c in active}
    assert len(members) == 24
    # A second round finds nothing due.
    await asyncio.gather(a.run(), b.run())
    assert len(poster.posts) == 12


async def test_two_replicas_on_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'teams.db'}"
    await upgrade_database_async(url)
    db_a, db_b = Database(url), Database(f"{url}?timeout=30")  # separate in-process locks
    try:
        await replicas_close_each_once(db_a, db_b)
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_not(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'stale.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    try:
        await seed(db, channels=2)
        first, second = sorted(c.id for c in await challenges(db))
        async with db.session() as session:  # a replica died mid-close / one is closing now
            await session.execute(
                update(TeamChallenge)
                .where(TeamChallenge.id == first)
                .values(status="closing", claimed_by="dead", claimed_at=MON - timedelta(hours=1))
            )
            await session.execute(
                update(TeamChallenge)
                .where(TeamChallenge.id == second)
                .values(status="closing", claimed_by="busy", claimed_at=AT - timedelta(seconds=30))
            )
        poster = RecordingPoster()
        report = await job(db, poster, "live", AT).run()
        assert [cid for cid, _ in poster.posts] == [first]
        assert report.closed == 1
    finally:
        await db.dispose()


async def test_failures_are_retried_then_given_up_and_gone_channels_end(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fail.db'}"
    await upgrade_database_async(url)
    db = Database(url)
    try:
        await seed(db, channels=2)
        poster = RecordingPoster(status="failed")
        at = AT
        reports = [await job(db, poster, "x", at).run() for _ in range(3)]
        assert [r.retried for r in reports] == [2, 2, 0]  # attempt 3 of max 3: give up
        rows = await challenges(db)
        assert {(c.status, c.close_reason) for c in rows} == {("closed", "failed:timeout")}

        await seed(db, channels=1)  # a new one whose channel is gone
        poster.status = "blocked"
        await job(db, poster, "x", at).run()
        async with db.session() as session:
            active = (
                (
                    await session.execute(
                        select(TeamChallenge).where(TeamChallenge.active_key.is_not(None))
                    )
                )
                .scalars()
                .all()
            )
            members = (await session.execute(select(TeamMember))).scalars().all()
        assert active == [] and members == []
        assert "blocked:not_in_channel" in {c.close_reason for c in await challenges(db)}
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_two_replicas_on_one_postgres(pg_url: str) -> None:
    await upgrade_database_async(pg_url)  # migration 0010 on PostgreSQL
    db_a, db_b = Database(pg_url), Database(pg_url)
    try:
        await replicas_close_each_once(db_a, db_b)
        # One running challenge per channel, whatever the race.
        async with db_a.session() as session:
            repo = TeamChallenges(session)
            results = await asyncio.gather(
                *(_start_in_own_session(db, "C999") for db in (db_a, db_b, db_a, db_b)),
                return_exceptions=True,
            )
            assert sum(r is True for r in results) == 1
            assert await repo.active("slack", "T1", "C999") is not None
    finally:
        await db_a.dispose()
        await db_b.dispose()


async def _start_in_own_session(db: Database, channel: str) -> bool:
    from fitcoach.storage.teams import ChallengeExists

    try:
        async with db.session() as session:
            await TeamChallenges(session).start(
                "slack", "T1", channel, "workouts", Period(MON, MON + timedelta(days=7), "UTC")
            )
    except ChallengeExists:
        return False
    return True
