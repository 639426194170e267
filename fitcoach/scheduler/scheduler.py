"""ProactiveScheduler: APScheduler 3.11 drives the periodic tick; all state is in our tables."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.delivery import Deliverer
from fitcoach.scheduler.engine import Compose, TickEngine, TickReport
from fitcoach.scheduler.teams import JOB_ID as TEAM_JOB_ID
from fitcoach.scheduler.teams import TeamChallengeJob
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.outage import log_job_failure

log = structlog.get_logger(__name__)
JOB_ID = "fitcoach-proactive-tick"


class ProactiveScheduler:
    """Runs :meth:`tick` every ``settings.tick_seconds`` (memory job store, one job).

    Replicas are safe: each tick claims due work in the database (SKIP LOCKED on PostgreSQL)
    and every send is guarded by a unique idempotency key."""

    def __init__(
        self,
        database: Database,
        deliverer: Deliverer,
        clock: Callable[[], datetime] = utcnow,
        settings: SchedulerSettings | None = None,
        compose: Compose | None = None,
    ) -> None:
        self.settings = settings or SchedulerSettings()
        self.engine = TickEngine(database, deliverer, clock, self.settings, compose)
        self.teams = TeamChallengeJob(database, deliverer, clock,
                                      instance_id=self.settings.instance_id)
        self._scheduler: AsyncIOScheduler | None = None
        self._running = asyncio.Lock()
        self.last_report: TickReport | None = None

    async def tick(self) -> TickReport | None:
        """One tick; skipped (None) when the previous one is still running in this process."""
        if self._running.locked():
            return None
        async with self._running:
            try:
                report = await self.engine.tick()
            except Exception as error:
                log_job_failure(log, "proactive_tick_failed", error)
                return None
        self.last_report = report
        if report.claimed or report.planned_people:
            log.info("proactive_tick", sent=report.sent, claimed=report.claimed,
                     planned=report.planned_people, skipped=report.skipped,
                     plan_s=round(report.plan_s, 3), send_s=round(report.send_s, 3))
        return report

    def start(self) -> None:
        """Schedule the tick on the running event loop (call from async code)."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
        job_options: dict[str, Any] = {"coalesce": True, "max_instances": 1,
                                       "misfire_grace_time": None}
        scheduler.add_job(
            self.tick, IntervalTrigger(seconds=self.settings.tick_seconds), id=JOB_ID,
            next_run_time=utcnow(), replace_existing=True, **job_options,
        )
        scheduler.add_job(self.teams.tick, IntervalTrigger(seconds=self.settings.tick_seconds),
                          id=TEAM_JOB_ID, replace_existing=True, **job_options)
        scheduler.start()
        self._scheduler = scheduler

    async def shutdown(self) -> None:
        """Stop scheduling and wait for a running tick to finish."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        async with self._running, self.teams.running:
            pass
