"""The running Slack channel: bolt app, Web API client, image fetcher and background work."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
import structlog
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response

from fitcoach.access import AccessPolicy
from fitcoach.channels.base import Attachment, InboundMessage, OutboundMessage
from fitcoach.channels.slack.background import Background
from fitcoach.channels.slack.buttons import retire_buttons
from fitcoach.channels.slack.delivery import SlackDelivery
from fitcoach.channels.slack.events import CHANNEL, ParsedMessage, ReplyTarget, stored_target
from fitcoach.channels.slack.files import FileFetchError, ImageFetcher
from fitcoach.channels.slack.listeners import register_listeners
from fitcoach.channels.slack.teams import SlackTeams
from fitcoach.config import Settings
from fitcoach.storage.database import Database
from fitcoach.storage.outage import when_reachable

log = structlog.get_logger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
IMAGE_FAILURE_NOTE = (
    "I couldn't open the image you sent (Slack didn't let me download it). "
    "Please try sending it again in a moment."
)
STORE_OUTAGE_WAIT_S = 120.0
"""How long a message with images, acknowledged before it was stored, waits for the database."""
TAKE_FAILURE_REPLY = (
    "Sorry, something went wrong on my side and I couldn't process that. "
    "Please try again in a moment."
)

Deliver = Callable[[InboundMessage, list[OutboundMessage]], Awaitable[None]]


class ConversationPort(Protocol):
    """What the channel needs from the conversation service (its database and access policy
    also serve the team challenges)."""

    database: Database
    access: AccessPolicy

    async def submit(
        self, message: InboundMessage, deliver: Deliver, *, portable: bool = True
    ) -> bool: ...

    async def drain(self, timeout: float = 30.0) -> None: ...


class SlackChannel:
    """Slack traffic in (``handle``), replies out; user images fetched in the background."""

    def __init__(
        self,
        *,
        signing_secret: str,
        client: AsyncWebClient,
        conversation: ConversationPort,
        delivery: SlackDelivery,
        fetcher: ImageFetcher,
        teams: SlackTeams | None = None,
        background: Background | None = None,
    ) -> None:
        self.client = client
        self.conversation = conversation
        self.delivery = delivery
        self.fetcher = fetcher
        self.teams = teams
        self.background = background or Background()
        self.app = AsyncApp(
            name="fitcoach",
            signing_secret=signing_secret,
            client=client,
            process_before_response=True,
        )
        register_listeners(self.app, self, teams)
        self.handler = AsyncSlackRequestHandler(self.app)
        self.verifier = SignatureVerifier(signing_secret)
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetching: set[str] = set()

    async def handle(self, request: Request) -> Response:
        """Verify, check the body's shape, then dispatch one request from Slack.

        The signature is checked before bolt parses anything, so junk never reaches bolt's
        parsers; a signed body bolt cannot read is answered 400, never 500."""
        body = await request.body()
        try:
            signed = self.verifier.is_valid_request(body, dict(request.headers))
        except ValueError:  # a malformed timestamp header
            signed = False
        if not signed:
            return Response(status_code=401)
        if not _readable_body(body, request.headers.get("content-type", "")):
            return Response(status_code=400)
        try:
            return await self.handler.handle(request)
        except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
            log.warning("slack_request_unreadable")
            return Response(status_code=400)

    async def deliver_stored(self, message: InboundMessage, replies: list[OutboundMessage]) -> None:
        """Answer a message this replica did not accept (the queue ran it here, or recovery)."""
        target = stored_target(message)
        if target is None:
            log.warning("slack_reply_without_target", message_id=message.message_id)
            return
        await self.delivery.send(target, replies)

    async def take(self, parsed: ParsedMessage) -> bool:
        """Store the message and schedule its reply; False for a duplicate delivery.

        Messages with images are acknowledged first and stored once the images are
        downloaded (a download can outlast Slack's three seconds)."""
        if not parsed.files:
            return await self._submit(parsed.inbound, parsed.target)
        key = parsed.inbound.message_id
        if key in self._fetching:
            return False
        self._fetching.add(key)
        task = asyncio.create_task(self._fetch_and_submit(parsed))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def chose(self, body: dict[str, Any]) -> None:
        """A choice was taken: remove the pressed message's buttons (in the background)."""
        self.background.spawn(
            retire_buttons(self.client, self.delivery.session, body), "slack_buttons_retire"
        )

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait for image downloads, then for the replies and other work they started."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        await self.conversation.drain(timeout)
        await self.background.drain(timeout)

    async def _submit(
        self, inbound: InboundMessage, target: ReplyTarget, note: str | None = None
    ) -> bool:
        async def deliver(_: InboundMessage, replies: list[OutboundMessage]) -> None:
            await self.delivery.send(target, replies, note=note)

        # A slash command's private reply needs its response_url, which only this process
        # holds (never stored), and a note is not stored either: those stay here.
        portable = target.response_url is None and note is None
        accepted = await self.conversation.submit(inbound, deliver, portable=portable)
        if not accepted:
            log.info("slack_duplicate_dropped", message_id=inbound.message_id)
        return accepted

    async def _fetch_and_submit(self, parsed: ParsedMessage) -> None:
        try:
            images: list[Attachment] = []
            failures = 0
            for file in parsed.files:
                try:
                    images.append(await self.fetcher.fetch(file))
                except FileFetchError as exc:
                    failures += 1
                    log.warning("slack_image_download_failed", file_id=file.id, reason=str(exc))
            metadata = {**parsed.inbound.metadata, "image_failures": failures}
            inbound = parsed.inbound.model_copy(update={"images": images, "metadata": metadata})
            note = IMAGE_FAILURE_NOTE if failures else None
            # Acknowledged already: Slack will not send it again, so wait out an outage.
            await when_reachable(
                STORE_OUTAGE_WAIT_S, lambda: self._submit(inbound, parsed.target, note)
            )
        except Exception:
            log.exception("slack_message_not_accepted", message_id=parsed.inbound.message_id)
            try:
                await self.delivery.send(parsed.target, [OutboundMessage(text=TAKE_FAILURE_REPLY)])
            except Exception:
                log.exception("slack_failure_reply_failed")
        finally:
            self._fetching.discard(parsed.inbound.message_id)


def api_base_url(settings: Settings) -> str:
    """The Web API base URL (with the trailing slash slack_sdk expects)."""
    url = settings.slack_api_url or DEFAULT_API_URL
    return url if url.endswith("/") else f"{url}/"


@asynccontextmanager
async def open_slack_channel(
    settings: Settings, conversation: ConversationPort
) -> AsyncIterator[SlackChannel]:
    """Start the Slack channel (HTTP sessions, client, bolt app); drain and close on exit."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        raise ValueError("FITCOACH_SLACK_BOT_TOKEN and FITCOACH_SLACK_SIGNING_SECRET are required")
    token = settings.slack_bot_token.get_secret_value()
    base_url = api_base_url(settings)
    api_host = urlsplit(base_url).hostname
    async with (
        aiohttp.ClientSession() as session,
        httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), follow_redirects=True) as http,
    ):
        client = AsyncWebClient(
            token=token,
            base_url=base_url,
            session=session,
            timeout=15,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=2),
            ],
        )
        background = Background()
        channel = SlackChannel(
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            client=client,
            conversation=conversation,
            delivery=SlackDelivery(client, session),
            teams=SlackTeams(
                conversation.database, client, session, background, access=conversation.access
            ),
            background=background,
            fetcher=ImageFetcher(
                http,
                token,
                Path(settings.data_dir) / "files" / CHANNEL,
                extra_hosts=[api_host] if settings.slack_api_url and api_host else [],
            ),
        )
        log.info("slack_channel_ready", api_host=api_host)
        try:
            yield channel
        finally:
            await channel.drain()


def _readable_body(body: bytes, content_type: str) -> bool:
    """A JSON object, or a form (slash commands; interactivity's ``payload`` must be an object)."""
    try:
        if content_type.startswith("application/json"):
            return _event_envelope_ok(json.loads(body))
        form = parse_qs(body.decode("utf-8"), strict_parsing=False)
    except (ValueError, RecursionError):
        return False
    if "payload" in form:
        try:
            return _interaction_ok(json.loads(form["payload"][0]))
        except (ValueError, RecursionError):
            return False
    return True


_EVENT_TEXT_FIELDS = (
    "type",
    "subtype",
    "user",
    "text",
    "channel",
    "channel_type",
    "ts",
    "thread_ts",
    "bot_id",
)


def _event_envelope_ok(body: object) -> bool:
    """An Events API body whose event fields have the types Slack documents."""
    if not isinstance(body, dict):
        return False
    if body.get("type") != "event_callback":
        # bolt reads ``event`` of any body (e.g. to ignore its own events)
        return isinstance(body.get("type"), str) and isinstance(body.get("event", {}), dict)
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return False
    scalars = (body.get("team_id"), body.get("api_app_id"), body.get("event_id"))
    if any(v is not None and not isinstance(v, str) for v in scalars):
        return False
    return all(
        event.get(name) is None or isinstance(event.get(name), str) for name in _EVENT_TEXT_FIELDS
    )


def _interaction_ok(payload: object) -> bool:
    """An interactivity payload whose parts bolt reads have the documented shapes."""
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return False
    for part in ("user", "channel", "container", "team", "message"):
        if not isinstance(payload.get(part, {}), dict):
            return False
    if not isinstance(payload.get("user", {}).get("id", ""), str):
        return False
    actions = payload.get("actions", [])
    return isinstance(actions, list) and all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
    )
