"""The neutral message types every channel converts to and from."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field, field_validator

MAX_ID_LENGTH = 200
"""Longest id kept as it is: the columns hold 255, and some stored ids get a suffix (":m")."""


class Attachment(BaseModel):
    """An image or audio file that came with a message (stored, referenced by path or URL)."""

    kind: str  # "image" or "audio"
    mime_type: str
    ref: str
    size_bytes: int | None = None


class InboundMessage(BaseModel):
    """A message from a person, as any channel delivers it."""

    @field_validator("text", "user_name", mode="before")
    @classmethod
    def _valid_unicode(cls, value: object) -> object:
        """Lone surrogates (invalid UTF-16 halves) and NUL characters (PostgreSQL's text
        cannot hold them) become U+FFFD so storage never fails."""
        if isinstance(value, str):
            value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
            return value.replace("\x00", "\ufffd")
        return value

    @field_validator("external_user_id", "conversation_id", "message_id", mode="after")
    @classmethod
    def _storable_id(cls, value: str) -> str:
        """Ids longer than MAX_ID_LENGTH are replaced by a digest: still unique and
        stable (duplicate deliveries are still recognised), and storable."""
        value = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        value = value.replace("\x00", "\ufffd")
        if len(value) <= MAX_ID_LENGTH:
            return value
        return "sha256:" + hashlib.sha256(value.encode()).hexdigest()

    channel: str
    external_user_id: str
    conversation_id: str
    message_id: str
    text: str = ""
    user_name: str | None = None
    images: list[Attachment] = Field(default_factory=list)
    audio: list[Attachment] = Field(default_factory=list)
    reply_to: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Button(BaseModel):
    """A quick reply: ``label`` is shown, ``value`` is sent back as the person's message."""

    label: str
    value: str


class OutboundMessage(BaseModel):
    """A reply to render on a channel; adapters fall back to plain text for what they lack."""

    text: str
    buttons: list[Button] = Field(default_factory=list)
    images: list[Attachment] = Field(default_factory=list)
    files: list[Attachment] = Field(default_factory=list)
    """Documents to send (e.g. a data export); text-only channels list their names."""

    def plain_text(self) -> str:
        """The whole message as text, buttons listed as numbered options."""
        return self.text
