"""Admin tokens with roles (viewer < editor < admin), stored hashed, compared in constant time.

``FITCOACH_ADMIN_TOKEN`` is always accepted as an admin (it bootstraps the first stored
tokens) and is never written to the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from pydantic import SecretStr
from sqlalchemy import select

from fitcoach.storage.admin import AdminToken
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES, 1)}
TOKEN_PREFIX = "fca_"
BOOTSTRAP_NAME = "bootstrap-admin"
MAX_TOKEN_LENGTH = 256
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: a token's name and role (or the CLI user)."""

    name: str
    role: Role
    token_id: int | None = None

    def can(self, role: Role) -> bool:
        """True when this actor's role is at least ``role``."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


def new_token() -> str:
    """A fresh random token (shown once, stored only as its hash)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token (tokens are long random strings, so no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AdminAuth:
    """Checks presented tokens and manages stored ones."""

    def __init__(self, database: Database, bootstrap_token: SecretStr | None = None) -> None:
        self.database = database
        secret = bootstrap_token.get_secret_value() if bootstrap_token else ""
        self._bootstrap = secret.encode("utf-8") if secret else None

    async def authenticate(self, token: str) -> Actor | None:
        """The actor for a presented token, or None when it is unknown or revoked."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        presented = token.encode("utf-8")
        if self._bootstrap is not None and hmac.compare_digest(presented, self._bootstrap):
            return Actor(BOOTSTRAP_NAME, "admin")
        digest = hash_token(token)
        async with self.database.session() as session:
            row = (
                await session.execute(select(AdminToken).where(AdminToken.token_hash == digest))
            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.token_hash.encode(), digest.encode()):
                return None
            now = utcnow()
            if row.last_used_at is None or _aware(row.last_used_at) < now - _TOUCH_EVERY:
                row.last_used_at = now
            return Actor(row.name, as_role(row.role), row.id)


def as_role(value: str) -> Role:
    """A stored role name as a Role (unknown names get the lowest role)."""
    for role in ROLES:
        if role == value:
            return role
    return "viewer"


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; treat them as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
