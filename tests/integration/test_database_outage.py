"""A PostgreSQL outage (restart, failover) in the middle of the traffic: turns wait for the
database and answer once, webhooks answer 503. The database sits behind a TCP proxy that
drops every connection and refuses new ones while "down" (tests/fakes/tcp_proxy.py)."""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import httpx
import psycopg
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import event, func, literal, select, text
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from fitcoach import bootstrap
from fitcoach.app import create_app
from fitcoach.bootstrap import open_services
from fitcoach.channels.base import InboundMessage, OutboundMessage
from fitcoach.config import Settings, get_settings
from fitcoach.conversation import FAILURE_REPLY
from fitcoach.storage import checkpoints, driver
from fitcoach.storage.database import Database
from fitcoach.storage.models import InboxMessage, Meal, MealItem
from fitcoach.storage.outage import (
    DatabaseUnavailable,
    database_unavailable,
    log_job_failure,
    when_reachable,
)
from fitcoach.webhooks.outage import answer_outages_with_503
from tests.fakes.tcp_proxy import CuttableProxy

pytestmark = pytest.mark.postgres

OUTAGE_S = 1.5


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)
    auth = host[0] + "@" if len(host) == 2 else ""
    return urlunsplit(parts._replace(netloc=f"{auth}127.0.0.1:{port}"))


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[CuttableProxy]:
    upstream = urlsplit(pg_url)
    opened = CuttableProxy(upstream.hostname or "127.0.0.1", upstream.port or 5432)
    await opened.start()
    try:
        yield opened
    finally:
        await opened.close()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _error_of(work: object) -> BaseException:
    try:
        await work  # type: ignore[misc]
    except BaseException as error:
        return error
    raise AssertionError("no error")


async def test_outage_errors_are_told_from_other_failures(
    pg_url: str, proxy: CuttableProxy
) -> None:
    port = _closed_port()
    refused_asyncpg = await _error_of(asyncpg.connect(f"postgresql://postgres@127.0.0.1:{port}/x"))
    refused_psycopg = await _error_of(
        psycopg.AsyncConnection.connect(f"postgresql://postgres@127.0.0.1:{port}/x")
    )
    database = Database(_through(pg_url, proxy.port), pool_size=1, max_overflow=0)
    try:
        async with database.session() as session:
            await session.execute(text("SELECT 1"))
        await proxy.cut()
        dropped = await _error_of(_select_one(database))  # the pooled connection was dropped
        refused = await _error_of(_select_one(database))  # and a new one is refused
        await proxy.restore()
        await _select_one(database)
        division = await _error_of(_execute(database, "SELECT 1 / 0"))
        timeout = await _error_of(
            _execute(database, "SET statement_timeout = 10; SELECT pg_sleep(1)")
        )
    finally:
        await database.dispose()
    async with aiohttp.ClientSession() as http:  # a model or platform host that is down
        model_down = await _error_of(http.get(f"http://127.0.0.1:{port}/"))
    sqlite = Database("sqlite+aiosqlite://")
    try:
        missing_table = await _error_of(_execute(sqlite, "SELECT * FROM nowhere"))
    finally:
        await sqlite.dispose()

    no_slot = await _errors_with_no_connection_slot(pg_url)
    for outage in (refused_asyncpg, refused_psycopg, dropped, refused, *no_slot):
        assert database_unavailable(outage), repr(outage)
    for other in (division, timeout, model_down, missing_table, ValueError("bad input")):
        assert not database_unavailable(other), repr(other)


