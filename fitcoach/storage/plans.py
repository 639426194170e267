"""Stored plans: every change is a new version (plan JSON + reason + diff), scoped to one user."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from fitcoach.storage.models import Base, Workout, WorkoutSet, utcnow


class PlanVersion(Base):
    """One version of a person's plan; the highest version is the current plan."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("user_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32), default="generated")
    plan_json: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    diff: Mapped[str] = mapped_column(Text, default="")


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A plan version as plain data."""

    version: int
    created_at: datetime
    kind: str
    plan: dict[str, Any]
    reason: str
    diff: str


@dataclass(frozen=True, slots=True)
class LoggedSetRow:
    """A logged strength set (for plan adaptation)."""

    exercise_id: str
    reps: int
    weight_kg: float | None
    workout_id: int
    logged_at: datetime


class PlanStore:
    """Plan versions of the current user (bound at construction, like every repository)."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    async def latest(self) -> StoredPlan | None:
        """The current plan, if any."""
        row = (
            await self.session.execute(
                select(PlanVersion)
                .where(PlanVersion.user_id == self.user_id)
                .order_by(PlanVersion.version.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _stored(row) if row is not None else None

    async def add(
        self, plan: dict[str, Any], *, reason: str, diff: str = "", kind: str = "generated"
    ) -> StoredPlan:
        """Store a new version (previous version + 1)."""
        current = await self.latest()
        row = PlanVersion(
            user_id=self.user_id,
            version=(current.version + 1) if current else 1,
            kind=kind,
            plan_json=json.dumps(plan, ensure_ascii=False, sort_keys=True),
            reason=reason,
            diff=diff,
        )
        self.session.add(row)
        await self.session.flush()
        return _stored(row)

    async def history(self, limit: int = 20) -> list[StoredPlan]:
        """Recent versions, newest first."""
        rows = (
            await self.session.execute(
                select(PlanVersion)
                .where(PlanVersion.user_id == self.user_id)
                .order_by(PlanVersion.version.desc())
                .limit(limit)
            )
        ).scalars()
        return [_stored(r) for r in rows]

    async def logged_sets(self, since: datetime) -> list[LoggedSetRow]:
        """The user's strength sets with a catalog id logged since ``since``."""
        rows = await self.session.execute(
            select(
                WorkoutSet.exercise_id,
                WorkoutSet.reps,
                WorkoutSet.weight_kg,
                Workout.id,
                Workout.logged_at,
            )
            .join(Workout, WorkoutSet.workout_id == Workout.id)
            .where(
                WorkoutSet.user_id == self.user_id,
                Workout.user_id == self.user_id,
                Workout.logged_at >= since,
                WorkoutSet.exercise_id.is_not(None),
                WorkoutSet.reps.is_not(None),
            )
            .order_by(Workout.logged_at, WorkoutSet.position)
        )
        return [
            LoggedSetRow(str(eid), int(reps or 0), weight, int(wid), at)
            for eid, reps, weight, wid, at in rows
        ]


def _stored(row: PlanVersion) -> StoredPlan:
    return StoredPlan(
        version=row.version,
        created_at=row.created_at,
        kind=row.kind,
        plan=json.loads(row.plan_json),
        reason=row.reason,
        diff=row.diff,
    )
