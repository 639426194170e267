"""Webhook ack bench: how fast one web process stores and acknowledges Telegram updates.

Prints figures; not a test. One ``fitcoach serve`` with ``FITCOACH_PROCESS_ROLE=web`` on a
scratch PostgreSQL database and Redis (the hand-offs wait in Redis: no worker runs turns), a
fake Telegram API for ``getMe``. The bench posts ``--updates`` private-chat updates, at most
``--concurrency`` at a time (Telegram's ``max_connections``, default 40), and prints ack
latency percentiles, acks per second and CPU per ack (web process, PostgreSQL, Redis).

``--busy N`` runs N CPU-burning processes beside it at ``--busy-nice`` (default 10, like
``FITCOACH_WORKER_NICE``), each leading its own session, to see acks compete with workers.

    python bench/ack.py
    python bench/ack.py --updates 4000 --busy 2 --env FITCOACH_INBOX_BATCH=0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

BURN = (
    "import os,sys\n"
    "os.setpriority(os.PRIO_PROCESS, 0, int(sys.argv[1]))\n"
    "try:\n"
    "    open('/proc/self/autogroup','w').write(sys.argv[1])\n"
    "except OSError:\n"
    "    pass\n"
    "while True:\n"
    "    sum(i * i for i in range(10000))\n"
)


def update(n: int) -> bytes:
    chat = 9_000_000 + n % 500
    return json.dumps(
        {
            "update_id": 5_000_000 + n,
            "message": {
                "message_id": n + 1,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "P"},
                "from": {"id": chat, "is_bot": False, "first_name": "P"},
                "text": f"ack bench message {n}",
            },
        }
    ).encode()


async def post_all(
    url: str, updates: int, concurrency: int, first: int = 0
) -> tuple[list[float], int]:
    """Post updates ``first`` … ``first + updates - 1`` (new ids: not duplicates of the warm-up)."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> None:
            nonlocal failures
            async with gate:
                started = time.monotonic()
                async with session.post(
                    url + "/webhooks/telegram",
                    data=update(first + n),
                    headers={h.SECRET_HEADER: h.SECRET, "Content-Type": "application/json"},
                ) as response:
                    await response.read()
                    if response.status == 200:
                        latencies.append(time.monotonic() - started)
                    else:
                        failures += 1

        await asyncio.gather(*(one(n) for n in range(updates)))
    return latencies, failures


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--updates", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=40)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--busy", type=int, default=0, help="CPU-burning processes beside the web one")
    p.add_argument("--busy-nice", type=int, default=10)
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fitcoach-ack-"))
    db_name, db_url = await h.create_database()
    h.redis_start()
    h.redis_flush_bench_keys()
    telegram = h.RecordingTelegram(lambda *a: None)
    telegram.start()
    burners: list[subprocess.Popen[bytes]] = []
    replica = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FITCOACH_")}
        env.update(
            FITCOACH_DATA_DIR=str(work / "data"),
            FITCOACH_DATABASE_URL=db_url,
            FITCOACH_REDIS_URL=h.REDIS_URL,
            FITCOACH_TELEGRAM_BOT_TOKEN=h.DEFAULT_TOKEN,
            FITCOACH_TELEGRAM_WEBHOOK_SECRET=h.SECRET,
            FITCOACH_TELEGRAM_API_URL=telegram.url,
            FITCOACH_ACCESS_POLICY='{"telegram":"open"}',
            FITCOACH_RATE_LIMIT_PERSON_PER_MIN="100000",
            FITCOACH_RATE_LIMIT_IP_PER_MIN="10000000",
            FITCOACH_PROCESS_ROLE="web",
            FITCOACH_LOG_FORMAT="json",
        )
        for pair in args.env:
            key, _, value = pair.partition("=")
            env[key] = value
        port = h.free_port()
        argv = [sys.executable, str(Path(__file__).with_name("_replica.py"))]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        replica = h.spawn("web", argv, env, port, work)
        await h.wait_ready(replica)
        for _ in range(args.busy):
            burners.append(
                subprocess.Popen(
                    [sys.executable, "-c", BURN, str(args.busy_nice)], start_new_session=True
                )
            )
        await post_all(replica.url, args.warmup, args.concurrency)
        web0 = replica.snapshot_cpu()
        pg0 = h.service_cpu_seconds("postgres")
        redis0 = h.service_cpu_seconds("redis-server")
        started = time.monotonic()
        latencies, failures = await post_all(
            replica.url, args.updates, args.concurrency, first=args.warmup
        )
        wall = time.monotonic() - started
        web = replica.snapshot_cpu() - web0
        pg = h.service_cpu_seconds("postgres") - pg0
        redis = h.service_cpu_seconds("redis-server") - redis0
        n = len(latencies)
        print(
            f"ack bench: {args.updates} updates, {args.concurrency} at a time, "
            f"{args.busy} busy processes at nice {args.busy_nice}, {os.cpu_count()} CPUs"
        )
        print(f"  acked {n}, failed {failures}; {n / wall:.0f} acks/s over {wall:.1f} s")
        print(f"  ack ms {h.pcts(latencies)}")
        print(
            f"  CPU per ack: web {1000 * web / max(n, 1):.2f} ms, postgres "
            f"{1000 * pg / max(n, 1):.2f} ms, redis {1000 * redis / max(n, 1):.2f} ms"
        )
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        if replica is not None:
            replica.stop()
        telegram.close()
        await h.drop_database(db_name)


if __name__ == "__main__":
    asyncio.run(main())
