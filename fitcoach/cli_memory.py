"""``fitcoach memory``: list, re-index, learn patterns and delete long-term memories."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from fitcoach.config import get_settings
from fitcoach.memory.models import CATEGORY_LABELS
from fitcoach.memory.store import MemoryService

memory_app = typer.Typer(help="Long-term memory (Chroma).", no_args_is_help=True)
console = Console()

UserOpt = Annotated[
    str,
    typer.Option(
        "--user", help="Internal user id, or the external id on --channel (e.g. console)."
    ),
]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", help="Resolve --user as this channel's identity.")
]


@memory_app.callback()
def memory_group() -> None:
    """Long-term memory commands."""


def _service() -> MemoryService:
    settings = get_settings()
    settings.ensure_data_dir()
    return MemoryService.from_settings(settings)


def resolve_user(user: str, channel: str | None) -> int:
    """The internal user id for --user/--channel."""
    if channel is None:
        try:
            return int(user)
        except ValueError:
            raise typer.BadParameter("--user must be a number without --channel") from None

    async def find() -> int | None:
        from fitcoach.storage.database import Database
        from fitcoach.storage.repositories import UserDirectory

        database = Database(get_settings().resolved_database_url)
        try:
            async with database.session() as session:
                found = await UserDirectory(session).find(channel, user)
                return found.id if found is not None else None
        finally:
            await database.dispose()

    user_id = asyncio.run(find())
    if user_id is None:
        raise typer.BadParameter(f"no user {user!r} on channel {channel!r}")
    return user_id


@memory_app.command("list")
def list_memories(
    user: UserOpt,
    channel: ChannelOpt = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show one person's memories, grouped by category."""
    store = _service().for_user(resolve_user(user, channel))
    memories = store.all(category)
    if json_out:
        for memory in memories:
            sys.stdout.write(json.dumps(memory.view(), ensure_ascii=False) + "\n")
        return
    if not memories:
        console.print("No memories.")
        return
    for name, items in store.by_category().items():
        if category and name != category:
            continue
        console.print(f"[bold]{CATEGORY_LABELS.get(name, name)}[/]")
        for memory in items:
            console.print(
                f"  • {memory.text}  [dim]({memory.origin}, {memory.confidence:.2f}, "
                f"{memory.updated_at:%Y-%m-%d})[/]"
            )


@memory_app.command("reindex")
def reindex_command(
    rebuild_current: Annotated[
        bool, typer.Option(help="Also re-embed collections of the current embedder.")
    ] = False,
) -> None:
    """Re-embed every memory with the configured embedder (FITCOACH_EMBEDDER)."""
    from fitcoach.memory.reindex import reindex

    service = _service()
    report = reindex(service, rebuild_current=rebuild_current, progress=True)
    console.print(
        f"Re-indexed {report.memories} memories in {report.collections} collection(s) "
        f"into '{service.embedder.slug}' ({report.skipped} skipped) in {report.seconds:.1f} s."
    )


@memory_app.command("learn")
def learn_command(user: UserOpt, channel: ChannelOpt = None) -> None:
    """Learn habits (training days and times, foods, calories) from one person's logs."""
    from fitcoach.memory.patterns import learn_patterns
    from fitcoach.storage.database import Database
    from fitcoach.storage.models import utcnow

    user_id = resolve_user(user, channel)
    store = _service().for_user(user_id)

    async def run() -> None:
        database = Database(get_settings().resolved_database_url)
        try:
            changes = await learn_patterns(database, user_id, store, utcnow())
        finally:
            await database.dispose()
        for change in changes:
            console.print(f"{change.action}: {change.memory.text}")
        if not changes:
            console.print("Not enough logs to learn patterns yet.")

    asyncio.run(run())


@memory_app.command("delete")
def delete_command(
    user: UserOpt,
    channel: ChannelOpt = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete every memory of one person (GDPR erasure)."""
    user_id = resolve_user(user, channel)
    if not yes:
        typer.confirm(f"Delete all memories of user {user_id}?", abort=True)
    count = _service().for_user(user_id).delete_all()
    console.print(f"Deleted {count} memories of user {user_id}.")
