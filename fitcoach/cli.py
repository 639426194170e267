"""The ``fitcoach`` command line (typer)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from fitcoach.cli_memory import memory_app
from fitcoach.cli_plans import plan_app
from fitcoach.cli_prompts import prompts_app
from fitcoach.cli_scheduler import scheduler_app
from fitcoach.cli_telegram import telegram_app
from fitcoach.config import get_settings
from fitcoach.observability import configure_logging

app = typer.Typer(help="fitcoach: a grounded fitness-coach agent.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
food_app = typer.Typer(help="Look up foods in USDA SR.", no_args_is_help=True)
meal_app = typer.Typer(help="Parse meals into grounded items.", no_args_is_help=True)
exercise_app = typer.Typer(help="Look up exercises in the catalog.", no_args_is_help=True)
workout_app = typer.Typer(help="Parse workout messages.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (food_app, "food"),
    (meal_app, "meal"),
    (exercise_app, "exercise"),
    (workout_app, "workout"),
):
    app.add_typer(sub, name=name)
app.add_typer(plan_app, name="plan")
app.add_typer(prompts_app, name="prompts")
app.add_typer(memory_app, name="memory")
app.add_typer(scheduler_app, name="scheduler")
app.add_typer(telegram_app, name="telegram")
access_app = typer.Typer(help="Pairing approvals for channels with the pairing policy.")
app.add_typer(access_app, name="access")

console = Console()
QueriesArg = Annotated[
    list[str], typer.Argument(help="Queries, or '-' to read one per line from stdin.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]
LimitOpt = Annotated[int, typer.Option("--limit", "-n", min=1, max=50, help="How many results.")]


def main() -> None:
    """Entry point of the ``fitcoach`` script."""
    app()


def _lower_priority(increment: int) -> None:
    """Raise this process's niceness; on Linux niceness is per thread, so every thread that
    already exists is changed too (later ones inherit it).

    With the kernel's autogroup scheduling, niceness only ranks threads of one session against
    each other; sessions share the CPU equally. A session leader therefore also lowers its
    autogroup (its session is only itself and its children)."""
    target = min(os.getpriority(os.PRIO_PROCESS, 0) + increment, 19)
    tasks = Path("/proc/self/task")
    threads = [int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [0]
    for thread in threads:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.setpriority(os.PRIO_PROCESS, thread, target)
    autogroup = Path("/proc/self/autogroup")
    if autogroup.exists() and os.getsid(0) == os.getpid():
        with contextlib.suppress(OSError):
            autogroup.write_text(str(target))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    scheduler: Annotated[
        bool, typer.Option(help="Run the proactive scheduler here (off: use `fitcoach worker`).")
    ] = True,
) -> None:
    """Run the HTTP server (webhooks, web chat, admin API) on embedded defaults."""
    import uvicorn

    from fitcoach.app import create_app

    settings = get_settings(scheduler_enabled=scheduler)
    configure_logging(settings.log_level, settings.log_format)
    if settings.process_role == "worker" and settings.worker_nice:
        _lower_priority(settings.worker_nice)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # RequestContextMiddleware logs each request, without client IPs
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=30,
    )


@app.command()
def chat(
    user: Annotated[str, typer.Option("--user", help="Your user id on the console channel.")],
) -> None:
    """Chat with the coach in the terminal (or one reply per stdin line when piped)."""
    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    asyncio.run(_chat(user, interactive=sys.stdin.isatty()))


async def _chat(user: str, *, interactive: bool) -> None:
    from fitcoach.bootstrap import open_services
    from fitcoach.channels.base import InboundMessage

    async with open_services(get_settings()) as services:
        if interactive:
            console.print("[bold green]fitcoach[/] ready. Type a message, or 'quit'.")
        while True:
            line = _read_line(interactive)
            if line is None or (interactive and line.strip().lower() in {"quit", "exit"}):
                break
            if not line.strip():
                continue
            message = InboundMessage(
                channel="console",
                external_user_id=user,
                conversation_id=user,
                message_id=uuid.uuid4().hex,
                text=line.strip(),
            )
            for reply in await services.conversation.handle(message):
                if interactive:
                    console.print(f"[bold cyan]coach>[/] {reply.text}")
                    for button in reply.buttons:
                        console.print(f"  [dim]{button.label}[/]")
                    for file in [*reply.images, *reply.files]:
                        console.print(f"  📎 {file.ref}")
                else:
                    # Piped: each reply is a block without blank lines, then one blank line.
                    attached = [*reply.images, *reply.files]
                    lines = [*reply.text.splitlines(), *(f"📎 {f.ref}" for f in attached)]
                    body = "\n".join(ln for ln in lines if ln.strip())
                    sys.stdout.write(body + "\n\n")
                    sys.stdout.flush()


def _read_line(interactive: bool) -> str | None:
    if interactive:
        try:
            return console.input("[bold]you>[/] ")
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line if line else None


@app.command()
def worker() -> None:
    """Run the proactive scheduler and channel clients without serving HTTP (a separate process
    for deployments that split web and background work)."""
    from fitcoach.app import create_app

    settings = get_settings(scheduler_enabled=True)
    configure_logging(settings.log_level, settings.log_format)
    application = create_app(settings)

    async def run() -> None:
        async with application.router.lifespan_context(application):
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations."""
    from fitcoach.storage.migrate import upgrade_database

    settings = get_settings()
    settings.ensure_data_dir()
    upgrade_database(settings.resolved_database_url, revision)
    console.print(f"database at revision {revision}")


