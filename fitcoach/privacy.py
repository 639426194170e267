"""GDPR: export everything we hold about a person, or delete it all (after confirmation).

Deletion covers database rows of every table that has a ``user_id`` (meals, workouts, plans,
reminders, inbox, message log, media rows, ...), the user and identities, long-term memories
in Chroma, LangGraph checkpoints of the person's conversations, and stored files."""

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

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.memory import MemoryService
from fitcoach.storage.all_models import Base
from fitcoach.storage.database import Database
from fitcoach.storage.models import ChannelIdentity, InboxMessage, MessageLog, User, utcnow
from fitcoach.storage.privacy import PendingAction

CONFIRM_WINDOW = timedelta(minutes=10)
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

    async def export(self, user_id: int) -> list[Path]:
        """Write ``export.json`` (everything) and ``log.csv`` (meals and workouts)."""
        async with self.database.session() as session:
            tables = await _user_rows(session, user_id)
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
                for m in await asyncio.to_thread(store.all)
            ]
        folder = self.data_dir / "exports" / str(user_id)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        json_path = folder / f"fitcoach-export-{stamp}.json"
        payload = {"exported_at": utcnow().isoformat(), "tables": tables, "memories": memories}
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

    async def delete(self, user_id: int) -> DeletionReport:
        """Erase the person: memories, rows, checkpoints and files. The memories go first:
        while the memory store is unreachable this fails before anything is deleted, so the
        person can ask again rather than be left half erased."""
        report = DeletionReport()
        if self.memory is not None:
            report.memories = await asyncio.to_thread(self.memory.for_user(user_id).delete_all)
        async with self.database.session() as session:
            threads = await _threads(session, user_id)
            unattributed, inbox_files = await _inbox_of_person(session, user_id)
            if unattributed:
                await session.execute(delete(InboxMessage).where(InboxMessage.id.in_(unattributed)))
            report.rows["inbox_unattributed"] = len(unattributed)
            for thread in threads:
                if self.checkpointer is not None:
                    await self.checkpointer.adelete_thread(thread)
                    report.threads += 1
            existing = set(
                await session.run_sync(lambda s: inspect(s.connection()).get_table_names())
            )
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in existing and "user_id" in table.c:
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


async def _inbox_of_person(session: AsyncSession, user_id: int) -> tuple[list[int], list[Path]]:
    """Inbox rows of this person's identities that never got a user id (e.g. commands), and
    the files (channel downloads: photos, voice notes) any of their messages carried."""
    identities = {
        (channel, external)
        for channel, external in await session.execute(
            select(ChannelIdentity.channel, ChannelIdentity.external_id).where(
                ChannelIdentity.user_id == user_id
            )
        )
    }
    channels = {channel for channel, _ in identities}
    rows = await session.execute(
        select(
            InboxMessage.id, InboxMessage.channel, InboxMessage.user_id, InboxMessage.payload
        ).where(
            or_(
                InboxMessage.user_id == user_id,
                InboxMessage.user_id.is_(None) & InboxMessage.channel.in_(channels),
            )
        )
    )
    unattributed: list[int] = []
    files: list[Path] = []
    for row_id, channel, owner, payload in rows:
        try:
            message = json.loads(payload)
            external = message.get("external_user_id")
        except (ValueError, AttributeError):
            continue
        if owner is None:
            if (channel, external) not in identities:
                continue
            unattributed.append(row_id)
        for attachment in [*message.get("images", []), *message.get("audio", [])]:
            if isinstance(attachment, dict) and isinstance(attachment.get("ref"), str):
                files.append(Path(attachment["ref"]))
    return unattributed, files


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
