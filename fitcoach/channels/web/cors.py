"""Origin checks and CORS for the web chat routes (HTTP and the WebSocket handshake).

A request without ``Origin`` (curl, server-side scripts) is allowed: CORS protects browsers.
A browser request is allowed from the server's own origin or one in
``FITCOACH_WEB_ALLOWED_ORIGINS`` (``*`` allows any); others get 403. Allowed cross-origin
responses, errors included, carry ``Access-Control-Allow-Origin``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response
from fastapi.exception_handlers import (
    http_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers

from fitcoach.channels.web.settings import normalise_origin, web_config

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, X-Fitcoach-Session"
PREFLIGHT_MAX_AGE = "600"


def origin_allowed(headers: Headers, allowed: frozenset[str]) -> bool:
    """Whether a request with these headers may use the web chat."""
    origin = headers.get("origin")
    if origin is None:
        return True
    origin = normalise_origin(origin)
    if "*" in allowed or origin in allowed:
        return True
    host = (headers.get("host") or "").lower()
    return bool(host) and urlsplit(origin).netloc == host


def cors_headers(origin: str) -> dict[str, str]:
    """Headers that let the browser read a response from this allowed origin."""
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_response() -> Response:
    """Answer a CORS preflight (the route's origin check already ran and adds the origin)."""
    headers = {
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }
    return Response(status_code=204, headers=headers)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class WebRoute(APIRoute):
    """An API route that enforces the origin allowlist and adds CORS headers to any reply."""

    def get_route_handler(self) -> Handler:
        """Wrap FastAPI's handler with the origin check."""
        handle = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            origin = request.headers.get("origin")
            if origin is not None:
                allowed = web_config(request.app.state.services.settings).allowed_origins
                if not origin_allowed(request.headers, allowed):
                    return JSONResponse({"detail": "origin not allowed"}, status_code=403)
            try:
                response = await handle(request)
            except HTTPException as exc:
                response = await http_exception_handler(request, exc)
            except RequestValidationError as exc:
                # Never echo the input back: it may hold values JSON cannot carry (inf, lone
                # surrogates) and it is the sender's data anyway.
                problems = [
                    {
                        "loc": list(e.get("loc", ())),
                        "msg": str(e.get("msg", "")),
                        "type": str(e.get("type", "")),
                    }
                    for e in exc.errors()
                ]
                response = JSONResponse({"detail": problems}, status_code=422)
            if origin is not None:
                response.headers.update(cors_headers(origin))
            return response

        return guarded
