"""Garbage-collector settings for a long-running server process.

A started fitcoach process holds several hundred thousand long-lived objects (food and
exercise indexes, the agent graph, SQLAlchemy mappers, pydantic schemas). A full (generation
2) collection walks all of them: ≈ 120 ms here, during which no request is acknowledged and no
turn advances. ``freeze_long_lived`` moves what exists after start-up out of the collector's
reach (``gc.freeze``), so later collections only walk what the traffic allocates; the
``fitcoach_gc_pause_seconds`` histogram shows every collection's pause by generation."""

from __future__ import annotations

import gc
import time
from typing import Any

from fitcoach.metrics import GC_PAUSE

_started: list[float] = [0.0]


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
    else:
        GC_PAUSE.labels(str(info.get("generation", "?"))).observe(time.perf_counter() - _started[0])


def watch_collections() -> None:
    """Record every collection's pause in ``fitcoach_gc_pause_seconds`` (once per process)."""
    if _on_collection not in gc.callbacks:
        gc.callbacks.append(_on_collection)


def freeze_long_lived() -> int:
    """Collect once, then exempt every surviving object from later collections.

    Call when start-up is complete. Returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def set_thresholds(thresholds: tuple[int, int, int]) -> None:
    """Apply the collector's generation thresholds (``gc.set_threshold``)."""
    gc.set_threshold(*thresholds)
