"""Proactive messages (scheduler): the ``Deliverer`` protocol of ``fitcoach.scheduler``."""

from __future__ import annotations

import structlog
from telegram.error import Forbidden, TelegramError

from fitcoach.channels.base import OutboundMessage
from fitcoach.channels.telegram.channel import CHANNEL
from fitcoach.channels.telegram.outbound import TelegramSender
from fitcoach.scheduler.delivery import DeliveryResult

log = structlog.get_logger(__name__)


def chat_of(conversation_id: str) -> int:
    """The chat id of a Telegram conversation (``<chat>`` or, in groups, ``<chat>:<user>``)."""
    return int(conversation_id.split(":", 1)[0])


class TelegramDeliverer:
    """Sends scheduler messages to the person's Telegram chat; never raises for API errors."""

    def __init__(self, sender: TelegramSender) -> None:
        self.sender = sender

    async def deliver(
        self, user_id: int, channel: str, conversation_id: str, message: OutboundMessage
    ) -> DeliveryResult:
        """``sent``, ``blocked`` (403: the person blocked the bot) or ``failed``."""
        if channel != CHANNEL:
            return DeliveryResult.failed(f"not a telegram conversation: {channel}")
        try:
            await self.sender.send(chat_of(conversation_id), message)
        except Forbidden as error:
            return DeliveryResult.blocked(error.message)
        except (TelegramError, ValueError) as error:
            log.warning("telegram_proactive_failed", error=type(error).__name__)
            return DeliveryResult.failed(type(error).__name__)
        return DeliveryResult.sent()
