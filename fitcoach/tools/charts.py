"""show_chart: a progress chart (PNG) of the person's own logs, saved under their media folder.

The person comes only from ``runtime.context``. The result JSON carries the image's path (the
turn's reply attaches it, see ``agent.chart_replies.images_from_turn``) and the key numbers, so
text-only channels and any model can still say what the chart shows."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, tool

from fitcoach.agent.context import CoachContext
from fitcoach.charts.data import ChartData
from fitcoach.charts.render import render_calories, render_volume, render_weight
from fitcoach.charts.series import CaloriesSeries, VolumeSeries, WeightSeries
from fitcoach.tools.runtime import ToolServices, encode, trusted_context

ChartKind = Literal["volume", "weight", "calories"]
MIME_TYPE = "image/png"
CHART_TTL_S = 24 * 3600
"""Charts older than this are removed from the person's chart folder when a new one is drawn."""

DEFAULT_WEEKS: dict[str, int] = {"volume": 8, "weight": 12, "calories": 2}
WEEK_LIMITS: dict[str, tuple[int, int]] = {"volume": (4, 12), "weight": (2, 52), "calories": (1, 2)}

NO_DATA: dict[str, str] = {
    "volume": (
        "I don't have any loaded sets from the last {weeks} weeks to chart yet. Log a few "
        "workouts first (e.g. “bench 3x5 at 80 kg”) and I'll show your volume per muscle."
    ),
    "weight": (
        "There are no weigh-ins to chart yet. Log your weight a few times (e.g. “I weigh "
        "80 kg”) and I'll show the trend."
    ),
    "calories": (
        "There are no meals from the last {days} days to chart yet. Log a few meals first "
        "(e.g. “2 eggs and toast for breakfast”) and I'll chart your calories."
    ),
}
IMAGE_NOTE = (
    "The chart image is sent to the person with your reply; describe the numbers in words and "
    "do not mention the file."
)


def chart_weeks(kind: str, weeks: int | None) -> int:
    """The window in weeks for a chart kind: the default, or ``weeks`` within its limits."""
    low, high = WEEK_LIMITS[kind]
    return DEFAULT_WEEKS[kind] if weeks is None else max(low, min(high, int(weeks)))


def make_show_chart(services: ToolServices) -> BaseTool:
    """Build the show_chart tool."""

    @tool
    async def show_chart(
        runtime: ToolRuntime[CoachContext, Any],
        kind: ChartKind,
        weeks: int | None = None,
    ) -> str:
        """Draw a progress chart image of the person's own logs and send it with the reply.

        kind: "volume" = weekly training volume (reps × load) per muscle group;
        "weight" = body-weight trend with a 7-day average and the goal weight;
        "calories" = daily calories against the plan's target.
        weeks: optional window (volume 4-12, default 8; weight 2-52, default 12;
        calories 1-2, default 2)."""
        context = trusted_context(runtime)
        span = chart_weeks(kind, weeks)
        now = services.clock()
        series: VolumeSeries | WeightSeries | CaloriesSeries
        async with services.database.session() as session:
            data = ChartData(session, context.user_id)
            if kind == "volume":
                series = await data.volume(now, context.timezone, weeks=span)
            elif kind == "weight":
                series = await data.weight(now, context.timezone, days=span * 7)
            else:
                series = await data.calories(now, context.timezone, days=span * 7)
        if series.empty:
            return encode(
                "show_chart",
                "no_data",
                kind=kind,
                message=NO_DATA[kind].format(weeks=span, days=span * 7),
            )
        png = await asyncio.to_thread(_render, series, context.unit_system)
        folder = services.media_dir / str(context.user_id) / "charts"
        path = await asyncio.to_thread(save_chart, folder, png)
        return encode(
            "show_chart",
            "ok",
            kind=kind,
            image={"path": str(path), "mime_type": MIME_TYPE},
            summary=series.summary(),
            unit_system=context.unit_system,
            timezone=context.timezone,
            note=IMAGE_NOTE,
        )

    return show_chart


def _render(series: VolumeSeries | WeightSeries | CaloriesSeries, unit_system: str) -> bytes:
    if isinstance(series, VolumeSeries):
        return render_volume(series, unit_system)
    if isinstance(series, WeightSeries):
        return render_weight(series, unit_system)
    return render_calories(series)


def save_chart(folder: Path, png: bytes, now: float | None = None) -> Path:
    """Write ``<folder>/<uuid>.png`` atomically (absolute path) and drop stale charts."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder, (time.time() if now is None else now) - CHART_TTL_S)
    target = folder / f"{uuid.uuid4().hex}.png"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(png)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _prune(folder: Path, cutoff: float) -> None:
    for old in folder.glob("*.png"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue  # another worker removed it first