async def _errors_with_no_connection_slot(pg_url: str) -> list[BaseException]:
    """The server's "too many connections" (53300) as each driver and the pool raise it,
    from a role allowed no connection at all (all slots taken, without taking them)."""
    plain = checkpoints.plain_postgres_url(pg_url)
    role = f"fitcoach_no_slot_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(plain)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
        parts = urlsplit(plain)
        url = urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"))
        errors = [
            await _error_of(asyncpg.connect(url)),
            await _error_of(psycopg.AsyncConnection.connect(url)),
        ]
        database = Database(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            errors.append(await _error_of(_select_one(database)))
        finally:
            await database.dispose()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
    assert all("too many connections" in str(error) for error in errors), errors
    return errors


async def _select_one(database: Database) -> None:
    await _execute(database, "SELECT 1")


async def _execute(database: Database, sql: str) -> None:
    async with database.session() as session:
        for statement in sql.split(";"):
            await session.execute(text(statement))


def _message(n: int) -> InboundMessage:
    texts = ["had 2 large eggs", "how am I doing today?", "had a banana"]
    return InboundMessage(
        channel="test",
        external_user_id="p",
        conversation_id="p",
        message_id=f"m{n}",
        text=texts[n % len(texts)],
    )


class Outage:
    """Takes the database down once for OUTAGE_S, when ``start`` is first called."""

    def __init__(self, proxy: CuttableProxy) -> None:
        self.proxy = proxy
        self.task: asyncio.Task[None] | None = None

    def start(self, *_: object) -> None:
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        await self.proxy.cut()
        await asyncio.sleep(OUTAGE_S)
        await self.proxy.restore()


async def _run_conversation(
    pg_url: str, proxy: CuttableProxy, tmp_path: Path, messages: list[InboundMessage], moment: str
) -> tuple[list[tuple[str, str]], list[str], int, Outage]:
    """Every message accepted, then processed while the outage starts at ``moment``; the
    replies sent (message id, text), the inbox statuses, and how many meals were logged."""
    settings = get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        database_url=_through(pg_url, proxy.port),
        db_outage_wait_s=30,
        # Longer than the wait below: only a claim that knows its own row answers in time.
        inbox_lease_s=120 if moment == "claim_unheard" else 30,
    )
    outage = Outage(proxy)
    sent: list[tuple[str, str]] = []

    async def deliver(inbound: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent.extend((inbound.message_id, r.text) for r in replies)
        if moment == "reply_sent":
            outage.start()

    def after_commit(session: Session) -> None:
        if session.info.pop("meal_written", False):
            outage.start()  # the tool's write is in; the checkpoint write will fail

    def after_flush(session: Session, _: object) -> None:
        if not any(isinstance(row, Meal) for row in session.new):
            return
        if moment == "meal_committed":
            session.info["meal_written"] = True
        elif not proxy.commits_lost:
            # PostgreSQL will commit the meal, but the connection drops before the client
            # hears so: the tool fails with a lost connection, and the turn runs again.
            proxy.lose_commit_reply(_client_port(session))

    async with open_services(settings) as services:
        conversation = services.conversation
        conversation.register_deliverer(
            "test", deliver, on_start=outage.start if moment == "turn_started" else None
        )
        if moment in ("meal_committed", "commit_unheard"):
            event.listen(Session, "after_flush", after_flush)
            event.listen(Session, "after_commit", after_commit)
        try:
            for m in messages:
                assert await conversation.accept(m)
            if moment == "claim_unheard":
                # The claim of the third message runs, but its answer is lost with the
                # connection: the claim is tried again and must find the row its own.
                proxy.lose_reply_containing(b'"message_id":"m2"')
            for m in messages:
                conversation.queue.enqueue(m)
            async with asyncio.timeout(60):
                while len(sent) < len(messages):
                    await asyncio.sleep(0.05)
            await conversation.drain()
        finally:
            if moment in ("meal_committed", "commit_unheard"):
                event.remove(Session, "after_flush", after_flush)
                event.remove(Session, "after_commit", after_commit)
        if moment == "commit_unheard":
            assert proxy.commits_lost == 1
        elif moment == "claim_unheard":
            assert proxy.replies_lost == 1
        else:
            assert outage.task is not None, "the outage never started"
            await outage.task
        async with services.database.session() as session:
            statuses = list((await session.execute(select(InboxMessage.status))).scalars())
            meals = (await session.execute(select(func.count()).select_from(MealItem))).scalar()
    return sent, statuses, int(meals or 0), outage


def _client_port(session: Session) -> int:
    """The local port of the session's connection to the proxy (asyncpg's socket)."""
    adapted = session.connection().connection.dbapi_connection
    transport = adapted._connection._transport  # type: ignore[union-attr]
    return int(transport.get_extra_info("sockname")[1])


@pytest.mark.parametrize(
    "moment", ["turn_started", "reply_sent", "meal_committed", "commit_unheard", "claim_unheard"]
)
async def test_turns_wait_out_a_database_outage_and_answer_once(
    pg_url: str, proxy: CuttableProxy, tmp_path: Path, moment: str
) -> None:
    """The outage begins as a turn starts (the person lookup fails), right after a reply went
    out (the next claim fails), right after a tool logged a meal (the checkpoint write
    fails and the turn runs again: the tool's call is answered from the turn's journal), or
    as the tool's COMMIT went through unheard (the tool failed; when the turn runs again the
    tool finds its effect key taken, rolls its second meal back and answers the first's
    result), or as the claim of a message ran unheard (the claim's retry takes the row it
    claimed, instead of leaving it to the lease as another worker's)."""
    messages = [_message(n) for n in range(4)]
    sent, statuses, meals, _ = await _run_conversation(pg_url, proxy, tmp_path, messages, moment)
    assert [i for i, _ in sent] == [m.message_id for m in messages]  # each once, in order
    assert FAILURE_REPLY not in [t for _, t in sent]
    assert "143 kcal" in sent[0][1] and "kcal" in sent[3][1]
    assert statuses == ["done"] * len(messages)
    assert meals == 2 + 1  # two eggs, then a banana: each logged once


async def test_requests_answer_503_while_the_database_is_down(
    pg_url: str, proxy: CuttableProxy
) -> None:
    database = Database(_through(pg_url, proxy.port))
    app = FastAPI()
    answer_outages_with_503(app)

    @app.get("/one")
    async def one() -> dict[str, int]:
        await _select_one(database)
        return {"ok": 1}

    @app.get("/driver")  # the hot statements take their connection from the pool directly
    async def on_the_driver() -> dict[str, int]:
        await driver.fetch(database, select(literal(1)), {})
        return {"ok": 1}

    @app.get("/broken")
    async def broken() -> dict[str, int]:
        await _execute(database, "SELECT 1 / 0")
        return {"ok": 1}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            assert (await client.get("/one")).status_code == 200
            await proxy.cut()
            down = await client.get("/one")
            assert down.status_code == 503 and down.headers["retry-after"] == "2"
            assert "try again" in down.json()["detail"]
            await proxy.shut_down_with(SHUTTING_DOWN)  # listening, but refusing with FATAL
            assert (await client.get("/one")).status_code == 503
            assert (await client.get("/driver")).status_code == 503
            await proxy.restore()
            assert (await client.get("/one")).status_code == 200
            assert (await client.get("/broken")).status_code == 500  # not an outage
    finally:
        await database.dispose()


def _fatal(sqlstate: str, message: str) -> bytes:
    """A FATAL ErrorResponse as PostgreSQL sends it."""
    fields = b"SFATAL\0VFATAL\0C" + sqlstate.encode() + b"\0M" + message.encode() + b"\0\0"
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


ADMIN_SHUTDOWN = _fatal("57P01", "terminating connection due to administrator command")
SHUTTING_DOWN = _fatal("57P03", "the database system is shutting down")


@pytest.mark.parametrize("path", ["driver", "session"])
async def test_an_idle_connection_told_fatal_by_a_stopping_server_is_replaced(
    pg_url: str, proxy: CuttableProxy, path: str
) -> None:
    """A fast shutdown tells every idle connection FATAL 57P01, then closes it. A statement
    that takes such a connection from the pool in between fails in the driver ("another
    operation is in progress"): that counts as the database going away, so the turn tries
    again, on a new connection."""
    database = Database(_through(pg_url, proxy.port), pool_size=1, max_overflow=0)

    async def on_the_driver() -> None:
        await driver.fetch(database, select(literal(1)), {})

    statement: Callable[[], Awaitable[None]] = (
        on_the_driver if path == "driver" else (lambda: _select_one(database))
    )
    failures: list[BaseException] = []

    async def work() -> None:
        try:
            await statement()
        except Exception as error:
            failures.append(error)
            raise

    try:
        await work()  # the pool's one connection, now idle
        proxy.tell_clients(ADMIN_SHUTDOWN)
        await asyncio.sleep(0.1)
        await when_reachable(10, work)
        assert len(failures) == 1 and "another operation" in str(failures[0])
    finally:
        await database.dispose()


async def test_a_webhook_gives_up_on_a_hung_database_and_the_message_is_answered_later(
    pg_url: str, proxy: CuttableProxy, tmp_path: Path
) -> None:
    """While the database hangs (nothing refused, nothing answered) an inbound message is not
    acknowledged: after the accept timeout its webhook fails as an outage (503, the platform
    delivers it again). The write goes through once the database answers; the recovery sweep
    runs the message, and the platform's redelivery is a duplicate: one reply."""
    settings = get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        database_url=_through(pg_url, proxy.port),
        accept_timeout_s=0.5,
        inbox_lease_s=1.5,
        gc_freeze=False,
    )
    sent: list[tuple[str, str]] = []

    async def deliver(inbound: InboundMessage, replies: list[OutboundMessage]) -> None:
        sent.extend((inbound.message_id, r.text) for r in replies)

    async with open_services(settings) as services:
        conversation = services.conversation
        conversation.register_deliverer("test", deliver)
        message = _message(0)
        proxy.freeze()
        try:
            error = await _error_of(asyncio.wait_for(conversation.submit(message, deliver), 10))
        finally:
            proxy.thaw()
        assert database_unavailable(error), repr(error)
        async with asyncio.timeout(30):
            while not sent:
                await asyncio.sleep(1.6)  # past the lease: the stored message is stale
                await conversation.recover()
        assert not await conversation.submit(message, deliver)  # the redelivery
        await conversation.drain()
    assert [i for i, _ in sent] == [message.message_id]
    assert "143 kcal" in sent[0][1]


