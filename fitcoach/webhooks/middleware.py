"""HTTP middleware: correlation ids, request log lines, latency metrics, body size limit."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fitcoach.metrics import HTTP_LATENCY

REQUEST_ID_HEADER = b"x-request-id"

log = structlog.get_logger(__name__)


class RequestContextMiddleware:
    """Binds a correlation id to every log line of a request, times it and logs it.

    The one line per request (``http_request``) names the route template, not the path as
    sent, and no client address: uvicorn's own access log (turned off by ``fitcoach serve``)
    printed the client's IP address, which is personal data for web chat visitors."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER, b"").decode()
        request_id = incoming[:64] if incoming.isalnum() or _is_uuid(incoming) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            seconds = time.perf_counter() - started
            HTTP_LATENCY.labels(scope["method"], path, str(status)).observe(seconds)
            log.info(
                "http_request",
                method=scope["method"],
                route=path,
                status=status,
                ms=round(1000 * seconds, 1),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class BodySizeLimitMiddleware:
    """Rejects request bodies over ``max_bytes`` with 413, also when they are chunked."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send)
            return
        # Read the whole body first (bounded), so an oversized chunked upload never reaches
        # the app's parsers, then replay it.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], final: Message | None, upstream: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through (disconnect events)."""
    body = b"".join(chunks)
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if final is not None and not sent:
            sent = True
            return final
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()

    return receive


async def _too_large(send: Send) -> None:
    body = b'{"detail":"request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
