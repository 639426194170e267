"""Creating, listing and revoking stored admin tokens (each change is audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fitcoach.admin.audit import record_audit
from fitcoach.admin.auth import Actor, Role, hash_token, new_token
from fitcoach.storage.admin import AdminToken
from fitcoach.storage.database import Database
from fitcoach.storage.models import utcnow


class TokenConflictError(ValueError):
    """A token with this name already exists."""


async def create_token(
    database: Database, name: str, role: Role, actor: Actor, client: str = ""
) -> tuple[AdminToken, str]:
    """Store a new token's hash; returns the row and the token (shown only this once)."""
    token = new_token()
    try:
        async with database.session() as session:
            row = AdminToken(
                name=name,
                role=role,
                token_hash=hash_token(token),
                prefix=token[:8],
                created_by=actor.name,
            )
            session.add(row)
            await session.flush()
            await record_audit(
                session, actor, "token.create", f"token:{name}", {"role": role}, client
            )
    except IntegrityError as exc:
        raise TokenConflictError(f"a token named {name!r} already exists") from exc
    return row, token


async def list_tokens(database: Database) -> list[AdminToken]:
    """Every stored token (hashes are never returned by the API)."""
    async with database.session() as session:
        return list((await session.execute(select(AdminToken).order_by(AdminToken.id))).scalars())


async def revoke_token(
    database: Database, token_id: int, actor: Actor, client: str = ""
) -> AdminToken | None:
    """Revoke a token at once; None when there is no such token."""
    async with database.session() as session:
        row = await session.get(AdminToken, token_id)
        if row is None:
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            await record_audit(session, actor, "token.revoke", f"token:{row.name}", {}, client)
        return row
