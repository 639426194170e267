"""``fitcoach prompts``: validate the prompt files, list, show, set and roll back overrides."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml
from rich.console import Console

from fitcoach.admin.auth import Actor
from fitcoach.admin.prompt_service import PromptConflictError, check_document
from fitcoach.admin.service import AdminService
from fitcoach.agent.prompts import (
    DEFAULT_PROMPTS_DIR,
    DOCUMENTS,
    PromptError,
    PromptIssue,
    to_yaml,
    validate_dir,
)
from fitcoach.config import get_settings
from fitcoach.observability import configure_logging

prompts_app = typer.Typer(help="Prompt documents and their admin overrides.", no_args_is_help=True)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

DocArg = Annotated[str, typer.Argument(help=f"One of: {', '.join(DOCUMENTS)}.")]
CommentOpt = Annotated[str, typer.Option("--comment", "-m", help="Why (kept with the version).")]
AuthorOpt = Annotated[
    str | None, typer.Option("--author", help="Recorded as the author (default cli:$USER).")
]


def _actor(author: str | None) -> Actor:
    return Actor(author or f"cli:{getpass.getuser()}", "admin")


def _fail(issues: list[PromptIssue]) -> None:
    for issue in issues:
        err.print(f"[red]invalid[/] {issue.source}: [bold]{issue.field}[/]: {issue.problem}")
    raise typer.Exit(1)


@asynccontextmanager
async def _admin() -> AsyncIterator[AdminService]:
    from fitcoach.storage.database import Database
    from fitcoach.storage.migrate import upgrade_database_async

    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    settings.ensure_data_dir()
    await upgrade_database_async(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    try:
        yield await AdminService.open(database, prompts_dir=settings.prompts_dir)
    finally:
        await database.dispose()


def _run(work: Callable[[AdminService], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _admin() as admin:
            return await work(admin)

    try:
        return asyncio.run(main())
    except PromptError as exc:
        _fail(exc.issues)
    except PromptConflictError as exc:
        err.print(f"[red]{exc}[/]")
    raise typer.Exit(1)


@prompts_app.command("validate")
def validate(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Prompts directory (default: configured one).")
    ] = None,
) -> None:
    """Check every prompt file; exit 1 naming the file, field and problem of each error."""
    folder = directory or get_settings().prompts_dir or DEFAULT_PROMPTS_DIR
    issues = validate_dir(folder)
    if issues:
        _fail(issues)
    for name in DOCUMENTS:
        if not (folder / f"{name}.yaml").exists():
            console.print(f"[yellow]note[/] {folder}/{name}.yaml missing: the packaged one is used")
    console.print(f"[green]ok[/] {len(DOCUMENTS)} documents valid in {folder}")


@prompts_app.command("list")
def list_documents() -> None:
    """Each document: where it comes from now (file or override version) and any problems."""

    async def work(admin: AdminService) -> None:
        await admin.prompts.refresh(force=True)
        for name in DOCUMENTS:
            view = admin.prompts.describe(name)
            console.print(f"[bold]{name:14}[/] {view.source:14} v{view.version:<4} {view.file}")
            for issue in view.issues:
                console.print(f"  [red]problem[/] {issue}")

    _run(work)


@prompts_app.command("show")
def show(
    document: DocArg,
    version: Annotated[int | None, typer.Option(help="A stored version instead.")] = None,
    history: Annotated[bool, typer.Option("--history", help="List versions with diffs.")] = False,
) -> None:
    """Print a document as in effect (YAML), a stored version, or the version history."""

    async def work(admin: AdminService) -> None:
        check_document(document)
        if history:
            for row in await admin.prompts.history(document):
                restored = (
                    f" (restores v{row.restored_version})" if row.action == "rollback" else ""
                )
                console.print(
                    f"[bold]v{row.version}[/] {row.action}{restored} by {row.author} at "
                    f"{row.created_at:%Y-%m-%d %H:%M} — {row.comment}"
                )
                console.print(row.diff, markup=False, highlight=False)
            return
        if version is not None:
            rows = [r for r in await admin.prompts.history(document, 1000) if r.version == version]
            if not rows:
                raise PromptError([PromptIssue(document, "--version", f"no version {version}")])
            sys.stdout.write(rows[0].content or "# (back to the file)\n")
            return
        await admin.prompts.refresh(force=True)
        sys.stdout.write(to_yaml(admin.prompts.describe(document).content))

    _run(work)


@prompts_app.command("render")
def render(
    channel: Annotated[str, typer.Option(help="Channel style to apply.")] = "web",
    personality: Annotated[str | None, typer.Option(help="Personality name.")] = None,
    profile: Annotated[str, typer.Option(help="Profile line for the sample person.")] = (
        "name Sam; goal: build strength; prefers metric units, timezone UTC"
    ),
) -> None:
    """Print the system prompt a sample person gets now."""

    async def work(admin: AdminService) -> None:
        prompt_set = await admin.prompts.current()
        key, _ = prompt_set.personality(personality)
        sys.stdout.write(prompt_set.compose(channel, key, profile) + "\n")

    _run(work)


@prompts_app.command("set")
def set_prompt(
    document: DocArg,
    field: Annotated[
        str | None,
        typer.Argument(help="Dotted field, e.g. persona or personalities.tough-love.style."),
    ] = None,
    value: Annotated[str | None, typer.Option("--value", help="New text of the field.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="YAML of the whole document, or the field text.")
    ] = None,
    comment: CommentOpt = "",
    author: AuthorOpt = None,
) -> None:
    """Save a new version: a whole document (--file) or one field (FIELD --value/--file)."""
    if (value is None) == (file is None):
        err.print("[red]give exactly one of --value or --file[/]")
        raise typer.Exit(2)
    text = value if value is not None else _read(file)

    async def work(admin: AdminService) -> Any:
        if field is None:
            content = _parse_yaml(document, text)
            return await admin.prompts.set_document(document, content, _actor(author), comment)
        changes = {field: text if file is None else _field_value(text)}
        return await admin.prompts.set_fields(document, changes, _actor(author), comment)

    row = _run(work)
    console.print(f"[green]saved[/] {document} v{row.version}")
    console.print(row.diff, markup=False, highlight=False)


@prompts_app.command("rollback")
def rollback(
    document: DocArg,
    to: Annotated[
        int | None, typer.Option("--to", help="Version to restore (0 = the file).")
    ] = None,
    comment: CommentOpt = "",
    author: AuthorOpt = None,
) -> None:
    """Restore an earlier version as a new version (default: undo the newest change)."""

    async def work(admin: AdminService) -> Any:
        return await admin.prompts.rollback(document, _actor(author), to, comment)

    row = _run(work)
    console.print(
        f"[green]rolled back[/] {document} to v{row.restored_version} (now v{row.version})"
    )


def _read(path: Path | None) -> str:
    assert path is not None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]{path}: cannot read: {exc}[/]")
        raise typer.Exit(1) from exc


def _parse_yaml(document: str, text: str) -> object:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PromptError([PromptIssue(f"{document} (--file)", "(yaml)", str(exc))]) from exc


def _field_value(text: str) -> object:
    """A field's value from a file: a YAML mapping or list as data, anything else as text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return data if isinstance(data, dict | list) else text
