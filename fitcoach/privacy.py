"""GDPR: export everything we hold about a person, or delete it all (after confirmation).

Deletion covers database rows of every table that has a ``user_id`` (meals, workouts, plans,
reminders, inbox, message log, media rows, ...), the user and identities, the access records
of every identity (a 'blocked' one stays, without its name, so the block holds), long-term
memories in Chroma (under any embedder), LangGraph checkpoints of the person's conversations,
and stored files. Messages still waiting for their reply stay in the inbox: they were sent,
and are answered after the deletion (as from a new person). The export holds the same
rows, the memories and each conversation's history as the agent keeps it (checkpoints).

When ``/link`` joins two accounts, :meth:`PrivacyService.absorb` moves the absorbed account's
memories and media files to the surviving one and drops its exports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.access import on_merge
from fitcoach.memory import MemoryService
from fitcoach.storage.access import AccessGrant
from fitcoach.storage.admin import AdminAudit
from fitcoach.storage.all_models import Base
from fitcoach.storage.database import Database
from fitcoach.storage.media import move_user_media
from fitcoach.storage.models import ChannelIdentity, InboxMessage, MessageLog, User, utcnow
from fitcoach.storage.privacy import PendingAction

CONFIRM_WINDOW = timedelta(minutes=10)
OPEN_INBOX = ("received", "processing")
"""Inbox statuses of a message still waiting for its reply (see fitcoach.storage.inbox)."""
_EXPORT = re.compile(r"^\s*/?export(?:@\w+)?(?:\s+my\s+data)?\s*$", re.I)
_DELETE = re.compile(
    r"^\s*(?:/delete(?:@\w+)?|delete my (?:account|data)|delete everything)\s*$", re.I
)
_CONFIRM = re.compile(r"^\s*(?:yes,?\s+)?delete everything\s*$", re.I)
_CONFIRM_BUTTON = re.compile(r"^\s*1\.?\s*$")
"""The question's only quick reply ("1. yes, delete everything") sends its number."""

DELETE_QUESTION = (
    "This permanently deletes everything I hold about you: logs, plans, reminders, memories, "
    "messages and files, on every linked chat. It cannot be undone. To confirm, reply "
    "“yes, delete everything” within 10 minutes; anything else cancels."
)
DELETED = "Done. Everything I held about you has been deleted. Write again any time to start fresh."
CANCELLED = "OK, nothing was deleted."


def parse_privacy_command(text: str) -> str | None:
    """'export', 'delete' or 'confirm_delete' for privacy commands, else None."""
    if _EXPORT.match(text):
        return "export"
    if _CONFIRM.match(text):
        return "confirm_delete"
    if _CONFIRM_BUTTON.match(text):
        return "confirm_button"
    if _DELETE.match(text):
        return "delete"
    return None


@dataclass(slots=True)
class DeletionReport:
    """What was removed."""

    rows: dict[str, int] = field(default_factory=dict)
    memories: int = 0
    threads: int = 0
    files: int = 0


