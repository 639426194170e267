"""Who may talk to the coach on each channel, and joining identities across channels.

Policies: ``open`` (anyone), ``allowlist`` (configured ids only), ``pairing`` (an unknown
person gets a short code that an admin approves). Defaults: Telegram ``pairing`` (anyone can
find a bot), Slack ``open`` (the workspace already authenticates people), web ``open``
(anonymous, rate-limited sessions), console ``open`` (a local terminal)."""

from __future__ import annotations

import inspect as pyinspect
import re
import secrets
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from fitcoach.storage.access import AccessGrant, LinkCode
from fitcoach.storage.all_models import Base
from fitcoach.storage.models import ChannelIdentity, User, utcnow

DEFAULT_POLICIES = {"telegram": "pairing", "slack": "open", "web": "open", "console": "open"}
POLICIES = ("open", "allowlist", "pairing")
LINK_TTL = timedelta(minutes=15)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/I)
_LINK = re.compile(r"^\s*/?link(?:@\w+)?(?:\s+([A-Za-z0-9]{4,16}))?\s*$", re.I)

NOT_LISTED = "Sorry, this coach is private and you're not on its list."
BLOCKED = "Sorry, you can't use this coach."
LINK_BLOCKED = "Sorry, this account can't be linked: it is blocked from using this coach."
LINK_NEEDS_APPROVAL = (
    "An admin has to approve this account first. Once they have, send “/link <code>” again."
)

MergeHook = Callable[[AsyncSession, int, int], Awaitable[object]]
"""``hook(session, source, target)``: moves what an absorbed account keeps outside the
database (memories, files) to the surviving one, inside the merge's transaction."""
_MERGE_HOOKS: weakref.WeakKeyDictionary[Any, list[Callable[[], MergeHook | None]]] = (
    weakref.WeakKeyDictionary()
)


def new_code(length: int = 6) -> str:
    """A short, unambiguous, unguessable code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """Whether to serve a message, and what to say when not."""

    allowed: bool
    reply: str = ""


class AccessPolicy:
    """Applies the channel's policy to an identity."""

    def __init__(self, policies: dict[str, str], allowlist: set[str]) -> None:
        self.policies = {**DEFAULT_POLICIES, **policies}
        self.allowlist = allowlist

    def policy_for(self, channel: str) -> str:
        """The policy in force on a channel (``open`` for channels not listed)."""
        return self.policies.get(channel, "open")

    def admits_without_lookup(self, channel: str, external_id: str) -> bool:
        """True when this identity is served without reading any access record."""
        return self.policy_for(channel) == "open" or f"{channel}:{external_id}" in self.allowlist

    async def check(
        self, session: AsyncSession, channel: str, external_id: str, name: str | None
    ) -> AccessDecision:
        """Decide for one inbound message; may create a pending pairing request."""
        if self.admits_without_lookup(channel, external_id):
            return AccessDecision(True)
        policy = self.policy_for(channel)
        if policy == "allowlist":
            return AccessDecision(False, NOT_LISTED)
        grant = await self._grant(session, channel, external_id, name)
        if grant.status == "approved":
            return AccessDecision(True)
        if grant.status == "blocked":
            return AccessDecision(False, BLOCKED)
        return AccessDecision(
            False,
            f"Hi! This coach needs an admin's approval first. Your pairing code is "
            f"{grant.pairing_code} — send it to the admin; I'll be ready once it's approved.",
        )

    async def link_refusal(
        self, session: AsyncSession, channel: str, external_id: str
    ) -> str | None:
        """Why this identity may not redeem a link code (the reply), None when it may: a
        link never gets an identity past its channel's policy (see :func:`link_refusal`)."""
        listed = f"{channel}:{external_id}" in self.allowlist
        policy = self.policy_for(channel)
        if policy == "allowlist" and not listed:
            return NOT_LISTED
        return await link_refusal(
            session, channel, external_id, needs_approval=policy == "pairing" and not listed
        )

    async def _grant(
        self, session: AsyncSession, channel: str, external_id: str, name: str | None
    ) -> AccessGrant:
        stmt = select(AccessGrant).where(
            AccessGrant.channel == channel, AccessGrant.external_id == external_id
        )
        grant = (await session.execute(stmt)).scalar_one_or_none()
        if grant is not None:
            return grant
        grant = AccessGrant(
            channel=channel, external_id=external_id, pairing_code=new_code(), display_name=name
        )
        try:
            async with session.begin_nested():
                session.add(grant)
                await session.flush()
        except IntegrityError:
            return (await session.execute(stmt)).scalar_one()
        return grant


async def decide_pairing(session: AsyncSession, code: str, approve: bool, by: str) -> bool:
    """Approve or block the pending request with this code; False if there is none."""
    result = await session.execute(
        update(AccessGrant)
        .where(AccessGrant.pairing_code == code.strip().upper())
        .values(status="approved" if approve else "blocked", decided_at=utcnow(), decided_by=by)
    )
    return bool(getattr(result, "rowcount", 0))


