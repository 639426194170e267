"""``fitcoach scheduler``: preview proactive decisions, run the scheduler worker."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fitcoach.config import Settings, get_settings
from fitcoach.storage.database import Database

scheduler_app = typer.Typer(help="Proactive coach scheduler.", no_args_is_help=True)
console = Console()


async def open_database(settings: Settings) -> Database:
    """Migrate, make sure the scheduler tables exist, and open the database."""
    from fitcoach.storage.migrate import upgrade_database_async
    from fitcoach.storage.models import Base
    from fitcoach.storage.scheduling import SCHEDULING_TABLES

    settings.ensure_data_dir()
    await upgrade_database_async(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=SCHEDULING_TABLES)
    return database


def _parse_at(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@scheduler_app.command("preview")
def preview_command(
    at: Annotated[
        str | None, typer.Option("--at", help="ISO time (default: now; naive = UTC).")
    ] = None,
    user: Annotated[int | None, typer.Option("--user", help="Only this user id.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    all_rows: Annotated[bool, typer.Option("--all", help="Also list not-due triggers.")] = False,
) -> None:
    """List who would get what at --at, and why, without sending anything."""
    from fitcoach.scheduler.config import SchedulerSettings
    from fitcoach.scheduler.preview import preview

    settings = get_settings()
    moment = _parse_at(at)

    async def run() -> list[dict[str, str | int]]:
        database = await open_database(settings)
        try:
            rows = await preview(
                database,
                moment,
                user_id=user,
                settings=SchedulerSettings.from_settings(settings),
                include_not_due=all_rows,
            )
            return [r.as_dict() for r in rows]
        finally:
            await database.dispose()

    rows = asyncio.run(run())
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    table = Table("user", "local time", "trigger", "decision", "why", "due", "message")
    for row in rows:
        table.add_row(
            f"{row['user_id']} {row['name']}",
            str(row["local_time"]),
            str(row["trigger"]),
            str(row["decision"]),
            str(row["reason"]),
            str(row["due_local"]),
            str(row["text"]),
        )
    console.print(table)


@scheduler_app.command("worker")
def worker_command() -> None:
    """Same as ``fitcoach worker``: the scheduler with the real channel clients, no HTTP."""
    from fitcoach.cli import worker

    worker()
