"""Series -> PNG bytes with matplotlib's Agg canvas (no pyplot, no global state changes).

Charts are 1000×700 px with large type so they stay readable on a phone, use a colour-blind
safe palette, and are deterministic: the same series always give the same bytes."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from datetime import date, datetime

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, date2num, num2date
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fitcoach.charts.series import OTHER, CaloriesSeries, VolumeSeries, WeightSeries

LB_PER_KG = 2.20462262
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 7.0, 100
"""1000 × 700 px."""

# Okabe-Ito (colour-blind safe); grey for "other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
GREY = "#9A9A9A"
INK = "#222222"
MUTED = "#5F5F5F"
GRID = "#E3E3E3"
TITLE_SIZE, SUBTITLE_SIZE, LABEL_SIZE, TICK_SIZE, NOTE_SIZE = 26, 17, 18, 16, 15

_LOCK = threading.Lock()
"""matplotlib is not thread-safe; charts are rendered one at a time (tools use a thread)."""


class EmptySeries(ValueError):
    """There is nothing to draw."""


def render_volume(series: VolumeSeries, unit_system: str = "metric") -> bytes:
    """Stacked weekly bars of volume (reps × load) per primary muscle."""
    if series.empty:
        raise EmptySeries("no loaded sets in the window")
    factor, unit = _mass_unit(unit_system)
    with _LOCK:
        fig, ax = _figure()
        x = list(range(len(series.week_starts)))
        bottom = [0.0] * len(x)
        colours = _muscle_colours(list(series.by_muscle))
        for muscle, values in series.by_muscle.items():
            heights = [v * factor for v in values]
            ax.bar(
                x,
                heights,
                0.68,
                bottom=bottom,
                color=colours[muscle],
                label=muscle.title(),
                edgecolor="white",
                linewidth=1.2,
                zorder=3,
            )
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        top = max(bottom)
        for xi, total in zip(x, bottom, strict=True):
            if total > 0:
                ax.text(
                    xi,
                    total + top * 0.015,
                    _short(total),
                    ha="center",
                    va="bottom",
                    fontsize=NOTE_SIZE,
                    color=INK,
                    zorder=4,
                )
        ax.set_ylim(0, top * 1.42)
        ax.set_xticks(
            x, [_week_label(d, i == len(x) - 1) for i, d in enumerate(series.week_starts)]
        )
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _thousands(v)))
        ax.set_ylabel(f"Volume ({unit}) = reps × load", fontsize=LABEL_SIZE, color=INK)
        ax.set_xlabel(f"Week starting (Mon, {series.timezone})", fontsize=LABEL_SIZE, color=INK)
        ax.legend(
            loc="upper left",
            ncol=min(4, len(series.by_muscle)),
            fontsize=NOTE_SIZE,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.2,
            borderaxespad=0.2,
        )
        summary = series.summary()
        _titles(
            fig,
            "Weekly training volume by muscle",
            f"Last {summary['weeks']} weeks · {_short(summary['total_kg'] * factor)} {unit} "
            f"in {summary['sets']} sets",
        )
        return _png(fig)


def render_weight(series: WeightSeries, unit_system: str = "metric") -> bytes:
    """Raw weigh-ins as dots, the 7-day rolling average as a line, the goal as a dashed line."""
    if series.empty:
        raise EmptySeries("no weigh-ins in the window")
    factor, unit = _mass_unit(unit_system)
    with _LOCK:
        fig, ax = _figure()
        times = [float(date2num(_naive(p.at))) for p in series.points]
        raw = [p.kg * factor for p in series.points]
        avg = [p.avg_kg * factor for p in series.points]
        ax.scatter(
            times,
            raw,
            s=70,
            color=PALETTE[4],
            alpha=0.75,
            edgecolor="white",
            linewidth=1,
            label="Weigh-in",
            zorder=3,
        )
        ax.plot(
            times,
            avg,
            color=PALETTE[0],
            linewidth=4.5,
            solid_capstyle="round",
            label="7-day average",
            zorder=4,
        )
        values = raw + avg
        goal = series.goal_kg * factor if series.goal_kg is not None else None
        if goal is not None:
            ax.axhline(
                goal,
                color=PALETTE[2],
                linewidth=3,
                linestyle=(0, (6, 4)),
                zorder=2,
                label=f"Goal {goal:.1f} {unit}",
            )
            values.append(goal)
        low, high = min(values), max(values)
        pad = max((high - low) * 0.18, 0.8 * factor)
        ax.set_ylim(low - pad, high + pad * 1.6)
        start, end = min(times), max(times)
        if end - start < 7:  # matplotlib dates are days: show at least a week
            start = end - 7
        margin = (end - start) * 0.06
        ax.set_xlim(start - margin, end + margin * 2.2)
        last = series.points[-1]
        ax.annotate(
            f"{last.avg_kg * factor:.1f}",
            (times[-1], avg[-1]),
            xytext=(10, 10),
            textcoords="offset points",
            fontsize=NOTE_SIZE + 1,
            fontweight="bold",
            color=PALETTE[0],
            zorder=5,
        )
        locator = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _day(num2date(v).date())))
        ax.yaxis.set_major_locator(MaxNLocator(6))
        ax.set_ylabel(f"Body weight ({unit})", fontsize=LABEL_SIZE, color=INK)
        ax.set_xlabel(f"Date ({series.timezone})", fontsize=LABEL_SIZE, color=INK)
        ax.legend(
            loc="upper left",
            ncol=3,
            fontsize=NOTE_SIZE,
            frameon=False,
            borderaxespad=0.2,
            handlelength=1.6,
        )
        summary = series.summary()
        change = summary["change_kg"] * factor
        if len(series.points) == 1:
            subtitle = "One weigh-in so far: log a few more to see the trend"
        else:
            subtitle = (
                f"Average {summary['average_kg'] * factor:.1f} {unit} · "
                f"{_signed(change)} {unit} since {_day(series.points[0].at.date())}"
            )
        _titles(fig, "Body-weight trend", subtitle)
        return _png(fig)


def render_calories(series: CaloriesSeries) -> bytes:
    """Daily calories as bars with the plan's target as a dashed line (none in care mode)."""
    if series.empty:
        raise EmptySeries("no meals in the window")
    with _LOCK:
        fig, ax = _figure()
        x = list(range(len(series.days)))
        target = series.target_kcal
        heights = [v or 0.0 for v in series.kcal]
        colours = [_calorie_colour(v, target) for v in heights]
        ax.bar(x, heights, 0.72, color=colours, zorder=3)
        top = max([*heights, float(target or 0)])
        size = NOTE_SIZE if len(x) <= 10 else NOTE_SIZE - 2
        for xi, value in zip(x, series.kcal, strict=True):
            if value is None:
                ax.text(
                    xi,
                    top * 0.012,
                    "no\nlog",
                    ha="center",
                    va="bottom",
                    fontsize=NOTE_SIZE - 3,
                    linespacing=1.0,
                    color=GREY,
                    zorder=4,
                )
            else:
                ax.text(
                    xi,
                    value + top * 0.015,
                    f"{value:,.0f}",
                    ha="center",
                    va="bottom",
                    fontsize=size,
                    color=INK,
                    zorder=6,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 2.5},
                )
        handles: list[Artist] = [Patch(color=PALETTE[0], label="Eaten")]
        if target:
            # Behind the bars and their labels: the bars stay readable, the line shows between.
            line = ax.axhline(
                target,
                color=INK,
                linewidth=2.5,
                linestyle=(0, (6, 4)),
                zorder=2,
                label=f"Target {target:,} kcal",
            )
            handles = [handles[0], Patch(color=PALETTE[1], label="> 10% over"), line]
        ax.legend(
            handles=handles,
            loc="upper left",
            ncol=len(handles),
            fontsize=NOTE_SIZE,
            frameon=False,
            borderaxespad=0.2,
            handlelength=1.6,
        )
        ax.set_ylim(0, top * 1.3)
        ax.set_xlim(-0.6, len(x) - 0.4)
        ax.set_xticks(x, [_day_label(d, i == len(x) - 1) for i, d in enumerate(series.days)])
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_ylabel("Energy eaten (kcal)", fontsize=LABEL_SIZE, color=INK)
        ax.set_xlabel(
            f"{_day(series.days[0])} – {_day(series.days[-1])} ({series.timezone})",
            fontsize=LABEL_SIZE,
            color=INK,
        )
        summary = series.summary()
        subtitle = (
            f"Average {summary['average_kcal']:,} kcal over {summary['days_logged']} logged day(s)"
        )
        if target and "days_on_target" in summary:
            subtitle += f" · {summary['days_on_target']} within ±10% of target"
        _titles(fig, "Daily calories", subtitle)
        return _png(fig)