async def pending_pairings(session: AsyncSession) -> list[AccessGrant]:
    """Requests waiting for an admin."""
    stmt = select(AccessGrant).where(AccessGrant.status == "pending").order_by(AccessGrant.id)
    return list((await session.execute(stmt)).scalars())


def parse_link_command(text: str) -> tuple[bool, str | None]:
    """(is a /link command, the code given with it if any)."""
    match = _LINK.match(text)
    if match is None:
        return False, None
    return True, (match.group(1) or "").upper() or None


async def create_link_code(session: AsyncSession, user_id: int, now: datetime) -> str:
    """A one-time code for this user, valid for 15 minutes."""
    code = new_code(8)
    session.add(LinkCode(code=code, user_id=user_id, expires_at=now + LINK_TTL))
    await session.flush()
    return code


async def link_refusal(
    session: AsyncSession, channel: str, external_id: str, *, needs_approval: bool = False
) -> str | None:
    """Why this identity may not redeem a link code, from its access record: an identity
    an admin blocked is never linked, nor one whose pairing request waits for an admin (or,
    with ``needs_approval`` — its channel's policy is ``pairing`` — one never approved).
    None when it may."""
    grant = await _grant_of(session, channel, external_id)
    status = grant.status if grant is not None else None
    if status == "blocked":
        return LINK_BLOCKED
    if status == "approved":
        return None
    if status is not None or needs_approval:
        return LINK_NEEDS_APPROVAL
    return None


async def redeem_link_code(
    session: AsyncSession,
    code: str,
    channel: str,
    external_id: str,
    now: datetime,
    *,
    access: AccessPolicy | None = None,
) -> int | None:
    """Join this channel identity to the code's user (moving any data it had); the user id.
    None when the code is unknown or expired, or the identity may not be linked (blocked,
    or waiting for an admin's approval: see :func:`link_refusal`; the code then stays valid).
    With ``access``, the channel's policy also counts (an identity never seen on a pairing
    channel is refused too, an allowlist channel's unlisted one likewise)."""
    refusal = (
        await access.link_refusal(session, channel, external_id)
        if access is not None
        else await link_refusal(session, channel, external_id)
    )
    if refusal is not None:
        return None
    link = await session.get(LinkCode, code)
    if link is None:
        return None
    await session.delete(link)  # one-time, used or expired
    if _aware(link.expires_at) < now:
        return None
    target = link.user_id
    identity = (
        await session.execute(
            select(ChannelIdentity).where(
                ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
            )
        )
    ).scalar_one_or_none()
    if identity is None:
        session.add(ChannelIdentity(user_id=target, channel=channel, external_id=external_id))
    elif identity.user_id != target:
        await merge_users(session, source=identity.user_id, target=target)
    await session.flush()
    return target


def on_merge(engine: AsyncEngine, hook: MergeHook) -> None:
    """Run ``hook(session, source, target)`` in every merge of two accounts on this database
    (the GDPR side registers how memories and files move). A bound method is held weakly:
    it stops running once its owner is gone."""
    ref: Callable[[], MergeHook | None]
    if pyinspect.ismethod(hook):
        ref = weakref.WeakMethod(hook)
    else:

        def ref() -> MergeHook:
            return hook

    _MERGE_HOOKS.setdefault(engine.sync_engine, []).append(ref)


def _merge_hooks(session: AsyncSession) -> list[MergeHook]:
    bind = session.sync_session.get_bind()
    engine = getattr(bind, "engine", bind)
    hooks = [ref() for ref in _MERGE_HOOKS.get(engine, [])]
    return [hook for hook in hooks if hook is not None]


async def merge_users(
    session: AsyncSession,
    *,
    source: int,
    target: int,
    hooks: Sequence[MergeHook] | None = None,
) -> None:
    """Move every row owned by ``source`` to ``target`` and delete ``source``; then the
    ``hooks`` (by default those registered with :func:`on_merge` for this database) move
    what lives outside the database: memories, media files, exports. A hook that fails (the
    memory store unreachable) fails the merge: the transaction is rolled back."""
    existing = set(
        await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names())
    )
    for table in Base.metadata.sorted_tables:
        if table.name == "users" or "user_id" not in table.c or table.name not in existing:
            continue
        try:
            async with session.begin_nested():
                await session.execute(
                    update(table).where(table.c.user_id == source).values(user_id=target)
                )
        except IntegrityError:
            # Rows unique per user (e.g. plan version numbers): the target's own ones win.
            await session.execute(delete(table).where(table.c.user_id == source))
    await session.execute(delete(User).where(User.id == source))
    session.expire_all()
    for hook in _merge_hooks(session) if hooks is None else hooks:
        await hook(session, source, target)


async def _grant_of(session: AsyncSession, channel: str, external_id: str) -> AccessGrant | None:
    stmt = select(AccessGrant).where(
        AccessGrant.channel == channel, AccessGrant.external_id == external_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


__all__ = [
    "AccessDecision",
    "AccessPolicy",
    "create_link_code",
    "decide_pairing",
    "link_refusal",
    "merge_users",
    "on_merge",
    "parse_link_command",
    "pending_pairings",
    "redeem_link_code",
]
