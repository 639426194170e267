"""Tables of the proactive coach scheduler.

All per-person scheduling state lives here (not in an APScheduler job store), so any number
of scheduler replicas can share one database:

- ``coach_preferences``: what the person chose (opt-out, quiet hours, cap, pause, meal
  reminders) and whether they are reachable.
- ``proactive_state``: when the person's next local day must be planned, and their learned
  training rhythm (cached, refreshed weekly).
- ``reminders``: reminders the person set in chat.
- ``proactive_occurrences``: the planned, due work (one row per trigger occurrence).
- ``proactive_sends``: the idempotency ledger. Inserting the key wins the right to send;
  ``cap_slot`` (unique) enforces the daily cap of unsolicited nudges across replicas.
- ``proactive_audit``: every decision and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from fitcoach.storage.models import Base, utcnow

DEFAULT_QUIET_START_MIN = 22 * 60
DEFAULT_QUIET_END_MIN = 8 * 60


class CoachPreference(Base):
    """A person's choices about proactive messages (absent row = defaults)."""

    __tablename__ = "coach_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    meal_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    quiet_start_min: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_QUIET_START_MIN, server_default=str(DEFAULT_QUIET_START_MIN)
    )
    quiet_end_min: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_QUIET_END_MIN, server_default=str(DEFAULT_QUIET_END_MIN)
    )
    daily_cap: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    paused_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    unreachable_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ProactiveState(Base):
    """Scheduler bookkeeping per person: next planning instant and the learned rhythm."""

    __tablename__ = "proactive_state"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    next_plan_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    plan_date: Mapped[date | None] = mapped_column(Date)
    rhythm_days: Mapped[str | None] = mapped_column(String(16))
    """Usual training weekdays, e.g. "0,2,4" (Mon, Wed, Fri); "" when none learned."""
    rhythm_hour: Mapped[int | None] = mapped_column(Integer)
    rhythm_on: Mapped[date | None] = mapped_column(Date)
    streak_weeks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Consecutive completed weeks that met the rhythm, up to ``streak_week``."""
    streak_week: Mapped[date | None] = mapped_column(Date)
    """Monday of the last week counted into ``streak_weeks``."""


class Reminder(Base):
    """A reminder a person set in chat ("remind me to stretch at 9pm every day")."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    time_local: Mapped[str] = mapped_column(String(5))
    recurrence: Mapped[str] = mapped_column(String(16))
    """"daily", "weekdays", "weekly" (with ``weekdays``) or "once" (with ``once_date``)."""
    weekdays: Mapped[str] = mapped_column(String(16), default="")
    once_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProactiveOccurrence(Base):
    """One planned occurrence of a trigger for a person: the scheduler's due work."""

    __tablename__ = "proactive_occurrences"
    __table_args__ = (Index("ix_proactive_occurrences_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pending_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Inbound messages after this instant cancel the occurrence (inactivity, meals)."""
    unsolicited: Mapped[bool] = mapped_column(Boolean, default=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str] = mapped_column(String(40), default="")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProactiveSend(Base):
    """The outcome ledger: one row per idempotency key; inserting it wins the send."""

    __tablename__ = "proactive_sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    cap_slot: Mapped[str | None] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    channel: Mapped[str | None] = mapped_column(String(32))
    conversation_id: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProactiveAudit(Base):
    """Why the scheduler sent, skipped or deferred something (one row per decision)."""

    __tablename__ = "proactive_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(160), default="")
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    instance: Mapped[str] = mapped_column(String(64), default="")


SCHEDULING_TABLES: list[Table] = [
    Base.metadata.tables[name]
    for name in (
        "coach_preferences",
        "proactive_state",
        "reminders",
        "proactive_occurrences",
        "proactive_sends",
        "proactive_audit",
    )
]
