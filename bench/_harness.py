"""Shared pieces of the load and fuzz benches: fakes, a scratch PostgreSQL database, Redis
control, app replicas as subprocesses, CPU accounting, percentiles.

Not a test and not part of the package: imported by ``bench/load.py`` and
``bench/fuzz_webhooks.py`` only. Everything talks to 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.gemini_server import FakeGemini, FakeReply, RecordedRequest  # noqa: E402
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, UploadedFile  # noqa: E402

# The fake Bot API logs a traceback for every request cut off by the SIGKILLed replica.
logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)

SECRET = "bench-webhook-secret_1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TAG = re.compile(r"\[c(\d+) s(\d+)\]")
PG_ADMIN_URL = os.environ.get(
    "FITCOACH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


# ---- fakes ---------------------------------------------------------------------------------


class RecordingTelegram(FakeTelegram):
    """FakeTelegram that also reports every recorded call to ``on_call`` (from its thread)."""

    def __init__(self, on_call: Callable[[str, dict[str, Any], float, bool], None]) -> None:
        super().__init__()
        self.on_call = on_call

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        error_code: int | None,
    ) -> None:
        super()._record(method, params, files, error_code)
        self.on_call(method, params, time.monotonic(), error_code is None)


class ModelScript:
    """FakeGemini default handler: answers after ``delay`` seconds (the handler runs in its own
    server thread, so answers overlap), quoting the ``[cN sM]`` tag of the person's message so
    the harness can match replies to messages. Memory-extraction calls get ``{"facts": []}``."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.generate_calls = 0
        self.extraction_calls = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> FakeReply:
        if self.delay:
            time.sleep(self.delay)
        if "long-term memory" in request.system_text:
            with self._lock:
                self.extraction_calls += 1
            return FakeReply(parts=[{"text": json.dumps({"facts": []})}])
        with self._lock:
            self.generate_calls += 1
        texts = request.user_texts
        tag = next((m.group(0) for t in reversed(texts) if (m := TAG.search(t))), "[untagged]")
        return FakeReply(parts=[{"text": f"Keep going, one step at a time. {tag}"}])


def start_gemini(delay: float) -> tuple[FakeGemini, ModelScript]:
    script = ModelScript(delay)
    fake = FakeGemini(api_key=None, default=script, strict=False).start()
    fake.requests = _Discard()  # type: ignore[assignment]  # keep memory flat under load
    return fake, script


class GeminiProcess:
    """``bench/_fake_gemini.py`` (FakeGemini + ModelScript) in a process of its own, so that
    its request threads do not compete with the load generator for the interpreter lock."""

    def __init__(self, delay: float) -> None:
        script = Path(__file__).with_name("_fake_gemini.py")
        self.proc = subprocess.Popen(
            [sys.executable, str(script), "--delay", str(delay)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "port":
            self.proc.kill()
            raise RuntimeError(f"fake Gemini did not start: {ready!r}")
        self.port = int(ready[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ask(self, command: str) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def fail(self, status: int, times: int = 1) -> None:
        """The next ``times`` generate calls answer HTTP ``status``."""
        self._ask(f"fail {status} {times}")

    def counts(self) -> dict[str, int]:
        """Generate and memory-extraction calls answered so far."""
        return self._ask("counts")

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _Discard(list):  # type: ignore[type-arg]
    """A list that forgets what is appended (FakeGemini records every request otherwise)."""

    def append(self, item: Any) -> None:
        return None


# ---- PostgreSQL and Redis ------------------------------------------------------------------


async def create_database() -> tuple[str, str]:
    """A fresh database on the local server; returns (name, url)."""
    import asyncpg

    name = f"fitcoach_bench_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def drop_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


def redis_up() -> bool:
    return (
        subprocess.run(
            ["redis-cli", "-p", "6379", "ping"], capture_output=True, text=True
        ).stdout.strip()
        == "PONG"
    )


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True)


def redis_start() -> None:
    if redis_up():
        return
    subprocess.run(REDIS_START, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while not redis_up():
        if time.monotonic() > deadline:
            raise RuntimeError("redis did not come back")
        time.sleep(0.05)


def postgres_restart(down_s: float) -> bool:
    """Stop the local PostgreSQL cluster (fast shutdown: sessions are ended), wait
    ``down_s``, start it again; False where this machine's cluster cannot be driven
    (no pg_ctlcluster, not root). Other users of the server see the outage too."""
    versions = sorted(Path("/etc/postgresql").glob("*/main"))
    if not versions or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        return False
    version = versions[-1].parent.name
    base = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]
    subprocess.run([*base, "stop", "-m", "fast"], check=True, capture_output=True)
    time.sleep(down_s)
    subprocess.run([*base, "start"], check=True, capture_output=True)
    return True


def redis_flush_bench_keys() -> None:
    """Drop every fitcoach key a previous run may have left: leases, waiting marks, rate
    windows and the hand-off list (a run's workers would otherwise pop the hand-offs that
    bench/ack.py leaves behind, thousands of them, before their own)."""
    for pattern in ("fitcoach:*",):
        keys = subprocess.run(
            ["redis-cli", "--scan", "--pattern", pattern], capture_output=True, text=True
        ).stdout.split()
        for i in range(0, len(keys), 500):
            subprocess.run(["redis-cli", "del", *keys[i : i + 500]], capture_output=True)


# ---- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children) in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def service_cpu_seconds(command: str) -> float:
    """CPU seconds of every process named ``command`` (e.g. postgres), with what their exited
    children (PostgreSQL backends) left in their parents' cutime/cstime."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
        except OSError:
            continue
        if head.split("(", 1)[-1] != command:
            continue
        fields = rest.split()
        total += sum(int(f) for f in fields[11:15])
    return total / ticks


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (NaN once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def self_cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


@dataclass
class Replica:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    cpu_start: float = 0.0
    cpu_end: float = float("nan")
    alive: bool = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.alive:
            self.cpu_end = cpu_seconds(self.proc.pid)
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.alive = False

    def stop(self) -> None:
        if self.alive:
            self.cpu_end = cpu_seconds(self.proc.pid)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.alive = False

    def snapshot_cpu(self) -> float:
        return cpu_seconds(self.proc.pid) if self.alive else self.cpu_end


def spawn(
    name: str,
    argv: list[str],
    env: dict[str, str],
    port: int,
    log_dir: Path,
) -> Replica:
    log_path = log_dir / f"{name}.log"
    handle = log_path.open("wb")
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=str(log_dir),
        start_new_session=True,
    )
    return Replica(name, port, proc, log_path)


async def wait_ready(replica: Replica, path: str = "/health/ready", timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if replica.proc.poll() is not None:
                tail = replica.log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{replica.name} exited during start:\n{tail}")
            try:
                if (await client.get(replica.url + path)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{replica.name} not ready after {timeout}s")


# ---- figures -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def pcts(values: list[float], scale: float = 1000.0) -> str:
    if not values:
        return "n/a"
    return "p50 {:.1f}  p95 {:.1f}  p99 {:.1f}  max {:.1f}".format(
        *(scale * percentile(values, q) for q in (0.5, 0.95, 0.99, 1.0))
    )


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


__all__ = [
    "DEFAULT_TOKEN",
    "SECRET",
    "SECRET_HEADER",
    "TAG",
    "FakeGemini",
    "FakeTelegram",
    "ModelScript",
    "RecordingTelegram",
    "Replica",
]
