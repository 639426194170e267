"""Held-out generalisation check for the grounded nutrition and exercise engines.

The ``bench/data/heldout_*.jsonl`` sets were written independently of the tuning sets
(``foods/portions/meals/exercises/workouts.jsonl``) as a demanding user would type: typos,
plurals, UK/US words, brands, fractions, containers, gym slang. They are scored with exactly the
rules of ``bench/nutrition.py`` and ``bench/exercise.py``:

* foods: top-1 NDB_No in the accepted list;
* portions: ``parse_food`` grams within 15 % of the label;
* meals: ``parse_meal`` total kcal within 10 % of the label (items exact reported too);
* exercises: top-1 catalog id in the accepted list;
* workouts: same number of entries, each right (exercise, sets, reps, kg within 0.5 / cardio
  kind, duration and distance within 2 %), and ``confident`` iff entries are expected.

Run from the repo root: ``python bench/heldout.py``. ``run()`` returns the metrics dict.
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
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from nutrition import score_food_search  # noqa: E402

DATA = BENCH / "data"

TARGETS: dict[str, float] = {
    "food_top1": 0.92,
    "portion_within_15pct": 0.90,
    "meal_kcal_within_10pct": 0.85,
    "exercise_top1": 0.90,
    "workout_full": 0.85,
}


def _load(name: str) -> list[dict[str, Any]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _nutrition() -> tuple[dict[str, Any], list[str]]:
    from fitcoach.domain.nutrition.foods import FoodDatabase
    from fitcoach.domain.nutrition.meals import parse_food, parse_meal

    db = FoodDatabase.load()
    out: dict[str, Any] = {}
    lines: list[str] = []

    foods = _load("heldout_foods.jsonl")
    misses, lat = score_food_search(db, foods)
    out["food_top1"] = round(1 - len(misses) / len(foods), 4)
    out["food_search_p50_ms"] = round(statistics.median(lat) * 1000, 3)
    lines.append(f"foods: top-1 {out['food_top1']:.1%} ({len(foods) - len(misses)}/{len(foods)})")
    lines += misses

    portions = _load("heldout_portions.jsonl")
    pmiss: list[str] = []
    ndb_ok = 0
    for row in portions:
        item = parse_food(row["phrase"], db)
        grams = item.grams if item else 0.0
        if item and item.ndb == row["ndb"]:
            ndb_ok += 1
        if abs(grams - row["grams"]) > 0.15 * row["grams"]:
            got = f"{item.ndb} {item.food.name[:40]!r} {item.portion.description}" if item else "-"
            pmiss.append(f"  {row['phrase']!r}: got {grams:.0f} g ({got}) want {row['grams']} g")
    out["portion_within_15pct"] = round(1 - len(pmiss) / len(portions), 4)
    out["portion_ndb_match"] = round(ndb_ok / len(portions), 4)
    lines.append(
        f"portions: grams within 15% {out['portion_within_15pct']:.1%} "
        f"({len(portions) - len(pmiss)}/{len(portions)}), food match {ndb_ok}/{len(portions)}"
    )
    lines += pmiss

    meals = _load("heldout_meals.jsonl")
    mmiss: list[str] = []
    items_ok = 0
    for row in meals:
        parse = parse_meal(row["text"], db)
        kcal = parse.totals.kcal
        want = [set(i["ndb"]) for i in row["items"]]
        got_ids = [i.ndb for i in parse.items]
        if len(got_ids) == len(want) and all(g in w for g, w in zip(got_ids, want, strict=True)):
            items_ok += 1
        if abs(kcal - row["kcal"]) > 0.10 * row["kcal"]:
            desc = ", ".join(f"{i.ndb}:{i.grams:.0f}g" for i in parse.items)
            mmiss.append(
                f"  {row['text']!r}: got {kcal:.0f} kcal [{desc}] "
                f"unmatched={list(parse.unmatched)} want {row['kcal']}"
            )
    out["meal_kcal_within_10pct"] = round(1 - len(mmiss) / len(meals), 4)
    out["meal_items_exact"] = round(items_ok / len(meals), 4)
    lines.append(
        f"meals: kcal within 10% {out['meal_kcal_within_10pct']:.1%} "
        f"({len(meals) - len(mmiss)}/{len(meals)}), items exact {items_ok}/{len(meals)}"
    )
    lines += mmiss
    out["n"] = {"foods": len(foods), "portions": len(portions), "meals": len(meals)}
    return out, lines


def _exercise() -> tuple[dict[str, Any], list[str]]:
    from exercise import _describe, _entry_ok  # bench/exercise.py: identical entry rules

    from fitcoach.domain.exercise.catalog import ExerciseCatalog
    from fitcoach.domain.exercise.workouts import parse_workout

    catalog = ExerciseCatalog.load()
    out: dict[str, Any] = {}
    lines: list[str] = []
    rows = _load("heldout_exercises.jsonl")
    misses: list[str] = []
    lat: list[float] = []
    for row in rows:
        t = time.perf_counter()
        res = catalog.search(row["query"])
        lat.append(time.perf_counter() - t)
        best = res.best.exercise.id if res.best else None
        if best not in row["id"]:
            misses.append(f"  {row['query']!r}: got {best} want {row['id'][:3]}")
    out["exercise_top1"] = round(1 - len(misses) / len(rows), 4)
    out["exercise_search_p50_ms"] = round(statistics.median(lat) * 1000, 3)
    lines.append(
        f"exercises: top-1 {out['exercise_top1']:.1%} ({len(rows) - len(misses)}/{len(rows)})"
    )
    lines += misses

    wk = _load("heldout_workouts.jsonl")
    wmiss: list[str] = []
    for row in wk:
        parsed = parse_workout(row["text"], catalog=catalog)
        exp = row["entries"]
        ok = len(parsed.entries) == len(exp) and all(
            _entry_ok(e, g) for e, g in zip(exp, parsed.entries, strict=False)
        )
        ok = ok and (parsed.confident == bool(exp))
        if not ok:
            got = "; ".join(_describe(g) for g in parsed.entries) or "-"
            wmiss.append(
                f"  {row['text']!r}: got [{got}] unmatched={list(parsed.unmatched)} "
                f"confident={parsed.confident}"
            )
    out["workout_full"] = round(1 - len(wmiss) / len(wk), 4)
    lines.append(
        f"workouts: fully right {out['workout_full']:.1%} ({len(wk) - len(wmiss)}/{len(wk)})"
    )
    lines += wmiss
    out["n"] = {"exercises": len(rows), "workouts": len(wk)}
    return out, lines


def run(verbose: bool = True) -> dict[str, Any]:
    """Score every held-out set; print accuracy per set and the misses when ``verbose``."""
    nut, nlines = _nutrition()
    ex, elines = _exercise()
    out = {k: v for k, v in {**nut, **ex}.items() if k != "n"}
    out["n"] = {**nut["n"], **ex["n"]}
    if verbose:
        print("== held-out sets (phrasing never used for tuning) ==")
        print("\n".join(nlines + elines))
        for key, target in TARGETS.items():
            flag = "ok " if out[key] >= target else "LOW"
            print(f"  [{flag}] {key:24s} {out[key]:.1%}  target >= {target:.0%}")
    return out


if __name__ == "__main__":
    result = run()
    print(json.dumps(result))