def _replica_settings(pg_url: str, proxy: CuttableProxy, tmp_path: Path) -> Settings:
    return get_settings(
        data_dir=tmp_path / "var",
        model="offline",
        database_url=_through(pg_url, proxy.port),
        db_outage_wait_s=30,
        gc_freeze=False,
    )


async def test_a_replica_started_while_the_database_is_down_waits_for_it(
    pg_url: str, proxy: CuttableProxy, tmp_path: Path
) -> None:
    """The migration at start-up is the first statement: it waits for the database like a
    turn does, so a replica that starts before PostgreSQL (or during its restart) comes up
    when PostgreSQL does, instead of exiting."""
    settings = _replica_settings(pg_url, proxy, tmp_path)
    await proxy.cut()
    restore = asyncio.get_running_loop().call_later(
        1.5, lambda: asyncio.ensure_future(proxy.restore())
    )
    try:
        async with asyncio.timeout(60), open_services(settings) as services:
            replies = await services.conversation.handle(_message(0))
    finally:
        restore.cancel()
    assert "143 kcal" in replies[0].text


@pytest.mark.parametrize("after", ["migration", "checkpoint set-up"])
async def test_a_restart_during_start_up_after_the_migration_is_waited_out(
    pg_url: str,
    proxy: CuttableProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    after: str,
) -> None:
    """The restart can begin after the migration: the checkpoint tables' set-up waits for
    the database as the migration does, and the inbox statement's warm-up leaves the work to
    the first write. The replica comes up (it used to exit: found by a soak that stopped
    PostgreSQL while replicas started) and answers once the database is back."""
    settings = _replica_settings(pg_url, proxy, tmp_path)
    restored = asyncio.Event()

    async def restore_later() -> None:
        await asyncio.sleep(1.5)
        await proxy.restore()
        restored.set()

    def then_restart(step: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        async def run(*args: Any) -> None:
            await step(*args)
            if not restarts:
                restarts.append(step)
                await proxy.cut()
                background.append(asyncio.ensure_future(restore_later()))

        return run

    background: list[asyncio.Future[None]] = []
    restarts: list[object] = []
    if after == "migration":
        monkeypatch.setattr(
            bootstrap, "upgrade_database_async", then_restart(bootstrap.upgrade_database_async)
        )
    else:
        monkeypatch.setattr(checkpoints, "_set_up_tables", then_restart(checkpoints._set_up_tables))
    app = create_app(settings, plugins=[])
    async with asyncio.timeout(60), app.router.lifespan_context(app):
        await restored.wait()
        replies = await app.state.services.conversation.handle(_message(0))
    assert len(restarts) == 1
    assert "143 kcal" in replies[0].text


def _logged_by_a_job(error: Exception) -> dict[str, Any]:
    with capture_logs() as events:
        try:
            raise error
        except Exception as caught:
            log_job_failure(structlog.get_logger("test"), "tick_failed", caught)
    return dict(events[0])


def test_a_periodic_job_logs_an_outage_as_one_warning_and_other_failures_in_full() -> None:
    outage = _logged_by_a_job(DatabaseUnavailable("restarting"))
    bug = _logged_by_a_job(ValueError("a bug"))
    assert (outage["log_level"], outage["reason"]) == ("warning", "database_unavailable")
    assert "exc_info" not in outage
    assert bug["log_level"] == "error" and bug["exc_info"] is True
