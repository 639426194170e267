"""The Telegram channel: Bot API updates ↔ neutral messages (python-telegram-bot)."""

from fitcoach.channels.telegram.channel import CHANNEL, TelegramChannel
from fitcoach.channels.telegram.client import ALLOWED_UPDATES, api_urls, build_application
from fitcoach.channels.telegram.polling import poll_updates
from fitcoach.channels.telegram.proactive import TelegramDeliverer

__all__ = [
    "ALLOWED_UPDATES",
    "CHANNEL",
    "TelegramChannel",
    "TelegramDeliverer",
    "api_urls",
    "build_application",
    "poll_updates",
]
