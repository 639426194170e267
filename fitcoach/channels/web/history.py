"""A web identity's conversation as it looked, rebuilt from the inbox (never another's).

Each inbox row of the identity's web conversation is one turn: the person's message
(``payload``, an :class:`InboundMessage` with its photos) and the coach's replies (``reply``,
a JSON list of :class:`OutboundMessage` with buttons and images). A row is shown when it is
the identity's own:

* attributed to the user the identity resolves to (``user_id``), or
* not attributed yet (still processing, or a command answered before any coaching) and its
  payload names this very identity;

and it is newer than the last redacted row of the conversation: the person behind it was
deleted, so nothing older belongs to whoever uses the identity now.

Local files (photos, charts) never reach the browser as paths: an item carries
``/api/chat/media/<item id>/<n>`` URLs, which the media route answers only for the same
identity, after checking the row again (:func:`find_image`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.channels.base import Attachment, Button, InboundMessage, OutboundMessage
from fitcoach.channels.web.identity import CHANNEL, WebIdentity
from fitcoach.storage.database import Database
from fitcoach.storage.models import InboxMessage
from fitcoach.storage.repositories import UserDirectory

MEDIA_PATH = "/api/chat/media"
REDACTED = "{}"
PENDING_STATUSES = frozenset({"received", "processing"})
_ITEM_ID = re.compile(r"^(?:in-(\d{1,18})|out-(\d{1,18})-(\d{1,3}))$")
_REMOTE = ("https://", "http://", "data:image/")


class HistoryImage(BaseModel):
    """An image of a message: an authenticated media URL (relative to the chat server), or
    the remote/``data:`` URL the reply already carried."""

    url: str
    mime_type: str


class HistoryItem(BaseModel):
    """One message: ``role`` is ``user`` or ``coach``; the rest shows it as it was live."""

    role: str
    text: str
    at: datetime
    id: str = ""
    """``in-<row>`` for the person's message, ``out-<row>-<n>`` for the coach's n-th reply."""
    message_id: str | None = None
    """The id the client sent with the person's message (``ack.id``/``in_reply_to`` live)."""
    images: list[HistoryImage] = Field(default_factory=list)
    """Photos the person sent, charts and other images of the coach."""
    buttons: list[Button] = Field(default_factory=list)
    """Quick replies the coach offered with this message."""
    buttons_active: bool = False
    """True only for the conversation's last message: its buttons can still be pressed."""
    pending: bool = False
    """The person's message is still being answered (no reply stored yet)."""


@dataclass(frozen=True, slots=True)
class OwnedImage:
    """A local image of one of the identity's messages, with the user it belongs to."""

    attachment: Attachment
    user_id: int | None
    role: str


async def load_history(database: Database, identity: WebIdentity, limit: int) -> list[HistoryItem]:
    """The identity's last ``limit`` messages, oldest first; empty for an unknown session."""
    async with database.session() as session:
        rows = await owned_rows(session, identity, limit=limit)
    items = [item for row in reversed(rows) for item in turn_items(row, identity)]
    items = items[-limit:]
    if items and items[-1].role == "coach" and items[-1].buttons:
        items[-1].buttons_active = True
    return items


async def owned_rows(
    session: AsyncSession, identity: WebIdentity, *, limit: int, row_id: int | None = None
) -> list[InboxMessage]:
    """The identity's own inbox rows of its web conversation, newest first."""
    conversation = (
        InboxMessage.channel == CHANNEL,
        InboxMessage.conversation_id == identity.conversation_id,
    )
    user = await UserDirectory(session).find(CHANNEL, identity.external_user_id)
    mine: ColumnElement[bool] = InboxMessage.user_id.is_(None)
    if user is not None:
        mine = or_(InboxMessage.user_id == user.id, mine)
    stmt = select(InboxMessage).where(*conversation, mine)
    erased = await session.scalar(
        select(func.max(InboxMessage.id)).where(*conversation, InboxMessage.payload == REDACTED)
    )
    if erased is not None:
        stmt = stmt.where(InboxMessage.id > erased)
    if row_id is not None:
        stmt = stmt.where(InboxMessage.id == row_id)
    rows = (await session.execute(stmt.order_by(InboxMessage.id.desc()).limit(limit))).scalars()
    return [row for row in rows if row.user_id is not None or _names(row, identity)]


