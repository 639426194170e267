"""Reply latency of the offline coach, end to end through ConversationService.

Run from the repo root: ``python bench/chat_latency.py``. Prints startup time and per-message
latency percentiles for a scripted mix of logging, progress and small talk (SQLite, offline)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fitcoach.bootstrap import open_services  # noqa: E402
from fitcoach.channels.base import InboundMessage  # noqa: E402
from fitcoach.config import get_settings  # noqa: E402
from fitcoach.observability import configure_logging  # noqa: E402

SCRIPT = [
    "had 2 large eggs and a banana for breakfast",
    "bench 3x5 at 80kg",
    "ran 5k in 27 min",
    "a chicken breast with 1 cup of rice",
    "how am I doing today?",
    "I weigh 81.5 kg",
    "squat 5x5 100kg, bench 3x8 60kg and 3x10 pullups",
    "thanks!",
    "undo",
    "2 slices of whole wheat toast with peanut butter",
]
ROUNDS = 10


async def main() -> None:
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        settings = get_settings(
            data_dir=Path(tmp), model="offline", rate_limit_person_per_min=10_000
        )
        started = time.perf_counter()
        async with open_services(settings) as services:
            startup = time.perf_counter() - started
            timings: list[float] = []
            for _ in range(ROUNDS):
                for text in SCRIPT:
                    message = InboundMessage(
                        channel="bench",
                        external_user_id="b",
                        conversation_id="b",
                        message_id=uuid.uuid4().hex,
                        text=text,
                    )
                    t0 = time.perf_counter()
                    await services.conversation.handle(message)
                    timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    print(f"startup (migrations, indexes, Chroma, graph): {startup:.2f} s")
    print(
        f"messages: {len(timings)}  reply latency p50 {statistics.median(timings):.1f} ms, "
        f"p95 {p(0.95):.1f} ms, p99 {p(0.99):.1f} ms, max {timings[-1]:.1f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
