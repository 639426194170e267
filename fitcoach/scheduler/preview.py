"""Dry run: who would get what at a given instant, and why — nothing is sent or stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from fitcoach.scheduler.config import SchedulerSettings
from fitcoach.scheduler.context import load_people
from fitcoach.scheduler.planner import Planned, plan_day
from fitcoach.scheduler.rules import decide
from fitcoach.scheduler.snapshot import load_snapshots
from fitcoach.scheduler.templates import ProactiveTemplates, proactive_templates
from fitcoach.scheduler.timeutil import local_now
from fitcoach.scheduler.triggers import TriggerContext
from fitcoach.storage.database import Database
from fitcoach.storage.models import User
from fitcoach.storage.scheduling import ProactiveOccurrence, ProactiveSend


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One decision: ``send``, ``skip``, ``later``, ``not_due`` or ``done`` (already settled)."""

    user_id: int
    name: str
    local_time: str
    trigger: str
    decision: str
    reason: str
    due_local: str = ""
    text: str = ""

    def as_dict(self) -> dict[str, str | int]:
        """JSON-ready."""
        return asdict(self)


async def preview(
    database: Database, at: datetime, *, user_id: int | None = None,
    settings: SchedulerSettings | None = None, templates: ProactiveTemplates | None = None,
    include_not_due: bool = True,
) -> list[PreviewRow]:
    """Every person's decisions at ``at`` (their local day), without side effects."""
    cfg = settings or SchedulerSettings()
    tpl = templates or proactive_templates()
    at = at.astimezone(UTC)
    async with database.session() as session:
        stmt = select(User.id).order_by(User.id)
        if user_id is not None:
            stmt = stmt.where(User.id == user_id)
        ids = list((await session.execute(stmt)).scalars())
        people = await load_snapshots(session, ids, at, rhythm_weeks=cfg.rhythm_weeks,
                                      force_history=True)
        plans = {p.user_id: plan_day(p, at, cfg) for p in people}
        keys = [o.key for plan in plans.values() for o in plan.planned]
        stored = {o.key: o for o in (await session.execute(
            select(ProactiveOccurrence).where(ProactiveOccurrence.key.in_(keys))
        )).scalars()} if keys else {}
        sends = list((await session.execute(
            select(ProactiveSend).where(ProactiveSend.user_id.in_(ids))
        )).scalars()) if ids else []
        occurrences = [_transient(o) for plan in plans.values() for o in plan.planned]
        context = await load_people(session, occurrences, at)
    rows: list[PreviewRow] = []
    for snap in people:
        plan = plans[snap.user_id]
        local = local_now(at, snap.timezone)
        name = snap.name or f"user {snap.user_id}"
        used = {s.key for s in sends if s.user_id == snap.user_id
                and s.local_date == plan.local_date and s.cap_slot}

        def row(trigger: str, decision: str, reason: str, due: str = "", text: str = "",
                name: str = name, local: datetime = local, uid: int = snap.user_id
                ) -> PreviewRow:
            return PreviewRow(uid, name, local.strftime("%a %Y-%m-%d %H:%M %Z"),
                              trigger, decision, reason, due, text)

        for planned in sorted(plan.planned, key=lambda p: p.due_at):
            due = local_now(planned.due_at, snap.timezone).strftime("%H:%M")
            existing = stored.get(planned.key)
            if existing is not None and existing.status not in ("pending", "claimed"):
                why = existing.status if existing.reason in ("", existing.status) else (
                    f"{existing.status}: {existing.reason}")
                rows.append(row(planned.trigger, "done", why, due))
                continue
            if planned.status == "skipped":
                rows.append(row(planned.trigger, "skip", planned.reason, due))
                continue
            if planned.due_at > at:
                rows.append(row(planned.trigger, "later", "scheduled", due))
                continue
            person = context.get(snap.user_id)
            verdict = decide(_transient(planned), person, at)
            if verdict.action == "send" and person is not None:
                if planned.unsolicited and len(used) >= person.prefs.daily_cap:
                    rows.append(row(planned.trigger, "skip", "cap_reached", due))
                    continue
                text = tpl.render(TriggerContext(
                    snap.user_id, planned.trigger, planned.key, planned.local_date, local,
                    person.name, person.goal, person.unit_system, person.rhythm.label(),
                    person.streak_weeks, verdict.facts))
                rows.append(row(planned.trigger, "send", "due", due, text))
            else:
                rows.append(row(planned.trigger, verdict.action, verdict.reason, due))
        if include_not_due:
            rows += [row(trigger, "not_due", why) for trigger, why in plan.not_due]
    return rows


def _transient(planned: Planned) -> ProactiveOccurrence:
    import json

    return ProactiveOccurrence(
        id=0, key=planned.key, user_id=planned.user_id, trigger=planned.trigger,
        local_date=planned.local_date, due_at=planned.due_at, expires_at=planned.expires_at,
        pending_since=planned.pending_since, unsolicited=planned.unsolicited,
        payload=json.dumps(planned.payload, default=str), status=planned.status,
        reason=planned.reason, attempts=0,
    )
