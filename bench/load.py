"""Load and fault bench: N concurrent Telegram conversations against fitcoach replicas.

Prints figures; not a test. Everything runs on 127.0.0.1:

- fake Telegram Bot API (tests/fakes/telegram_server.py, records every sendMessage),
- FakeGemini (tests/fakes/gemini_server.py) as the model: every answer arrives after
  ``--model-delay`` seconds and quotes the ``[cN sM]`` tag of the message it answers,
- ``--replicas`` ``fitcoach serve`` processes sharing one scratch PostgreSQL database and Redis,
- the bare python-telegram-bot echo bot (bench/echo_bot.py) driven the same way (baseline).

Phases (each with fresh processes and a fresh database):
1. ``echo``   the baseline, no faults;
2. ``clean``  fitcoach, no faults: throughput and latency figures;
3. ``faults`` fitcoach with duplicate deliveries, one replica SIGKILLed, a Redis restart, a
   PostgreSQL restart (``--postgres-down`` seconds stopped; 0 skips it) and a
   burst of model 500s: correctness figures (lost / duplicated / order).

Each conversation is one private chat. It sends its messages in order, each after the previous
one was acknowledged (like Telegram's in-order delivery), keeping at most ``--inflight``
messages unanswered (default 2, so ordering is exercised). A webhook that fails (connection
refused, 5xx, timeout) is delivered again to another replica, as Telegram would.

    python bench/load.py                          # defaults, ≤ 10 minutes
    python bench/load.py --conversations 50 --messages 4 --no-echo --lease 20 --sweep 5
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h
import _task_cpu

from tests.fakes.chroma_server import ChromaServer, chroma_command

CHAT_BASE = 7_000_000
SERVICES = ("postgres", "redis-server")  # their CPU is shown beside the app's
RSS_EVERY_S = 2.0
QUESTIONS = [
    "any tips for staying motivated this week?",
    "what should I focus on to get better at squats?",
    "is it fine to train when I'm a bit sore?",
    "how can I sleep better before training days?",
    "what do you think about walking after dinner?",
    "how do I warm up properly before lifting?",
]


# ---- one load run ---------------------------------------------------------------------------


@dataclass
class Msg:
    conv: int
    seq: int
    update_id: int
    message_id: int
    text: str
    first_sent: float = 0.0
    acked: float = 0.0
    replies: list[float] = field(default_factory=list)
    inferred: bool = False


@dataclass
class RunResult:
    name: str
    msgs: dict[tuple[int, int], Msg]
    order: dict[int, list[int]]  # conv -> seqs in reply order (first reply of each)
    ack_latencies: list[float]
    ack_status: Counter[str]
    redeliveries: int
    duplicates_sent: int
    untagged: Counter[str]
    extra_replies: int
    start: float
    end: float
    reply_times: list[float]
    cpu: dict[str, float]
    events: list[str]
    typing_calls: int
    send_calls: int
    ack_when: list[float] = field(default_factory=list)
    # (replies so far, RSS MiB per process) every RSS_EVERY_S seconds of the run
    rss: list[tuple[int, dict[str, float]]] = field(default_factory=list)


class Load:
    """Drives one phase: conversations → webhooks; replies ← fake Telegram."""

    def __init__(
        self,
        name: str,
        targets: list[h.Replica],
        conversations: int,
        messages: int,
        inflight: int,
        dup_rate: float,
        deadline: float,
        seed: int,
        workers: list[h.Replica] | None = None,
        max_connections: int = 0,
        fakes_cpu: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.name = name
        self.fakes_cpu = fakes_cpu  # CPU seconds of fakes running in processes of their own
        # Telegram opens at most max_connections (default 40) simultaneous webhook requests
        # per bot; 0 = unlimited (every conversation posts at once).
        self.connections = asyncio.Semaphore(max_connections) if max_connections else None
        self.targets = targets
        self.processes = [*targets, *(workers or [])]  # CPU is counted for all of them
        self.conversations = conversations
        self.messages = messages
        self.inflight = inflight
        self.dup_rate = dup_rate
        self.deadline = deadline
        self.rng = random.Random(seed)
        self.msgs: dict[tuple[int, int], Msg] = {}
        self.order: dict[int, list[int]] = defaultdict(list)
        self.wakeups: dict[int, asyncio.Event] = {}
        self.ack_latencies: list[float] = []
        self.ack_when: list[float] = []  # when each acked delivery started (ack_latencies order)
        self.ack_status: Counter[str] = Counter()
        self.redeliveries = 0
        self.duplicates_sent = 0
        self.untagged: Counter[str] = Counter()
        self.extra_replies = 0
        self.reply_times: list[float] = []
        self.sent_count = 0
        self.rr = 0
        self.events: list[str] = []
        self.typing_calls = 0
        self.send_calls = 0
        self.loop = asyncio.get_running_loop()
        self.started = time.monotonic()
        self.session: aiohttp.ClientSession | None = None
        self.background: set[asyncio.Task[None]] = set()
        self.rss: list[tuple[int, dict[str, float]]] = []

    # replies (called from the fake's thread)
    def on_call(self, method: str, params: dict[str, Any], at: float, ok: bool) -> None:
        if not ok:
            return
        if method.lower() == "sendchataction":
            self.typing_calls += 1
        elif method.lower() == "sendmessage":
            self.send_calls += 1
            self.loop.call_soon_threadsafe(
                self._reply, params.get("chat_id"), params.get("text"), at
            )

    def _reply(self, chat_id: Any, text: Any, at: float) -> None:
        try:
            conv = int(chat_id) - CHAT_BASE
        except (TypeError, ValueError):
            return
        if not 0 <= conv < self.conversations:
            return
        self.reply_times.append(at)
        match = h.TAG.search(text or "")
        if match and int(match.group(1)) == conv:
            msg = self.msgs.get((conv, int(match.group(2))))
        else:
            self.untagged[(text or "")[:90]] += 1
            # An offline-fallback answer does not quote the tag: give it to the oldest message
            # of this conversation still waiting (correct when order is kept).
            waiting = [
                m for (c, _), m in self.msgs.items() if c == conv and m.first_sent and not m.replies
            ]
            msg = min(waiting, key=lambda m: m.seq) if waiting else None
            if msg is not None:
                msg.inferred = True
        if msg is None:
            self.extra_replies += 1
            return
        if not msg.replies:
            self.order[conv].append(msg.seq)
        msg.replies.append(at)
        self.wakeups[conv].set()

    # sending
    def _pick(self, avoid: h.Replica | None = None) -> h.Replica:
        alive = [t for t in self.targets if t.alive and t is not avoid] or [
            t for t in self.targets if t.alive
        ]
        if not alive:
            raise RuntimeError("no replica alive")
        self.rr += 1
        return alive[self.rr % len(alive)]

    async def _post(self, target: h.Replica, body: bytes) -> tuple[int | None, float]:
        if self.connections is None:
            return await self._post_now(target, body)
        async with self.connections:
            return await self._post_now(target, body)

    async def _post_now(self, target: h.Replica, body: bytes) -> tuple[int | None, float]:
        assert self.session is not None
        started = time.monotonic()
        try:
            async with self.session.post(
                target.url + "/webhooks/telegram",
                data=body,
                headers={h.SECRET_HEADER: h.SECRET, "Content-Type": "application/json"},
            ) as response:
                await response.read()
                return response.status, time.monotonic() - started
        except (TimeoutError, aiohttp.ClientError):
            return None, time.monotonic() - started

    async def deliver(self, body: bytes, *, first: h.Replica | None = None) -> bool:
        """Deliver until a 200 (other replica after a failure), like Telegram retrying."""
        target = first or self._pick()
        attempt = 0
        while time.monotonic() < self.deadline:
            status, took = await self._post(target, body)
            self.ack_status[str(status) if status else "conn_error"] += 1
            if status == 200:
                self.ack_latencies.append(took)
                self.ack_when.append(time.monotonic() - took)
                return True
            attempt += 1
            self.redeliveries += 1
            if attempt >= 30:
                return False
            await asyncio.sleep(min(0.2 * attempt, 2.0))
            target = self._pick(avoid=target)
        return False

    def _update(self, msg: Msg) -> bytes:
        chat = CHAT_BASE + msg.conv
        return json.dumps(
            {
                "update_id": msg.update_id,
                "message": {
                    "message_id": msg.message_id,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private", "first_name": f"P{msg.conv}"},
                    "from": {"id": chat, "is_bot": False, "first_name": f"P{msg.conv}"},
                    "text": msg.text,
                },
            }
        ).encode()

    async def conversation(self, conv: int) -> None:
        wake = self.wakeups[conv] = asyncio.Event()
        await asyncio.sleep(self.rng.random() * 1.0)  # spread the start
        for seq in range(1, self.messages + 1):
            while (
                sum(1 for s in range(1, seq) if not self.msgs[(conv, s)].replies) >= self.inflight
            ):
                wake.clear()
                remaining = self.deadline - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    await asyncio.wait_for(wake.wait(), remaining)
                except TimeoutError:
                    return
            if time.monotonic() >= self.deadline:
                return
            msg = self.msgs[(conv, seq)]
            body = self._update(msg)
            msg.first_sent = time.monotonic()
            target = self._pick()
            if self.dup_rate and self.rng.random() < self.dup_rate:
                other = self._pick(avoid=target)
                task = asyncio.create_task(self._duplicate(body, other))
                self.background.add(task)
                task.add_done_callback(self.background.discard)
            await self.deliver(body, first=target)
            msg.acked = time.monotonic()
            self.sent_count += 1

    async def _duplicate(self, body: bytes, target: h.Replica) -> None:
        await asyncio.sleep(self.rng.random() * 0.3)  # a redelivery racing the original
        self.duplicates_sent += 1
        await self.deliver(body, first=target)

    def prepare(self) -> None:
        update_id = 1
        for conv in range(self.conversations):
            for seq in range(1, self.messages + 1):
                question = QUESTIONS[(conv + seq) % len(QUESTIONS)]
                # The tag goes before the question mark: a question that ends in "?" is
                # one to the parsers, as people write it (they skip questions early).
                text = f"{question.removesuffix('?')} [c{conv} s{seq}]?"
                self.msgs[(conv, seq)] = Msg(conv, seq, update_id, 100 + seq, text)
                update_id += 1

    def total(self) -> int:
        return len(self.msgs)

    def answered(self) -> int:
        return sum(1 for m in self.msgs.values() if m.replies)

    async def run(self, faults: Faults | None, settle: float = 3.0) -> RunResult:
        self.prepare()
        # The load generator's own full collections would show up as slow acks.
        gc.collect()
        gc.freeze()
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=30)
        cpu0 = {t.name: t.snapshot_cpu() for t in self.processes}
        harness0 = h.self_cpu_seconds() + self.fakes_cpu()
        services0 = {name: h.service_cpu_seconds(name) for name in SERVICES}
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.session = session
            self.started = time.monotonic()
            convs = [asyncio.create_task(self.conversation(c)) for c in range(self.conversations)]
            fault_task = asyncio.create_task(faults.run(self)) if faults else None
            progress = asyncio.create_task(self._progress())
            memory = asyncio.create_task(self._sample_rss())
            await asyncio.gather(*convs)
            # wait for the last replies (recovery after a crash can take the lease + a sweep)
            while self.answered() < self.sent_count and time.monotonic() < self.deadline:
                await asyncio.sleep(0.2)
            if fault_task is not None:
                fault_task.cancel()
            await asyncio.sleep(settle)  # late duplicates would show up here
            progress.cancel()
            memory.cancel()
            self._record_rss()
            if self.background:
                await asyncio.wait(set(self.background), timeout=5)
        end = max(self.reply_times) if self.reply_times else time.monotonic()
        cpu = {t.name: t.snapshot_cpu() - cpu0[t.name] for t in self.processes}
        cpu["harness+fakes"] = h.self_cpu_seconds() + self.fakes_cpu() - harness0
        for name in SERVICES:
            cpu[f"svc:{name}"] = h.service_cpu_seconds(name) - services0[name]
        return RunResult(
            self.name,
            self.msgs,
            dict(self.order),
            self.ack_latencies,
            self.ack_status,
            self.redeliveries,
            self.duplicates_sent,
            self.untagged,
            self.extra_replies,
            self.started,
            end,
            self.reply_times,
            cpu,
            self.events,
            self.typing_calls,
            self.send_calls,
            self.ack_when,
            self.rss,
        )

    def _record_rss(self) -> None:
        alive = [t for t in self.processes if t.alive]
        self.rss.append((len(self.reply_times), {t.name: h.rss_mb(t.proc.pid) for t in alive}))

    async def _sample_rss(self) -> None:
        while True:
            self._record_rss()
            await asyncio.sleep(RSS_EVERY_S)

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(10)
            elapsed = time.monotonic() - self.started
            print(
                f"  [{self.name} {elapsed:5.0f}s] sent {self.sent_count}/{self.total()} "
                f"answered {self.answered()}",
                flush=True,
            )

    def log(self, text: str) -> None:
        stamp = time.monotonic() - self.started
        self.events.append(f"t={stamp:6.1f}s {text}")
        print(f"  [{self.name} {stamp:5.1f}s] {text}", flush=True)


# ---- faults ---------------------------------------------------------------------------------


@dataclass
class Faults:
    gemini: h.GeminiProcess
    kill: h.Replica | None
    model_errors: int
    also_kill: list[h.Replica] = field(default_factory=list)  # the rest of a split replica
    postgres_down_s: float = 0.0
    chroma: ChromaServer | None = None
    chroma_down_s: float = 0.0

    async def _at(self, load: Load, fraction: float) -> None:
        while load.sent_count < fraction * load.total():
            await asyncio.sleep(0.05)

    async def run(self, load: Load) -> None:
        await self._at(load, 0.25)
        if self.kill is not None:
            for victim in [self.kill, *self.also_kill]:
                load.log(f"SIGKILL {victim.name} (pid {victim.proc.pid})")
                victim.kill()
        await self._at(load, 0.5)
        load.log("redis: shutdown nosave")
        await asyncio.to_thread(h.redis_stop)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(h.redis_start)
        load.log("redis: back up")
        if self.chroma is not None and self.chroma_down_s > 0:
            await self._at(load, 0.6)
            load.log(f"chroma: SIGKILL, {self.chroma_down_s:g} s down, start")
            self.chroma.stop()
            await asyncio.sleep(self.chroma_down_s)
            up = await asyncio.to_thread(self.chroma.start)
            load.log("chroma: back up" if up else "chroma: did not start again")
        await self._at(load, 0.7)
        if self.model_errors:
            load.log(f"model: next {self.model_errors} generate calls answer HTTP 500")
            self.gemini.fail(500, times=self.model_errors)
        if self.postgres_down_s > 0:
            await self._at(load, 0.85)
            load.log(f"postgres: stop (fast), {self.postgres_down_s:g} s down, start")
            if await asyncio.to_thread(h.postgres_restart, self.postgres_down_s):
                load.log("postgres: back up")
            else:
                load.log("postgres: not restarted (no pg_ctlcluster, or not root)")


# ---- phases ---------------------------------------------------------------------------------


def fitcoach_env(
    args: argparse.Namespace, db_url: str, telegram_url: str, gemini_url: str, data_dir: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FITCOACH_", "BENCH_"))}
    env.update(
        FITCOACH_DATA_DIR=str(data_dir),
        FITCOACH_DATABASE_URL=db_url,
        FITCOACH_REDIS_URL=h.REDIS_URL,
        FITCOACH_MODEL="google_genai:gemini-2.5-flash",
        GOOGLE_API_KEY="test",
        FITCOACH_MODEL_BASE_URL=gemini_url,
        FITCOACH_TELEGRAM_BOT_TOKEN=h.DEFAULT_TOKEN,
        FITCOACH_TELEGRAM_WEBHOOK_SECRET=h.SECRET,
        FITCOACH_TELEGRAM_API_URL=telegram_url,
        FITCOACH_ACCESS_POLICY='{"telegram":"open"}',
        FITCOACH_RATE_LIMIT_PERSON_PER_MIN="100000",
        FITCOACH_LOG_FORMAT="json",
        FITCOACH_LOG_LEVEL=args.log_level,
    )
    env["FITCOACH_INBOX_LEASE_S"] = str(args.lease)
    env["FITCOACH_RECOVERY_SWEEP_S"] = str(args.sweep)
    env["FITCOACH_TELEGRAM_SENDS_PER_S"] = str(args.flood_rate)
    env["FITCOACH_MAX_CONCURRENT_TURNS"] = str(args.max_turns)
    if args.no_typing:
        env["FITCOACH_TELEGRAM_TYPING_AFTER_S"] = "100000"
    for pair in args.env:
        key, _, value = pair.partition("=")
        env[key] = value
    return env


async def run_fitcoach(
    args: argparse.Namespace, work: Path, *, faults: bool, deadline: float
) -> tuple[RunResult, dict[str, Any]]:
    name = "faults" if faults else "clean"
    db_name, db_url = await h.create_database()
    h.redis_start()
    h.redis_flush_bench_keys()
    gemini = h.GeminiProcess(args.model_delay)
    holder: dict[str, Load] = {}
    telegram = h.RecordingTelegram(
        lambda *a: holder["load"].on_call(*a) if "load" in holder else None
    )
    telegram.start()
    replicas: list[h.Replica] = []
    workers: list[h.Replica] = []
    extra: dict[str, Any] = {"db": db_name}
    roles = [("web", replicas), ("worker", workers)] if args.split else [("all", replicas)]
    phases_dir = work / f"{name}-phases"
    if args.phases:
        phases_dir.mkdir()
        extra["phases_dir"] = phases_dir
    chroma = None
    if args.chroma_server:
        command = chroma_command()
        if command is None:
            raise SystemExit("--chroma-server: chromadb's `chroma` command is not installed")
        chroma = ChromaServer(work / f"{name}-chroma", command)
    try:
        if chroma is not None and not await asyncio.to_thread(chroma.start):
            raise SystemExit("--chroma-server: the Chroma server did not start")
        for i in range(args.replicas):
            for role, group in roles:
                port = h.free_port()
                label = f"replica{i}" if role == "all" else f"{role}{i}"
                data_dir = work / f"{name}-{label}"
                env = fitcoach_env(args, db_url, telegram.url, gemini.base_url, data_dir)
                env["FITCOACH_PROCESS_ROLE"] = role
                if chroma is not None:
                    env["FITCOACH_CHROMA_URL"] = chroma.url
                if role == "worker":
                    env["FITCOACH_WORKER_NICE"] = str(args.worker_nice)
                if role == "web" and args.web_pool:
                    env["FITCOACH_DB_POOL_SIZE"] = str(args.web_pool)
                if args.phases:
                    env["BENCH_TASK_CPU"] = str(phases_dir)
                argv = [sys.executable, str(Path(__file__).with_name("_replica.py"))]
                argv += ["--host", "127.0.0.1", "--port", str(port)]
                group.append(h.spawn(label, argv, env, port, work))
                # Started one after the other (see finding F3 in docs/operations.md).
                await h.wait_ready(group[-1])
        load = Load(
            name,
            replicas,
            args.conversations,
            args.messages,
            args.inflight,
            args.dup_rate if faults else 0.0,
            deadline,
            args.seed,
            workers,
            max_connections=args.max_connections,
            fakes_cpu=gemini.cpu_seconds,
        )
        holder["load"] = load
        fault_plan = None
        if faults:
            # Kill the last replica: its worker (busy with claimed turns) and its web process.
            victim = (workers or replicas)[-1] if len(replicas) > 1 else None
            rest = [replicas[-1]] if workers and victim is not None else []
            fault_plan = Faults(
                gemini,
                victim,
                args.model_errors,
                rest,
                postgres_down_s=args.postgres_down,
                chroma=chroma,
                chroma_down_s=args.chroma_down,
            )
        result = await load.run(fault_plan)
        counts = gemini.counts()
        extra["model_calls"] = counts["generate"]
        extra["extraction_calls"] = counts["extraction"]
        extra["metrics"] = await scrape_metrics([*replicas, *workers])
        extra["inbox"] = await inbox_report(db_url, result)
        extra["logs"] = {r.name: r.log_path for r in [*replicas, *workers]}
        extra["pids"] = {r.proc.pid: r.name for r in [*replicas, *workers]}
        return result, extra
    finally:
        for r in [*replicas, *workers]:
            r.stop()
        telegram.close()
        gemini.close()
        if chroma is not None:
            chroma.stop()
        h.redis_start()
        await h.drop_database(db_name)


async def run_echo(args: argparse.Namespace, work: Path, deadline: float) -> RunResult:
    holder: dict[str, Load] = {}
    telegram = h.RecordingTelegram(
        lambda *a: holder["load"].on_call(*a) if "load" in holder else None
    )
    telegram.start()
    replicas: list[h.Replica] = []
    try:
        for i in range(args.replicas):
            port = h.free_port()
            env = dict(os.environ)
            env.update(
                ECHO_TOKEN=h.DEFAULT_TOKEN,
                ECHO_SECRET=h.SECRET,
                ECHO_API_URL=telegram.url,
                ECHO_DELAY_S=str(args.model_delay),
            )
            argv = [
                sys.executable,
                str(Path(__file__).with_name("echo_bot.py")),
                "--port",
                str(port),
            ]
            replicas.append(h.spawn(f"echo{i}", argv, env, port, work))
        await asyncio.gather(*(h.wait_ready(r) for r in replicas))
        load = Load(
            "echo",
            replicas,
            args.conversations,
            args.messages,
            args.inflight,
            0.0,
            deadline,
            args.seed,
            max_connections=args.max_connections,
        )
        holder["load"] = load
        return await load.run(None)
    finally:
        for r in replicas:
            r.stop()
        telegram.close()


async def scrape_metrics(replicas: list[h.Replica]) -> dict[str, dict[str, float]]:
    """A few counters from /metrics of the replicas still alive."""
    wanted = (
        "fitcoach_errors_total",
        "fitcoach_duplicates_total",
        "fitcoach_fallbacks_total",
        "fitcoach_messages_total",
        "fitcoach_model_calls_total",
        "fitcoach_hand_backs_total",
    )
    found: dict[str, dict[str, float]] = {}
    async with aiohttp.ClientSession() as session:
        for r in replicas:
            if not r.alive:
                continue
            try:
                async with session.get(r.url + "/metrics") as response:
                    text = await response.text()
            except aiohttp.ClientError:
                continue
            for line in text.splitlines():
                if line.startswith(wanted) and not line.startswith("#"):
                    key, _, value = line.rpartition(" ")
                    found.setdefault(r.name, {})[key] = float(value)
                elif line.startswith("fitcoach_http_seconds_bucket") and "/webhooks/" in line:
                    # server-side webhook handling time: requests at or under each bound
                    key, _, value = line.rpartition(" ")
                    bound = key.split('le="', 1)[1].split('"', 1)[0]
                    acks = found.setdefault("server-side ack (all replicas)", {})
                    acks[f"<= {bound} s"] = acks.get(f"<= {bound} s", 0.0) + float(value)
                elif line.startswith(
                    ("fitcoach_gc_pause_seconds_count", "fitcoach_gc_pause_seconds_sum")
                ):
                    # garbage-collector pauses of this process, by generation
                    key, _, value = line.rpartition(" ")
                    gen = key.split('generation="', 1)[1].split('"', 1)[0]
                    kind = "n" if "_count" in key else "s"
                    found.setdefault(f"gc {r.name}", {})[f"gen{gen} {kind}"] = round(
                        float(value), 3
                    )
    return found


async def inbox_report(db_url: str, result: RunResult) -> dict[str, Any]:
    """Inbox status counts, and the inbox row of every message that got no reply."""
    import asyncpg
    from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

    try:
        # The replicas' pools may hold every connection slot for a while after a backlog.
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(asyncpg.TooManyConnectionsError),
            stop=stop_after_delay(15),
            wait=wait_fixed(1),
            reraise=True,
        ):
            with attempt:
                conn = await asyncpg.connect(db_url)
    except asyncpg.TooManyConnectionsError:
        return {"statuses": "not read: the replicas hold every PostgreSQL connection slot"}
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM inbox GROUP BY status")
        statuses = {r["status"]: r["n"] for r in rows}
        lost = [m for m in result.msgs.values() if m.first_sent and not m.replies]
        details: Counter[str] = Counter()
        for m in lost:
            key = f"{CHAT_BASE + m.conv}:{m.message_id}"
            row = await conn.fetchrow(
                "SELECT status, attempts, claimed_by FROM inbox "
                "WHERE channel = 'telegram' AND message_id = $1",
                key,
            )
            details[f"{row['status']} (attempts {row['attempts']})" if row else "not in inbox"] += 1
        return {"statuses": statuses, "lost_rows": dict(details)}
    except asyncpg.UndefinedTableError:
        return {"statuses": "inbox table not found"}
    finally:
        await conn.close()


# ---- report ---------------------------------------------------------------------------------


@dataclass
class Figures:
    sent: int
    answered: int
    lost: int
    duplicated: int
    order_convs: int
    order_replies: int
    throughput: float
    peak: float
    ack: list[float]
    e2e: list[float]
    turn: list[float]
    cpu_per_turn_ms: float


def figures(r: RunResult, model_delay: float) -> Figures:
    sent = [m for m in r.msgs.values() if m.first_sent]
    answered = [m for m in sent if m.replies]
    duplicated = sum(len(m.replies) - 1 for m in r.msgs.values() if len(m.replies) > 1)
    duplicated += r.extra_replies
    order_convs = 0
    order_replies = 0
    for seqs in r.order.values():
        high = 0
        bad = 0
        for s in seqs:
            if s < high:
                bad += 1
            high = max(high, s)
        order_convs += bool(bad)
        order_replies += bad
    e2e = [m.replies[0] - m.first_sent for m in answered]
    turn = []
    for m in answered:
        prev = r.msgs.get((m.conv, m.seq - 1))
        ready = max(m.first_sent, prev.replies[0] if prev and prev.replies else 0.0)
        turn.append(m.replies[0] - ready)
    span = max(r.end - r.start, 1e-9)
    times = sorted(m.replies[0] for m in answered)
    peak = 0.0
    j = 0
    window = min(10.0, span)
    for i, t in enumerate(times):  # busiest 10-second window (the whole run if shorter)
        while times[j] < t - window:
            j += 1
        peak = max(peak, (i - j + 1) / window)
    app_cpu = sum(
        v for k, v in r.cpu.items() if k != "harness+fakes" and not k.startswith("svc:") and v == v
    )
    return Figures(
        len(sent),
        len(answered),
        len(sent) - len(answered),
        duplicated,
        order_convs,
        order_replies,
        len(answered) / span,
        peak,
        r.ack_latencies,
        e2e,
        turn,
        1000 * app_cpu / max(len(answered), 1),
    )


def ack_windows(r: RunResult, window: float = 5.0) -> str:
    """Ack p99 per window of the run, by when each delivery started: a tail from a burst
    at the start shows in the first window only."""
    buckets: dict[int, list[float]] = defaultdict(list)
    for when, took in zip(r.ack_when, r.ack_latencies, strict=True):
        buckets[int(max(0.0, when - r.start) // window)].append(took)
    return "  ".join(
        f"{int(k * window)}s:{1000 * h.percentile(v, 0.99):.0f}(n{len(v)})"
        for k, v in sorted(buckets.items())
    )


def memory_growth(r: RunResult) -> str:
    """RSS of each process at the start, at half the replies and at the end, and its growth
    per 10,000 replies over the second half (after warm-up: caches filled, pools open)."""
    if len(r.rss) < 2:
        return ""
    total = r.rss[-1][0]
    half = min(r.rss, key=lambda sample: abs(sample[0] - total / 2))
    parts = []
    for name, end in r.rss[-1][1].items():
        start = next((s[name] for _, s in r.rss if name in s), float("nan"))
        middle = half[1].get(name, float("nan"))
        turns = total - half[0]
        growth = f"{10_000 * (end - middle) / turns:+.1f}" if turns > 0 else "n/a"
        parts.append(f"{name} {start:.0f}/{middle:.0f}/{end:.0f} ({growth})")
    return "; ".join(parts)


def print_run(r: RunResult, f: Figures, model_delay: float, extra: dict[str, Any] | None) -> None:
    print(f"\n== {r.name} ==")
    for event in r.events:
        print(f"  event    {event}")
    print(
        f"  sent {f.sent} (of {len(r.msgs)} planned)  answered {f.answered}  lost {f.lost}  "
        f"duplicated {f.duplicated}"
    )
    print(
        f"  order violations: {f.order_replies} replies in {f.order_convs} of "
        f"{len(r.order)} conversations"
    )
    print(
        f"  duplicate deliveries injected {r.duplicates_sent}; redeliveries after a failed "
        f"webhook {r.redeliveries}; webhook statuses {dict(r.ack_status)}"
    )
    if r.untagged:
        inferred = sum(r.untagged.values())
        print(f"  replies without the tag (offline fallback etc.): {inferred}; e.g.")
        for text, n in r.untagged.most_common(3):
            print(f"    {n:5d} × {text!r}")
    print(
        f"  throughput {f.throughput:.1f} turns/s over {r.end - r.start:.1f} s "
        f"(busiest 10 s: {f.peak:.1f} turns/s)"
    )
    print(f"  webhook ack ms       {h.pcts(f.ack)}")
    if r.ack_when:
        print(f"  webhook ack p99 ms by 5 s window: {ack_windows(r)}")
    print(f"  reply e2e ms         {h.pcts(f.e2e)}")
    print(f"  turn ms (from max(sent, previous reply)) {h.pcts(f.turn)}")
    print(
        f"  turn ms above the {model_delay:g} s model: "
        f"p50 {1000 * (h.percentile(f.turn, 0.5) - model_delay):.1f}  "
        f"p95 {1000 * (h.percentile(f.turn, 0.95) - model_delay):.1f}"
    )
    cpu = ", ".join(f"{k} {v:.1f}" for k, v in r.cpu.items() if not k.startswith("svc:"))
    print(f"  CPU seconds: {cpu}; app CPU per turn {f.cpu_per_turn_ms:.1f} ms")
    services = {k[4:]: v for k, v in r.cpu.items() if k.startswith("svc:")}
    if services:
        turns = max(f.answered, 1)
        shown = ", ".join(
            f"{k} {v:.1f} s ({1000 * v / turns:.1f} ms/turn)" if v >= 0 else f"{k} restarted"
            for k, v in services.items()
        )
        print(f"  services CPU (all clients, this machine): {shown}")
    print(f"  Telegram calls: sendMessage {r.send_calls}, sendChatAction {r.typing_calls}")
    if growth := memory_growth(r):
        print(
            "  memory (RSS MiB at start/half/end of the replies; growth per 10k replies in the "
            f"second half): {growth}"
        )
    if extra:
        print(
            f"  model answers {extra.get('model_calls')}, memory-extraction calls "
            f"{extra.get('extraction_calls')}"
        )
        inbox = extra.get("inbox", {})
        print(f"  inbox statuses {inbox.get('statuses')}")
        if inbox.get("lost_rows"):
            print(f"  inbox rows of unanswered messages: {inbox['lost_rows']}")
        for replica, values in extra.get("metrics", {}).items():
            shown = {k: v for k, v in values.items() if v and "created" not in k}
            print(f"  metrics {replica}: {shown}")
        if "phases_dir" in extra:
            for line in _task_cpu.summary(extra["phases_dir"], extra["pids"], f.answered):
                print(line)


def verdict(
    clean: Figures | None, faults: Figures | None, echo: Figures | None, delay: float
) -> None:
    print("\n== targets ==")

    def line(ok: bool | None, text: str) -> None:
        mark = "n/a " if ok is None else ("MET " if ok else "MISS")
        print(f"  [{mark}] {text}")

    for label, fig in (("clean", clean), ("faults", faults)):
        if fig is None:
            continue
        line(fig.lost == 0, f"{label}: 0 lost (got {fig.lost})")
        line(fig.duplicated == 0, f"{label}: 0 duplicated (got {fig.duplicated})")
        line(fig.order_replies == 0, f"{label}: order kept (violations {fig.order_replies})")
    if clean is not None:
        line(
            clean.peak >= 200,
            f"≥ 200 turns/s (clean: {clean.throughput:.1f} overall, {clean.peak:.1f} busiest 10 s)",
        )
        p99 = 1000 * h.percentile(clean.ack, 0.99)
        line(p99 <= 100, f"webhook ack p99 ≤ 100 ms (clean: {p99:.1f} ms)")
        if echo is not None:
            ratios = []
            for what, a, b in (
                (
                    "reply e2e above the model delay, p50",
                    h.percentile(clean.e2e, 0.5) - delay,
                    h.percentile(echo.e2e, 0.5) - delay,
                ),
                ("ack p99", h.percentile(clean.ack, 0.99), h.percentile(echo.ack, 0.99)),
                ("CPU per turn", clean.cpu_per_turn_ms, echo.cpu_per_turn_ms),
                ("throughput (echo/fitcoach)", echo.throughput, clean.throughput),
            ):
                ratio = a / b if b > 0 else float("inf")
                ratios.append(ratio)
                line(ratio <= 3, f"overhead ≤ 3× bare echo bot: {what} {ratio:.1f}×")


# ---- main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--conversations", type=int, default=200)
    p.add_argument("--messages", type=int, default=5, help="messages per conversation")
    p.add_argument("--inflight", type=int, default=2, help="unanswered messages per conversation")
    p.add_argument("--model-delay", type=float, default=1.0, help="seconds per model answer")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument(
        "--max-connections",
        type=int,
        default=40,
        help="simultaneous webhook requests, like Telegram's setWebhook max_connections "
        "(default 40, its default; 0 = unlimited)",
    )
    p.add_argument("--no-faults", action="store_true", help="skip the fault phase")
    p.add_argument("--no-echo", action="store_true", help="skip the echo-bot baseline")
    p.add_argument("--no-clean", action="store_true", help="skip the fault-free fitcoach phase")
    p.add_argument("--dup-rate", type=float, default=0.05, help="share of updates sent twice")
    p.add_argument("--model-errors", type=int, default=40, help="model 500s injected")
    p.add_argument(
        "--postgres-down",
        type=float,
        default=3.0,
        help="seconds the local PostgreSQL is stopped in the fault phase (0 = no restart)",
    )
    p.add_argument(
        "--chroma-server",
        action="store_true",
        help="memories on a Chroma server (`chroma run`, as in compose) instead of embedded",
    )
    p.add_argument(
        "--chroma-down",
        type=float,
        default=3.0,
        help="with --chroma-server: seconds the Chroma server is killed in the fault phase",
    )
    p.add_argument("--time-limit", type=float, default=600, help="whole run, seconds")
    p.add_argument("--lease", type=float, default=30, help="FITCOACH_INBOX_LEASE_S")
    p.add_argument("--sweep", type=float, default=5, help="FITCOACH_RECOVERY_SWEEP_S")
    p.add_argument(
        "--flood-rate",
        type=int,
        default=30,
        help="FITCOACH_TELEGRAM_SENDS_PER_S (per bot, shared by the replicas through Redis)",
    )
    p.add_argument("--no-typing", action="store_true", help="no typing indicator at all")
    p.add_argument(
        "--max-turns", type=int, default=256, help="FITCOACH_MAX_CONCURRENT_TURNS per replica"
    )
    p.add_argument(
        "--split",
        action="store_true",
        help="each replica = a web process (acks, FITCOACH_PROCESS_ROLE=web) + a worker",
    )
    p.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="FITCOACH_WORKER_NICE of the --split workers (0: same priority as web processes)",
    )
    p.add_argument(
        "--web-pool", type=int, default=0, help="FITCOACH_DB_POOL_SIZE of --split web processes"
    )
    p.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra replica setting"
    )
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--keep", action="store_true", help="keep replica logs and data dirs")
    p.add_argument(
        "--phases",
        action="store_true",
        help="print each replica's CPU per turn by phase of the turn (bench/_task_cpu.py)",
    )
    p.add_argument("--seed", type=int, default=7)
    return p.parse_args()


async def main() -> None:
    args = parse_args()
    t0 = time.monotonic()
    hard_end = t0 + args.time_limit - 15  # leave time for teardown
    work = Path(tempfile.mkdtemp(prefix="fitcoach-load-"))
    print(
        f"fitcoach load bench: {args.conversations} conversations × {args.messages} messages, "
        f"inflight {args.inflight}, model delay {args.model_delay:g} s, {args.replicas} replicas, "
        f"{os.cpu_count()} CPUs; lease {args.lease:g} s, sweep {args.sweep:g} s, "
        f"Telegram budget {args.flood_rate}/s per bot, typing "
        f"{'off' if args.no_typing else 'after 1 s'}; webhook connections "
        f"{args.max_connections or 'unlimited'}; logs in {work}",
        flush=True,
    )
    results: dict[str, tuple[RunResult, Figures, dict[str, Any] | None]] = {}
    try:
        if not args.no_echo:
            print("\n-- phase echo (bare python-telegram-bot echo bot)", flush=True)
            r = await run_echo(args, work, min(hard_end, time.monotonic() + 90))
            results["echo"] = (r, figures(r, args.model_delay), None)
        if not args.no_clean:
            print("\n-- phase clean (fitcoach, no faults)", flush=True)
            end = time.monotonic() + 180 if not args.no_faults else hard_end
            r, extra = await run_fitcoach(args, work, faults=False, deadline=min(hard_end, end))
            results["clean"] = (r, figures(r, args.model_delay), extra)
        if not args.no_faults:
            print(
                "\n-- phase faults (fitcoach: duplicates, SIGKILL, Redis restart, model 500s, "
                "PostgreSQL restart)",
                flush=True,
            )
            r, extra = await run_fitcoach(args, work, faults=True, deadline=hard_end)
            results["faults"] = (r, figures(r, args.model_delay), extra)
    finally:
        h.redis_start()
    for r, f, extra in results.values():
        print_run(r, f, args.model_delay, extra)
    verdict(
        results["clean"][1] if "clean" in results else None,
        results["faults"][1] if "faults" in results else None,
        results["echo"][1] if "echo" in results else None,
        args.model_delay,
    )
    print(f"\ntotal wall time {time.monotonic() - t0:.0f} s")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    # The load generator and the fake Telegram share the 2 CPUs with the system under test:
    # on uvloop (as uvicorn runs the replicas and the echo bot) they take ≈ 8 % less of them.
    uvloop.run(main())
