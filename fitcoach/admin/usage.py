"""Usage figures: messages per channel and outcome (inbox table, all replicas) and model
calls, tokens, fallbacks and tool calls (Prometheus counters of this replica since start)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fitcoach.metrics import FALLBACKS, MESSAGES, MODEL_CALLS, MODEL_TOKENS, TOOL_CALLS
from fitcoach.storage.models import InboxMessage


async def inbox_usage(session: AsyncSession, since: datetime) -> list[dict[str, Any]]:
    """Messages accepted since ``since`` by channel and outcome (status)."""
    stmt = (
        select(InboxMessage.channel, InboxMessage.status, func.count())
        .where(InboxMessage.created_at >= since)
        .group_by(InboxMessage.channel, InboxMessage.status)
        .order_by(InboxMessage.channel, InboxMessage.status)
    )
    rows = (await session.execute(stmt)).all()
    return [{"channel": c, "outcome": s, "count": n} for c, s, n in rows]


def counter_values(counter: Counter, label: str | None = None) -> dict[str, float]:
    """A counter's ``_total`` samples keyed by one label (or ``"total"``)."""
    values: dict[str, float] = {}
    for metric in counter.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                key = sample.labels.get(label, "") if label else "total"
                values[key] = values.get(key, 0.0) + sample.value
    return values


def process_usage() -> dict[str, Any]:
    """This replica's counters since it started."""
    messages: dict[str, float] = {}
    for metric in MESSAGES.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                key = f"{sample.labels['channel']}/{sample.labels['outcome']}"
                messages[key] = sample.value
    return {
        "messages": messages,
        "model_calls": counter_values(MODEL_CALLS, "route"),
        "tokens": counter_values(MODEL_TOKENS, "kind"),
        "fallbacks": counter_values(FALLBACKS).get("total", 0.0),
        "tool_calls": counter_values(TOOL_CALLS, "tool"),
    }