class PrivacyService:
    """Export and erase one person's data everywhere fitcoach keeps it."""

    def __init__(
        self,
        database: Database,
        memory: MemoryService | None,
        checkpointer: BaseCheckpointSaver[Any] | None,
        data_dir: Path,
    ) -> None:
        self.database = database
        self.memory = memory
        self.checkpointer = checkpointer
        self.data_dir = data_dir
        on_merge(database.engine, self.absorb)

    async def absorb(self, session: AsyncSession, source: int, target: int) -> None:
        """``/link`` merged account ``source`` into ``target`` (its rows are the target's
        now, in ``session``'s transaction): move its memories and media files to the target
        and drop its exports, so that nothing stays under the absorbed id. The memories go
        first: while the memory store is unreachable this fails and the merge is undone."""
        if self.memory is not None:
            await asyncio.to_thread(self.memory.move_memories, source, target)
        await move_user_media(session, source, target, self.data_dir / "media")
        exports = self.data_dir / "exports" / str(source)
        if exports.exists():
            shutil.rmtree(exports)

    async def export(self, user_id: int) -> list[Path]:
        """Write ``export.json`` (everything) and ``log.csv`` (meals and workouts)."""
        async with self.database.session() as session:
            tables = await _user_rows(session, user_id)
            identities = await _identities(session, user_id)
            inbox = await _inbox_of_person(session, user_id, identities)
            tables["inbox"] = await _rows_by_id(session, InboxMessage, [r.id for r in inbox])
            tables["access_grants"] = [
                _columns(grant) for grant in await _grants(session, identities)
            ]
            threads = await _private_threads(
                session, user_id, await _conversations(session, user_id) | _keys(inbox)
            )
        conversations = await self._histories(threads)
        memories: list[dict[str, Any]] = []
        if self.memory is not None:
            store = self.memory.for_user(user_id)
            memories = [
                {
                    "text": m.text,
                    "category": m.category,
                    "created_at": m.created_at.isoformat(),
                    "updated_at": m.updated_at.isoformat(),
                    "source": m.source,
                }
                for m in await asyncio.to_thread(store.everything)
            ]
        folder = self.data_dir / "exports" / str(user_id)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        json_path = folder / f"fitcoach-export-{stamp}.json"
        payload = {
            "exported_at": utcnow().isoformat(),
            "tables": tables,
            "memories": memories,
            "conversations": conversations,
        }
        json_path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
        csv_path = folder / f"fitcoach-log-{stamp}.csv"
        csv_path.write_text(_log_csv(tables), encoding="utf-8")
        return [json_path, csv_path]

    async def request_deletion(self, user_id: int) -> None:
        """Remember that this person asked to be deleted; they must confirm in time."""
        async with self.database.session() as session:
            await session.execute(
                delete(PendingAction).where(
                    PendingAction.user_id == user_id, PendingAction.action == "delete"
                )
            )
            session.add(
                PendingAction(
                    user_id=user_id, action="delete", expires_at=utcnow() + CONFIRM_WINDOW
                )
            )

    async def take_pending_deletion(
        self, user_id: int, session: AsyncSession | None = None
    ) -> bool:
        """True when a deletion was requested and is still valid (the request is consumed);
        inside ``session`` when given (it commits with the caller's other work)."""
        if session is None:
            async with self.database.session() as own:
                return await self.take_pending_deletion(user_id, own)
        pending = await session.get(PendingAction, (user_id, "delete"))
        if pending is None:
            return False
        await session.delete(pending)
        await session.flush()
        return _aware(pending.expires_at) >= utcnow()

    async def _histories(self, threads: list[str]) -> list[dict[str, Any]]:
        """Each conversation's messages as the agent keeps them (role and text)."""
        if self.checkpointer is None:
            return []
        found: list[dict[str, Any]] = []
        for thread in threads:
            config: RunnableConfig = {"configurable": {"thread_id": thread}}
            saved = await self.checkpointer.aget_tuple(config)
            if saved is None:
                continue
            messages = saved.checkpoint.get("channel_values", {}).get("messages", [])
            found.append({"thread": thread, "messages": _transcript(messages)})
        return found

    async def delete(self, user_id: int) -> DeletionReport:
        """Erase the person: memories, rows, checkpoints and files. The memories go first:
        while the memory store is unreachable this fails before anything is deleted, so the
        person can ask again rather than be left half erased. Messages still waiting for
        their reply are kept (with their files): they are answered afterwards."""
        report = DeletionReport()
        if self.memory is not None:
            report.memories = await asyncio.to_thread(self.memory.for_user(user_id).delete_all)
        async with self.database.session() as session:
            threads = await _threads(session, user_id)
            identities = await _identities(session, user_id)
            inbox = await _inbox_of_person(session, user_id, identities)
            finished = [row.id for row in inbox if not row.waiting]
            if finished:
                await session.execute(delete(InboxMessage).where(InboxMessage.id.in_(finished)))
            report.rows["inbox"] = len(finished)
            waiting_files = {f for row in inbox if row.waiting for f in row.files}
            inbox_files = [f for row in inbox if not row.waiting for f in row.files]
            inbox_files = [f for f in inbox_files if f not in waiting_files]
            report.rows["access_grants"] = await _forget_grants(session, identities)
            # Admins' actions on the person stay on record (who did what, when); what they
            # set (a personality) or saw (a channel) goes.
            redacted = await session.execute(
                update(AdminAudit).where(AdminAudit.target == f"user:{user_id}").values(detail="{}")
            )
            report.rows["admin_audit_redacted"] = int(getattr(redacted, "rowcount", 0) or 0)
            for thread in threads:
                if self.checkpointer is not None:
                    await self.checkpointer.adelete_thread(thread)
                    report.threads += 1
            existing = set(
                await session.run_sync(lambda s: inspect(s.connection()).get_table_names())
            )
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in existing and "user_id" in table.c and table.name != "inbox":
                    result = await session.execute(delete(table).where(table.c.user_id == user_id))
                    report.rows[table.name] = int(getattr(result, "rowcount", 0) or 0)
            result = await session.execute(delete(User).where(User.id == user_id))
            report.rows["users"] = int(getattr(result, "rowcount", 0) or 0)
        report.files += _remove_files(inbox_files, self.data_dir)
        for folder in (
            self.data_dir / "media" / str(user_id),
            self.data_dir / "exports" / str(user_id),
        ):
            if folder.exists():
                report.files += sum(1 for p in folder.rglob("*") if p.is_file())
                shutil.rmtree(folder)
        return report


