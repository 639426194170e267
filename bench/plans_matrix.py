"""Benchmark for the planner: generate the profile matrix, audit every plan, print a summary.

Run from the repo root: ``python bench/plans_matrix.py``. ``run()`` returns the figures as a
dict for a combined benchmark. Target: 0 violations for every rule.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fitcoach.domain.plans.audit import audit_plan  # noqa: E402
from fitcoach.domain.plans.generator import generate_plan  # noqa: E402
from fitcoach.domain.plans.matrix import profile_matrix  # noqa: E402
from fitcoach.domain.plans.profile import profile_from_mapping  # noqa: E402

RULES = (
    "days_count",
    "empty_day",
    "duplicate_in_day",
    "unknown_exercise",
    "equipment",
    "contraindicated",
    "sets_range",
    "reps_range",
    "rest_range",
    "rir_range",
    "kcal_floor",
    "kcal_below_bmr",
    "protein_range",
    "fat_min",
    "macro_energy",
    "weekly_change",
)


def run() -> dict[str, Any]:
    """Generate and audit every matrix plan; figures as a dict."""
    rows = profile_matrix()
    profiles = [profile_from_mapping(data) for _, data in rows]
    generate_plan(profiles[0])  # warm the catalog and contraindication caches
    start = time.perf_counter()
    plans = [generate_plan(p) for p in profiles]
    elapsed = time.perf_counter() - start
    audit: Counter[str] = Counter()
    corrected: Counter[str] = Counter()
    examples: list[str] = []
    for (label, _), plan in zip(rows, plans, strict=True):
        for rule, detail in audit_plan(plan):
            audit[rule] += 1
            if len(examples) < 10:
                examples.append(f"{label}: {rule} ({detail})")
        for violation in plan.safety["violations"]:
            corrected[violation["rule"]] += 1
    limited = sum(1 for plan in plans if plan.nutrition.limited_by)
    return {
        "profiles": len(rows),
        "days": sum(len(p.workout.days) for p in plans),
        "exercises": sum(len(p.workout.exercises()) for p in plans),
        "violations": {rule: audit.get(rule, 0) for rule in RULES},
        "violations_total": sum(audit.values()),
        "safety_corrections": dict(corrected),
        "nutrition_limited_by_floor_or_rule": limited,
        "plans_per_s": len(plans) / elapsed,
        "ms_per_plan": elapsed / len(plans) * 1000,
        "examples": examples,
    }


def main() -> None:
    """Print the summary table."""
    from rich.console import Console
    from rich.table import Table

    r = run()
    console = Console()
    table = Table(title="Plan matrix", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("profiles", str(r["profiles"]))
    table.add_row("training days", str(r["days"]))
    table.add_row("planned exercises", str(r["exercises"]))
    for rule, count in r["violations"].items():
        table.add_row(f"violations: {rule}", str(count))
    table.add_row("violations total (target 0)", str(r["violations_total"]))
    table.add_row("safety-layer corrections", str(sum(r["safety_corrections"].values())))
    table.add_row("nutrition held by a floor/rule", str(r["nutrition_limited_by_floor_or_rule"]))
    table.add_row("plans per second", f"{r['plans_per_s']:.0f}")
    table.add_row("ms per plan", f"{r['ms_per_plan']:.1f}")
    console.print(table)
    for example in r["examples"]:
        console.print(f"  {example}")
    if r["violations_total"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
