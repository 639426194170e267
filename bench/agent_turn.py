"""Agent turn bench: client CPU of one ``CoachAgent.respond`` against the model call inside it.

Prints figures; not a test. The agent is built by ``open_services`` as the app builds it, on a
scratch PostgreSQL database (LangGraph checkpoints on PostgreSQL), with the fake Gemini server
in a subprocess (its CPU is not counted). ``--conversations`` conversations each take
``--turns`` turns, one question per turn, all conversations at once. The same rounds then time
the model call alone (the bound model on the message list of a late turn), so the difference is
what LangGraph, its checkpoints and the agent's own code cost per turn.

    python bench/agent_turn.py
    python bench/agent_turn.py --conversations 50 --turns 6 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _harness as h
from model_client import fake_gemini

from fitcoach.agent.context import CoachContext
from fitcoach.agent.gemini import CachedToolsGemini
from fitcoach.bootstrap import open_services
from fitcoach.config import get_settings

QUESTIONS = [
    "any tips for staying motivated this week?",
    "what should I focus on to get better at squats?",
    "how can I sleep better before training days?",
]


def context(user_id: int) -> CoachContext:
    return CoachContext(
        user_id=user_id,
        channel="telegram",
        conversation_id=str(user_id),
        timezone="UTC",
        unit_system="metric",
        profile_summary="Age 34, 72 kg.",
        missing_facts=frozenset(),  # read with the person's row when the turn opens
    )


async def turns(
    agent: Any, conversations: int, turns_each: int, offset: int, *, together: bool = True
) -> float:
    """CPU seconds of ``conversations`` × ``turns_each`` turns, the conversations all at once
    or one after the other."""

    async def conversation(n: int) -> None:
        for t in range(turns_each):
            reply = await agent.respond(
                QUESTIONS[(n + t) % len(QUESTIONS)], context(offset + n), f"bench:{offset + n}"
            )
            assert reply.text and "model" in reply.routes, reply

    cpu = time.process_time()
    if together:
        await asyncio.gather(*(conversation(n) for n in range(conversations)))
    else:
        for n in range(conversations):
            await conversation(n)
    return time.process_time() - cpu


class Clock:
    """CPU seconds spent inside some awaited methods (exact when turns run one at a time:
    nothing else runs in this process while one of them awaits)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, owner: Any, method: str, label: str) -> None:
        original = getattr(owner, method)
        spent = self.spent

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.process_time()
            try:
                return await original(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.process_time() - started

        setattr(owner, method, timed)


@asynccontextmanager
async def bench_agent(model_timeout_s: float = 30.0) -> AsyncIterator[Any]:
    """The app's agent on a scratch PostgreSQL database, the fake Gemini in a subprocess."""
    name, url = await h.create_database()
    try:
        with fake_gemini() as (_pid, port), tempfile.TemporaryDirectory() as tmp:
            settings = get_settings(
                data_dir=Path(tmp) / "var",
                database_url=url.replace("postgresql://", "postgresql+asyncpg://"),
                model="google_genai:gemini-2.5-flash",
                google_api_key="bench",
                model_base_url=f"http://127.0.0.1:{port}",
                model_timeout_s=model_timeout_s,
                model_max_retries=0,
            )
            async with open_services(settings) as services:
                yield services.agent
    finally:
        await h.drop_database(name)


async def run(conversations: int, turns_each: int, rounds: int, profile: str | None) -> None:
    async with bench_agent() as agent:
        await turns(agent, 20, 2, offset=1_000_000)  # warm-up
        agent_cpu = []
        for r in range(rounds):
            cpu = await turns(agent, conversations, turns_each, offset=r * conversations)
            agent_cpu.append(cpu / (conversations * turns_each) * 1000)
        clock = Clock()
        saver = agent.graph.checkpointer
        clock.wrap(CachedToolsGemini, "_agenerate", "model call")
        clock.wrap(saver, "aget_tuple", "checkpoint read")
        clock.wrap(saver, "aput", "checkpoint write")
        clock.wrap(saver, "aput_writes", "checkpoint write")
        profiler = cProfile.Profile(time.process_time) if profile else None
        if profiler is not None:
            profiler.enable()
        one_at_a_time = await turns(
            agent, conversations, turns_each, offset=10_000_000, together=False
        )
        if profiler is not None and profile:
            profiler.disable()
            profiler.dump_stats(profile)
    print(
        f"{rounds} rounds of {conversations} conversations × {turns_each} turns "
        f"(PostgreSQL checkpoints, fake Gemini)"
    )
    print(
        "client CPU per turn (CoachAgent.respond): "
        + ", ".join(f"{v:.2f}" for v in agent_cpu)
        + f" ms; median {statistics.median(agent_cpu):.2f} ms"
    )
    per_turn = 1000 / (conversations * turns_each)
    print(f"one turn at a time: {one_at_a_time * per_turn:.2f} ms per turn, of which")
    rest = one_at_a_time
    for label, seconds in clock.spent.items():
        print(f"  {label:18s} {seconds * per_turn:6.2f} ms")
        rest -= seconds
    print(
        f"  {'the rest':18s} {rest * per_turn:6.2f} ms  (LangGraph, create_agent, fitcoach agent)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the one-at-a-time turns here")
    args = parser.parse_args()
    asyncio.run(run(args.conversations, args.turns, args.rounds, args.profile))


if __name__ == "__main__":
    main()