@dataclass(frozen=True, slots=True)
class _InboxRow:
    """One inbox row of the person: its key, whether it still waits for its reply, the
    files (channel downloads) it carries."""

    id: int
    channel: str
    conversation_id: str
    waiting: bool
    files: tuple[Path, ...]


async def _identities(session: AsyncSession, user_id: int) -> set[tuple[str, str]]:
    """(channel, external id) of every identity of the person (all linked channels)."""
    rows = await session.execute(
        select(ChannelIdentity.channel, ChannelIdentity.external_id).where(
            ChannelIdentity.user_id == user_id
        )
    )
    return {(channel, external) for channel, external in rows}


async def _inbox_of_person(
    session: AsyncSession, user_id: int, identities: set[tuple[str, str]]
) -> list[_InboxRow]:
    """The person's inbox rows: those answered as theirs, and those of their identities
    that carry no user id (answered before the person was known, e.g. commands, or still
    waiting for their reply: a row gets its user id when it is answered)."""
    channels = {channel for channel, _ in identities}
    rows = await session.execute(
        select(
            InboxMessage.id,
            InboxMessage.channel,
            InboxMessage.conversation_id,
            InboxMessage.user_id,
            InboxMessage.status,
            InboxMessage.payload,
        )
        .where(
            or_(
                InboxMessage.user_id == user_id,
                InboxMessage.user_id.is_(None) & InboxMessage.channel.in_(channels),
            )
        )
        .order_by(InboxMessage.id)
    )
    found: list[_InboxRow] = []
    for row_id, channel, conversation, owner, status, payload in rows:
        try:
            message = json.loads(payload)
            external = message.get("external_user_id")
        except (ValueError, AttributeError):
            message, external = {}, None
        if owner is None and (channel, external) not in identities:
            continue
        files = tuple(
            Path(attachment["ref"])
            for attachment in [*message.get("images", []), *message.get("audio", [])]
            if isinstance(attachment, dict) and isinstance(attachment.get("ref"), str)
        )
        found.append(_InboxRow(row_id, channel, conversation, status in OPEN_INBOX, files))
    return found


async def _grants(session: AsyncSession, identities: set[tuple[str, str]]) -> list[AccessGrant]:
    """The access records (pairing requests, approvals, blocks) of these identities."""
    found: list[AccessGrant] = []
    for channel, external in sorted(identities):
        stmt = select(AccessGrant).where(
            AccessGrant.channel == channel, AccessGrant.external_id == external
        )
        found.extend((await session.execute(stmt)).scalars())
    return found


async def _forget_grants(session: AsyncSession, identities: set[tuple[str, str]]) -> int:
    """Delete the access records of these identities. A 'blocked' one stays (deleting it
    would lift an admin's block), without the person's name; the number changed."""
    changed = 0
    for channel, external in sorted(identities):
        mine = (AccessGrant.channel == channel) & (AccessGrant.external_id == external)
        gone = await session.execute(
            delete(AccessGrant).where(mine, AccessGrant.status != "blocked")
        )
        kept = await session.execute(
            update(AccessGrant)
            .where(mine, AccessGrant.status == "blocked")
            .values(display_name=None)
        )
        changed += int(getattr(gone, "rowcount", 0) or 0)
        changed += int(getattr(kept, "rowcount", 0) or 0)
    return changed


async def _conversations(session: AsyncSession, user_id: int) -> set[tuple[str, str]]:
    """(channel, conversation id) of every conversation in the person's message log."""
    rows = await session.execute(
        select(MessageLog.channel, MessageLog.conversation_id)
        .where(MessageLog.user_id == user_id)
        .distinct()
    )
    return {(channel, conversation) for channel, conversation in rows}


def _keys(rows: list[_InboxRow]) -> set[tuple[str, str]]:
    return {(row.channel, row.conversation_id) for row in rows}


