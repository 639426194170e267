"""OutboundMessage → Slack message payload: Block Kit buttons with a plain-text fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fitcoach.channels.base import Button, OutboundMessage
from fitcoach.channels.slack.events import ACTION_PREFIX

SECTION_LIMIT = 3000  # characters of text in one section block
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
BUTTONS_PER_BLOCK = 25
TEXT_LIMIT = 39_000  # chat.postMessage truncates at 40,000


@dataclass(frozen=True, slots=True)
class SlackPayload:
    """``text`` is always complete on its own (notifications, clients without blocks)."""

    text: str
    blocks: list[dict[str, Any]] | None = None


def escape(text: str) -> str:
    """Escape the three characters Slack treats as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback_text(message: OutboundMessage, note: str | None = None) -> str:
    """The whole message as text, buttons listed as options one can type."""
    parts = [note] if note else []
    parts.append(message.text)
    if message.buttons:
        parts.append("\n".join(f"• {button.label}" for button in message.buttons))
    return "\n\n".join(p for p in parts if p)[:TEXT_LIMIT]


def is_remote(ref: str) -> bool:
    """True for an image Slack can fetch itself (a public URL) rather than a local file."""
    return ref.startswith(("https://", "http://"))


def render(message: OutboundMessage, note: str | None = None) -> SlackPayload:
    """Text only when there is nothing to click or show; section/actions/image blocks otherwise.

    Local image files are not part of the payload: the delivery uploads them."""
    text = fallback_text(message, note)
    remote_images = [image for image in message.images if is_remote(image.ref)]
    if not message.buttons and not remote_images:
        return SlackPayload(text=escape(text))
    body = "\n\n".join(p for p in (note, message.text) if p)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(chunk)}}
        for chunk in split_text(body, SECTION_LIMIT)
    ]
    buttons = message.buttons
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button(button, start + i)
                    for i, button in enumerate(buttons[start : start + BUTTONS_PER_BLOCK])
                ],
            }
        )
    blocks.extend(
        {"type": "image", "image_url": image.ref, "alt_text": "chart"} for image in remote_images
    )
    return SlackPayload(text=escape(text), blocks=blocks)


def _button(button: Button, index: int) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}_{index}",
        "text": {"type": "plain_text", "text": button.label[:BUTTON_LABEL_LIMIT], "emoji": True},
        "value": button.value[:BUTTON_VALUE_LIMIT],
    }


def split_text(text: str, size: int) -> list[str]:
    """Split on line breaks where possible so no section exceeds ``size``."""
    chunks: list[str] = []
    current = ""
    for line in (text or " ").split("\n"):
        while len(line) > size:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current or " ")
    return chunks
