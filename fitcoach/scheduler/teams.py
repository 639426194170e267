"""The weekly team-challenge job: post final standings once, then close or roll over.

Every due challenge (its period ended) is claimed with one conditional UPDATE, so across any
number of replicas exactly one posts it; a claim whose holder went silent is taken over after
``stale_claim_s``. The standings come from the database (``TeamChallenges.board``). The post
goes through the platform's :class:`TeamPoster` (Slack's deliverer implements it)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable

import structlog

from fitcoach.scheduler import store
from fitcoach.scheduler.delivery import DeliveryResult
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.outage import log_job_failure
from fitcoach.storage.teams import Board, Period, TeamChallenges, week_of

log = structlog.get_logger(__name__)
JOB_ID = "fitcoach-team-challenges"
POST_DELAY = timedelta(hours=9)
"""Final standings go out this long after the week ends: Monday 09:00 in the challenge's
timezone, not at midnight (they mention people). The new week still starts at midnight."""
T = TypeVar("T")


@runtime_checkable
class TeamPoster(Protocol):
    """Posts a challenge's standings in its channel."""

    async def post_standings(
        self, board: Board, *, next_period: Period | None, stopped_by: str | None = None
    ) -> DeliveryResult:
        """Post the final standings (and the next period when it rolls over).

        ``sent`` carries the new message's id in ``detail``; ``blocked`` when the channel is
        gone or the app is not in it; ``failed`` for anything worth retrying."""
        ...


@dataclass(slots=True)
class TeamReport:
    """What one run did."""

    closed: int = 0
    rolled_over: int = 0
    retried: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


class TeamChallengeJob:
    """Closes challenges whose period ended. Stateless between runs."""

    def __init__(
        self,
        database: Database,
        posters: Mapping[str, Any] | Any,
        clock: Callable[[], datetime] = utcnow,
        *,
        instance_id: str = "team-job",
        stale_claim_s: float = 600.0,
        max_attempts: int = 5,
        post_delay: timedelta = POST_DELAY,
    ) -> None:
        """``posters``: platform → poster (e.g. ``services.proactive``), or an object whose
        ``senders`` is such a mapping (the scheduler's ``ChannelDeliverer``), or one poster."""
        self.database = database
        self.posters = posters
        self.clock = clock
        self.instance_id = instance_id
        self.stale_claim_s = stale_claim_s
        self.max_attempts = max_attempts
        self.post_delay = post_delay
        self._embedded = database.engine.dialect.name != "postgresql"
        self.running = asyncio.Lock()

    async def tick(self) -> TeamReport | None:
        """One scheduled run; skipped (None) while the previous one still runs, never raises."""
        if self.running.locked():
            return None
        async with self.running:
            try:
                return await self.run()
            except Exception as error:
                log_job_failure(log, "team_challenges_run_failed", error)
                return None

    def poster(self, platform: str) -> TeamPoster | None:
        """The running poster of a platform in this process, if any."""
        source = self.posters
        senders = getattr(source, "senders", None)
        if isinstance(senders, Mapping):
            source = senders
        candidate = source.get(platform) if isinstance(source, Mapping) else source
        return candidate if isinstance(candidate, TeamPoster) else None

    async def run(self) -> TeamReport:
        """Close (and roll over) every challenge due now."""
        now = self.clock().astimezone(UTC)
        report = TeamReport()
        async with self.database.session() as session:
            due = await TeamChallenges(session).due(now - self.post_delay, self._stale_before(now))

        async def prune() -> int:
            async with self.database.session() as session:
                return await TeamChallenges(session).prune_receipts(now)

        await self._write(prune)
        for challenge_id in due:
            outcome = await self.finish(challenge_id, now=now)
            if outcome in ("closed", "rolled_over"):
                report.closed += 1
                report.rolled_over += outcome == "rolled_over"
            elif outcome == "retry":
                report.retried += 1
            else:
                report.skipped[outcome] = report.skipped.get(outcome, 0) + 1
        if report.closed or report.retried:
            log.info(
                "team_challenges_run",
                due=len(due),
                closed=report.closed,
                rolled_over=report.rolled_over,
                retried=report.retried,
            )
        return report

    async def finish(
        self,
        challenge_id: int,
        *,
        now: datetime | None = None,
        stop: bool = False,
        stopped_by: str | None = None,
    ) -> str:
        """Claim, post the final standings, close; roll a recurring one over to its next week.

        ``stop`` ends a running challenge early (always closed, never rolled over, even when
        the post fails). Returns ``closed``, ``rolled_over``, ``retry``, ``lost`` (another
        replica has it), ``gone`` or ``no_poster``."""
        now = (now or self.clock()).astimezone(UTC)
        async with self.database.session() as session:
            challenge = await TeamChallenges(session).get(challenge_id)
        if challenge is None:
            return "gone"
        poster = self.poster(challenge.platform)
        if poster is None:
            return "no_poster"

        async def claim() -> bool:
            async with self.database.session() as session:
                ended_before = None if stop else now - self.post_delay
                return await TeamChallenges(session).claim(
                    challenge_id, self.instance_id, now, self._stale_before(now), ended_before
                )

        if not await self._write(claim):
            return "lost"
        async with self.database.session() as session:
            repo = TeamChallenges(session)
            claimed = await repo.get(challenge_id)
            assert claimed is not None
            board = await repo.board(claimed)
        next_period = None
        if board.recurring and not stop:
            next_period = week_of(max(board.period.ends_at, now), board.period.timezone)
        try:
            result = await poster.post_standings(
                board, next_period=next_period, stopped_by=stopped_by
            )
        except Exception as exc:  # a poster must not break the job
            result = DeliveryResult.failed(f"{type(exc).__name__}: {exc}")
        if result.status == "failed" and not stop and claimed.attempts < self.max_attempts:
            await self._write(lambda: self._release(challenge_id))
            log.warning(
                "team_challenge_post_failed", challenge=challenge_id, detail=result.detail[:200]
            )
            return "retry"
        if result.status != "sent":
            next_period = None  # the channel is gone (or kept failing): end it here
        if stop:
            reason = "stopped"
        elif result.status == "sent":
            reason = "posted"
        else:
            reason = f"{result.status}:{result.detail}"[:40]
        message_ts = (result.detail or None) if result.status == "sent" else None

        async def close() -> bool:
            async with self.database.session() as session:
                following = await TeamChallenges(session).close(
                    challenge_id, self.instance_id, now, reason, next_period, message_ts
                )
            return following is not None

        try:
            rolled = await self._write(close)
        except LookupError:
            log.warning("team_challenge_claim_lost", challenge=challenge_id)
            return "lost"
        return "rolled_over" if rolled else "closed"

    async def _release(self, challenge_id: int) -> None:
        async with self.database.session() as session:
            await TeamChallenges(session).release(challenge_id, self.instance_id)

    def _stale_before(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.stale_claim_s)

    async def _write(self, action: Callable[[], Awaitable[T]]) -> T:
        """Embedded databases serialise writes in-process and retry when busy."""
        if not self._embedded:
            return await action()
        async with store.process_lock(self.database):
            return await store.with_retry(action)