async def _private_threads(
    session: AsyncSession, user_id: int, conversations: set[tuple[str, str]]
) -> list[str]:
    """The agent threads of these conversations that no one else used: a conversation
    shared with other people (a group chat) holds their messages too and is left out."""
    threads: list[str] = []
    for channel, conversation in sorted(conversations):
        others = await session.execute(
            select(MessageLog.id)
            .where(
                MessageLog.channel == channel,
                MessageLog.conversation_id == conversation,
                MessageLog.user_id != user_id,
            )
            .limit(1)
        )
        if others.first() is None:
            threads.append(f"{channel}:{conversation}")
    return threads


def _transcript(messages: Any) -> list[dict[str, str]]:
    """Role and text of each message of a checkpoint."""
    if not isinstance(messages, list):
        return []
    return [{"role": m.type, "text": str(m.text)} for m in messages if isinstance(m, BaseMessage)]


async def _rows_by_id(session: AsyncSession, model: Any, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    table = model.__table__
    rows = await session.execute(select(table).where(table.c.id.in_(ids)).order_by(table.c.id))
    return [dict(row) for row in rows.mappings()]


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _remove_files(paths: list[Path], root: Path) -> int:
    """Delete these files if they are inside ``root`` (never anything else); the count."""
    removed = 0
    base = root.resolve()
    for path in paths:
        try:
            resolved = path.resolve()
            if resolved.is_relative_to(base) and resolved.is_file():
                resolved.unlink()
                removed += 1
        except OSError:
            continue
    return removed


async def _threads(session: AsyncSession, user_id: int) -> set[str]:
    rows = await session.execute(
        select(MessageLog.channel, MessageLog.conversation_id)
        .where(MessageLog.user_id == user_id)
        .distinct()
    )
    threads = {f"{channel}:{conversation}" for channel, conversation in rows}
    inbox = await session.execute(
        select(InboxMessage.channel, InboxMessage.conversation_id)
        .where(InboxMessage.user_id == user_id)
        .distinct()
    )
    threads |= {f"{channel}:{conversation}" for channel, conversation in inbox}
    return threads


async def _user_rows(session: AsyncSession, user_id: int) -> dict[str, list[dict[str, Any]]]:
    existing = set(await session.run_sync(lambda s: inspect(s.connection()).get_table_names()))
    out: dict[str, list[dict[str, Any]]] = {}
    user = (await session.execute(select(User.__table__).where(User.id == user_id))).mappings()
    out["users"] = [dict(row) for row in user]
    for table in Base.metadata.sorted_tables:
        if table.name in existing and "user_id" in table.c:
            rows = await session.execute(select(table).where(table.c.user_id == user_id))
            out[table.name] = [dict(row) for row in rows.mappings()]
    return out


def _log_csv(tables: dict[str, list[dict[str, Any]]]) -> str:
    meals = {m["id"]: m for m in tables.get("meals", [])}
    workouts = {w["id"]: w for w in tables.get("workouts", [])}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "logged_at",
            "type",
            "name",
            "source_id",
            "grams",
            "kcal",
            "protein_g",
            "carbs_g",
            "fat_g",
            "reps",
            "weight_kg",
            "duration_min",
            "distance_km",
        ]
    )
    for item in tables.get("meal_items", []):
        meal = meals.get(item["meal_id"], {})
        writer.writerow(
            [
                meal.get("logged_at"),
                "food",
                item["food_name"],
                item["ndb_no"],
                item["grams"],
                round(item["kcal"], 1),
                round(item["protein_g"], 1),
                round(item["carbs_g"], 1),
                round(item["fat_g"], 1),
                "",
                "",
                "",
                "",
            ]
        )
    for s in tables.get("workout_sets", []):
        workout = workouts.get(s["workout_id"], {})
        writer.writerow(
            [
                workout.get("logged_at"),
                "exercise",
                s["exercise_name"],
                s["exercise_id"] or s["activity_code"],
                "",
                s["kcal"] or "",
                "",
                "",
                "",
                s["reps"] or "",
                s["weight_kg"] or "",
                s["duration_min"] or "",
                s["distance_km"] or "",
            ]
        )
    for w in tables.get("body_weights", []):
        writer.writerow(
            [w["logged_at"], "body_weight", "", "", "", "", "", "", "", "", w["weight_kg"], "", ""]
        )
    return buffer.getvalue()


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
