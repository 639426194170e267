"""Telegram Update → a draft of the neutral message, with the rules for what to answer.

Pure: no I/O. Media are only referenced here (file ids); ``media.py`` downloads them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from telegram import CallbackQuery, Message, MessageEntity, Update
from telegram.constants import ChatType

from fitcoach.channels.telegram.commands import Command, parse_command

GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is (from getMe): needed to tell mentions and replies to it."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A file to download: the largest photo size, a voice note, an audio file or an image
    sent as a document."""

    kind: Literal["image", "audio"]
    file_id: str
    file_unique_id: str
    mime_type: str | None = None
    file_size: int | None = None


@dataclass(slots=True)
class Draft:
    """A Telegram message (or button press) the bot should answer, before media download."""

    key: str
    """Stable across redeliveries: ``chat:message`` for messages, ``cb:id`` for presses."""
    chat_id: int
    chat_type: str
    user_id: int
    user_name: str | None
    text: str
    message_id: int | None = None
    thread_id: int | None = None
    reply_to: int | None = None
    media: list[MediaRef] = field(default_factory=list)
    media_group_id: str | None = None
    command: Command | None = None
    callback_query_id: str | None = None
    supported: bool = True

    @property
    def in_group(self) -> bool:
        """True in groups and supergroups (answers quote the message they answer)."""
        return self.chat_type in GROUP_TYPES

    @property
    def conversation_id(self) -> str:
        """The chat in private; chat and person in groups, so members never share a thread."""
        return f"{self.chat_id}:{self.user_id}" if self.in_group else str(self.chat_id)


def read_update(update: Update, me: BotIdentity) -> Draft | None:
    """The draft to answer, or None for what the bot ignores: edits, channel posts, messages
    from bots, group messages that neither mention the bot nor reply to it, commands
    addressed to another bot."""
    if update.callback_query is not None:
        draft = _read_callback(update.callback_query)
    elif update.message is not None:
        draft = _read_message(update.message, me)
    else:
        return None
    if draft is not None and not _ids_are_ints(draft):
        return None  # PTB does not type-check ids; such an update cannot be answered
    return draft


def _ids_are_ints(draft: Draft) -> bool:
    def is_int(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    optional = (draft.message_id, draft.thread_id)
    return (
        is_int(draft.chat_id)
        and is_int(draft.user_id)
        and all(v is None or is_int(v) for v in optional)
    )


def _read_callback(query: CallbackQuery) -> Draft | None:
    message = query.message
    if message is None or query.from_user.is_bot or query.data is None:
        return None
    return Draft(
        key=f"cb:{query.id}",
        chat_id=message.chat.id,
        chat_type=message.chat.type,
        user_id=query.from_user.id,
        user_name=query.from_user.full_name,
        text=query.data,
        message_id=message.message_id,
        callback_query_id=query.id,
    )


def _read_message(message: Message, me: BotIdentity) -> Draft | None:
    sender = message.from_user
    if sender is None or sender.is_bot:
        return None
    in_group = message.chat.type in GROUP_TYPES
    raw_text = message.text or message.caption or ""
    command = parse_command(message.text) if message.text else None
    if command is not None and command.addressee not in (None, me.username.lower()):
        return None  # /cmd@otherbot
    replied_to_me = (
        message.reply_to_message is not None
        and message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == me.id
    )
    mentioned = _mentions(message, me)
    if in_group and not (mentioned or replied_to_me or command is not None):
        return None
    media = _media(message)
    text = _strip_mention(raw_text, me.username) if mentioned else raw_text.strip()
    if not text and not media and raw_text:
        command = parse_command("/help")  # a bare mention: say what the bot can do
    supported = bool(text or media)
    return Draft(
        key=f"{message.chat.id}:{message.message_id}",
        chat_id=message.chat.id,
        chat_type=message.chat.type,
        user_id=sender.id,
        user_name=sender.full_name,
        text=text,
        message_id=message.message_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to=message.reply_to_message.message_id if message.reply_to_message else None,
        media=media,
        media_group_id=message.media_group_id,
        command=command,
        supported=supported,
    )


def _mentions(message: Message, me: BotIdentity) -> bool:
    kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    entities = (
        message.parse_entities(kinds) if message.text else message.parse_caption_entities(kinds)
    )
    handle = f"@{me.username}".lower()
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value.lower() == handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id:
            return True
    return False


def _strip_mention(text: str, username: str) -> str:
    cleaned = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.I)
    return re.sub(r"[ \t]{2,}", " ", cleaned).strip(" \t\n,:")


def _media(message: Message) -> list[MediaRef]:
    refs: list[MediaRef] = []
    if message.photo:
        largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        refs.append(
            MediaRef("image", largest.file_id, largest.file_unique_id, None, largest.file_size)
        )
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        refs.append(
            MediaRef(
                "image",
                document.file_id,
                document.file_unique_id,
                document.mime_type,
                document.file_size,
            )
        )
    for audio in (message.voice, message.audio):
        if audio is not None:
            refs.append(
                MediaRef(
                    "audio", audio.file_id, audio.file_unique_id, audio.mime_type, audio.file_size
                )
            )
    return refs
