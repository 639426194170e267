"""POST /webhooks/telegram: verify the secret header, parse the Update, hand it to the channel.

The Update is accepted (stored in the inbox) before the 200; the agent answers afterwards."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from json import JSONDecodeError
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from telegram import Update

from fitcoach.bootstrap import Services
from fitcoach.channels.telegram import CHANNEL, TelegramChannel, build_application
from fitcoach.channels.telegram.proactive import TelegramDeliverer
from fitcoach.config import Settings
from fitcoach.webhooks.deps import ServicesDep
from fitcoach.webhooks.plugins import ChannelPlugin

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

router = APIRouter(tags=["telegram"])


def secret_matches(settings: Settings, presented: str | None) -> bool:
    """Constant-time check of the secret header; never true when no secret is configured."""
    secret = settings.telegram_webhook_secret
    if secret is None or not secret.get_secret_value() or presented is None:
        return False
    return hmac.compare_digest(presented.encode(), secret.get_secret_value().encode())


@router.post("/webhooks/telegram", include_in_schema=False)
async def telegram_webhook(request: Request, services: ServicesDep) -> Response:
    """Receive one Update from Telegram."""
    if not secret_matches(services.settings, request.headers.get(SECRET_HEADER)):
        log.warning("telegram_webhook_rejected")
        raise HTTPException(status_code=403, detail="forbidden")
    try:
        data: Any = await request.json()
    except (JSONDecodeError, UnicodeDecodeError, RecursionError, ValueError) as error:
        raise HTTPException(status_code=400, detail="body must be JSON") from error
    if not isinstance(data, dict):
        raise HTTPException(status_code=400, detail="body must be a JSON object")
    channel: TelegramChannel = request.app.state.telegram
    try:
        update = Update.de_json(data, channel.bot)
    except Exception:
        # Answering an error would make Telegram redeliver it forever.
        log.warning("telegram_update_unreadable", update_id=data.get("update_id"))
        return Response(status_code=200)
    # Errors here (e.g. the database is down) give a 500: Telegram delivers the update again.
    await channel.handle_update(update)
    return Response(status_code=200)


def enabled(settings: Settings) -> bool:
    """Telegram runs when a bot token is configured."""
    token = settings.telegram_bot_token
    return token is not None and bool(token.get_secret_value())


@asynccontextmanager
async def lifespan(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """Start the bot (getMe) and the channel; flush albums and stop the bot on exit."""
    settings = services.settings
    if not settings.telegram_webhook_secret:
        log.warning("telegram_webhook_secret_missing")  # every webhook call will get 403
    application = build_application(settings)
    await application.initialize()
    channel = TelegramChannel(
        application.bot,
        services.conversation,
        settings.data_dir / "files" / "telegram",
        typing_after_s=settings.telegram_typing_after_s,
    )
    app.state.telegram = channel
    # Messages recovered from the inbox after a crash are answered through the same channel.
    services.conversation.register_deliverer(
        CHANNEL, channel.deliver, on_start=channel.turn_started
    )
    services.proactive[CHANNEL] = TelegramDeliverer(channel.sender)
    log.info("telegram_ready", bot=channel.me.username)
    try:
        yield
    finally:
        services.proactive.pop(CHANNEL, None)
        await channel.close()
        await services.conversation.drain()  # albums flushed just now are answered too
        await application.shutdown()


plugin = ChannelPlugin(name="telegram", router=router, enabled=enabled, lifespan=lifespan)