def _queries(values: Iterable[str]) -> Iterator[str]:
    for value in values:
        if value == "-":
            yield from (line.strip() for line in sys.stdin if line.strip())
        else:
            yield value


def _emit(obj: dict[str, Any], as_json: bool, human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        console.print(human)


@food_app.command("search")
def food_search(queries: QueriesArg, json_out: JsonOpt = False, limit: LimitOpt = 5) -> None:
    """Ranked USDA foods for each query."""
    from fitcoach.domain.nutrition.foods import get_food_database

    db = get_food_database()

    def search(query: str) -> tuple[float, list[dict[str, Any]]]:
        result = db.search(query, limit=limit)
        rows = [
            {"ndb": m.food.ndb, "name": m.food.name, "score": round(m.score, 1)}
            for m in result.matches
        ]
        return result.confidence, rows

    _search_command(queries, json_out, search, "  {ndb}  {score:5.1f}  {name}")


@food_app.command("parse")
def food_parse(queries: QueriesArg, json_out: JsonOpt = False) -> None:
    """One food with its portion: NDB_No, grams and kcal."""
    from fitcoach.domain.nutrition.meals import parse_food

    for query in _queries(queries):
        item = parse_food(query)
        if item is None:
            _emit(
                {"query": query, "ndb": None, "name": None, "grams": None, "kcal": None},
                json_out,
                f"[red]{query}: no food found[/]",
            )
            continue
        obj = {
            "query": query,
            "ndb": item.ndb,
            "name": item.food.name,
            "grams": round(item.grams, 1),
            "kcal": round(item.nutrients.kcal, 1),
            "portion": item.portion.description,
            "assumed": item.portion.assumed,
            "confidence": round(item.confidence, 3),
        }
        _emit(
            obj,
            json_out,
            f"{query}: {obj['grams']} g {obj['name']} ({obj['ndb']}) = {obj['kcal']} kcal",
        )


@meal_app.command("parse")
def meal_parse(queries: QueriesArg, json_out: JsonOpt = False) -> None:
    """Split a meal into grounded items with totals."""
    from fitcoach.domain.nutrition.meals import parse_meal

    for text in _queries(queries):
        meal = parse_meal(text)
        items = [
            {
                "ndb": i.ndb,
                "name": i.food.name,
                "grams": round(i.grams, 1),
                "kcal": round(i.nutrients.kcal, 1),
                "phrase": i.phrase,
                "portion": i.portion.description,
                "assumed": i.portion.assumed,
            }
            for i in meal.items
        ]
        t = meal.totals
        totals = {
            "kcal": round(t.kcal, 1),
            "protein_g": round(t.protein_g, 1),
            "carbs_g": round(t.carbs_g, 1),
            "fat_g": round(t.fat_g, 1),
            "fiber_g": round(t.fiber_g, 1),
            "sugar_g": round(t.sugar_g, 1),
            "sodium_mg": round(t.sodium_mg, 1),
        }
        human = (
            f"[bold]{text}[/]\n"
            + "\n".join(
                f"  {i['grams']:7.1f} g  {i['kcal']:6.1f} kcal  {i['name']} ({i['ndb']})"
                for i in items
            )
            + f"\n  total {totals['kcal']} kcal"
            + (
                f"\n  [yellow]not understood: {', '.join(meal.unmatched)}[/]"
                if meal.unmatched
                else ""
            )
        )
        _emit(
            {
                "text": text,
                "items": items,
                "totals": totals,
                "unmatched": list(meal.unmatched),
                "meal_type": meal.meal_type,
            },
            json_out,
            human,
        )


@exercise_app.command("search")
def exercise_search(queries: QueriesArg, json_out: JsonOpt = False, limit: LimitOpt = 5) -> None:
    """Ranked catalog exercises for each query."""
    from fitcoach.domain.exercise.catalog import get_exercise_catalog

    catalog = get_exercise_catalog()

    def search(query: str) -> tuple[float, list[dict[str, Any]]]:
        result = catalog.search(query, limit=limit)
        rows = [
            {"id": m.exercise.id, "name": m.exercise.name, "score": round(m.score, 1)}
            for m in result.matches
        ]
        return result.confidence, rows

    _search_command(queries, json_out, search, "  {score:5.1f}  {name}  [dim]{id}[/]")


def _search_command(
    queries: list[str],
    json_out: bool,
    search: Callable[[str], tuple[float, list[dict[str, Any]]]],
    row_format: str,
) -> None:
    """Run a ranked search per query; one JSON object per line, or a readable list."""
    for query in _queries(queries):
        confidence, rows = search(query)
        human = f"[bold]{query}[/] (confidence {confidence:.2f})\n" + "\n".join(
            row_format.format(**row) for row in rows
        )
        _emit(
            {"query": query, "results": rows, "confidence": round(confidence, 3)}, json_out, human
        )


@workout_app.command("parse")
def workout_parse(
    queries: QueriesArg,
    json_out: JsonOpt = False,
    body_weight: Annotated[float, typer.Option(help="Body weight (kg) for cardio energy.")] = 70.0,
) -> None:
    """Parse workout messages into catalog exercises, sets, reps, load and cardio energy."""
    from fitcoach.domain.exercise.workouts import StrengthEntry, parse_workout

    for text in _queries(queries):
        parsed = parse_workout(text, body_weight_kg=body_weight)
        entries: list[dict[str, Any]] = []
        for e in parsed.entries:
            if isinstance(e, StrengthEntry):
                reps: int | list[int] = e.reps[0] if len(set(e.reps)) == 1 else list(e.reps)
                entries.append(
                    {
                        "exercise_id": e.exercise.id,
                        "name": e.exercise.name,
                        "sets": e.sets,
                        "reps": reps,
                        "weight_kg": e.weight_kg,
                        "rir": e.rir,
                        "rpe": e.rpe,
                    }
                )
            else:
                entries.append(
                    {
                        "activity": e.activity.kind,
                        "name": e.activity.name,
                        "code": e.activity.code,
                        "met": e.activity.met,
                        "duration_min": e.duration_min,
                        "distance_km": e.distance_km,
                        "kcal": round(e.kcal, 1) if e.kcal is not None else None,
                    }
                )
        human = (
            f"[bold]{text}[/]\n"
            + "\n".join(f"  {json.dumps(e)}" for e in entries)
            + (
                f"\n  [yellow]not understood: {', '.join(parsed.unmatched)}[/]"
                if parsed.unmatched
                else ""
            )
        )
        _emit(
            {"text": text, "entries": entries, "unmatched": list(parsed.unmatched)}, json_out, human
        )


@access_app.command("list")
def access_list() -> None:
    """Pairing requests waiting for approval."""
    from fitcoach.access import pending_pairings

    async def run() -> None:
        async with _database() as database, database.session() as session:
            for grant in await pending_pairings(session):
                console.print(
                    f"{grant.pairing_code}  {grant.channel}:{grant.external_id}  "
                    f"{grant.display_name or ''}  {grant.created_at:%Y-%m-%d %H:%M}"
                )

    asyncio.run(run())


@access_app.command("approve")
def access_approve(code: str) -> None:
    """Let the person with this pairing code talk to the coach."""
    _decide(code, approve=True)


@access_app.command("block")
def access_block(code: str) -> None:
    """Refuse the person with this pairing code."""
    _decide(code, approve=False)


def _decide(code: str, *, approve: bool) -> None:
    from fitcoach.access import decide_pairing

    async def run() -> bool:
        async with _database() as database, database.session() as session:
            return await decide_pairing(session, code, approve, by="cli")

    if not asyncio.run(run()):
        console.print(f"[red]no pairing request with code {code}[/]")
        raise typer.Exit(1)
    console.print("approved" if approve else "blocked")


@contextlib.asynccontextmanager
async def _database() -> AsyncIterator[Any]:
    from fitcoach.storage.database import Database
    from fitcoach.storage.migrate import upgrade_database_async

    settings = get_settings()
    settings.ensure_data_dir()
    await upgrade_database_async(settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    try:
        yield database
    finally:
        await database.dispose()
