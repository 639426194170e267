"""Benchmark for the exercise engine: search top-1 accuracy, workout parse accuracy, latency.

Run from the repo root: ``python bench/exercise.py``. ``run()`` returns the numbers as a dict
for a combined benchmark.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fitcoach.domain.exercise.catalog import ExerciseCatalog  # noqa: E402
from fitcoach.domain.exercise.workouts import (  # noqa: E402
    CardioEntry,
    StrengthEntry,
    parse_workout,
)

DATA = ROOT / "bench" / "data"
TARGETS = {"exercise_top1": 0.90, "workout_full": 0.85, "search_p50_ms": 2.0, "load_s": 1.0}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _reps_ok(expected: int | list[int], sets: int, got: tuple[int, ...]) -> bool:
    if isinstance(expected, list):
        return list(got) == expected
    return list(got) == [expected] * sets


def _close(a: float | None, b: float | None, *, abs_tol: float = 0.0, rel: float = 0.0) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(abs_tol, rel * abs(b))


def _entry_ok(exp: dict[str, Any], got: StrengthEntry | CardioEntry) -> bool:
    if "exercise_id" in exp:
        if not isinstance(got, StrengthEntry):
            return False
        return (
            got.exercise.id in exp["exercise_id"]
            and got.sets == exp["sets"]
            and _reps_ok(exp["reps"], exp["sets"], got.reps)
            and _close(got.weight_kg, exp["weight_kg"], abs_tol=0.5)
        )
    if not isinstance(got, CardioEntry):
        return False
    return (
        got.activity.kind == exp["activity"]
        and _close(got.duration_min, exp.get("duration_min"), rel=0.02)
        and _close(got.distance_km, exp.get("distance_km"), rel=0.02)
    )


def _describe(got: StrengthEntry | CardioEntry) -> str:
    if isinstance(got, StrengthEntry):
        return (
            f"{got.exercise.id} {got.sets}x{list(got.reps)} "
            f"{got.weight_kg}kg conf={got.confidence:.2f}"
        )
    return (
        f"{got.activity.kind}/{got.activity.code} {got.duration_min}min "
        f"{got.distance_km}km conf={got.confidence:.2f}"
    )


def run(verbose: bool = False) -> dict[str, Any]:
    """Run all benchmark sets; return metrics (and misses) as a dict."""
    t0 = time.perf_counter()
    catalog = ExerciseCatalog.load()
    load_s = time.perf_counter() - t0

    ex_rows = _jsonl(DATA / "exercises.jsonl")
    ex_misses: list[str] = []
    latencies: list[float] = []
    for row in ex_rows:
        t = time.perf_counter()
        res = catalog.search(row["query"])
        latencies.append((time.perf_counter() - t) * 1000.0)
        best = res.best.exercise.id if res.best else None
        if best not in row["id"]:
            ex_misses.append(f"{row['query']!r}: got {best} want {row['id']}")
    # second timing pass on a warm cache-free path (distinct queries, lru on tokens only)
    lat2: list[float] = []
    for row in ex_rows:
        t = time.perf_counter()
        catalog.search(row["query"] + " x")
        lat2.append((time.perf_counter() - t) * 1000.0)
    all_lat = sorted(latencies + lat2)

    wk_rows = _jsonl(DATA / "workouts.jsonl")
    wk_misses: list[str] = []
    parse_ms: list[float] = []
    for row in wk_rows:
        t = time.perf_counter()
        parsed = parse_workout(row["text"], catalog=catalog)
        parse_ms.append((time.perf_counter() - t) * 1000.0)
        exp = row["entries"]
        ok = len(parsed.entries) == len(exp) and all(
            _entry_ok(e, g) for e, g in zip(exp, parsed.entries, strict=False)
        )
        # a log must be confident; a non-workout message must not be
        ok = ok and (parsed.confident == bool(exp))
        if not ok:
            got = "; ".join(_describe(g) for g in parsed.entries) or "-"
            wk_misses.append(
                f"{row['text']!r}: got [{got}] unmatched={list(parsed.unmatched)} "
                f"confident={parsed.confident}"
            )

    def pct(values: list[float], q: float) -> float:
        if not values:
            return 0.0
        idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
        return sorted(values)[idx]

    return {
        "exercise_n": len(ex_rows),
        "exercise_top1": (len(ex_rows) - len(ex_misses)) / max(1, len(ex_rows)),
        "exercise_misses": ex_misses,
        "workout_n": len(wk_rows),
        "workout_full": (len(wk_rows) - len(wk_misses)) / max(1, len(wk_rows)),
        "workout_misses": wk_misses,
        "load_s": load_s,
        "search_p50_ms": statistics.median(all_lat),
        "search_p99_ms": pct(all_lat, 0.99),
        "parse_p50_ms": statistics.median(parse_ms) if parse_ms else 0.0,
        "parse_p99_ms": pct(parse_ms, 0.99),
    }


def main() -> int:
    """Print the report; exit 1 when a target is missed."""
    r = run()
    print("== exercise engine benchmark ==")
    print(
        f"exercise search top-1: {r['exercise_top1']:.1%} "
        f"({r['exercise_n'] - len(r['exercise_misses'])}/{r['exercise_n']})"
        f"  target >= {TARGETS['exercise_top1']:.0%}"
    )
    for m in r["exercise_misses"]:
        print(f"  MISS {m}")
    print(
        f"workout fully right:   {r['workout_full']:.1%} "
        f"({r['workout_n'] - len(r['workout_misses'])}/{r['workout_n']})"
        f"  target >= {TARGETS['workout_full']:.0%}"
    )
    for m in r["workout_misses"]:
        print(f"  MISS {m}")
    print(f"index load:            {r['load_s'] * 1000:.1f} ms  target <= 1000 ms")
    print(
        f"search latency:        p50 {r['search_p50_ms']:.3f} ms, p99 {r['search_p99_ms']:.3f} ms"
        f"  target p50 <= {TARGETS['search_p50_ms']} ms"
    )
    print(f"parse latency:         p50 {r['parse_p50_ms']:.3f} ms, p99 {r['parse_p99_ms']:.3f} ms")
    ok = (
        r["exercise_top1"] >= TARGETS["exercise_top1"]
        and r["workout_full"] >= TARGETS["workout_full"]
        and r["search_p50_ms"] <= TARGETS["search_p50_ms"]
        and r["load_s"] <= TARGETS["load_s"]
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
