"""After a choice button is pressed, the coach's message loses its buttons (no second press).

The message keeps its text; its actions blocks are replaced by a short context line
("✔ You chose: 2. Oatmeal"). Channel and DM messages are edited with ``chat.update``;
ephemeral ones (replies to ``/coach``) cannot be, so they are replaced via ``response_url``."""

from __future__ import annotations

from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from fitcoach.channels.slack.events import ACTION_PREFIX, is_direct, usable_response_url
from fitcoach.channels.slack.render import escape

log = structlog.get_logger(__name__)


def chosen_line(label: str, user: str | None, *, private: bool) -> str:
    """``✔ You chose: …`` where only the presser sees the message, else who chose."""
    who = "You" if private or not user else f"<@{user}>"
    return f"✔ {who} chose: {escape(label)}"


def without_buttons(message: dict[str, Any], line: str) -> list[dict[str, Any]]:
    """The message's blocks minus its actions, plus ``line`` as a context block."""
    blocks = [b for b in message.get("blocks") or [] if isinstance(b, dict)]
    kept = [b for b in blocks if b.get("type") != "actions"]
    if not kept and message.get("text"):
        kept = [{"type": "section", "text": {"type": "mrkdwn", "text": str(message["text"])}}]
    return [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}]


def pressed_choice(body: dict[str, Any]) -> dict[str, Any] | None:
    """The choice button pressed in a ``block_actions`` body, if any."""
    for action in body.get("actions") or []:
        if isinstance(action, dict) and str(action.get("action_id", "")).startswith(ACTION_PREFIX):
            return action
    return None


async def retire_buttons(
    client: AsyncWebClient, session: aiohttp.ClientSession, body: dict[str, Any]
) -> bool:
    """Replace the pressed message's buttons with what was chosen; False when not possible."""
    action = pressed_choice(body)
    if action is None:
        return False
    label = str((action.get("text") or {}).get("text") or action.get("value") or "")
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    user = (body.get("user") or {}).get("id")
    response_url = usable_response_url(body.get("response_url"))
    if container.get("is_ephemeral") and response_url is not None:
        line = chosen_line(label, user, private=True)
        webhook = AsyncWebhookClient(url=response_url, session=session, timeout=10)
        response = await webhook.send(
            text=line, blocks=without_buttons(message, line), replace_original=True
        )
        return response.status_code == 200
    ts = message.get("ts") or container.get("message_ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return False
    line = chosen_line(label, user, private=is_direct(channel))
    try:
        await client.chat_update(
            channel=channel,
            ts=ts,
            text=str(message.get("text") or line),
            blocks=without_buttons(message, line),
        )
    except SlackApiError as exc:
        log.warning("slack_buttons_not_retired", error=str(exc.response.get("error", "")))
        return False
    return True
