"""Nutrition engine benchmark: food top-1, portion grams, meal kcal, load time, latency.

Run from the repo root: ``python bench/nutrition.py``. ``run()`` returns the metrics dict.
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

DATA = Path(__file__).resolve().parent / "data"


def _load(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score_food_search(db: Any, rows: list[dict[str, Any]]) -> tuple[list[str], list[float]]:
    """Top-1 misses (readable lines) and per-query search latencies (seconds) for a food set."""
    misses: list[str] = []
    latencies: list[float] = []
    for row in rows:
        t = time.perf_counter()
        res = db.search(row["query"])
        latencies.append(time.perf_counter() - t)
        got = res.best.food.ndb if res.best else None
        if got not in row["ndb"]:
            name = res.best.food.name if res.best else "-"
            misses.append(f"  {row['query']!r}: got {got} {name[:60]!r} want {row['ndb'][:4]}")
    return misses, latencies


def run(verbose: bool = True) -> dict[str, Any]:
    """Run all nutrition benchmarks and return a metrics dict."""
    from fitcoach.domain.nutrition.foods import FoodDatabase
    from fitcoach.domain.nutrition.meals import parse_food, parse_meal

    t0 = time.perf_counter()
    db = FoodDatabase.load()
    load_s = time.perf_counter() - t0

    out: dict[str, Any] = {"load_s": round(load_s, 3)}
    lines: list[str] = [f"index load: {load_s * 1000:.0f} ms ({len(db)} foods)"]

    # foods ---------------------------------------------------------------
    foods = _load("foods.jsonl")
    misses, latencies = score_food_search(db, foods)
    # warm timing pass (cached fuzzy lookups as in steady state)
    warm: list[float] = []
    for row in foods:
        t = time.perf_counter()
        db.search(row["query"])
        warm.append(time.perf_counter() - t)
    acc = 1 - len(misses) / len(foods)
    out["food_top1"] = round(acc, 4)
    lines.append(f"foods: top-1 {acc:.1%} ({len(foods) - len(misses)}/{len(foods)})")
    lines += misses

    cold_sorted = sorted(latencies)
    warm_sorted = sorted(warm)

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))] * 1000

    out["search_p50_ms"] = round(pct(warm_sorted, 0.5), 3)
    out["search_p99_ms"] = round(pct(warm_sorted, 0.99), 3)
    out["search_cold_p50_ms"] = round(pct(cold_sorted, 0.5), 3)
    out["search_cold_p99_ms"] = round(pct(cold_sorted, 0.99), 3)
    lines.append(
        f"search latency: p50 {out['search_p50_ms']:.2f} ms, p99 {out['search_p99_ms']:.2f} ms "
        f"(first call p50 {out['search_cold_p50_ms']:.2f} ms, "
        f"p99 {out['search_cold_p99_ms']:.2f} ms)"
    )

    # portions ------------------------------------------------------------
    portions = _load("portions.jsonl")
    pmiss: list[str] = []
    ndb_ok = 0
    for row in portions:
        item = parse_food(row["phrase"], db)
        grams = item.grams if item else 0.0
        if item and item.ndb == row["ndb"]:
            ndb_ok += 1
        if abs(grams - row["grams"]) > 0.15 * row["grams"]:
            got = f"{item.ndb} {item.portion.description}" if item else "-"
            pmiss.append(f"  {row['phrase']!r}: got {grams:.0f} g ({got}) want {row['grams']} g")
    pacc = 1 - len(pmiss) / len(portions)
    out["portion_within_15pct"] = round(pacc, 4)
    out["portion_ndb_match"] = round(ndb_ok / len(portions), 4)
    lines.append(
        f"portions: grams within 15% {pacc:.1%} ({len(portions) - len(pmiss)}/{len(portions)}), "
        f"food match {ndb_ok}/{len(portions)}"
    )
    lines += pmiss

    # meals ---------------------------------------------------------------
    meals = _load("meals.jsonl")
    mmiss: list[str] = []
    items_ok = 0
    meal_lat: list[float] = []
    for row in meals:
        t = time.perf_counter()
        parse = parse_meal(row["text"], db)
        meal_lat.append(time.perf_counter() - t)
        kcal = parse.totals.kcal
        want = [set(i["ndb"]) for i in row["items"]]
        got = [i.ndb for i in parse.items]
        if len(got) == len(want) and all(g in w for g, w in zip(got, want, strict=True)):
            items_ok += 1
        if abs(kcal - row["kcal"]) > 0.10 * row["kcal"]:
            desc = ", ".join(f"{i.ndb}:{i.grams:.0f}g" for i in parse.items)
            mmiss.append(
                f"  {row['text']!r}: got {kcal:.0f} kcal [{desc}] "
                f"unmatched={list(parse.unmatched)} want {row['kcal']}"
            )
    macc = 1 - len(mmiss) / len(meals)
    out["meal_kcal_within_10pct"] = round(macc, 4)
    out["meal_items_exact"] = round(items_ok / len(meals), 4)
    out["meal_p50_ms"] = round(statistics.median(meal_lat) * 1000, 3)
    lines.append(
        f"meals: kcal within 10% {macc:.1%} ({len(meals) - len(mmiss)}/{len(meals)}), "
        f"items exact {items_ok}/{len(meals)}, parse p50 {out['meal_p50_ms']:.2f} ms"
    )
    lines += mmiss
    if verbose:
        print("\n".join(lines))
    return out


if __name__ == "__main__":
    result = run()
    print(json.dumps(result))
