"""Replies → Slack Web API calls: chat.postMessage in thread, response_url, files_upload_v2."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from fitcoach.channels.base import Attachment, OutboundMessage
from fitcoach.channels.slack.events import ReplyTarget
from fitcoach.channels.slack.render import SlackPayload, escape, fallback_text, is_remote, render

log = structlog.get_logger(__name__)

# Errors after which the same message is worth sending again as plain text.
BLOCK_ERRORS = frozenset({"invalid_blocks", "invalid_blocks_format", "invalid_attachments"})
NO_CHART_HERE = "(I made a chart for this; message me directly to see it.)"


class DeliveryError(Exception):
    """Slack did not take the reply."""


class SlackDelivery:
    """Sends replies where the person will see them."""

    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession) -> None:
        self.client = client
        self._session = session

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session for ``response_url`` posts."""
        return self._session

    async def send(
        self, target: ReplyTarget, replies: list[OutboundMessage], note: str | None = None
    ) -> None:
        """Send each reply (``note`` goes before the first one); raise if Slack refuses."""
        for index, reply in enumerate(replies):
            first_note = note if index == 0 else None
            if target.response_url:
                await self._respond(target, reply, first_note)
            else:
                await self._post(target, reply, first_note)
                await self._upload_images(target, reply.images)

    async def _post(self, target: ReplyTarget, reply: OutboundMessage, note: str | None) -> None:
        payload = render(reply, note)
        try:
            await self._post_payload(target, payload)
        except SlackApiError as exc:
            if payload.blocks is None or _error_code(exc) not in BLOCK_ERRORS:
                raise
            log.warning("slack_blocks_rejected", error=_error_code(exc))
            await self._post_payload(target, SlackPayload(text=payload.text))

    async def _post_payload(self, target: ReplyTarget, payload: SlackPayload) -> None:
        await self.client.chat_postMessage(
            channel=target.channel,
            thread_ts=target.thread_ts,
            text=payload.text,
            blocks=payload.blocks,
            unfurl_links=False,
        )

    async def _respond(self, target: ReplyTarget, reply: OutboundMessage, note: str | None) -> None:
        assert target.response_url is not None
        local_images = [i for i in reply.images if not is_remote(i.ref)]
        if local_images:
            # An ephemeral reply cannot carry an uploaded file.
            note = "\n\n".join(p for p in (note, NO_CHART_HERE) if p)
        payload = render(reply, note)
        webhook = AsyncWebhookClient(url=target.response_url, session=self._session, timeout=10)
        response = await webhook.send(
            text=payload.text,
            blocks=payload.blocks,
            response_type="ephemeral" if target.ephemeral else "in_channel",
            replace_original=False,
        )
        if response.status_code != 200 and payload.blocks is not None:
            response = await webhook.send(
                text=escape(fallback_text(reply, note)),
                response_type="ephemeral" if target.ephemeral else "in_channel",
                replace_original=False,
            )
        if response.status_code != 200:
            raise DeliveryError(f"response_url answered HTTP {response.status_code}")

    async def _upload_images(self, target: ReplyTarget, images: list[Attachment]) -> None:
        for image in images:
            if is_remote(image.ref):
                continue  # shown as an image block in the message itself
            path = Path(image.ref)
            if not path.is_file():
                log.warning("slack_image_missing", ref=image.ref)
                continue
            await self.client.files_upload_v2(
                channel=target.channel,
                thread_ts=target.thread_ts,
                file=str(path),
                filename=path.name,
                title=path.stem.replace("_", " "),
            )


def _error_code(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error", ""))
    except Exception:
        return ""
