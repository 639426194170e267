"""Web chat credentials: server-issued anonymous session ids and host-signed user tokens.

A user token is ``base64url(payload) + "." + base64url(HMAC-SHA256(secret, first segment))``
where the payload is the JSON object ``{"uid": "<host user id>", "exp": <unix seconds>}`` and
base64url is unpadded (padding is tolerated). The host website mints it on its server with
the shared secret ``FITCOACH_WEB_USER_SECRET``; fitcoach only verifies it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}$")
MAX_TOKEN_CHARS = 1024
MAX_UID_CHARS = 64


class TokenError(ValueError):
    """A user token that is malformed, forged or expired (the reason is safe to show)."""


@dataclass(frozen=True, slots=True)
class UserClaims:
    """What a valid user token says: the host's user id and when the token expires."""

    uid: str
    exp: float


def new_session_id() -> str:
    """A fresh, unguessable anonymous session id (32 url-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def is_session_id(value: str) -> bool:
    """True when ``value`` has the shape of a server-issued session id."""
    return bool(SESSION_PATTERN.match(value))


def sign_user_token(secret: str | bytes, uid: str, expires_at: float) -> str:
    """Mint a user token (what a host website does on its server; also used by tests)."""
    payload = json.dumps({"uid": uid, "exp": int(expires_at)}, separators=(",", ":"))
    head = _b64encode(payload.encode("utf-8"))
    return f"{head}.{_b64encode(_mac(secret, head))}"


def verify_user_token(secret: str | bytes, token: str, now: float | None = None) -> UserClaims:
    """The claims of a valid token; raises :class:`TokenError` otherwise."""
    if len(token) > MAX_TOKEN_CHARS or not TOKEN_PATTERN.match(token):
        raise TokenError("malformed user token")
    head, signature = token.split(".")
    try:
        given = _b64decode(signature)
        payload = json.loads(_b64decode(head))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenError("malformed user token") from exc
    if not hmac.compare_digest(given, _mac(secret, head)):
        raise TokenError("invalid user token signature")
    if not isinstance(payload, dict):
        raise TokenError("malformed user token")
    uid, exp = payload.get("uid"), payload.get("exp")
    if isinstance(uid, int) and not isinstance(uid, bool):
        uid = str(uid)
    if not isinstance(uid, str) or not 0 < len(uid) <= MAX_UID_CHARS or not uid.isprintable():
        raise TokenError("user token has no valid uid")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise TokenError("user token has no valid exp")
    if exp <= (time.time() if now is None else now):
        raise TokenError("user token expired")
    return UserClaims(uid=uid, exp=float(exp))


def _mac(secret: str | bytes, head: str) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, head.encode("ascii"), hashlib.sha256).digest()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    text = text.rstrip("=")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
