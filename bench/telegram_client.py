"""CPU per Telegram Bot API call: PTB's HTTPXRequest vs fitcoach's AiohttpRequest.

A real ``telegram.Bot`` sends ``send_message`` + ``send_chat_action`` pairs (what a turn with
"typing…" costs) to the fake Telegram server from ``tests/fakes``, ~50 in flight. The fake runs
in a *subprocess*, so this process's CPU (``time.process_time``) is the client's alone; the
server's CPU is read from /proc and shown separately. Prints figures; not a test.

    .venv/bin/python bench/telegram_client.py [--calls 3000] [--concurrency 50] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from telegram import Bot
from telegram.constants import ChatAction
from telegram.request import BaseRequest, HTTPXRequest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fitcoach.channels.telegram.request import AiohttpRequest  # noqa: E402
from tests.fakes.telegram_server import DEFAULT_TOKEN  # noqa: E402

_SERVER = """
import sys
from tests.fakes.telegram_server import FakeTelegram
fake = FakeTelegram().start()
print(fake.port, flush=True)
sys.stdin.read()
fake.close()
"""

CLIENTS: dict[str, Callable[[], BaseRequest]] = {
    "httpx": lambda: HTTPXRequest(connection_pool_size=256),  # what ApplicationBuilder builds
    "aiohttp": lambda: AiohttpRequest(connection_pool_size=256, proxy=None),
}


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(url: str, make: Callable[[], BaseRequest], pairs: int, concurrency: int) -> None:
    bot = Bot(DEFAULT_TOKEN, base_url=f"{url}/bot", base_file_url=f"{url}/file/bot", request=make())
    async with bot:
        queue = iter(range(pairs))

        async def worker() -> None:
            for i in queue:
                chat_id = 1000 + i % 500
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
                await bot.send_message(chat_id, f"Logged 2 eggs: 143 kcal, 12 g protein ({i})")

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def measure(name: str, url: str, server_pid: int, pairs: int, concurrency: int) -> dict[str, float]:
    """One timed run (after a warm-up) of ``pairs`` pairs through client ``name``."""
    make = CLIENTS[name]
    asyncio.run(_run(url, make, min(200, pairs), concurrency))  # imports, pools, caches
    server0, cpu0, wall0 = _cpu_s(server_pid), time.process_time(), time.perf_counter()
    asyncio.run(_run(url, make, pairs, concurrency))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server = _cpu_s(server_pid) - server0
    calls = 2 * pairs
    return {
        "client_ms": 1000 * cpu / calls,
        "server_ms": 1000 * server / calls,
        "calls_per_s": calls / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000, help="pairs of calls per run")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="runs per client, alternating")
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        results: dict[str, list[dict[str, float]]] = {name: [] for name in CLIENTS}
        for round_ in range(args.rounds):
            for name in CLIENTS:
                result = measure(name, url, server.pid, args.calls, args.concurrency)
                results[name].append(result)
                print(
                    f"round {round_ + 1} {name:8} client {result['client_ms']:.3f} ms/call  "
                    f"server {result['server_ms']:.3f} ms/call  "
                    f"{result['calls_per_s']:.0f} calls/s",
                    flush=True,
                )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(15)

    print(
        f"\n{2 * args.calls} calls per run (send_chat_action + send_message), "
        f"{args.concurrency} in flight, median of {args.rounds}:"
    )
    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    for name, m in medians.items():
        print(
            f"  {name:8} client CPU {m['client_ms']:.3f} ms/call   "
            f"(fake server {m['server_ms']:.3f} ms/call)   {m['calls_per_s']:.0f} calls/s"
        )
    saving = 1 - medians["aiohttp"]["client_ms"] / medians["httpx"]["client_ms"]
    print(f"  aiohttp: {saving:.0%} less client CPU per call than httpx")


if __name__ == "__main__":
    main()
