"""Agent turn bench in instructions: what one ``CoachAgent.respond`` costs, counted by callgrind.

Prints figures; not a test. CPU seconds on this machine drift by ±20 % between runs of the
same code (other tenants), which hides changes of a few per cent; callgrind counts the
instructions the process executes, which repeat within ≈ 2 % whatever else the machine does.
The agent is built as bench/agent_turn.py builds it (PostgreSQL checkpoints, fake Gemini in a
subprocess, not counted). Two runs under ``valgrind --tool=callgrind``, side by side: one
starts up and warms up, the other does the same and then ``--conversations`` ×
``--turns`` more turns; the difference, per turn, is the figure. Needs valgrind (Debian's
package) and takes ≈ 4 minutes.

    python bench/agent_instructions.py
    python bench/agent_instructions.py --conversations 10 --turns 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COLLECTED = re.compile(r"Collected\s*:\s*([0-9,]+)")


async def inner(conversations: int, turns_each: int) -> None:
    """The counted process: start, warm up, then the measured turns (none in the baseline)."""
    from agent_turn import bench_agent, turns

    async with bench_agent(model_timeout_s=60.0) as agent:
        await turns(agent, 20, 2, offset=1_000_000)  # warm-up
        if turns_each:
            await turns(agent, conversations, turns_each, offset=0)


def counted(conversations: int, turns_each: int) -> subprocess.Popen[str]:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    argv = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    argv += [sys.executable, __file__, "--inner", "--conversations", str(conversations)]
    argv += ["--turns", str(turns_each)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def instructions(process: subprocess.Popen[str]) -> int:
    _, err = process.communicate()
    found = COLLECTED.findall(err)
    if process.returncode != 0 or not found:
        sys.exit(f"callgrind run failed ({process.returncode}):\n{err[-3000:]}")
    return int(found[-1].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        asyncio.run(inner(args.conversations, args.turns))
        return
    baseline = counted(args.conversations, 0)
    measured = counted(args.conversations, args.turns)
    base, total = instructions(baseline), instructions(measured)
    n = args.conversations * args.turns
    print(f"callgrind: start-up and warm-up {base / 1e9:.2f} G instructions")
    print(f"           with {n} more turns   {total / 1e9:.2f} G instructions")
    print(f"per agent turn: {(total - base) / n / 1e6:.2f} M instructions")


if __name__ == "__main__":
    main()
