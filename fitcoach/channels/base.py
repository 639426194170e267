"""The neutral message types every channel converts to and from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator


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
        """Lone surrogates (invalid UTF-16 halves) become U+FFFD so storage never fails."""
        if isinstance(value, str):
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return value

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
