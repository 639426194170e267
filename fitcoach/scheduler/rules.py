"""Send-time rules: the respect checks and re-evaluation of a claimed occurrence (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from fitcoach.scheduler import triggers as t
from fitcoach.scheduler.context import Person, payload, weekly_facts
from fitcoach.scheduler.timeutil import aware, in_quiet, local_now, minutes_of, quiet_ends_after
from fitcoach.storage.scheduling import ProactiveOccurrence

Action = Literal["send", "skip", "defer"]


@dataclass(slots=True)
class Verdict:
    """What to do with an occurrence now, and why."""

    action: Action
    reason: str = ""
    due_at: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    clear_unreachable: bool = False


def decide(occ: ProactiveOccurrence, person: Person | None, now: datetime) -> Verdict:
    """Apply opt-out, pause, reachability, quiet hours, cancel-on-reply and re-evaluation."""
    if person is None:
        return Verdict("skip", "no_user")
    facts = payload(occ)
    prefs = person.prefs
    if occ.trigger == t.REMINDER and facts.get("reminder_id") not in person.active_reminders:
        return Verdict("skip", "reminder_stopped")
    if now > aware(occ.expires_at):
        return Verdict("skip", "expired")
    if (occ.unsolicited or occ.trigger == t.MEAL) and not prefs.nudges_enabled:
        return Verdict("skip", "opted_out")
    if occ.trigger == t.MEAL and not prefs.meal_reminders:
        return Verdict("skip", "opted_out")
    if prefs.paused_until and now < prefs.paused_until:
        return Verdict("skip", "paused")
    clear = False
    if prefs.unreachable_since:
        wrote = person.last_inbound_at and person.last_inbound_at > prefs.unreachable_since
        if not wrote:
            return Verdict("skip", "unreachable")
        clear = True
    local = local_now(now, person.timezone)
    if in_quiet(minutes_of(local), prefs.quiet_start, prefs.quiet_end):
        ends = quiet_ends_after(now, person.timezone, prefs.quiet_start, prefs.quiet_end)
        if ends < aware(occ.expires_at):
            return Verdict("defer", "quiet_hours", due_at=ends)
        return Verdict("skip", "quiet_hours")
    if occ.trigger in t.CANCEL_ON_REPLY and occ.pending_since and person.last_inbound_at and (
        person.last_inbound_at >= aware(occ.pending_since)
    ):
        return Verdict("skip", "cancelled_by_reply")
    reevaluated = _still_due(occ, person, facts, now)
    if reevaluated is not None:
        return Verdict("skip", reevaluated)
    if not person.channel or not person.conversation_id:
        return Verdict("skip", "no_channel")
    if occ.trigger == t.WEEKLY_SUMMARY:
        facts.update(weekly_facts(person, date.fromisoformat(facts["week_start"]), now))
        if not facts["workouts"] and not facts["meal_days"]:
            return Verdict("skip", "not_due")
    return Verdict("send", facts=facts, clear_unreachable=clear)


def _still_due(
    occ: ProactiveOccurrence, person: Person, facts: dict[str, Any], now: datetime
) -> str | None:
    """``not_due`` when the situation changed since planning (trained, ate)."""
    since = aware(occ.pending_since) if occ.pending_since else None
    last = person.last_workout_at
    if occ.trigger == t.INACTIVITY and last and (
        (since and last >= since)
        or local_now(last, person.timezone).date().isoformat() > str(facts.get("last_date"))
    ):
        return "not_due"
    if occ.trigger == t.MEAL and since and any(since <= at < now for at, _ in person.meals):
        return "not_due"
    return None
