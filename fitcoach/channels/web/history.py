"""A web identity's recent messages, read from the message log (never another's)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from fitcoach.channels.web.identity import CHANNEL, WebIdentity
from fitcoach.storage.database import Database
from fitcoach.storage.repositories import MessageHistory, UserDirectory


class HistoryItem(BaseModel):
    """One logged message: ``role`` is ``user`` or ``coach``."""

    role: str
    text: str
    at: datetime


async def load_history(database: Database, identity: WebIdentity, limit: int) -> list[HistoryItem]:
    """The identity's last ``limit`` messages, oldest first; empty for an unknown session."""
    async with database.session() as session:
        user = await UserDirectory(session).find(CHANNEL, identity.external_user_id)
        if user is None:
            return []
        rows = await MessageHistory(session, user.id).recent(identity.conversation_id, limit)
    return [
        HistoryItem(
            role="user" if row.direction == "in" else "coach", text=row.text, at=row.created_at
        )
        for row in rows
    ]
