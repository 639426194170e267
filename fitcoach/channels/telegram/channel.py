"""TelegramChannel: Updates in, neutral messages to the conversation service, replies out."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import structlog
from telegram import Bot, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from fitcoach.channels.base import Attachment, InboundMessage, OutboundMessage
from fitcoach.channels.telegram.albums import AlbumCollector
from fitcoach.channels.telegram.commands import UNSUPPORTED_TEXT, route_command
from fitcoach.channels.telegram.inbound import BotIdentity, Draft, read_update
from fitcoach.channels.telegram.media import MediaStore
from fitcoach.channels.telegram.outbound import TelegramSender
from fitcoach.channels.telegram.typing_indicator import TypingIndicator

log = structlog.get_logger(__name__)

CHANNEL = "telegram"
LOCAL_SEEN_MAX = 4096

Deliver = Callable[[InboundMessage, list[OutboundMessage]], Awaitable[None]]


class Conversation(Protocol):
    """What the channel needs of the conversation service (kept structural: channels do not
    import the service, which knows the agent)."""

    async def submit(self, message: InboundMessage, deliver: Deliver) -> bool:
        """Accept and process in the background; False for a duplicate delivery."""
        ...


class TelegramChannel:
    """The Telegram adapter. ``handle_update`` for webhook and polling alike; ``deliver`` is
    handed to the conversation service; ``send`` is there for proactive messages."""

    def __init__(
        self,
        bot: Bot,
        conversation: Conversation,
        files_dir: Path,
        *,
        album_quiet_s: float = 1.0,
        typing_after_s: float = 0.0,
    ) -> None:
        self.bot = bot
        self.conversation = conversation
        self.me = BotIdentity(id=bot.id, username=bot.username)
        self.media = MediaStore(bot, files_dir)
        self.sender = TelegramSender(bot)
        self.typing = TypingIndicator(bot, delay_s=typing_after_s)
        self.albums = AlbumCollector(self._dispatch, quiet_s=album_quiet_s)
        self._answered_locally: OrderedDict[str, None] = OrderedDict()

    async def handle_update(self, update: Update) -> None:
        """Turn one Update into at most one submitted message (albums: after collecting).

        Returns once the message is accepted (stored) or dropped; the answer comes later."""
        try:
            draft = read_update(update, self.me)
        except Exception:
            # An update we cannot read is dropped (an error would make Telegram resend it forever).
            log.warning("telegram_update_unreadable", update_id=update.update_id)
            return
        if draft is None:
            log.debug("telegram_update_ignored", update_id=update.update_id)
            return
        if draft.callback_query_id is not None:
            await self._answer_button(draft)
        if draft.media_group_id is not None and draft.media:
            self.albums.add(draft)
            return
        await self._dispatch(draft)

    async def deliver(self, message: InboundMessage, replies: list[OutboundMessage]) -> None:
        """Send the replies to the chat the message came from (quoting it in groups)."""
        self.typing.stop(message.message_id)
        meta = message.metadata
        try:
            for reply in replies:
                await self.sender.send(
                    int(meta["chat_id"]),
                    reply,
                    reply_to=meta.get("quote_message_id"),
                    thread_id=meta.get("thread_id"),
                )
        except Forbidden:
            log.warning("telegram_blocked", conversation=message.conversation_id)
        except (BadRequest, ChatMigrated) as error:
            # Telegram refused this request itself: sending it again cannot succeed.
            detail = error.message.replace(self.bot.token, "[token]")
            log.error("telegram_send_refused", error=type(error).__name__, detail=detail)
        except TelegramError as error:
            # Network, timeout, server error, flood control given up: not sent, so the queue
            # leaves the reply to the recovery sweep, which sends it again.
            detail = error.message.replace(self.bot.token, "[token]")
            log.warning("telegram_send_failed", error=type(error).__name__, detail=detail)
            raise

    async def send(self, chat_id: int, message: OutboundMessage) -> None:
        """Send a proactive message (admin, scripts) to a chat; raises on API errors."""
        await self.sender.send(chat_id, message)

    async def close(self) -> None:
        """Flush albums still collecting and stop typing indicators."""
        await self.albums.close()
        await self.typing.close()

    async def _dispatch(self, draft: Draft) -> None:
        text = draft.text
        if draft.command is not None:
            route = route_command(draft.command)
            if route.local_reply is not None:
                await self._reply_locally(draft, route.local_reply)
                return
            text = route.text
        elif not draft.supported:
            await self._reply_locally(draft, UNSUPPORTED_TEXT)
            return
        images, audio, failed = await self._download(draft)
        metadata: dict[str, Any] = {
            "chat_id": draft.chat_id,
            "chat_type": draft.chat_type,
            "telegram_message_id": draft.message_id,
            "thread_id": draft.thread_id,
            "quote_message_id": draft.message_id if draft.in_group else None,
        }
        if draft.command is not None:
            metadata["command"] = draft.command.name
        if draft.callback_query_id is not None:
            metadata["button"] = True
        if failed:
            metadata["attachments_failed"] = failed
        inbound = InboundMessage(
            channel=CHANNEL,
            external_user_id=str(draft.user_id),
            conversation_id=draft.conversation_id,
            message_id=draft.key,
            text=text,
            user_name=draft.user_name,
            images=images,
            audio=audio,
            reply_to=str(draft.reply_to) if draft.reply_to is not None else None,
            metadata=metadata,
        )
        await self.conversation.submit(inbound, self.deliver)

    def turn_started(self, message: InboundMessage) -> None:
        """The coach started on this message (on this replica): "typing…" if it takes long."""
        meta = message.metadata
        chat_id, thread_id = meta.get("chat_id"), meta.get("thread_id")
        if not isinstance(chat_id, int) or not isinstance(thread_id, int | None):
            return
        self.typing.start(message.message_id, chat_id, thread_id)

    async def _download(self, draft: Draft) -> tuple[list[Attachment], list[Attachment], int]:
        images: list[Attachment] = []
        audio: list[Attachment] = []
        failed = 0
        for ref in draft.media:
            try:
                attachment = await self.media.fetch(ref, draft.user_id)
            except Exception as error:  # the message still goes through, without the file
                failed += 1
                log.warning("telegram_download_failed", kind=ref.kind, error=type(error).__name__)
                continue
            (images if attachment.kind == "image" else audio).append(attachment)
        return images, audio, failed

    async def _answer_button(self, draft: Draft) -> None:
        """Stop the button's spinner and remove the keyboard so it is pressed only once."""
        assert draft.callback_query_id is not None
        try:
            await self.bot.answer_callback_query(draft.callback_query_id)
        except TelegramError as error:
            log.debug("telegram_callback_answer_failed", error=type(error).__name__)
        if draft.message_id is not None:
            try:
                await self.bot.edit_message_reply_markup(
                    chat_id=draft.chat_id, message_id=draft.message_id, reply_markup=None
                )
            except TelegramError as error:
                log.debug("telegram_keyboard_remove_failed", error=type(error).__name__)

    async def _reply_locally(self, draft: Draft, text: str) -> None:
        """Static answers (/start, /help, unsupported content), once per message. Duplicates
        are remembered in memory only: a redelivery after a restart repeats a static text."""
        if draft.key in self._answered_locally:
            return
        self._answered_locally[draft.key] = None
        while len(self._answered_locally) > LOCAL_SEEN_MAX:
            self._answered_locally.popitem(last=False)
        try:
            await self.sender.send(
                draft.chat_id,
                OutboundMessage(text=text),
                reply_to=draft.message_id if draft.in_group else None,
                thread_id=draft.thread_id,
            )
        except Forbidden:
            log.warning("telegram_blocked", conversation=draft.conversation_id)
        except (BadRequest, ChatMigrated) as error:
            log.error("telegram_send_refused", error=type(error).__name__)
        except BaseException:
            # Not sent: the webhook fails, and Telegram's redelivery must answer it.
            self._answered_locally.pop(draft.key, None)
            raise
