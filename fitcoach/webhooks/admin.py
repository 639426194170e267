"""The admin API under /admin/: prompts (versions, rollback, preview), people, usage,
scheduler audit, tokens and the audit log. Bearer tokens with roles viewer < editor < admin;
every call that changes something is written to the audit log."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fitcoach.admin.audit import list_audit, record_audit
from fitcoach.admin.auth import Actor, Role
from fitcoach.admin.people import PersonView, get_person, recent_messages, search_people
from fitcoach.admin.personality_store import choose_personality
from fitcoach.admin.preview import preview_prompt
from fitcoach.admin.prompt_service import PromptConflictError
from fitcoach.admin.scheduler_audit import scheduler_audit
from fitcoach.admin.schemas import (
    AuditOut,
    DocumentIn,
    DocumentOut,
    FieldsIn,
    Identity,
    Me,
    MessageOut,
    NewTokenOut,
    PersonalityIn,
    PersonDetailOut,
    PersonOut,
    PreviewIn,
    PreviewOut,
    Problem,
    RollbackIn,
    SchedulerAuditOut,
    TokenIn,
    TokenOut,
    UsageOut,
    VersionOut,
)
from fitcoach.admin.service import AdminService
from fitcoach.admin.tokens import TokenConflictError, create_token, list_tokens, revoke_token
from fitcoach.admin.usage import inbox_usage, process_usage
from fitcoach.agent.personality_intents import normalise_personality
from fitcoach.agent.prompts import DOCUMENTS, PromptError
from fitcoach.storage.admin import PromptVersion
from fitcoach.storage.models import utcnow

router = APIRouter(prefix="/admin", tags=["admin"])
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="AdminToken",
    description="An admin token (`Authorization: Bearer ...`); FITCOACH_ADMIN_TOKEN is an admin.",
)


async def get_admin(request: Request) -> AdminService:
    """The admin services of this app (built on first use from the app's services)."""
    admin: AdminService | None = getattr(request.app.state, "admin", None)
    if admin is None:
        services = request.app.state.services
        admin = await AdminService.open(
            services.database,
            prompts=getattr(services, "prompts", None),
            prompts_dir=services.settings.prompts_dir,
            admin_token=services.settings.admin_token,
        )
        request.app.state.admin = admin
    return admin


AdminDep = Annotated[AdminService, Depends(get_admin)]


async def current_actor(
    admin: AdminDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Actor:
    """The caller, from a valid token; 401 otherwise."""
    actor = await admin.auth.authenticate(credentials.credentials) if credentials else None
    if actor is None:
        raise HTTPException(
            401, "a valid admin token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


def require(role: Role) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets only callers with at least ``role`` through (403 otherwise)."""

    async def check(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if not actor.can(role):
            raise HTTPException(403, f"this needs the {role} role; you are {actor.role}")
        return actor

    return check


Viewer = Annotated[Actor, Depends(require("viewer"))]
Editor = Annotated[Actor, Depends(require("editor"))]
AdminActor = Annotated[Actor, Depends(require("admin"))]


def client_of(request: Request) -> str:
    """The caller's address, for the audit log."""
    return request.client.host if request.client else ""


def _invalid(exc: PromptError) -> NoReturn:
    problems = [Problem(file=i.source, field=i.field, problem=i.problem) for i in exc.issues]
    detail = {"message": str(exc), "problems": [p.model_dump() for p in problems]}
    raise HTTPException(422, detail) from exc


def _known(document: str) -> str:
    if document not in DOCUMENTS:
        raise HTTPException(404, f"unknown prompt document; choose one of {sorted(DOCUMENTS)}")
    return document


def _version(row: PromptVersion) -> VersionOut:
    return VersionOut.model_validate(row, from_attributes=True)


@router.get("/me", response_model=Me, summary="Who am I")
async def me(actor: Viewer) -> Me:
    """The caller's token name and role."""
    return Me(name=actor.name, role=actor.role)


@router.get("/prompts", response_model=list[DocumentOut], summary="Prompt documents")
async def prompts(admin: AdminDep, _: Viewer) -> list[DocumentOut]:
    """Every prompt document in effect, its source and any file problems."""
    await admin.prompts.refresh(force=True)
    return [_document_out(admin, name) for name in DOCUMENTS]


@router.get("/prompts/{document}", response_model=DocumentOut, summary="One prompt document")
async def prompt(document: str, admin: AdminDep, _: Viewer) -> DocumentOut:
    """A document as in effect now."""
    await admin.prompts.refresh(force=True)
    return _document_out(admin, _known(document))


def _document_out(admin: AdminService, name: str) -> DocumentOut:
    view = admin.prompts.describe(name)
    problems = [Problem(file=i.source, field=i.field, problem=i.problem) for i in view.issues]
    return DocumentOut(
        name=view.name,
        file=view.file,
        source=view.source,
        version=view.version,
        content=view.content,
        problems=problems,
    )


@router.put("/prompts/{document}", response_model=VersionOut, summary="Replace a document")
async def put_prompt(
    document: str, body: DocumentIn, request: Request, admin: AdminDep, actor: Editor
) -> VersionOut:
    """Validate and save a whole document as a new version (422 names file, field, problem)."""
    return await _save(
        admin.prompts.set_document(
            _known(document), body.content, actor, body.comment, client_of(request)
        )
    )


@router.patch("/prompts/{document}", response_model=VersionOut, summary="Change fields")
async def patch_prompt(
    document: str, body: FieldsIn, request: Request, admin: AdminDep, actor: Editor
) -> VersionOut:
    """Change some fields by dotted path and save the result as a new version."""
    return await _save(
        admin.prompts.set_fields(
            _known(document), body.changes, actor, body.comment, client_of(request)
        )
    )


@router.post(
    "/prompts/{document}/rollback", response_model=VersionOut, summary="Roll a document back"
)
async def rollback_prompt(
    document: str, body: RollbackIn, request: Request, admin: AdminDep, actor: Editor
) -> VersionOut:
    """Restore an earlier version as a new version (default: undo the newest change)."""
    return await _save(
        admin.prompts.rollback(
            _known(document), actor, body.to_version, body.comment, client_of(request)
        )
    )


async def _save(saving: Awaitable[PromptVersion]) -> VersionOut:
    try:
        return _version(await saving)
    except PromptError as exc:
        _invalid(exc)
    except PromptConflictError as exc:
        raise HTTPException(409, str(exc)) from exc


@router.get(
    "/prompts/{document}/versions", response_model=list[VersionOut], summary="Version history"
)
async def prompt_versions(
    document: str,
    admin: AdminDep,
    _: Viewer,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[VersionOut]:
    """Who changed the document, when, the diff and the comment (newest first)."""
    return [_version(r) for r in await admin.prompts.history(_known(document), limit)]


@router.post("/preview", response_model=PreviewOut, summary="Preview a system prompt")
async def preview(body: PreviewIn, request: Request, admin: AdminDep, actor: Viewer) -> PreviewOut:
    """Render the system prompt for a sample person, with optional unsaved drafts. A real
    person (``user_id``) needs the admin role and is audited: the prompt holds their
    profile (sex, birth year, height, weight), which the people endpoints never show."""
    if body.user_id is not None and not actor.can("admin"):
        raise HTTPException(403, "previewing a real person (user_id) needs the admin role")
    try:
        result = await preview_prompt(
            admin.prompts,
            channel=body.channel,
            personality=body.personality,
            sample=body.sample,
            user_id=body.user_id,
            drafts=body.drafts,
        )
    except PromptError as exc:
        _invalid(exc)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    if body.user_id is not None:  # written before the profile leaves; a failure sends nothing
        async with admin.database.session() as session:
            await record_audit(
                session,
                actor,
                "people.profile.preview",
                f"user:{body.user_id}",
                {"channel": result.channel, "personality": result.personality},
                client_of(request),
            )
    return PreviewOut(
        system_prompt=result.system_prompt,
        channel=result.channel,
        personality=result.personality,
        drafts=result.drafts,
    )


def _person_out(view: PersonView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "goal": view.goal,
        "timezone": view.timezone,
        "unit_system": view.unit_system,
        "created_at": view.created_at,
        "identities": [Identity(channel=c, external_id=e) for c, e in view.identities],
        "personality": view.personality,
        "messages_in": view.messages_in,
        "messages_out": view.messages_out,
        "last_message_at": view.last_message_at,
    }


@router.get("/people", response_model=list[PersonOut], summary="Search people")
async def people(
    admin: AdminDep,
    _: Viewer,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description='name, Telegram/Slack id, user id, or a web fingerprint "web:<12 hex>" '
            "(raw web session ids never match)",
        ),
    ] = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PersonOut]:
    """People by name or channel id (no message contents; web ids as fingerprints)."""
    async with admin.database.session() as session:
        views = await search_people(session, q, channel, limit, offset)
    return [PersonOut(**_person_out(v)) for v in views]


@router.get("/people/{user_id}", response_model=PersonDetailOut, summary="One person")
async def person(
    user_id: int,
    request: Request,
    admin: AdminDep,
    actor: Viewer,
    include_messages: Annotated[
        bool, Query(description="latest messages; admin role only, audited")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PersonDetailOut:
    """A person; message contents only with ``include_messages`` (admin role, audited)."""
    if include_messages and not actor.can("admin"):
        raise HTTPException(403, "reading messages needs the admin role")
    async with admin.database.session() as session:
        view = await get_person(session, user_id)
        if view is None:
            raise HTTPException(404, "no such person")
        out = PersonDetailOut(**_person_out(view))
        if include_messages:
            rows = await recent_messages(session, user_id, limit)
            out.messages = [MessageOut.model_validate(r, from_attributes=True) for r in rows]
            await record_audit(
                session,
                actor,
                "people.messages.read",
                f"user:{user_id}",
                {"count": len(rows)},
                client_of(request),
            )
    return out


@router.put("/people/{user_id}/personality", response_model=PersonOut, summary="Set a personality")
async def set_person_personality(
    user_id: int, body: PersonalityIn, request: Request, admin: AdminDep, actor: Editor
) -> PersonOut:
    """Set a person's coaching personality (as if they had asked in chat)."""
    key = normalise_personality(body.personality)
    names = await admin.prompts.personality_names()
    if key not in names:
        raise HTTPException(422, f"unknown personality {key!r}; choose one of {names}")
    async with admin.database.session() as session:
        view = await get_person(session, user_id)
        if view is None:
            raise HTTPException(404, "no such person")
        await choose_personality(session, user_id, key)
        await record_audit(
            session,
            actor,
            "people.personality",
            f"user:{user_id}",
            {"personality": key, "previous": view.personality},
            client_of(request),
        )
        view.personality = key
    return PersonOut(**_person_out(view))


@router.get("/usage", response_model=UsageOut, summary="Usage")
async def usage(
    admin: AdminDep, _: Viewer, hours: Annotated[int, Query(ge=1, le=24 * 90)] = 24
) -> UsageOut:
    """Messages per channel and outcome (all replicas) and this replica's model figures."""
    since = utcnow() - timedelta(hours=hours)
    async with admin.database.session() as session:
        messages = await inbox_usage(session, since)
    return UsageOut(since=since, messages=messages, replica=process_usage())


@router.get(
    "/scheduler/audit", response_model=list[SchedulerAuditOut], summary="Scheduler decisions"
)
async def scheduler_decisions(
    admin: AdminDep,
    _: Viewer,
    user_id: int | None = None,
    trigger: Annotated[str | None, Query(max_length=32)] = None,
    decision: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SchedulerAuditOut]:
    """Why the proactive scheduler sent, skipped or deferred messages (newest first)."""
    async with admin.database.session() as session:
        rows = await scheduler_audit(
            session, user_id=user_id, trigger=trigger, decision=decision, limit=limit
        )
    return [SchedulerAuditOut.model_validate(r, from_attributes=True) for r in rows or []]


@router.get("/audit", response_model=list[AuditOut], summary="Admin audit log")
async def audit(
    admin: AdminDep,
    _: AdminActor,
    action: Annotated[str | None, Query(max_length=60, description="prefix, e.g. prompt.")] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """Every admin change: who, what, when, from where (newest first)."""
    async with admin.database.session() as session:
        rows = await list_audit(session, action=action, actor=actor, limit=limit)
    return [
        AuditOut(
            id=r.id,
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            target=r.target,
            detail=json.loads(r.detail or "{}"),
            client=r.client,
        )
        for r in rows
    ]


@router.get("/tokens", response_model=list[TokenOut], summary="Admin tokens")
async def tokens(admin: AdminDep, _: AdminActor) -> list[TokenOut]:
    """Stored tokens (names, roles, prefixes; never the token or its hash)."""
    return [
        TokenOut.model_validate(r, from_attributes=True) for r in await list_tokens(admin.database)
    ]


@router.post("/tokens", response_model=NewTokenOut, status_code=201, summary="Create a token")
async def new_token(
    body: TokenIn, request: Request, admin: AdminDep, actor: AdminActor
) -> NewTokenOut:
    """Create a token; its value is returned only in this response."""
    try:
        row, token = await create_token(
            admin.database, body.name, body.role, actor, client_of(request)
        )
    except TokenConflictError as exc:
        raise HTTPException(409, str(exc)) from exc
    out = TokenOut.model_validate(row, from_attributes=True)
    return NewTokenOut(**out.model_dump(), token=token)


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke a token")
async def delete_token(
    token_id: int, request: Request, admin: AdminDep, actor: AdminActor
) -> TokenOut:
    """Revoke a token at once."""
    row = await revoke_token(admin.database, token_id, actor, client_of(request))
    if row is None:
        raise HTTPException(404, "no such token")
    return TokenOut.model_validate(row, from_attributes=True)
