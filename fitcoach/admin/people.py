"""Admin views of people: search by name or channel id; no message contents by default.

Web chat ids never leave through the admin API: an anonymous visitor's session id is their
external id and conversation id *and* their only credential (whoever holds it can read the
history and chat as them). Admins see ``web:`` + the first 12 hex digits of its SHA-256
instead (:func:`web_fingerprint`), and ``q=`` matches that fingerprint, never the raw id.
Telegram and Slack ids are not credentials and are shown as they are."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from fitcoach.storage.admin import PersonalityChoice
from fitcoach.storage.models import ChannelIdentity, MessageLog, User


@dataclass(slots=True)
class PersonView:
    """What an admin sees of a person: profile basics, identities, activity counts."""

    id: int
    name: str | None
    goal: str | None
    timezone: str
    unit_system: str
    created_at: datetime
    identities: list[tuple[str, str]]  # (channel, public_external_id): web ids fingerprinted
    personality: str | None = None
    messages_in: int = 0
    messages_out: int = 0
    last_message_at: datetime | None = None
    extra: dict[str, object] = field(default_factory=dict)


WEB_CHANNEL = "web"
WEB_FINGERPRINT = re.compile(r"^web:[0-9a-f]{12}$")
_SCAN_CHUNK = 5000


def web_fingerprint(external_id: str) -> str:
    """A web id as admins see it: ``web:`` + 12 hex digits of its SHA-256 (not reversible:
    session ids carry 192 random bits)."""
    return "web:" + hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:12]


def public_external_id(channel: str, external_id: str) -> str:
    """What the admin API shows of a channel id: web ids as their fingerprint (idempotent),
    every other channel's id unchanged."""
    if channel != WEB_CHANNEL or WEB_FINGERPRINT.match(external_id):
        return external_id  # raw web ids never look like this: session ids have no ":"
    return web_fingerprint(external_id)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_people(
    session: AsyncSession,
    query: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[PersonView]:
    """People whose name or channel id contains ``query`` (and who use ``channel``)."""
    conditions: list[ColumnElement[bool]] = []
    if query:
        by_identity = select(ChannelIdentity.user_id).where(
            ChannelIdentity.channel != WEB_CHANNEL,  # web ids are credentials: no raw match
            ChannelIdentity.external_id.ilike(_like(query), escape="\\"),
        )
        matches: list[ColumnElement[bool]] = [
            User.name.ilike(_like(query), escape="\\"),
            User.id.in_(by_identity),
        ]
        if query.isdigit():
            matches.append(User.id == int(query))
        fingerprint = query.strip().lower()
        if WEB_FINGERPRINT.match(fingerprint):
            matches.append(User.id.in_(await _web_users_by_fingerprint(session, fingerprint)))
        conditions.append(or_(*matches))
    if channel:
        conditions.append(
            User.id.in_(select(ChannelIdentity.user_id).where(ChannelIdentity.channel == channel))
        )
    stmt = (
        select(User)
        .where(*conditions)
        .options(selectinload(User.identities))
        .order_by(User.id.desc())
        .limit(limit)
        .offset(offset)
    )
    users = list((await session.execute(stmt)).scalars())
    return await _views(session, users)


async def _web_users_by_fingerprint(session: AsyncSession, fingerprint: str) -> list[int]:
    """Users with a web identity whose fingerprint is ``fingerprint``. Hashes are not stored,
    so this scans the web identities in id order, in chunks (an index range scan)."""
    found: list[int] = []
    after = 0
    while True:
        stmt = (
            select(ChannelIdentity.id, ChannelIdentity.user_id, ChannelIdentity.external_id)
            .where(and_(ChannelIdentity.channel == WEB_CHANNEL, ChannelIdentity.id > after))
            .order_by(ChannelIdentity.id)
            .limit(_SCAN_CHUNK)
        )
        rows = (await session.execute(stmt)).all()
        found += [user_id for _, user_id, ext in rows if web_fingerprint(ext) == fingerprint]
        if len(rows) < _SCAN_CHUNK:
            return found
        after = rows[-1][0]


async def get_person(session: AsyncSession, user_id: int) -> PersonView | None:
    """One person, or None."""
    stmt = select(User).where(User.id == user_id).options(selectinload(User.identities))
    user = (await session.execute(stmt)).scalar_one_or_none()
    return (await _views(session, [user]))[0] if user else None


async def recent_messages(session: AsyncSession, user_id: int, limit: int = 50) -> list[MessageLog]:
    """The person's latest messages, newest first (admin role only, audited by the caller)."""
    stmt = (
        select(MessageLog)
        .where(MessageLog.user_id == user_id)
        .order_by(MessageLog.id.desc())
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def _views(session: AsyncSession, users: list[User]) -> list[PersonView]:
    ids = [u.id for u in users]
    views = {
        u.id: PersonView(
            id=u.id,
            name=u.name,
            goal=u.goal,
            timezone=u.timezone,
            unit_system=u.unit_system,
            created_at=u.created_at,
            identities=[
                (i.channel, public_external_id(i.channel, i.external_id)) for i in u.identities
            ],
        )
        for u in users
    }
    if not ids:
        return []
    counts = (
        select(
            MessageLog.user_id, MessageLog.direction, func.count(), func.max(MessageLog.created_at)
        )
        .where(MessageLog.user_id.in_(ids))
        .group_by(MessageLog.user_id, MessageLog.direction)
    )
    for user_id, direction, count, last in (await session.execute(counts)).all():
        view = views[user_id]
        if direction == "in":
            view.messages_in = count
        else:
            view.messages_out = count
        if last is not None and (view.last_message_at is None or last > view.last_message_at):
            view.last_message_at = last
    choices = select(PersonalityChoice).where(PersonalityChoice.user_id.in_(ids))
    for choice in (await session.execute(choices)).scalars():
        views[choice.user_id].personality = choice.personality
    return [views[i] for i in ids]
