"""Web chat routes: ``WS /ws/chat`` (streamed replies), history, photo upload, preflight.

Mounted through :mod:`fitcoach.webhooks.chat_api`'s router, so ``create_app`` needs no change.
The protocol is documented in docs/channels/web.md and :mod:`fitcoach.channels.web.protocol`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, HTTPException, Path, Query, Request, Response, WebSocket
from fastapi.websockets import WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from fitcoach.bootstrap import Services
from fitcoach.channels.base import Attachment, OutboundMessage
from fitcoach.channels.web import protocol
from fitcoach.channels.web.cors import WebRoute, origin_allowed, preflight_response
from fitcoach.channels.web.history import (
    HistoryItem,
    OwnedImage,
    find_image,
    image_path,
    load_history,
)
from fitcoach.channels.web.identity import (
    MAX_CLIENT_MESSAGE_ID,
    IdentityError,
    WebIdentity,
    bearer_token,
    resolve_identity,
)
from fitcoach.channels.web.photos import (
    PhotoError,
    PhotoUpload,
    decode_photo,
    sniff_image,
    store_photo,
)
from fitcoach.channels.web.protocol import browser_safe
from fitcoach.channels.web.settings import WebChatConfig, web_config
from fitcoach.storage.outage import database_unavailable
from fitcoach.webhooks.deps import ServicesDep
from fitcoach.webhooks.outage import RETRY_AFTER_S, UNAVAILABLE_MESSAGE

log = structlog.get_logger(__name__)
router = APIRouter(tags=["web chat"], route_class=WebRoute)

STREAM_DELAY_S = 0.025
"""Pause between ``delta`` frames, so whole replies read as a stream."""
HELLO_TIMEOUT_S = 10.0
MEDIA_RATE_FACTOR = 10
"""History images get ten times the per-IP limit: one reload fetches every image it shows."""
MAX_MEDIA_BYTES = 10 * 1024 * 1024
MEDIA_HEADERS = {
    "Cache-Control": "private, max-age=86400",
    "Vary": "Authorization, X-Fitcoach-Session",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Content-Disposition": "inline",
}
WS_POLICY_VIOLATION = 1008


class ChatResponse(BaseModel):
    """The replies, and the session to send with the next message."""

    session_id: str
    replies: list[OutboundMessage]


class PhotoRequest(BaseModel):
    """A photo (base64) with an optional caption, as one chat message."""

    image: PhotoUpload
    text: str = Field(default="", max_length=protocol.MAX_TEXT)
    session_id: str | None = None
    message_id: str | None = Field(default=None, max_length=MAX_CLIENT_MESSAGE_ID)


class HistoryResponse(BaseModel):
    """The session's recent messages, oldest first."""

    session_id: str
    identity: str
    messages: list[HistoryItem]


def identify(services: Services, session_id: str | None, authorization: str | None) -> WebIdentity:
    """The caller's identity, or an HTTP error (401 bad token, 422 bad session id)."""
    try:
        return resolve_identity(
            web_config(services.settings), session_id, bearer_token(authorization)
        )
    except IdentityError as exc:
        raise HTTPException(status_code=exc.status, detail=exc.detail) from exc


async def enforce_ip_limit(
    services: Services, client_ip: str, kind: str = "ip", factor: int = 1
) -> None:
    """429 once this address exceeds ``factor`` times the per-minute limit."""
    limit = services.settings.rate_limit_ip_per_min * factor
    if not await services.coordinator.allow(f"{kind}:{client_ip}", limit, 60):
        raise HTTPException(status_code=429, detail="too many requests, slow down")


def client_ip(request: Request) -> str:
    """The peer address (the proxy's, behind one)."""
    return request.client.host if request.client else "unknown"


@router.options("/api/chat", include_in_schema=False)
@router.options("/api/chat/{tail:path}", include_in_schema=False)
async def preflight() -> Response:
    """CORS preflight for the web chat endpoints."""
    return preflight_response()


