"""One scheduler tick: plan new local days, then claim, check, compose and deliver due work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from fitcoach.channels.base import OutboundMessage
from fitcoach.scheduler import store
from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.context import Person, load_people
from fitcoach.scheduler.delivery import Deliverer, DeliveryResult
from fitcoach.scheduler.planner import plan_day
from fitcoach.scheduler.rules import Verdict, decide
from fitcoach.scheduler.snapshot import load_snapshots
from fitcoach.scheduler.templates import ProactiveTemplates, proactive_templates
from fitcoach.scheduler.timeutil import local_now
from fitcoach.scheduler.triggers import TriggerContext
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow
from fitcoach.storage.scheduling import ProactiveOccurrence

log = structlog.get_logger(__name__)
Compose = Callable[[TriggerContext], Awaitable[str]]


@dataclass(slots=True)
class TickReport:
    """What one tick did."""

    at: datetime
    planned_people: int = 0
    planned_occurrences: int = 0
    claimed: int = 0
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    plan_s: float = 0.0
    send_s: float = 0.0

    def count(self, reason: str) -> None:
        """Count one skip (or deferral) reason."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class TickEngine:
    """Stateless between ticks: everything it needs is in the database."""

    def __init__(
        self,
        database: Database,
        deliverer: Deliverer,
        clock: Callable[[], datetime] = utcnow,
        settings: SchedulerSettings | None = None,
        compose: Compose | None = None,
        templates: ProactiveTemplates | None = None,
    ) -> None:
        self.database = database
        self.deliverer = deliverer
        self.clock = clock
        self.cfg = settings or SchedulerSettings()
        self.compose = compose
        self.templates = templates or (
            proactive_templates(self.cfg.prompts_dir) if self.cfg.prompts_dir
            else proactive_templates()
        )
        self._embedded = database.engine.dialect.name != "postgresql"

    async def tick(self) -> TickReport:
        """Plan and send everything due at ``clock()``."""
        now = self.clock().astimezone(UTC)
        report = TickReport(at=now)
        started = time.perf_counter()
        await self.plan(now, report)
        report.plan_s = time.perf_counter() - started
        started = time.perf_counter()
        while True:
            batch = await self._claim(now)
            if not batch:
                break
            report.claimed += len(batch)
            await self._process(batch, now, report)
            if len(batch) < self.cfg.batch_size:
                break
        report.send_s = time.perf_counter() - started
        return report

    async def plan(self, now: datetime, report: TickReport) -> None:
        """Plan the new local day of everyone whose midnight passed."""
        async def ensure() -> None:
            async with self.database.session() as session:
                await store.ensure_state_rows(session)

        await self._write(ensure)
        while True:
            ids = await self._write(lambda: self._claim_planning(now))
            if not ids:
                return
            async with self.database.session() as session:
                people = await load_snapshots(
                    session, ids, now, rhythm_weeks=self.cfg.rhythm_weeks,
                    rhythm_refresh_days=self.cfg.rhythm_refresh_days,
                )
            plans = [plan_day(p, now, self.cfg) for p in people]

            async def save(plans: list[Any] = plans) -> int:
                async with self.database.session() as session:
                    return await store.save_plans(session, plans, now, self.cfg.instance_id)

            report.planned_occurrences += await self._write(save)
            report.planned_people += len(ids)
            return  # at most one planning batch per tick keeps every tick bounded

    async def _claim_planning(self, now: datetime) -> list[int]:
        async with self.database.session() as session:
            return await store.claim_planning(
                session, now, self.cfg.plan_batch_size, self.cfg.stale_claim_s
            )

    async def _claim(self, now: datetime) -> list[ProactiveOccurrence]:
        async def claim() -> list[ProactiveOccurrence]:
            async with self.database.session() as session:
                return await store.claim_due(
                    session, now, self.cfg.batch_size, self.cfg.instance_id,
                    self.cfg.stale_claim_s,
                )

        return await self._write(claim)

    async def _write(self, action: Callable[[], Awaitable[Any]]) -> Any:
        """Run a write; embedded databases serialise claims in-process and retry when busy."""
        if not self._embedded:
            return await action()
        async with store.process_lock(self.database):
            return await store.with_retry(action)

    async def _process(
        self, batch: list[ProactiveOccurrence], now: datetime, report: TickReport
    ) -> None:
        """Decide all, settle skips in bulk, claim keys in bulk, deliver, store outcomes."""
        async with self.database.session() as session:
            people = await load_people(session, batch, now)
        verdicts = {o.id: decide(o, people.get(o.user_id), now) for o in batch}
        closing = [(o, verdicts[o.id]) for o in batch if verdicts[o.id].action != "send"]
        to_send = [o for o in batch if verdicts[o.id].action == "send"]
        outcomes: dict[str, str] = {}
        if to_send:
            items = [(o, people[o.user_id].prefs.daily_cap) for o in to_send]

            async def claim() -> dict[str, str]:
                async with self.database.session() as session:
                    return dict(await store.claim_sends(session, items, now,
                                                        self.cfg.stale_claim_s))

            outcomes = await self._write(claim)
        closing += [(o, Verdict("skip", outcomes[o.key])) for o in to_send
                    if outcomes[o.key] != "won"]
        won = [o for o in to_send if outcomes[o.key] == "won"]
        for _, verdict in closing:
            report.count(verdict.reason)
        limit = asyncio.Semaphore(self.cfg.send_concurrency)

        async def one(occ: ProactiveOccurrence) -> _Outcome:
            async with limit:
                return await self._deliver(occ, people[occ.user_id], verdicts[occ.id], now)

        results = await asyncio.gather(*(one(o) for o in won))
        for result in results:
            if result.result.status == "sent":
                report.sent += 1
            else:
                report.count(result.result.status)
        await self._write(lambda: self._store(closing, results, people, now))

    async def _deliver(
        self, occ: ProactiveOccurrence, person: Person, verdict: Verdict, now: datetime
    ) -> _Outcome:
        text, source = await self._text(self._context(occ, person, verdict, now))
        assert person.channel and person.conversation_id
        try:
            result = await self.deliverer.deliver(
                occ.user_id, person.channel, person.conversation_id, OutboundMessage(text=text)
            )
        except Exception as exc:  # a deliverer must not break the tick
            result = DeliveryResult.failed(f"{type(exc).__name__}: {exc}")
        return _Outcome(occ, text, result, source)

    def _context(
        self, occ: ProactiveOccurrence, person: Person, verdict: Verdict, now: datetime
    ) -> TriggerContext:
        return TriggerContext(
            user_id=occ.user_id, trigger=occ.trigger, key=occ.key, local_date=occ.local_date,
            local_time=local_now(now, person.timezone), name=person.name, goal=person.goal,
            unit_system=person.unit_system, rhythm=person.rhythm.label(),
            streak_weeks=person.streak_weeks, facts=verdict.facts,
        )

    async def _text(self, context: TriggerContext) -> tuple[str, str]:
        """The LLM's text when a compose hook is wired (after the claim), else a template;
        with where it came from (``composed`` or ``template``)."""
        if self.compose is not None:
            try:
                text = (await self.compose(context)).strip()
                if text:
                    return text, "composed"
            except Exception as exc:
                log.warning("proactive_compose_failed", key=context.key, error=str(exc))
        return self.templates.render(context), "template"

    async def _store(
        self, closing: list[tuple[ProactiveOccurrence, Verdict]], results: list[_Outcome],
        people: dict[int, Person], now: datetime,
    ) -> None:
        """One transaction for the whole batch: occurrences, ledger, audit, message log."""
        me = self.cfg.instance_id
        settles: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for occ, v in closing:
            deferred = v.action == "defer"
            settles.append({"b_id": occ.id, "status": "pending" if deferred else "skipped",
                            "reason": v.reason, "due_at": v.due_at if deferred else occ.due_at})
            audits.append(store.audit_row(
                now, occ.user_id, occ.trigger, occ.key, "deferred" if deferred else "skipped",
                v.reason, f"until {v.due_at.isoformat()}" if v.due_at else "", me))
        sends: list[dict[str, Any]] = []
        logs: list[dict[str, Any]] = []
        blocked: set[int] = set()
        cleared = {o.occurrence.user_id for o in results if o.result.status == "sent"}
        for out in results:
            occ, status, person = out.occurrence, out.result.status, people[out.occurrence.user_id]
            retry = status == "failed" and occ.attempts < self.cfg.max_attempts
            settles.append({
                "b_id": occ.id, "status": "pending" if retry else status,
                "reason": "retry" if retry else status,
                "due_at": now + timedelta(seconds=self.cfg.retry_after_s) if retry else occ.due_at,
            })
            sends.append({"b_key": occ.key, "status": status, "text": out.text,
                          "channel": person.channel, "conversation_id": person.conversation_id,
                          "detail": out.result.detail[:500],
                          "sent_at": now if status == "sent" else None})
            audits.append(store.audit_row(now, occ.user_id, occ.trigger, occ.key, status,
                                          "retry" if retry else "", audit_detail(out), me))
            if status == "blocked":
                blocked.add(occ.user_id)
            if status == "sent" and self.cfg.log_outbound:
                logs.append({"user_id": occ.user_id, "channel": person.channel,
                             "conversation_id": person.conversation_id, "direction": "out",
                             "text": out.text, "created_at": now})
        async with self.database.session() as session:
            await store.bulk_settle(session, settles)
            await store.bulk_finish(session, sends)
            await store.write_audit(session, audits)
            await store.write_message_log(session, logs)
            for user_id in blocked:
                await store.set_unreachable(session, user_id, now)
            for user_id in cleared - blocked:
                if people[user_id].prefs.unreachable_since is not None:
                    await store.set_unreachable(session, user_id, None)


@dataclass(slots=True)
class _Outcome:
    occurrence: ProactiveOccurrence
    text: str
    result: DeliveryResult
    source: str = "template"


def audit_detail(out: _Outcome) -> str:
    """What the audit keeps of a delivery: never the message text (it may be a medication
    reminder, and viewers read the audit): where the text came from and its length, plus the
    platform's detail only when delivery failed or was blocked (with the text masked)."""
    detail = f"{out.source}, {len(out.text)} chars"
    reason = out.result.detail
    if out.result.status != "sent" and reason:
        if out.text:
            reason = reason.replace(out.text, "[message]")
        detail = f"{detail}; {reason}"
    return detail
