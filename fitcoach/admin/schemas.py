"""Request and response bodies of the admin API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from fitcoach.admin.auth import Role
from fitcoach.admin.people import public_external_id
from fitcoach.admin.preview import SamplePerson


class Problem(BaseModel):
    """One validation problem: which file (or edit), which field, what is wrong."""

    file: str
    field: str
    problem: str


class Me(BaseModel):
    """The caller."""

    name: str
    role: Role


class DocumentOut(BaseModel):
    """A prompt document as in effect now."""

    name: str
    file: str
    source: str = Field(description='"file" or "override vN"')
    version: int = Field(description="newest admin version (0: never overridden)")
    content: dict[str, Any]
    problems: list[Problem] = Field(description="problems of the file or of a stored override")


class DocumentIn(BaseModel):
    """A whole document (same shape as its YAML file)."""

    content: dict[str, Any]
    comment: str = Field(default="", max_length=500)


class FieldsIn(BaseModel):
    """Field changes by dotted path, e.g. ``{"personalities.tough-love.style": "..."}``;
    null removes a key (e.g. a channel)."""

    changes: dict[str, Any] = Field(min_length=1)
    comment: str = Field(default="", max_length=500)


class RollbackIn(BaseModel):
    """Which version to restore: default the one before the newest; 0 = the file."""

    to_version: int | None = Field(default=None, ge=0)
    comment: str = Field(default="", max_length=500)


class VersionOut(BaseModel):
    """One stored version: who, when, what changed and why."""

    document: str
    version: int
    action: str
    restored_version: int | None
    author: str
    created_at: datetime
    comment: str
    diff: str
    content: str | None


class PreviewIn(BaseModel):
    """Render the prompt for a sample person (or a real one by id), optionally with drafts."""

    channel: str = "web"
    personality: str | None = None
    sample: SamplePerson | None = None
    user_id: int | None = None
    drafts: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="unsaved documents by name, validated like edits"
    )


class PreviewOut(BaseModel):
    """The rendered system prompt."""

    system_prompt: str
    channel: str
    personality: str
    drafts: list[str]


class Identity(BaseModel):
    """A channel identity of a person. Web ids are credentials (an anonymous visitor's
    session id), so they are shown only as ``web:`` + 12 hex digits of their SHA-256."""

    channel: str
    external_id: str = Field(
        description='Telegram/Slack: the platform id; web: a fingerprint "web:<12 hex>" '
        "(sha256 of the id), never the session id itself"
    )

    @field_validator("external_id", mode="after")
    @classmethod
    def _no_web_credentials(cls, value: str, info: ValidationInfo) -> str:
        """Defence in depth: a raw web id put here is fingerprinted, whoever built it."""
        return public_external_id(str(info.data.get("channel", "")), value)


class PersonOut(BaseModel):
    """A person as admins see them (no message contents)."""

    id: int
    name: str | None
    goal: str | None
    timezone: str
    unit_system: str
    created_at: datetime
    identities: list[Identity]
    personality: str | None
    messages_in: int
    messages_out: int
    last_message_at: datetime | None


class MessageOut(BaseModel):
    """One logged message (admin role only; every read is audited)."""

    id: int
    channel: str
    direction: str
    text: str
    created_at: datetime


class PersonDetailOut(PersonOut):
    """A person, with their latest messages when asked for."""

    messages: list[MessageOut] | None = None


class PersonalityIn(BaseModel):
    """Set a person's coaching personality."""

    personality: str = Field(min_length=2, max_length=40)


class TokenIn(BaseModel):
    """A new admin token."""

    name: str = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role


class TokenOut(BaseModel):
    """A stored token (never its value or hash)."""

    id: int
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    """The new token: ``token`` is shown only in this response."""

    token: str


class AuditOut(BaseModel):
    """One audit entry."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target: str
    detail: dict[str, Any]
    client: str


class SchedulerAuditOut(BaseModel):
    """One decision of the proactive scheduler."""

    id: int
    at: datetime
    user_id: int
    trigger: str
    key: str
    decision: str
    reason: str
    detail: str
    instance: str


class UsageOut(BaseModel):
    """Usage since a moment: inbox rows (all replicas) and this replica's counters."""

    since: datetime
    messages: list[dict[str, Any]] = Field(description="inbox: channel, outcome, count")
    replica: dict[str, Any] = Field(
        description="this replica since start: messages, model_calls by route, tokens, "
        "fallbacks, tool_calls"
    )
