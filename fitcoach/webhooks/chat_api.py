"""POST /api/chat: the web chat's HTTP endpoint (the widget's fallback, handy for scripts).

Its router also carries the rest of the web chat (:mod:`fitcoach.webhooks.web_chat`): the
socket, history, photo upload and CORS preflight."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from fitcoach.channels.web.cors import WebRoute
from fitcoach.channels.web.identity import MAX_CLIENT_MESSAGE_ID
from fitcoach.channels.web.protocol import MAX_TEXT, browser_safe
from fitcoach.channels.web.tokens import SESSION_PATTERN
from fitcoach.webhooks import web_chat
from fitcoach.webhooks.deps import ServicesDep
from fitcoach.webhooks.web_chat import ChatResponse, client_ip, enforce_ip_limit, identify

__all__ = ["SESSION_PATTERN", "ChatRequest", "ChatResponse", "router"]

router = APIRouter(tags=["web chat"], route_class=WebRoute)


class ChatRequest(BaseModel):
    """One message from the web chat. Omit ``session_id`` to start a new anonymous session."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    session_id: str | None = None
    message_id: str | None = Field(default=None, max_length=MAX_CLIENT_MESSAGE_ID)


@router.post("/api/chat", response_model=ChatResponse)
async def chat(
    body: ChatRequest,
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> ChatResponse:
    """Send a message as the anonymous session, or as ``Authorization: Bearer <user token>``."""
    await enforce_ip_limit(services, client_ip(request))
    identity = identify(services, body.session_id, authorization)
    replies = await services.conversation.handle(identity.inbound(body.text, body.message_id))
    return ChatResponse(
        session_id=identity.session_id, replies=[browser_safe(reply) for reply in replies]
    )


router.include_router(web_chat.router)
