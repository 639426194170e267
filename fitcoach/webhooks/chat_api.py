"""POST /api/chat: the web chat's HTTP endpoint (also handy for scripts)."""

from __future__ import annotations

import re
import secrets
import uuid

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.webhooks.deps import ServicesDep

router = APIRouter(tags=["web chat"])

SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
MAX_TEXT = 4000


class ChatRequest(BaseModel):
    """One message from the web chat. Omit ``session_id`` to start a new anonymous session."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    session_id: str | None = None
    message_id: str | None = Field(default=None, max_length=128)


class ChatResponse(BaseModel):
    """The replies, and the session to send with the next message."""

    session_id: str
    replies: list[OutboundMessage]


@router.post("/api/chat", response_model=ChatResponse)
async def chat(body: ChatRequest, request: Request, services: ServicesDep) -> ChatResponse:
    """Send a message as the (anonymous, server-issued) web session and get the replies."""
    client_ip = request.client.host if request.client else "unknown"
    limit = services.settings.rate_limit_ip_per_min
    if not await services.coordinator.allow(f"ip:{client_ip}", limit, 60):
        raise HTTPException(status_code=429, detail="too many requests, slow down")
    session_id = body.session_id or secrets.token_urlsafe(24)
    if not SESSION_PATTERN.match(session_id):
        raise HTTPException(status_code=422, detail="session_id must be one the server issued")
    message = InboundMessage(
        channel="web",
        external_user_id=session_id,
        conversation_id=session_id,
        # Client-chosen ids are namespaced by session: one session can never hit another's.
        message_id=f"{session_id}:{body.message_id or uuid.uuid4().hex}",
        text=body.text.strip(),
    )
    replies = await services.conversation.handle(message)
    return ChatResponse(session_id=session_id, replies=replies)
