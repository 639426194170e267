"""The web chat's JSON message protocol over ``WS /ws/chat`` (see docs/channels/web.md).

Client → server: ``hello`` (first), ``message``, ``ping``.
Server → client: ``ready``, ``ack``, then per reply ``start``, ``delta``…, ``end``; ``error``,
``pong``. Replies are whole today; they are streamed as word groups so the widget (and a
future token-streaming agent) use one code path."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from fitcoach.channels.base import OutboundMessage
from fitcoach.channels.web.identity import MAX_CLIENT_MESSAGE_ID
from fitcoach.channels.web.photos import PhotoUpload

MAX_TEXT = 4000
WORDS_PER_DELTA = 3
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
_TOKENS = re.compile(r"\S+\s*|\s+")


class Hello(BaseModel):
    """First client frame: resume an anonymous session and/or present a user token."""

    type: Literal["hello"]
    session_id: str | None = None
    user_token: str | None = None


class ChatMessage(BaseModel):
    """A person's message: text, a photo, or both (``id`` makes retries idempotent)."""

    type: Literal["message"]
    id: str | None = Field(default=None, min_length=1, max_length=MAX_CLIENT_MESSAGE_ID)
    text: str = Field(default="", max_length=MAX_TEXT)
    image: PhotoUpload | None = None


class Ping(BaseModel):
    """Keep-alive from the client; answered with ``pong``."""

    type: Literal["ping"]


def chunk_text(text: str, words: int = WORDS_PER_DELTA) -> list[str]:
    """Split a reply into groups of ``words`` words; the chunks join back to ``text``."""
    tokens = _TOKENS.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def ready(session_id: str, identity: str, max_photo_bytes: int) -> dict[str, Any]:
    """The answer to ``hello``."""
    return {
        "type": "ready",
        "session_id": session_id,
        "identity": identity,
        "max_photo_bytes": max_photo_bytes,
    }


def error(
    code: str, message: str, in_reply_to: str | None = None, *, retry_after_s: float | None = None
) -> dict[str, Any]:
    """A recoverable problem (the socket stays open unless a close follows); with
    ``retry_after_s`` the client sends the same message again after that long."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if in_reply_to is not None:
        frame["in_reply_to"] = in_reply_to
    if retry_after_s is not None:
        frame["retry_after_s"] = retry_after_s
    return frame


def reply_frames(reply: OutboundMessage, in_reply_to: str) -> list[dict[str, Any]]:
    """``start``, the ``delta`` chunks, and ``end`` with the whole message for one reply."""
    reply_id = f"r-{uuid.uuid4().hex[:12]}"
    frames: list[dict[str, Any]] = [{"type": "start", "id": reply_id, "in_reply_to": in_reply_to}]
    frames += [{"type": "delta", "id": reply_id, "text": c} for c in chunk_text(reply.text)]
    frames.append(
        {
            "type": "end",
            "id": reply_id,
            "text": reply.text,
            "buttons": [b.model_dump() for b in reply.buttons],
            "images": public_images(reply),
        }
    )
    return frames


def public_images(reply: OutboundMessage) -> list[dict[str, str]]:
    """Images a browser can load; server file paths are never sent to the client."""
    return [
        {"url": image.ref, "mime_type": image.mime_type}
        for image in browser_safe(reply).images
        if image.ref.startswith(("https://", "http://", "data:image/"))
    ]


MAX_INLINE_IMAGE_BYTES = 1_000_000


def browser_safe(reply: OutboundMessage) -> OutboundMessage:
    """The reply with local images (charts) inlined as data URLs and file paths removed.

    Local images come only from our own tools, which write under the person's media folder."""
    images = []
    for image in reply.images:
        if image.ref.startswith(("https://", "http://", "data:image/")):
            images.append(image)
            continue
        path = Path(image.ref)
        if image.mime_type.startswith("image/") and path.is_file():
            data = path.read_bytes()
            if len(data) <= MAX_INLINE_IMAGE_BYTES:
                encoded = base64.b64encode(data).decode("ascii")
                images.append(
                    image.model_copy(update={"ref": f"data:{image.mime_type};base64,{encoded}"})
                )
    files = [f.model_copy(update={"ref": Path(f.ref).name}) for f in reply.files]
    return reply.model_copy(update={"images": images, "files": files})