def turn_items(row: InboxMessage, identity: WebIdentity) -> list[HistoryItem]:
    """The person's message and the coach's replies of one inbox row (nothing if unreadable)."""
    message = _inbound(row)
    if message is None or message.external_user_id != identity.external_user_id:
        return []
    prefix = f"{identity.conversation_id}:"
    client_id = message.message_id.removeprefix(prefix)
    replies = _replies(row)
    user = HistoryItem(
        role="user",
        text=message.text,
        at=row.created_at,
        id=f"in-{row.id}",
        message_id=client_id,
        images=_images(f"in-{row.id}", message.images),
        pending=replies is None and row.status in PENDING_STATUSES,
    )
    items = [user]
    for n, reply in enumerate(replies or []):
        item_id = f"out-{row.id}-{n}"
        items.append(
            HistoryItem(
                role="coach",
                text=reply.text,
                at=row.processed_at or row.created_at,
                id=item_id,
                message_id=client_id,
                images=_images(item_id, reply.images),
                buttons=list(reply.buttons),
            )
        )
    return items


async def find_image(
    database: Database, identity: WebIdentity, item_id: str, index: int
) -> OwnedImage | None:
    """The local image ``index`` of one of the identity's history items, or None."""
    match = _ITEM_ID.match(item_id)
    if match is None:
        return None
    inbound_row, outbound_row, reply_index = match.groups()
    row_id = int(inbound_row or outbound_row)
    async with database.session() as session:
        rows = await owned_rows(session, identity, limit=1, row_id=row_id)
    if not rows:
        return None
    row = rows[0]
    if inbound_row is not None:
        message = _inbound(row)
        if message is None or message.external_user_id != identity.external_user_id:
            return None
        images, role = message.images, "user"
    else:
        replies = _replies(row) or []
        n = int(reply_index)
        if n >= len(replies):
            return None
        images, role = replies[n].images, "coach"
    if not 0 <= index < len(images):
        return None
    image = images[index]
    if image.ref.startswith(_REMOTE) or not _is_image(image):
        return None
    return OwnedImage(attachment=image, user_id=row.user_id, role=role)


def image_path(image: OwnedImage, roots: list[Path]) -> Path | None:
    """The image's file when it exists under one of ``roots`` (never anywhere else)."""
    try:
        path = Path(image.attachment.ref).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not path.is_file():
        return None
    for root in roots:
        if path.is_relative_to(root.resolve()):
            return path
    return None


def _images(item_id: str, attachments: list[Attachment]) -> list[HistoryImage]:
    images = []
    for n, image in enumerate(attachments):
        if not _is_image(image):
            continue
        url = image.ref if image.ref.startswith(_REMOTE) else f"{MEDIA_PATH}/{item_id}/{n}"
        images.append(HistoryImage(url=url, mime_type=image.mime_type))
    return images


def _is_image(attachment: Attachment) -> bool:
    return attachment.kind == "image" or attachment.mime_type.startswith("image/")


def _names(row: InboxMessage, identity: WebIdentity) -> bool:
    message = _inbound(row)
    return message is not None and message.external_user_id == identity.external_user_id


def _inbound(row: InboxMessage) -> InboundMessage | None:
    if not row.payload or row.payload == REDACTED:
        return None
    try:
        return InboundMessage.model_validate_json(row.payload)
    except ValidationError:
        return None


def _replies(row: InboxMessage) -> list[OutboundMessage] | None:
    """The stored replies; None when there are none (still processing) or they are unreadable."""
    if not row.reply:
        return None
    try:
        raw = json.loads(row.reply)
        if not isinstance(raw, list):
            return None
        return [OutboundMessage.model_validate(r) for r in raw]
    except (ValueError, ValidationError):
        return None
