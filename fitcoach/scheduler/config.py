"""Scheduler knobs, with defaults; read from ``Settings`` fields named ``scheduler_*``."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _instance_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class SchedulerSettings:
    """Every scheduler knob. Local times are minutes after local midnight."""

    tick_seconds: float = 60.0
    batch_size: int = 500
    plan_batch_size: int = 10_000
    """People planned per tick at most; the rest continue on the next ticks."""
    send_concurrency: int = 16
    stale_claim_s: float = 300.0
    max_attempts: int = 3
    retry_after_s: float = 300.0
    rhythm_weeks: int = 6
    rhythm_min_share: float = 0.5
    rhythm_refresh_days: int = 7
    nudge_default_min: int = 17 * 60 + 30
    nudge_earliest_min: int = 10 * 60
    nudge_latest_min: int = 20 * 60
    nudge_expires_min: int = 21 * 60 + 30
    celebrate_min: int = 9 * 60 + 30
    celebrate_expires_min: int = 21 * 60
    deadline_min: int = 10 * 60
    summary_weekday: int = 6
    summary_min: int = 19 * 60
    summary_expires_min: int = 21 * 60 + 30
    lunch_window: tuple[int, int, int] = (11 * 60, 14 * 60, 16 * 60)
    dinner_window: tuple[int, int, int] = (17 * 60, 20 * 60 + 30, 21 * 60 + 45)
    """(meal window start = pending since, check time, expiry)."""
    reminder_grace_min: int = 120
    log_outbound: bool = True
    """Record sent messages in MessageLog (direction "out") so history shows them."""
    prompts_dir: Path | None = None
    instance_id: str = field(default_factory=_instance_id)

    @classmethod
    def from_settings(cls, settings: Any) -> SchedulerSettings:
        """Take ``scheduler_<name>`` attributes of the app Settings where present."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = getattr(settings, f"scheduler_{f.name}", None)
            if value is not None:
                values[f.name] = value
        prompts = getattr(settings, "prompts_dir", None)
        if prompts is not None and "prompts_dir" not in values:
            values["prompts_dir"] = prompts
        return cls(**values)
