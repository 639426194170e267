"""PromptService: the prompt documents in effect (files + admin overrides) on every replica.

Change propagation: before a render, if more than ``refresh_s`` seconds passed since the last
check, the service stats the files and runs ``SELECT max(id) FROM prompt_versions`` (one
indexed, cheap query). Only when that id moved are the active overrides re-read. So every
replica sees an admin change within ``refresh_s`` seconds, without a restart; the replica
that made the change sees it at once. Bad files or overrides never replace a good version."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from fitcoach.admin.audit import record_audit
from fitcoach.admin.auth import Actor
from fitcoach.admin.prompt_files import PromptFiles
from fitcoach.admin.prompt_store import PromptVersions, unified_diff
from fitcoach.agent.context import CoachContext
from fitcoach.agent.prompts import (
    DOCUMENTS,
    PromptDocument,
    PromptError,
    PromptIssue,
    PromptSet,
    file_name,
    parse_document,
    parse_yaml,
    to_yaml,
)
from fitcoach.storage.admin import PersonalityChoice, PromptVersion, ensure_admin_tables
from fitcoach.storage.database import Database
from fitcoach.storage.models import User

log = structlog.get_logger(__name__)
PROFILE_FACTS = ("name", "goal", "sex", "birth_year", "height_cm", "weight_kg")


class PromptConflictError(RuntimeError):
    """Another admin saved a version of this document at the same moment; retry."""


@dataclass(frozen=True, slots=True)
class DocumentView:
    """A document as in effect now, and where it comes from."""

    name: str
    file: str
    source: str
    version: int
    content: dict[str, Any]
    issues: list[PromptIssue]


class PromptService:
    """Prompt documents in effect, the per-person system prompt, and versioned edits."""

    def __init__(
        self,
        database: Database,
        prompts_dir: Path | None = None,
        *,
        refresh_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.files = PromptFiles(prompts_dir)
        self.refresh_s = refresh_s
        self._clock = clock
        self._overrides: dict[str, PromptDocument] = {}
        self._versions: dict[str, int] = {}
        self._override_issues: dict[str, list[PromptIssue]] = {}
        self._latest_id = -1
        self._checked = float("-inf")
        self._set: PromptSet | None = None
        self._tables_ready = False
        self._lock = asyncio.Lock()

    async def start(self) -> PromptSet:
        """Create missing admin tables and load everything (call once at start-up)."""
        return await self.refresh(force=True)

    async def current(self) -> PromptSet:
        """The documents in effect, re-checked at most every ``refresh_s`` seconds."""
        if self._set is not None and self._clock() - self._checked < self.refresh_s:
            return self._set
        return await self.refresh()

    async def refresh(self, *, force: bool = False) -> PromptSet:
        """Re-read changed files and, when the newest version id moved, the overrides."""
        async with self._lock:
            fresh = self._clock() - self._checked < self.refresh_s
            if self._set is not None and fresh and not force:
                return self._set
            self._checked = self._clock()
            changed = self.files.reload()
            try:
                changed = await self._load_overrides() or changed
            except Exception as exc:  # the database is down: keep the documents we have
                log.warning("prompt_overrides_unavailable", error_type=type(exc).__name__)
            if changed or self._set is None:
                docs = {d: self._overrides.get(d) or self.files.docs[d] for d in DOCUMENTS}
                self._set = PromptSet.from_documents(docs, self._versions)
            return self._set

    async def render_system_prompt(self, context: CoachContext) -> str:
        """Persona + the person's personality + channel style + onboarding + tools + safety."""
        prompt_set = await self.current()
        if context.missing_facts is not None:  # read with the turn's other bookkeeping
            personality, missing = context.personality, context.missing_facts
        else:
            personality, missing = await self._person(context.user_id)
        return prompt_set.compose(context.channel, personality, context.profile_summary, missing)

    async def personality_names(self) -> list[str]:
        """The personalities a person can choose now."""
        return list((await self.current()).personalities.personalities)

    async def _load_overrides(self) -> bool:
        if not self._tables_ready:
            await ensure_admin_tables(self.database.engine)
            self._tables_ready = True
        async with self.database.session() as session:
            repo = PromptVersions(session)
            latest = await repo.latest_id()
            if latest == self._latest_id:
                return False
            active = await repo.active()
        self._latest_id = latest
        for document in DOCUMENTS:
            self._apply_override(document, active.get(document))
        return True

    def _apply_override(self, document: str, row: PromptVersion | None) -> None:
        if row is None or row.content is None:
            self._overrides.pop(document, None)
            self._override_issues.pop(document, None)
            self._versions.pop(document, None)
            if row is not None:
                self._versions[document] = row.version
            return
        if self._versions.get(document) == row.version and document in self._overrides:
            return
        try:
            doc = parse_yaml(document, row.content, f"{document} override v{row.version}")
        except PromptError as exc:  # e.g. written by an older release: keep the last good one
            self._override_issues[document] = exc.issues
            log.error("prompt_override_invalid", issues=[str(i) for i in exc.issues])
            return
        self._overrides[document] = doc
        self._versions[document] = row.version
        self._override_issues.pop(document, None)

    async def _person(self, user_id: int) -> tuple[str | None, frozenset[str]]:
        stmt = (
            select(User, PersonalityChoice.personality)
            .outerjoin(PersonalityChoice, PersonalityChoice.user_id == User.id)
            .where(User.id == user_id)
        )
        try:
            async with self.database.session() as session:
                found = (await session.execute(stmt)).first()
        except Exception as exc:  # never fail a reply over a style preference
            log.warning("personality_lookup_failed", error_type=type(exc).__name__)
            return None, frozenset()
        if found is None:
            return None, frozenset()
        user, personality = found
        return personality, missing_facts(user)

    def describe(self, document: str) -> DocumentView:
        """A document in effect (call after ``current()``)."""
        check_document(document)
        assert self._set is not None
        override = document in self._overrides
        return DocumentView(
            name=document,
            file=str(self.files.path(document)),
            source=f"override v{self._versions[document]}" if override else "file",
            version=self._versions.get(document, 0),
            content=self._set.document(document).model_dump(mode="json"),
            issues=self.files.issues.get(document, []) + self._override_issues.get(document, []),
        )

    async def history(self, document: str, limit: int = 50) -> list[PromptVersion]:
        """The document's override versions, newest first."""
        check_document(document)
        async with self.database.session() as session:
            return await PromptVersions(session).history(document, limit)

    async def set_document(
        self, document: str, content: object, actor: Actor, comment: str = "", client: str = ""
    ) -> PromptVersion:
        """Validate and save a whole document as the next version (audited)."""
        check_document(document)
        doc = parse_document(document, content, f"{file_name(document)} (admin edit)")
        return await self._write(document, doc, actor, comment, client, "set")

    async def set_fields(
        self,
        document: str,
        changes: dict[str, Any],
        actor: Actor,
        comment: str = "",
        client: str = "",
    ) -> PromptVersion:
        """Change fields by dotted path (``personalities.tough-love.style``); None removes."""
        check_document(document)
        data = (await self.refresh(force=True)).document(document).model_dump(mode="json")
        for path, value in changes.items():
            set_path(data, path, value, f"{file_name(document)} (admin edit)")
        return await self.set_document(document, data, actor, comment, client)

    async def rollback(
        self,
        document: str,
        actor: Actor,
        to_version: int | None = None,
        comment: str = "",
        client: str = "",
    ) -> PromptVersion:
        """Restore an earlier version (default: the one before the newest; 0 = the file)."""
        check_document(document)
        source = f"{document} rollback"
        async with self.database.session() as session:
            repo = PromptVersions(session)
            last = await repo.last_version(document)
            target = last - 1 if to_version is None else to_version
            row = await repo.get(document, target) if target > 0 else None
        if last == 0:
            raise PromptError([PromptIssue(source, "(versions)", "no admin versions to undo")])
        if not 0 <= target <= last or (target > 0 and row is None):
            problem = f"no version {target}; choose 0 (the file) to {last}"
            raise PromptError([PromptIssue(source, "to_version", problem)])
        content = row.content if row is not None else None
        doc = parse_yaml(document, content, f"{document} v{target}") if content else None
        note = comment or f"rollback to v{target}"
        return await self._write(document, doc, actor, note, client, "rollback", target)

    async def _write(
        self,
        document: str,
        doc: PromptDocument | None,
        actor: Actor,
        comment: str,
        client: str,
        action: str,
        restored: int | None = None,
    ) -> PromptVersion:
        current = await self.refresh(force=True)
        before = to_yaml(current.document(document).model_dump(mode="json"))
        after = to_yaml((doc or self.files.docs[document]).model_dump(mode="json"))
        if action == "set" and before == after:
            source = f"{file_name(document)} (admin edit)"
            problem = "no change to the version in effect"
            raise PromptError([PromptIssue(source, "(document)", problem)])
        try:
            async with self.database.session() as session:
                repo = PromptVersions(session)
                last = await repo.last_version(document)
                diff = unified_diff(before, after, f"{document}@v{last}", f"{document}@v{last + 1}")
                row = await repo.add(
                    document,
                    last + 1,
                    after if doc is not None else None,
                    author=actor.name,
                    comment=comment,
                    diff=diff,
                    action=action,
                    restored_version=restored,
                )
                detail = {"version": row.version, "comment": comment, "restored": restored}
                await record_audit(
                    session, actor, f"prompt.{action}", f"prompt:{document}", detail, client
                )
        except IntegrityError as exc:
            raise PromptConflictError(f"{document}: another version was saved; retry") from exc
        await self.refresh(force=True)  # this replica uses its own change at once
        log.info("prompt_version_saved", document=document, version=row.version, action=action)
        return row


def check_document(document: str) -> None:
    """Raise PromptError for an unknown document name."""
    if document not in DOCUMENTS:
        problem = f"unknown document; choose one of {sorted(DOCUMENTS)}"
        raise PromptError([PromptIssue(document, "(document)", problem)])


def set_path(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    """Set (or with None, remove) a dotted path in nested dicts."""
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise PromptError([PromptIssue(source, path or "(path)", "empty field path")])
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise PromptError([PromptIssue(source, path, f"{part!r} is not a mapping")])
        node = child
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def missing_facts(user: User) -> frozenset[str]:
    """Profile facts the person has not told us yet."""
    return frozenset(f for f in PROFILE_FACTS if getattr(user, f, None) in (None, ""))
