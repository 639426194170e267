"""Who is talking on the web chat: an anonymous session or a host-signed user."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Literal

from fitcoach.channels.base import Attachment, InboundMessage
from fitcoach.channels.web.settings import WebChatConfig
from fitcoach.channels.web.tokens import (
    TokenError,
    is_session_id,
    new_session_id,
    verify_user_token,
)

CHANNEL = "web"
MAX_CLIENT_MESSAGE_ID = 128


class IdentityError(Exception):
    """The request's credentials are unusable: ``status`` is 401 or 422."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True, slots=True)
class WebIdentity:
    """A verified web chat identity.

    Anonymous sessions use the session id as user and conversation; signed users are
    ``user:<uid>`` (no session id contains ``:``, so the two can never collide)."""

    kind: Literal["anonymous", "user"]
    session_id: str
    external_user_id: str
    expires_at: float | None = None

    @property
    def conversation_id(self) -> str:
        """One conversation per person on the web channel."""
        return self.external_user_id

    def expired(self, now: float | None = None) -> bool:
        """True once a signed user's token has expired."""
        moment = time.time() if now is None else now
        return self.expires_at is not None and self.expires_at <= moment

    def inbound(
        self, text: str, client_message_id: str | None, images: list[Attachment] | None = None
    ) -> InboundMessage:
        """The neutral message; client ids are namespaced so sessions never collide."""
        return InboundMessage(
            channel=CHANNEL,
            external_user_id=self.external_user_id,
            conversation_id=self.conversation_id,
            message_id=f"{self.conversation_id}:{client_message_id or uuid.uuid4().hex}",
            text=text.strip(),
            images=images or [],
            metadata={"web_identity": self.kind},
        )


def resolve_identity(
    config: WebChatConfig,
    session_id: str | None,
    user_token: str | None,
    *,
    now: float | None = None,
) -> WebIdentity:
    """A user token wins over the session; no session id means a new anonymous session."""
    if session_id is not None and not is_session_id(session_id):
        raise IdentityError(422, "session_id must be one the server issued")
    session = session_id or new_session_id()
    if not user_token:
        return WebIdentity("anonymous", session, session)
    if config.user_secret is None:
        raise IdentityError(401, "user tokens are not enabled on this server")
    try:
        claims = verify_user_token(config.user_secret, user_token, now)
    except TokenError as exc:
        raise IdentityError(401, str(exc)) from exc
    return WebIdentity("user", session, f"user:{claims.uid}", claims.exp)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
