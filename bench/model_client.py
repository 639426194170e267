"""Client-side CPU of one Gemini model call (not a test: prints figures).

The model is built as the app builds it (``create_chat_model`` → ``CachedToolsGemini``) with the
app's real tool list bound the way ``create_agent`` binds it, and answers from the fake Gemini
server, which runs in a subprocess so that its CPU is counted apart from the client's. Each
round runs ``--calls`` ``ainvoke`` calls, ``--concurrency`` at a time, with a realistic message
list (rendered system prompt, a few turns, one tool round trip).

    .venv/bin/python bench/model_client.py [--calls 500] [--concurrency 20] [--rounds 3] [--plain]

``--plain`` builds the library's ``ChatGoogleGenerativeAI`` instead (same options), for
comparison. Client CPU is ``time.process_time`` of this process (every thread, the SDK's
thread-pool jobs included); server CPU is the fake's ``/proc`` utime + stime."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import BaseTool  # noqa: E402

from fitcoach.agent.models import create_chat_model  # noqa: E402
from fitcoach.agent.prompts import DEFAULT_PROMPTS_DIR, coach_prompt  # noqa: E402
from fitcoach.config import get_settings  # noqa: E402
from fitcoach.memory.store import MemoryService  # noqa: E402
from fitcoach.storage.database import Database  # noqa: E402
from fitcoach.tools import ToolServices, build_tools  # noqa: E402
from fitcoach.tools.memory import build_memory_tools  # noqa: E402

SERVER = """
import sys
sys.path.insert(0, sys.argv[1])
from tests.fakes.gemini_server import FakeGemini

class Discard(list):
    def append(self, item):
        return None

fake = FakeGemini(api_key=None, strict=False).start()
fake.requests = Discard()
print(fake.port, flush=True)
sys.stdin.read()
fake.close()
"""


@contextlib.contextmanager
def fake_gemini() -> Iterator[tuple[int, int]]:
    """The fake Gemini server in a subprocess of its own: (its pid, its port)."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(ROOT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    try:
        yield server.pid, int(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def app_tools(settings: Any, model: Any) -> list[BaseTool]:
    """The tool list ``open_services`` gives the agent (nothing here is called)."""
    database = Database(settings.resolved_database_url)
    memory = MemoryService.from_settings(settings)
    services = ToolServices(
        database=database, media_dir=settings.data_dir / "media", vision_model=model
    )
    return build_memory_tools(memory) + build_tools(services)


def conversation() -> list[BaseMessage]:
    system = coach_prompt(DEFAULT_PROMPTS_DIR).render("Age 34, 72 kg, goal: run a half marathon.")
    return [
        SystemMessage(system),
        HumanMessage("hi! I started running again last week"),
        AIMessage("Great to hear! How far did you run?"),
        HumanMessage("about 5 km on Tuesday and 6 on Thursday, felt ok"),
        AIMessage(
            "",
            tool_calls=[
                {
                    "name": "log_workout",
                    "args": {"description": "ran 6 km"},
                    "id": "call-1",
                    "type": "tool_call",
                }
            ],
        ),
        ToolMessage("Logged: run, 6 km, ~36 min, ~420 kcal.", tool_call_id="call-1"),
        AIMessage("Logged your 6 km run. Nice consistency!"),
        HumanMessage("what should I eat before an evening run tomorrow?"),
    ]


async def run(calls: int, concurrency: int, rounds: int, plain: bool) -> None:
    with fake_gemini() as (server_pid, port), tempfile.TemporaryDirectory() as tmp:
        settings = get_settings(
            data_dir=Path(tmp) / "var",
            model="google_genai:gemini-2.5-flash",
            google_api_key="bench",
            model_base_url=f"http://127.0.0.1:{port}",
            model_timeout_s=30.0,
            model_max_retries=0,
        )
        settings.ensure_data_dir()
        model: Any = create_chat_model(settings)
        if plain:
            from langchain_google_genai import ChatGoogleGenerativeAI

            fields = {name: getattr(model, name) for name in ("model", "timeout", "max_retries")}
            model = ChatGoogleGenerativeAI(
                **fields,
                api_key=settings.google_api_key.get_secret_value(),  # type: ignore[union-attr]
                base_url=settings.model_base_url,
                vertexai=False,
            )
        tools = app_tools(settings, model)
        bound = model.bind_tools(tools, tool_choice=None)  # as create_agent binds them
        messages = conversation()
        for _ in range(20):  # warm-up: imports, caches, connections
            await bound.ainvoke(messages)

        results = [
            await measure(bound, messages, calls, concurrency, server_pid) for _ in range(rounds)
        ]
        await model.aclose()

    name = type(model).__name__
    print(f"model: {name}, tools bound: {len(tools)}, messages: {len(messages)}")
    print(f"{rounds} rounds of {calls} calls, {concurrency} concurrent")
    for i, (cpu, server_cpu, wall, walls) in enumerate(results, 1):
        print(
            f"  round {i}: client CPU {cpu / calls * 1000:.2f} ms/call, "
            f"fake server CPU {server_cpu / calls * 1000:.2f} ms/call, wall {wall:.2f} s, "
            f"latency p50 {statistics.median(walls) * 1000:.0f} ms"
        )
    per_call = sorted(r[0] / calls * 1000 for r in results)
    print(
        f"client CPU per call: median {statistics.median(per_call):.2f} ms, "
        f"min {per_call[0]:.2f} ms"
    )


async def measure(
    bound: Any, messages: list[BaseMessage], calls: int, concurrency: int, server_pid: int
) -> tuple[float, float, float, list[float]]:
    """(client CPU s, fake server CPU s, wall s, per-call wall times) of ``calls`` calls."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(calls):
        queue.put_nowait(i)
    walls: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            start = time.perf_counter()
            reply = await bound.ainvoke(messages)
            walls.append(time.perf_counter() - start)
            assert reply.content, reply

    server_cpu = cpu_seconds(server_pid)
    cpu = time.process_time()
    wall = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    server_cpu = cpu_seconds(server_pid) - server_cpu
    walls.sort()
    return cpu, server_cpu, wall, walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--plain", action="store_true", help="library ChatGoogleGenerativeAI")
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.concurrency, args.rounds, args.plain))


if __name__ == "__main__":
    main()
