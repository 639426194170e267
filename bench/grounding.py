"""Combined grounding report: tuning benchmarks + held-out sets against every target.

Runs ``bench/nutrition.py``'s ``run()``, ``bench/exercise.py``'s ``run()`` and
``bench/heldout.py``'s ``run()`` and prints one table. Run from the repo root:
``python bench/grounding.py`` (``-v`` also prints every miss). Exit code 1 when a target is
missed.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for p in (BENCH.parent, BENCH):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import exercise as exercise_bench  # noqa: E402
import heldout as heldout_bench  # noqa: E402
import nutrition as nutrition_bench  # noqa: E402

# (label, key, target, direction): ">=" accuracy, "<=" time
Row = tuple[str, str, float, str]
ACCURACY: list[Row] = [
    ("food search top-1", "food_top1", 0.92, ">="),
    ("portion grams within 15%", "portion_within_15pct", 0.90, ">="),
    ("meal kcal within 10%", "meal_kcal_within_10pct", 0.85, ">="),
    ("exercise search top-1", "exercise_top1", 0.90, ">="),
    ("workout parse fully right", "workout_full", 0.85, ">="),
]


def _ok(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == ">=" else value <= target


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1%}"
    return f"{value:.2f} {unit}" if unit == "ms" else f"{value * 1000:.0f} ms"


def main(argv: list[str]) -> int:
    """Print the combined table; return 1 when any target is missed."""
    verbose = "-v" in argv[1:]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        nut: dict[str, Any] = nutrition_bench.run(verbose=True)
        ex: dict[str, Any] = exercise_bench.run()
        held: dict[str, Any] = heldout_bench.run(verbose=True)
    if verbose:
        print(buf.getvalue())
        for m in ex["exercise_misses"] + ex["workout_misses"]:
            print(f"  exercise bench MISS {m}")
    tuned = {**nut, **{k: ex[k] for k in ("exercise_top1", "workout_full")}}
    rows: list[tuple[str, str, str, str, bool]] = []
    for label, key, target, direction in ACCURACY:
        for set_name, source in (("tuning", tuned), ("held-out", held)):
            value = float(source[key])
            rows.append(
                (
                    label,
                    set_name,
                    _fmt(value, "%"),
                    f"{direction} {target:.0%}",
                    _ok(value, target, direction),
                )
            )
    timing: list[tuple[str, float, float, str]] = [
        ("food search p50 (warm)", nut["search_p50_ms"], 2.0, "ms"),
        ("food search p50 (held-out, first call)", held["food_search_p50_ms"], 2.0, "ms"),
        ("exercise search p50", ex["search_p50_ms"], 2.0, "ms"),
        ("exercise search p50 (held-out)", held["exercise_search_p50_ms"], 2.0, "ms"),
        ("food index load", nut["load_s"], 1.0, "s"),
        ("exercise catalog load", ex["load_s"], 1.0, "s"),
    ]
    for label, value, target, unit in timing:
        shown_target = f"<= {target:g} ms" if unit == "ms" else f"<= {target * 1000:.0f} ms"
        rows.append((label, "", _fmt(value, unit), shown_target, value <= target))
    w0 = max(len(r[0]) for r in rows)
    print(f"{'metric':{w0}}  {'set':8}  {'value':>9}  {'target':>9}  status")
    print("-" * (w0 + 40))
    for label, set_name, shown, goal, ok in rows:
        print(f"{label:{w0}}  {set_name:8}  {shown:>9}  {goal:>9}  {'ok' if ok else 'MISS'}")
    n = held["n"]
    print(
        f"\nheld-out sizes: {n['foods']} foods, {n['portions']} portions, {n['meals']} meals, "
        f"{n['exercises']} exercises, {n['workouts']} workouts"
    )
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
