"""Team challenges in a shared channel: who opted in, and the standings from their logs.

- ``team_challenges``: one row per challenge period of a channel (a week by default).
  ``active_key`` is set (and unique) while the challenge runs, so a channel has at most one
  running challenge whatever the number of replicas; it is cleared when the period closes.
  ``status`` goes ``active`` → ``closing`` (claimed by one scheduler replica: ``claimed_by``)
  → ``closed``. The row holds no personal data.
- ``team_command_receipts``: ids of team commands already handled (a mention arrives as two
  events, and Slack redelivers slow ones); no personal data, pruned after two days.
- ``team_challenge_members``: the people who opted in (``user_id``), with the platform id used
  to mention them (``member_ref``). Rows exist only while the challenge runs: a weekly
  roll-over moves them to the next period, a stop deletes them, and deleting a person
  deletes theirs (the GDPR delete covers every table with a ``user_id``).

Standings are computed from ``workouts`` / ``workout_sets`` of the members only, never from
anything a model said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    distinct,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fitcoach.storage.models import Base, Workout, WorkoutSet, utcnow

Goal = Literal["workouts", "minutes", "days", "distance"]
GOALS: dict[str, str] = {
    "workouts": "most workouts",
    "minutes": "most active minutes",
    "days": "most active days",
    "distance": "most distance",
}
UNITS: dict[str, tuple[str, str]] = {
    "workouts": ("workout", "workouts"),
    "minutes": ("min", "min"),
    "days": ("day", "days"),
    "distance": ("km", "km"),
}


class TeamChallenge(Base):
    """One period of a channel's challenge (no personal data)."""

    __tablename__ = "team_challenges"
    __table_args__ = (Index("ix_team_challenges_due", "status", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    goal: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """Exclusive end (the next Monday 00:00 local for a weekly challenge)."""
    recurring: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    active_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    """``platform:workspace:channel`` while running; NULL once closed (NULLs never clash)."""
    message_ts: Mapped[str | None] = mapped_column(String(32))
    """The announcement in the channel (its participant count is kept current)."""
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    close_reason: Mapped[str] = mapped_column(String(40), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TeamMember(Base):
    """A person who opted in to a running challenge (their numbers may be shown there)."""

    __tablename__ = "team_challenge_members"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("team_challenges.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    member_ref: Mapped[str] = mapped_column(String(64))
    """How the platform names the person in that channel (a Slack user id)."""
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TeamCommandReceipt(Base):
    """A handled team command (e.g. ``slack:C123:1700000000.000100``): handle once."""

    __tablename__ = "team_command_receipts"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


RECEIPT_TTL = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class Period:
    """[starts_at, ends_at) in UTC, and the zone its local week is counted in."""

    starts_at: datetime
    ends_at: datetime
    timezone: str


@dataclass(frozen=True, slots=True)
class Standing:
    """One opted-in member's figure; equal figures share a rank (1, 1, 3)."""

    rank: int
    member_ref: str
    user_id: int
    value: float


@dataclass(frozen=True, slots=True)
class Board:
    """A challenge and its standings (members only, best first)."""

    challenge_id: int
    platform: str
    workspace: str
    channel: str
    goal: str
    period: Period
    recurring: bool
    message_ts: str | None
    standings: tuple[Standing, ...]


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo:
    """A timezone by IANA name, UTC when unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day of ``moment`` in ``timezone``."""
    return aware(moment).astimezone(zone(timezone)).date()


def week_of(moment: datetime, timezone: str) -> Period:
    """The Monday–Sunday week (local to ``timezone``) that contains ``moment``."""
    day = local_date(moment, timezone)
    monday = day - timedelta(days=day.weekday())

    def midnight(d: date) -> datetime:
        return datetime.combine(d, time(0, 0), tzinfo=zone(timezone)).astimezone(UTC)

    return Period(midnight(monday), midnight(monday + timedelta(days=7)), timezone)


def channel_key(platform: str, workspace: str, channel: str) -> str:
    """The ``active_key`` of a channel's running challenge."""
    return f"{platform}:{workspace}:{channel}"


class ChallengeExists(Exception):
    """The channel already has a running challenge."""


class TeamChallenges:
    """Challenges of shared channels. Member queries are always scoped to one challenge."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, platform: str, workspace: str, channel: str) -> TeamChallenge | None:
        """The channel's running challenge (active or being closed), if any."""
        stmt = select(TeamChallenge).where(
            TeamChallenge.active_key == channel_key(platform, workspace, channel)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def receive(self, key: str) -> bool:
        """Record a command as handled; False when it was handled before (a redelivery)."""
        try:
            async with self.session.begin_nested():
                self.session.add(TeamCommandReceipt(key=key[:160]))
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def prune_receipts(self, now: datetime) -> int:
        """Forget receipts older than :data:`RECEIPT_TTL` (redeliveries come within minutes)."""
        result = await self.session.execute(
            delete(TeamCommandReceipt).where(TeamCommandReceipt.created_at < now - RECEIPT_TTL)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def get(self, challenge_id: int) -> TeamChallenge | None:
        """A challenge by id."""
        return await self.session.get(TeamChallenge, challenge_id)

    async def start(
        self,
        platform: str,
        workspace: str,
        channel: str,
        goal: str,
        period: Period,
        *,
        recurring: bool = True,
    ) -> TeamChallenge:
        """Create the channel's running challenge; :class:`ChallengeExists` if there is one."""
        if goal not in GOALS:
            raise ValueError(f"unknown goal {goal!r}")
        row = TeamChallenge(
            platform=platform,
            workspace=workspace,
            channel=channel,
            goal=goal,
            timezone=period.timezone,
            starts_at=period.starts_at,
            ends_at=period.ends_at,
            recurring=recurring,
            status="active",
            attempts=0,
            close_reason="",
            active_key=channel_key(platform, workspace, channel),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            raise ChallengeExists(channel) from exc
        return row

    async def discard(self, challenge_id: int) -> None:
        """Remove a challenge that never got announced (members go with it)."""
        await self.session.execute(
            delete(TeamMember).where(TeamMember.challenge_id == challenge_id)
        )
        await self.session.execute(delete(TeamChallenge).where(TeamChallenge.id == challenge_id))

    async def set_message(self, challenge_id: int, message_ts: str | None) -> None:
        """Remember the announcement message of a challenge."""
        await self.session.execute(
            update(TeamChallenge)
            .where(TeamChallenge.id == challenge_id)
            .values(message_ts=message_ts)
        )

    async def join(self, challenge_id: int, user_id: int, member_ref: str) -> bool:
        """Opt a person in; False when they already were."""
        try:
            async with self.session.begin_nested():
                self.session.add(
                    TeamMember(challenge_id=challenge_id, user_id=user_id, member_ref=member_ref)
                )
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def leave(self, challenge_id: int, user_id: int) -> bool:
        """Opt a person out (their row is deleted); False when they were not in."""
        result = await self.session.execute(
            delete(TeamMember).where(
                TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def is_member(self, challenge_id: int, user_id: int) -> bool:
        """True when the person opted in to this challenge."""
        stmt = select(TeamMember.id).where(
            TeamMember.challenge_id == challenge_id, TeamMember.user_id == user_id
        )
        return (await self.session.execute(stmt)).first() is not None

    async def member_count(self, challenge_id: int) -> int:
        """How many people opted in."""
        stmt = select(func.count()).where(TeamMember.challenge_id == challenge_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def board(self, challenge: TeamChallenge) -> Board:
        """The challenge's standings from its members' logs in its period."""
        members = (
            await self.session.execute(
                select(TeamMember.user_id, TeamMember.member_ref)
                .where(TeamMember.challenge_id == challenge.id)
                .order_by(TeamMember.joined_at, TeamMember.id)
            )
        ).all()
        period = Period(aware(challenge.starts_at), aware(challenge.ends_at), challenge.timezone)
        values = await self._values(challenge.id, challenge.goal, period)
        rows = sorted(
            ((values.get(uid, 0.0), ref, uid) for uid, ref in members),
            key=lambda row: -row[0],
        )
        standings: list[Standing] = []
        for index, (value, ref, uid) in enumerate(rows):
            rank = standings[-1].rank if standings and standings[-1].value == value else index + 1
            standings.append(Standing(rank, ref, uid, value))
        return Board(
            challenge_id=challenge.id,
            platform=challenge.platform,
            workspace=challenge.workspace,
            channel=challenge.channel,
            goal=challenge.goal,
            period=period,
            recurring=challenge.recurring,
            message_ts=challenge.message_ts,
            standings=tuple(standings),
        )

    async def _values(self, challenge_id: int, goal: str, period: Period) -> dict[int, float]:
        """Each member's figure; only rows of this challenge's members in its period."""
        members = select(TeamMember.user_id).where(TeamMember.challenge_id == challenge_id)
        in_period = (
            Workout.user_id.in_(members),
            Workout.logged_at >= period.starts_at,
            Workout.logged_at < period.ends_at,
        )
        if goal == "days":
            return await self._active_days(in_period, period.timezone)
        stmt: Any
        if goal == "workouts":
            stmt = select(Workout.user_id, func.count(distinct(Workout.id))).where(*in_period)
        else:
            column = WorkoutSet.duration_min if goal == "minutes" else WorkoutSet.distance_km
            stmt = (
                select(Workout.user_id, func.coalesce(func.sum(column), 0.0))
                .join(WorkoutSet, WorkoutSet.workout_id == Workout.id)
                .where(*in_period, WorkoutSet.user_id == Workout.user_id)
            )
        rows = await self.session.execute(stmt.group_by(Workout.user_id))
        return {int(uid): float(value or 0.0) for uid, value in rows}

    async def _active_days(self, conditions: tuple[Any, ...], timezone: str) -> dict[int, float]:
        stmt = select(Workout.user_id, Workout.logged_at).where(*conditions)
        days: dict[int, set[date]] = {}
        for uid, logged_at in await self.session.execute(stmt):
            days.setdefault(int(uid), set()).add(local_date(logged_at, timezone))
        return {uid: float(len(found)) for uid, found in days.items()}

    # ------------------------------------------------------------------ closing (replicas)
    async def due(
        self, ended_before: datetime, stale_before: datetime, limit: int = 50
    ) -> list[int]:
        """Ids of running challenges that ended by ``ended_before`` (not claimed, or whose
        closer went silent before ``stale_before``)."""
        stmt = (
            select(TeamChallenge.id)
            .where(
                TeamChallenge.ends_at <= ended_before,
                or_(
                    TeamChallenge.status == "active",
                    (TeamChallenge.status == "closing") & (TeamChallenge.claimed_at < stale_before),
                ),
            )
            .order_by(TeamChallenge.ends_at, TeamChallenge.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())

    async def claim(
        self,
        challenge_id: int,
        worker: str,
        now: datetime,
        stale_before: datetime,
        ended_before: datetime | None,
    ) -> bool:
        """Take the right to close a challenge: one conditional UPDATE, so one winner.

        Only one that ended by ``ended_before``; None closes it whenever (a stop)."""
        conditions = [
            TeamChallenge.id == challenge_id,
            or_(
                TeamChallenge.status == "active",
                (TeamChallenge.status == "closing") & (TeamChallenge.claimed_at < stale_before),
            ),
        ]
        if ended_before is not None:
            conditions.append(TeamChallenge.ends_at <= ended_before)
        result = await self.session.execute(
            update(TeamChallenge)
            .where(*conditions)
            .values(
                status="closing",
                claimed_by=worker,
                claimed_at=now,
                attempts=TeamChallenge.attempts + 1,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def release(self, challenge_id: int, worker: str) -> None:
        """Give a claim back (the post failed and will be retried)."""
        await self.session.execute(
            update(TeamChallenge)
            .where(
                TeamChallenge.id == challenge_id,
                TeamChallenge.status == "closing",
                TeamChallenge.claimed_by == worker,
            )
            .values(status="active", claimed_by=None, claimed_at=None)
        )

    async def close(
        self,
        challenge_id: int,
        worker: str,
        now: datetime,
        reason: str,
        next_period: Period | None = None,
        next_message_ts: str | None = None,
    ) -> TeamChallenge | None:
        """Close a claimed challenge; with ``next_period`` start the next one, members moved.

        Returns the new challenge (or None). Raises ``LookupError`` when the claim was lost."""
        old = await self.session.get(TeamChallenge, challenge_id)
        result = await self.session.execute(
            update(TeamChallenge)
            .where(
                TeamChallenge.id == challenge_id,
                TeamChallenge.status == "closing",
                TeamChallenge.claimed_by == worker,
            )
            .values(
                status="closed",
                active_key=None,
                claimed_by=None,
                close_reason=reason[:40],
                closed_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0) or old is None:
            raise LookupError(f"challenge {challenge_id} is not claimed by {worker}")
        if next_period is None:
            await self.session.execute(
                delete(TeamMember).where(TeamMember.challenge_id == challenge_id)
            )
            return None
        following = TeamChallenge(
            platform=old.platform,
            workspace=old.workspace,
            channel=old.channel,
            goal=old.goal,
            timezone=next_period.timezone,
            starts_at=next_period.starts_at,
            ends_at=next_period.ends_at,
            recurring=old.recurring,
            status="active",
            attempts=0,
            close_reason="",
            message_ts=next_message_ts,
            active_key=channel_key(old.platform, old.workspace, old.channel),
        )
        self.session.add(following)
        await self.session.flush()
        await self.session.execute(
            update(TeamMember)
            .where(TeamMember.challenge_id == challenge_id)
            .values(challenge_id=following.id)
        )
        return following
