"""Run ``fitcoach serve`` for the load bench (a separate file so the bench can SIGKILL it).

    python bench/_replica.py --host 127.0.0.1 --port 8001

Every tuning knob is a FITCOACH_* setting (see docs/operations.md). With
``BENCH_PROFILE_DIR`` set, the process writes a cProfile of its CPU time (not wall time) to
``<dir>/<pid>.prof`` when it exits (SIGTERM included); with ``BENCH_TASK_CPU`` set, its CPU
per phase of a turn (``bench/_task_cpu.py``) to ``<dir>/<pid>.json``."""

from __future__ import annotations

import atexit
import cProfile
import os
import signal
import sys
import time
from pathlib import Path


def _profile_to(directory: str) -> None:
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()

    def dump() -> None:
        profiler.disable()
        profiler.dump_stats(str(Path(directory) / f"{os.getpid()}.prof"))

    atexit.register(dump)


def _exit_through_atexit() -> None:
    """uvicorn raises the SIGTERM it stopped on again once shut down: exit normally then."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


if __name__ == "__main__":
    from fitcoach.cli import app

    if os.environ.get("BENCH_PROFILE_DIR"):
        _exit_through_atexit()
        _profile_to(os.environ["BENCH_PROFILE_DIR"])
    if os.environ.get("BENCH_TASK_CPU"):
        import _task_cpu

        _exit_through_atexit()
        _task_cpu.enable(os.environ["BENCH_TASK_CPU"])
    sys.argv = ["fitcoach", "serve", *sys.argv[1:]]
    app()