@router.get("/api/chat/history", response_model=HistoryResponse)
async def history(
    request: Request,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    x_fitcoach_session: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> HistoryResponse:
    """Recent messages of the caller's own session (``X-Fitcoach-Session``) or user token,
    with their images (as media URLs), quick replies and whether an answer is pending."""
    if not x_fitcoach_session and not authorization:
        raise HTTPException(422, "send the X-Fitcoach-Session header or a user token")
    await enforce_ip_limit(services, client_ip(request), "ip-read")
    identity = identify(services, x_fitcoach_session, authorization)
    items = await load_history(services.database, identity, limit)
    return HistoryResponse(session_id=identity.session_id, identity=identity.kind, messages=items)


@router.get("/api/chat/media/{item_id}/{index}", response_class=Response)
async def history_image(
    request: Request,
    services: ServicesDep,
    item_id: Annotated[str, Path(max_length=48)],
    index: Annotated[int, Path(ge=0, le=99)],
    x_fitcoach_session: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """An image of one of the caller's own history messages (their photo, a coach's chart).

    The same credentials as the history; anything not the caller's is 404, like a missing file."""
    if not x_fitcoach_session and not authorization:
        raise HTTPException(422, "send the X-Fitcoach-Session header or a user token")
    await enforce_ip_limit(services, client_ip(request), "ip-media", MEDIA_RATE_FACTOR)
    identity = identify(services, x_fitcoach_session, authorization)
    image = await find_image(services.database, identity, item_id, index)
    found = None if image is None else await asyncio.to_thread(read_image, services, image)
    if found is None:
        raise HTTPException(404, "no such image")
    data, mime_type = found
    return Response(content=data, media_type=mime_type, headers=MEDIA_HEADERS)


def read_image(services: Services, image: OwnedImage) -> tuple[bytes, str] | None:
    """The bytes and sniffed type of a history image kept where such images live: uploaded
    photos under ``files/web``, the coach's images under the owner's media folder."""
    config = web_config(services.settings)
    if image.role == "user":
        roots = [config.files_dir]
    elif image.user_id is not None:
        roots = [config.media_dir / str(image.user_id)]
    else:
        return None
    path = image_path(image, roots)
    if path is None or path.stat().st_size > MAX_MEDIA_BYTES:
        return None
    data = path.read_bytes()
    mime_type = sniff_image(data)
    return None if mime_type is None else (data, mime_type)


@router.post("/api/chat/photo", response_model=ChatResponse)
async def photo(
    body: PhotoRequest,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ChatResponse:
    """Send a photo (JSON, base64 ``image.data``) as a chat message; the HTTP fallback."""
    await enforce_ip_limit(services, client_ip(request))
    identity = identify(services, body.session_id, authorization)
    config = web_config(services.settings)
    message = identity.inbound(body.text, body.message_id)
    try:
        attachment = await save_photo(config, body.image, message.message_id)
    except PhotoError as exc:
        raise HTTPException(status_code=exc.status, detail=exc.detail) from exc
    message = message.model_copy(update={"images": [attachment]})
    replies = await services.conversation.handle(message)
    return ChatResponse(
        session_id=identity.session_id, replies=[browser_safe(reply) for reply in replies]
    )


async def save_photo(config: WebChatConfig, upload: PhotoUpload, message_id: str) -> Attachment:
    """Check and store the photo of message ``message_id`` under ``data_dir/files/web``."""
    data, mime_type = decode_photo(upload, config.max_photo_bytes)
    return await asyncio.to_thread(store_photo, config.files_dir, data, mime_type, message_id)


@router.websocket("/ws/chat")
async def chat_socket(websocket: WebSocket) -> None:
    """The widget's socket: ``hello`` → ``ready``, then messages with streamed replies."""
    services: Services = websocket.app.state.services
    config = web_config(services.settings)
    if not origin_allowed(websocket.headers, config.allowed_origins):
        await websocket.close(code=WS_POLICY_VIOLATION)  # before accept: HTTP 403
        return
    await websocket.accept()
    try:
        identity = await greet(websocket, config)
        while identity is not None:
            frame = await receive_frame(websocket, frame_cap(config))
            if frame is not None:
                identity = await on_frame(websocket, services, config, identity, frame)
    except WebSocketDisconnect:
        return


async def greet(websocket: WebSocket, config: WebChatConfig) -> WebIdentity | None:
    """Wait for ``hello`` and answer ``ready``; None after closing the socket."""
    try:
        frame = await asyncio.wait_for(receive_frame(websocket, 8192), HELLO_TIMEOUT_S)
        hello = protocol.Hello.model_validate(frame)
        identity = resolve_identity(config, hello.session_id, hello.user_token)
    except (TimeoutError, ValidationError):
        await close_with(websocket, protocol.CLOSE_BAD_REQUEST, "bad_request", "send hello first")
        return None
    except IdentityError as exc:
        if exc.status == 401:
            await close_with(websocket, protocol.CLOSE_UNAUTHORIZED, "unauthorized", exc.detail)
        else:
            await close_with(websocket, protocol.CLOSE_BAD_REQUEST, "bad_request", exc.detail)
        return None
    await websocket.send_json(
        protocol.ready(identity.session_id, identity.kind, config.max_photo_bytes)
    )
    return identity


def frame_cap(config: WebChatConfig) -> int:
    """The largest text frame accepted: a capped photo in base64 plus a message."""
    return config.max_photo_bytes * 4 // 3 + protocol.MAX_TEXT * 4 + 4096


async def receive_frame(websocket: WebSocket, cap: int) -> dict[str, Any] | None:
    """The next JSON object from the client; errors are reported and give None."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        await websocket.send_json(protocol.error("bad_request", "send JSON text frames"))
        return None
    if len(text) > cap:
        await websocket.send_json(protocol.error("too_large", f"frames are limited to {cap} bytes"))
        return None
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        await websocket.send_json(protocol.error("bad_request", "frames are JSON objects"))
        return None
    return frame


async def on_frame(
    websocket: WebSocket,
    services: Services,
    config: WebChatConfig,
    identity: WebIdentity,
    frame: dict[str, Any],
) -> WebIdentity | None:
    """Handle one client frame; None once the socket was closed."""
    kind = frame.get("type")
    if kind == "ping":
        await websocket.send_json({"type": "pong"})
        return identity
    if kind != "message":
        await websocket.send_json(protocol.error("bad_request", f"unexpected frame type {kind!r}"))
        return identity
    if identity.expired():
        await close_with(
            websocket, protocol.CLOSE_UNAUTHORIZED, "unauthorized", "user token expired"
        )
        return None
    try:
        message = protocol.ChatMessage.model_validate(frame)
    except ValidationError as exc:
        reason = "; ".join(str(e["msg"]) for e in exc.errors()[:3])
        await websocket.send_json(protocol.error("bad_request", reason))
        return identity
    await answer(websocket, services, config, identity, message)
    return identity


async def answer(
    websocket: WebSocket,
    services: Services,
    config: WebChatConfig,
    identity: WebIdentity,
    message: protocol.ChatMessage,
) -> None:
    """Acknowledge a message, run it through the conversation, stream the replies."""
    ref = message.id or uuid.uuid4().hex
    if not message.text.strip() and message.image is None:
        await websocket.send_json(protocol.error("bad_request", "send text or a photo", ref))
        return
    host = websocket.client.host if websocket.client else "unknown"
    limit = services.settings.rate_limit_ip_per_min
    if not await services.coordinator.allow(f"ip:{host}", limit, 60):
        await websocket.send_json(protocol.error("rate_limited", "too many messages", ref))
        return
    inbound = identity.inbound(message.text, ref)
    if message.image is not None:
        try:
            photo = await save_photo(config, message.image, inbound.message_id)
        except PhotoError as exc:
            code = "photo_too_large" if exc.status == 413 else "photo_unsupported"
            await websocket.send_json(protocol.error(code, exc.detail, ref))
            return
        inbound = inbound.model_copy(update={"images": [photo]})

    async def acknowledge() -> None:  # once the message is stored, as the protocol says
        # A client gone meanwhile still gets its answer (from the history): run the turn.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await websocket.send_json({"type": "ack", "id": ref})

    try:
        replies = await services.conversation.handle(inbound, on_stored=acknowledge)
    except Exception as error:
        if database_unavailable(error):
            # Nothing was stored: the widget sends the same message (same id) again.
            log.warning("web_socket_turn_deferred", reason="database_unavailable")
            frame = protocol.error(
                "unavailable", UNAVAILABLE_MESSAGE, ref, retry_after_s=RETRY_AFTER_S
            )
            await websocket.send_json(frame)
            return
        log.exception("web_socket_turn_failed")
        await websocket.send_json(protocol.error("server_error", "please try again", ref))
        return
    for reply in replies:
        await stream_reply(websocket, reply, ref)


async def stream_reply(websocket: WebSocket, reply: OutboundMessage, in_reply_to: str) -> None:
    """Send one reply as ``start``, paced ``delta`` frames and ``end``."""
    for frame in protocol.reply_frames(reply, in_reply_to):
        await websocket.send_json(frame)
        if frame["type"] == "delta" and STREAM_DELAY_S:
            await asyncio.sleep(STREAM_DELAY_S)


async def close_with(websocket: WebSocket, code: int, error: str, detail: str) -> None:
    """Tell the client why, then close with ``code``."""
    await websocket.send_json(protocol.error(error, detail))
    await websocket.close(code=code)
