"""OutboundMessage → Bot API calls: photos, plain-text chunks, an inline keyboard."""

from __future__ import annotations

from pathlib import Path

import structlog
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters

from fitcoach.channels.base import Attachment, OutboundMessage
from fitcoach.channels.telegram.text import split_text

log = structlog.get_logger(__name__)

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
CHOOSE_TEXT = "Please choose:"


def keyboard_for(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    """One button per row with the value as callback data; None when a value does not fit
    Telegram's 64-byte callback data (the options are then written into the text)."""
    if not message.buttons or not fits_keyboard(message):
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.value)] for b in message.buttons]
    )


def fits_keyboard(message: OutboundMessage) -> bool:
    """True when every button can be an inline keyboard button."""
    return len(message.buttons) <= MAX_BUTTONS and all(
        0 < len(b.value.encode()) <= MAX_CALLBACK_DATA_BYTES for b in message.buttons
    )


def text_for(message: OutboundMessage) -> str:
    """The text to send: the reply, with the options listed when they cannot be buttons."""
    text = message.text.strip()
    if message.buttons and not fits_keyboard(message):
        options = "\n".join(b.label for b in message.buttons)
        text = f"{text}\n\n{options}" if text else options
    if not text and message.buttons:
        text = CHOOSE_TEXT
    return text


class TelegramSender:
    """Sends neutral replies to a chat (used for answers and proactive messages alike)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self,
        chat_id: int,
        message: OutboundMessage,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> list[Message]:
        """Images (sendPhoto) and files (sendDocument) first, then the text split at 4096
        units; the keyboard rides on the last chunk. ``reply_to`` quotes the person's message
        (used in groups)."""
        sent: list[Message] = []
        quote = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        for image in message.images:
            photo = await self._send_photo(chat_id, image, quote, thread_id)
            if photo is not None:
                sent.append(photo)
                quote = None
        for document in message.files:
            sent_document = await self._send_document(chat_id, document, quote, thread_id)
            if sent_document is not None:
                sent.append(sent_document)
                quote = None
        chunks = split_text(text_for(message))
        keyboard = keyboard_for(message)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    chunk,
                    reply_parameters=quote,
                    reply_markup=keyboard if last else None,
                    message_thread_id=thread_id,
                )
            )
            quote = None
        return sent

    async def _send_photo(
        self,
        chat_id: int,
        image: Attachment,
        quote: ReplyParameters | None,
        thread_id: int | None,
    ) -> Message | None:
        # No caption: the text follows as its own message(s), which may be longer than 1024.
        if image.ref.startswith(("http://", "https://")):
            return await self.bot.send_photo(
                chat_id, image.ref, reply_parameters=quote, message_thread_id=thread_id
            )
        path = Path(image.ref)
        if not path.is_file():
            log.warning("telegram_image_missing", name=path.name)
            return None
        return await self.bot.send_photo(
            chat_id,
            path.read_bytes(),
            filename=path.name,
            reply_parameters=quote,
            message_thread_id=thread_id,
        )

    async def _send_document(
        self,
        chat_id: int,
        document: Attachment,
        quote: ReplyParameters | None,
        thread_id: int | None,
    ) -> Message | None:
        path = Path(document.ref)
        if not path.is_file():
            log.warning("telegram_document_missing", name=path.name)
            return None
        return await self.bot.send_document(
            chat_id,
            path.read_bytes(),
            filename=path.name,
            reply_parameters=quote,
            message_thread_id=thread_id,
        )