def _figure() -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.115, right=0.965, top=0.83, bottom=0.15)
    ax = fig.add_subplot()
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(labelsize=TICK_SIZE, colors=INK, length=5)
    ax.grid(axis="y", color=GRID, linewidth=1.2, zorder=0)
    ax.set_axisbelow(True)
    return fig, ax


def _titles(fig: Figure, title: str, subtitle: str) -> None:
    fig.text(0.03, 0.95, title, fontsize=TITLE_SIZE, fontweight="bold", color=INK, va="top")
    fig.text(0.03, 0.885, subtitle, fontsize=SUBTITLE_SIZE, color=MUTED, va="top")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # No "Software" metadata: the bytes depend on the data only, not on the version string.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _mass_unit(unit_system: str) -> tuple[float, str]:
    return (LB_PER_KG, "lb") if unit_system == "imperial" else (1.0, "kg")


def _muscle_colours(muscles: Sequence[str]) -> dict[str, str]:
    named = [m for m in muscles if m != OTHER]
    colours = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(named)}
    colours[OTHER] = GREY
    return colours


def _calorie_colour(value: float, target: int | None) -> str:
    if target and value > target * 1.1:
        return PALETTE[1]
    return PALETTE[0]


def _short(value: float) -> str:
    """12,345 -> 12.3k; small numbers as they are."""
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}"


def _thousands(value: float) -> str:
    """Axis ticks: 6000 -> 6k, 12500 -> 12.5k."""
    return f"{value / 1000:g}k" if value >= 1000 else f"{value:.0f}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _week_label(start: date, current: bool) -> str:
    return f"{_day(start)}\n(now)" if current else _day(start)


def _day_label(day: date, today: bool) -> str:
    return f"{'Today' if today else f'{day:%a}'}\n{day.day}"


def _signed(value: float) -> str:
    """+1.2 / −1.2 (a real minus sign) / ±0.0."""
    if round(value, 1) == 0:
        return "±0.0"
    return f"{value:+.1f}".replace("-", "−")


def _naive(moment: datetime) -> datetime:
    """Local wall-clock time without tzinfo, so matplotlib draws it as the person saw it."""
    return moment.replace(tzinfo=None)
