"""A person's proactive-message preferences and reminders (user-scoped, like repositories)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.storage.scheduling import CoachPreference, Reminder


class CoachSettings:
    """Preferences and reminders of one user (bound at construction)."""

    def __init__(self, session: AsyncSession, user_id: int) -> None:
        self.session = session
        self.user_id = user_id

    async def get(self) -> CoachPreference:
        """The person's row, created with defaults on first use."""
        row = await self.session.get(CoachPreference, self.user_id)
        if row is None:
            row = CoachPreference(user_id=self.user_id, nudges_enabled=True,
                                  meal_reminders=False, quiet_start_min=22 * 60,
                                  quiet_end_min=8 * 60, daily_cap=1)
            self.session.add(row)
            await self.session.flush()
        return row

    async def update(self, **changes: Any) -> CoachPreference:
        """Change some preference fields."""
        row = await self.get()
        for name, value in changes.items():
            setattr(row, name, value)
        await self.session.flush()
        return row

    async def reminders(self) -> list[Reminder]:
        """Active reminders, oldest first."""
        rows = await self.session.execute(
            select(Reminder).where(Reminder.user_id == self.user_id, Reminder.active.is_(True))
            .order_by(Reminder.id)
        )
        return list(rows.scalars())

    async def add_reminder(self, **fields: Any) -> Reminder:
        """Store a new reminder."""
        row = Reminder(user_id=self.user_id, active=True, **fields)
        self.session.add(row)
        await self.session.flush()
        return row

    async def stop_reminders(self, matching: str | None = None) -> list[str]:
        """Deactivate all reminders (or those whose text contains ``matching``)."""
        stopped = [r for r in await self.reminders()
                   if not matching or matching.lower() in r.text.lower()]
        if stopped:
            await self.session.execute(
                update(Reminder).where(Reminder.id.in_([r.id for r in stopped]))
                .values(active=False)
            )
        return [r.text for r in stopped]

    async def pause(self, until: datetime) -> None:
        """No proactive messages until ``until``."""
        await self.update(paused_until=until)
