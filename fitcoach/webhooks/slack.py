"""POST /webhooks/slack: Events API, slash commands and interactivity, through slack-bolt.

Requests are verified by bolt (signature + timestamp, stale ones rejected with 401); each
person's message is stored and acknowledged at once and answered in the background by
``services.conversation.submit``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response

from fitcoach.bootstrap import Services
from fitcoach.channels.slack import SlackChannel, open_slack_channel
from fitcoach.channels.slack.proactive import CHANNEL, SlackDeliverer
from fitcoach.config import Settings
from fitcoach.webhooks.plugins import ChannelPlugin

router = APIRouter(tags=["slack"])


@router.post("/webhooks/slack", include_in_schema=False)
async def slack_webhook(request: Request) -> Response:
    """Hand the request to the bolt app (url_verification, events, commands, actions)."""
    channel: SlackChannel | None = getattr(request.app.state, "slack", None)
    if channel is None:
        raise HTTPException(status_code=503, detail="Slack channel is not running")
    return await channel.handle(request)


def enabled(settings: Settings) -> bool:
    """On when both the bot token and the signing secret are set."""
    return bool(
        settings.slack_bot_token
        and settings.slack_bot_token.get_secret_value()
        and settings.slack_signing_secret
        and settings.slack_signing_secret.get_secret_value()
    )


@asynccontextmanager
async def lifespan(app: FastAPI, services: Services) -> AsyncIterator[None]:
    """Start the Slack client and bolt app; keep the channel on ``app.state.slack``."""
    async with open_slack_channel(services.settings, services.conversation) as channel:
        app.state.slack = channel
        services.proactive[CHANNEL] = SlackDeliverer(channel.delivery)
        # Messages accepted by another replica (or recovered) are answered from their metadata.
        services.conversation.register_deliverer(CHANNEL, channel.deliver_stored)
        try:
            yield
        finally:
            services.proactive.pop(CHANNEL, None)
            app.state.slack = None


plugin = ChannelPlugin(name="slack", router=router, enabled=enabled, lifespan=lifespan)
