"""Building the python-telegram-bot Application (no updater: fitcoach feeds it Updates)."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from fitcoach.channels.telegram.flood import FloodControl, SharedWindow
from fitcoach.channels.telegram.request import TELEGRAM_API, AiohttpRequest
from fitcoach.config import Settings

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]

ALLOWED_UPDATES = ("message", "callback_query")
"""What fitcoach asks Telegram for (edits and channel posts are ignored anyway)."""

# These log full request URLs, and Bot API URLs contain the bot token: keep them quiet. (aiohttp
# logs no request URLs; AiohttpRequest keeps the token out of its error messages.)
_URL_LOGGERS = ("httpx", "httpcore", "telegram")


def api_urls(api_url: str) -> tuple[str, str]:
    """``base_url`` and ``base_file_url`` for PTB from the API root (``https://host[:port]``).

    PTB appends the token to each: requests go to ``{root}/bot{token}/{method}``, downloads to
    ``{root}/file/bot{token}/{file_path}``."""
    root = api_url.rstrip("/")
    root = root.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def bot_token(settings: Settings) -> str:
    """The configured bot token; a clear error when it is missing."""
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        raise RuntimeError("FITCOACH_TELEGRAM_BOT_TOKEN is not set")
    return settings.telegram_bot_token.get_secret_value()


def quiet_url_loggers() -> None:
    """Raise the URL-logging libraries to WARNING at least (their DEBUG/INFO lines carry the
    token)."""
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def flood_control(settings: Settings) -> FloodControl:
    """Telegram's per-bot message budget: in this process, or shared by every replica."""
    rate = max(1, int(settings.telegram_sends_per_s))
    shared = None
    if settings.redis_url:
        bot_id = bot_token(settings).split(":", 1)[0]  # the public bot id, never the secret
        shared = SharedWindow(settings.redis_url, rate, f"fitcoach:telegram:sends:{bot_id}")
    return FloodControl(overall_rate=rate, shared=shared)


def build_application(settings: Settings) -> TelegramApplication:
    """An Application with our flood control, no updater and no job queue; call
    ``initialize()`` (getMe) before use and ``shutdown()`` after."""
    quiet_url_loggers()
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        Application.builder()
        .token(bot_token(settings))
        .updater(None)
        .job_queue(None)
        .rate_limiter(flood_control(settings))
    )
    if settings.telegram_api_url:
        base_url, base_file_url = api_urls(settings.telegram_api_url)
        builder = builder.base_url(base_url).base_file_url(base_file_url)
    if settings.telegram_http_client == "aiohttp":
        # PTB's defaults otherwise: 256 connections for calls, 1 for getUpdates (polling).
        api_url = settings.telegram_api_url or TELEGRAM_API
        builder = builder.request(
            AiohttpRequest(connection_pool_size=256, api_url=api_url)
        ).get_updates_request(AiohttpRequest(connection_pool_size=1, api_url=api_url))
    return builder.build()
