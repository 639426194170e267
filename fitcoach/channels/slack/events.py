"""Slack payloads (events, slash commands, button presses) → neutral inbound messages.

Pure functions: no I/O. Whatever should not reach the coach (bot messages, edits, deletions,
other subtypes, channel chatter that does not mention the bot) parses to ``None``."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fitcoach.channels.base import InboundMessage

CHANNEL = "slack"
ACTION_PREFIX = "fitcoach_choice"
# Message subtypes that are still a person talking to us; every other subtype is ignored
# (bot_message, message_changed, message_deleted, channel_join, ...).
PERSON_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(?:here|channel|everyone)[^>]*>")
_SPACES = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True, slots=True)
class SlackFile:
    """A file a person shared (only its reference: the bytes are fetched later)."""

    id: str
    url: str
    mimetype: str
    name: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where the reply goes. ``response_url`` is a capability: never log or store it."""

    channel: str
    thread_ts: str | None = None
    response_url: str | None = field(default=None, repr=False)
    ephemeral: bool = False


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A person's message from Slack, its reply target and the images still to fetch."""

    inbound: InboundMessage
    target: ReplyTarget
    files: tuple[SlackFile, ...] = ()


def clean_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack markup → plain text: drop the bot's mention, unwrap links, unescape entities."""

    def mention(match: re.Match[str]) -> str:
        return "" if match.group(1) == bot_user_id else f"@{match.group(1)}"

    text = _MENTION.sub(mention, text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = _SPECIAL.sub("", text)
    text = html.unescape(text)
    return _SPACES.sub(" ", text).strip()


def mentions(text: str, user_id: str | None) -> bool:
    """True when ``text`` contains a mention of ``user_id``."""
    return bool(user_id) and any(m.group(1) == user_id for m in _MENTION.finditer(text))


def identity(team_id: str | None, user_id: str) -> str:
    """The external user id: Slack user ids are only unique within a workspace."""
    return f"{team_id or '-'}:{user_id}"


def conversation_for(channel_id: str, user_id: str, *, direct: bool) -> str:
    """A DM is the person's conversation; in a shared channel each person has their own."""
    return channel_id if direct else f"{channel_id}:{user_id}"


def is_direct(channel_id: str, channel_type: str | None = None) -> bool:
    """True for a one-to-one DM with the app."""
    return channel_type == "im" or (channel_type is None and channel_id.startswith("D"))


def is_from_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """False for bots (ours included), edits, deletions, hidden and other subtypes."""
    if event.get("subtype") not in PERSON_SUBTYPES or event.get("hidden"):
        return False
    if event.get("bot_id") or event.get("bot_profile"):
        return False
    user = event.get("user")
    return isinstance(user, str) and bool(user) and user != bot_user_id


def image_files(event: dict[str, Any]) -> tuple[SlackFile, ...]:
    """The images attached to a message event (other file types are not read)."""
    found: list[SlackFile] = []
    for item in event.get("files") or []:
        if not isinstance(item, dict):
            continue
        mimetype = str(item.get("mimetype") or "")
        url = item.get("url_private_download") or item.get("url_private")
        if not mimetype.startswith("image/") or not isinstance(url, str) or not item.get("id"):
            continue
        size = item.get("size")
        found.append(
            SlackFile(
                id=str(item["id"]),
                url=url,
                mimetype=mimetype,
                name=str(item.get("name") or item["id"]),
                size=size if isinstance(size, int) else None,
            )
        )
    return tuple(found)


def parse_message_event(
    event: dict[str, Any],
    *,
    team_id: str | None,
    bot_user_id: str | None,
    event_id: str | None = None,
) -> ParsedMessage | None:
    """A ``message`` or ``app_mention`` event → the person's message, or ``None`` to ignore.

    DMs are always for us; elsewhere only messages that mention the bot (``app_mention``, or
    the ``message.channels`` copy of the same message). Both copies get the same message id
    (channel + ts), so the conversation service drops the second one."""
    if not is_from_person(event, bot_user_id):
        return None
    channel_id, ts = event.get("channel"), event.get("ts")
    if not isinstance(channel_id, str) or not isinstance(ts, str):
        return None
    direct = is_direct(channel_id, event.get("channel_type"))
    raw_text = str(event.get("text") or "")
    if not direct and event.get("type") != "app_mention" and not mentions(raw_text, bot_user_id):
        return None
    user = str(event["user"])
    thread_ts = event.get("thread_ts") or ts
    files = image_files(event)
    text = clean_text(raw_text, bot_user_id)
    inbound = InboundMessage(
        channel=CHANNEL,
        external_user_id=identity(team_id or event.get("team"), user),
        conversation_id=conversation_for(channel_id, user, direct=direct),
        message_id=f"{channel_id}:{ts}",
        text=text,
        reply_to=thread_ts,
        metadata={
            "slack": {
                "kind": "message",
                "channel": channel_id,
                "ts": ts,
                "thread_ts": thread_ts,
                "event_id": event_id,
            }
        },
    )
    return ParsedMessage(inbound, ReplyTarget(channel=channel_id, thread_ts=thread_ts), files)


def stored_target(message: InboundMessage) -> ReplyTarget | None:
    """Where to answer a message when its ``ReplyTarget`` is gone (another replica accepted
    it, or a crash): its thread, or for a slash command (whose private response_url is never
    stored) a direct message from the app to the person."""
    meta = message.metadata.get("slack")
    if not isinstance(meta, dict) or not isinstance(meta.get("channel"), str):
        return None
    if meta.get("kind") == "command":
        user = meta.get("user")
        return ReplyTarget(channel=user) if isinstance(user, str) else None
    thread_ts = meta.get("thread_ts")
    return ReplyTarget(
        channel=meta["channel"], thread_ts=thread_ts if isinstance(thread_ts, str) else None
    )


def parse_command(body: dict[str, Any], *, team_id: str | None) -> ParsedMessage | None:
    """A slash command (``/coach <text>``) → the person's message; ``None`` without text."""
    text = clean_text(str(body.get("text") or ""))
    user, channel_id = body.get("user_id"), body.get("channel_id")
    trigger = body.get("trigger_id")
    if not text or not isinstance(user, str) or not isinstance(channel_id, str) or not trigger:
        return None
    # A slash command can come from any channel, also a DM between two people: the
    # conversation is the person's own in that channel, and the reply (via response_url,
    # which works where the bot is not a member) is ephemeral: their numbers are theirs.
    inbound = InboundMessage(
        channel=CHANNEL,
        external_user_id=identity(team_id or body.get("team_id"), user),
        conversation_id=conversation_for(channel_id, user, direct=False),
        message_id=f"command:{trigger}",
        text=text,
        metadata={
            "slack": {
                "kind": "command",
                "channel": channel_id,
                "user": user,
                "command": body.get("command"),
            }
        },
    )
    # Without a usable response_url the private reply has nowhere to go (see listeners).
    response_url = usable_response_url(body.get("response_url"))
    target = ReplyTarget(channel=channel_id, response_url=response_url, ephemeral=True)
    return ParsedMessage(inbound, target)


def parse_action(body: dict[str, Any], *, team_id: str | None) -> ParsedMessage | None:
    """A ``block_actions`` button press → the button's value as the person's next message."""
    actions = [a for a in body.get("actions") or [] if isinstance(a, dict)]
    action = next(
        (a for a in actions if str(a.get("action_id", "")).startswith(ACTION_PREFIX)), None
    )
    user = (body.get("user") or {}).get("id")
    channel_id = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    if action is None or not isinstance(user, str) or not isinstance(channel_id, str):
        return None
    text = clean_text(str(action.get("value") or ""))
    if not text:
        return None
    container = body.get("container") or {}
    message = body.get("message") or {}
    response_url = usable_response_url(body.get("response_url"))
    if container.get("is_ephemeral") and response_url is None:
        return None  # its reply is private: never post it in the channel instead
    ephemeral = bool(container.get("is_ephemeral"))
    # A non-ephemeral message with our buttons in a D… channel is the bot's own DM (the bot
    # cannot post in other people's DMs); ephemeral ones came from a slash command.
    direct = is_direct(channel_id) and not ephemeral
    pressed = str(action.get("action_ts") or body.get("trigger_id") or "")
    if not pressed:
        return None
    thread_ts = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
    inbound = InboundMessage(
        channel=CHANNEL,
        external_user_id=identity(team_id or (body.get("team") or {}).get("id"), user),
        conversation_id=conversation_for(channel_id, user, direct=direct),
        message_id=f"action:{channel_id}:{pressed}",
        text=text,
        reply_to=thread_ts,
        metadata={"slack": {"kind": "action", "channel": channel_id, "thread_ts": thread_ts}},
    )
    if ephemeral:
        target = ReplyTarget(channel=channel_id, response_url=response_url, ephemeral=True)
    else:
        target = ReplyTarget(channel=channel_id, thread_ts=thread_ts)
    return ParsedMessage(inbound, target)


def usable_response_url(value: object) -> str | None:
    """A ``response_url`` a private reply may be posted to, else None: https (what Slack
    issues), or plain http only to this machine (local test and development servers)."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS:
        return value
    return None


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
