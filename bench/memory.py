"""Long-term memory benchmark: recall@5 and query latency with ~100k stored memories.

Recall set: bench/data/memory_facts.jsonl (60 first-person statements of 12 people, stored
through the offline extraction rules) and bench/data/memory_queries.jsonl (120 lightly
paraphrased questions, each naming the fact it needs). Every bench person also gets
``--own-filler`` generated memories (training notes, meals, weigh-ins...) that compete with
their facts; other generated people fill the store up to ``--total`` memories.

    python bench/memory.py                      # offline embedder, 100k memories
    python bench/memory.py --total 20000        # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fitcoach.memory.embeddings import OfflineEmbeddingFunction
from fitcoach.memory.rules import extract_with_rules
from fitcoach.memory.store import MemoryService, make_chroma_client
from fitcoach.tools.memory import remember_text

DATA = Path(__file__).parent / "data"
LIFTS = ["squat", "bench press", "deadlift", "overhead press", "barbell row", "pull-ups", "lunges"]
FOODS = [
    "oatmeal with berries",
    "chicken and rice",
    "greek yogurt",
    "a turkey sandwich",
    "pasta bolognese",
    "scrambled eggs on toast",
    "a protein shake",
    "salmon with potatoes",
    "a banana and almonds",
    "beef stir fry",
    "a burrito bowl",
    "pizza",
]
MOODS = ["tired", "strong", "sluggish", "great", "sore", "energised", "unmotivated"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOPICS = [
    "creatine",
    "progressive overload",
    "protein timing",
    "rest days",
    "warm-ups",
    "foam rolling",
    "step counts",
    "deload weeks",
    "cutting calories",
]
PROGRAMS = ["5x5", "couch to 5k", "push pull legs", "upper lower", "full body"]


def filler_memory(rng: random.Random) -> tuple[str, str]:
    """One generated (text, category) memory of a plausible kind."""
    day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    kind = rng.randrange(10)
    if kind == 0:
        lift = rng.choice(LIFTS)
        sets, reps, weight = rng.randint(3, 5), rng.randint(3, 12), rng.randrange(20, 160, 5)
        return f"Did {sets}x{reps} {lift} at {weight} kg on {day}", "workout_history"
    if kind == 1:
        km = rng.randint(3, 21)
        return f"Ran {km} km in {km * rng.randint(5, 7)} minutes on {day}", "workout_history"
    if kind == 2:
        meal = rng.choice(["breakfast", "lunch", "dinner", "a snack"])
        return f"Had {rng.choice(FOODS)} for {meal} on {day}", "nutrition_preferences"
    if kind == 3:
        return f"Weighed {rng.uniform(55, 110):.1f} kg on {day}", "progress_metrics"
    if kind == 4:
        return f"Felt {rng.choice(MOODS)} after the {rng.choice(DAYS)} session", "patterns"
    if kind == 5:
        a, b = rng.sample(LIFTS, 2)
        return f"Prefers {a} over {b}", "preferences"
    if kind == 6:
        return f"Asked about {rng.choice(TOPICS)} on {day}", "profile"
    if kind == 7:
        week, program = rng.randint(1, 12), rng.choice(PROGRAMS)
        return f"Completed week {week} of the {program} program", "workout_history"
    if kind == 8:
        return f"Walked {rng.randrange(3000, 20000, 500)} steps on {day}", "progress_metrics"
    return f"Drank {rng.uniform(1, 4):.1f} litres of water on {day}", "patterns"


def load(name: str) -> list[dict[str, Any]]:
    """Rows of one bench data file."""
    path = DATA / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def add_filler(
    service: MemoryService, user_id: int, count: int, rng: random.Random, ef: Any
) -> None:
    """Write generated memories straight into a person's collection (batch-embedded)."""
    rows = [filler_memory(rng) for _ in range(count)]
    texts = [text for text, _ in rows]
    now = datetime.now(UTC).isoformat()
    collection = service.collection(user_id, create=True)
    assert collection is not None
    collection.add(
        ids=[f"filler-{user_id}-{i}" for i in range(count)],
        documents=texts,
        embeddings=ef(texts),
        metadatas=[
            {
                "user_id": user_id,
                "category": category,
                "key": "",
                "source": "bench filler",
                "created_at": now,
                "updated_at": now,
                "confidence": 0.7,
                "origin": "rule",
                "tags": "",
            }
            for _, category in rows
        ],
    )


def build(
    path: Path, total: int, own_filler: int, per_user: int, seed: int
) -> tuple[dict[str, int], dict[str, set[str]], int]:
    """Store the recall set and the filler; returns person ids, fact → memory ids, count."""
    ef = OfflineEmbeddingFunction()
    service = MemoryService(make_chroma_client(path), ef)
    rng = random.Random(seed)
    people: dict[str, int] = {}
    fact_ids: dict[str, set[str]] = defaultdict(set)
    stored = 0
    for row in load("memory_facts.jsonl"):
        user_id = people.setdefault(row["person"], len(people) + 1)
        store = service.for_user(user_id)
        facts = extract_with_rules(row["statement"])
        changes = (
            [store.add(f, source=row["statement"]) for f in facts]
            if facts
            else remember_text(store, row["statement"])
        )
        fact_ids[row["fact"]].update(c.memory.id for c in changes)
        stored += sum(c.action == "added" for c in changes)
    for user_id in people.values():
        add_filler(service, user_id, own_filler, rng, ef)
        stored += own_filler
    next_user = 1000
    while stored < total:
        count = min(per_user, total - stored)
        add_filler(service, next_user, count, rng, ef)
        stored += count
        next_user += 1
        if next_user % 100 == 0:
            print(f"  … {stored} memories", file=sys.stderr, flush=True)
    return people, fact_ids, stored


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..1) of a list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def evaluate(
    path: Path, people: dict[str, int], fact_ids: dict[str, set[str]], k: int
) -> dict[str, Any]:
    """recall@k and latency over the query set, on a fresh client (as after a restart)."""
    service = MemoryService(make_chroma_client(path), OfflineEmbeddingFunction())
    queries = load("memory_queries.jsonl")
    hits, cold, warm, misses = 0, [], [], []
    seen: set[str] = set()
    for row in queries:
        store = service.for_user(people[row["person"]])
        started = time.perf_counter()
        results = store.search(row["query"], k=k)
        elapsed = (time.perf_counter() - started) * 1000
        (warm if row["person"] in seen else cold).append(elapsed)
        seen.add(row["person"])
        if fact_ids[row["fact"]] & {m.id for m in results}:
            hits += 1
        else:
            misses.append(f"{row['fact']}: {row['query']!r} -> {[m.text for m in results[:3]]}")
    context_ms = []
    for row in queries[:40]:
        started = time.perf_counter()
        service.memory_context(people[row["person"]], row["query"])
        context_ms.append((time.perf_counter() - started) * 1000)
    everything = cold + warm
    return {
        "queries": len(queries),
        "recall": hits / len(queries),
        "p50": statistics.median(everything),
        "p95": percentile(everything, 0.95),
        "cold_p50": statistics.median(cold),
        "warm_p50": statistics.median(warm),
        "context_p50": statistics.median(context_ms),
        "misses": misses,
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=100_000, help="memories stored in all")
    parser.add_argument("--own-filler", type=int, default=150, help="filler per bench person")
    parser.add_argument("--per-user", type=int, default=100, help="memories per filler person")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="keep the Chroma data here")
    args = parser.parse_args()
    path = args.dir or Path(tempfile.mkdtemp(prefix="fitcoach-memory-bench-"))
    try:
        started = time.perf_counter()
        people, fact_ids, stored = build(
            path, args.total, args.own_filler, args.per_user, args.seed
        )
        build_s = time.perf_counter() - started
        facts = len(fact_ids)
        print(f"memories stored: {stored} ({facts} recall facts, {len(people)} people)")
        print(f"build time: {build_s:.1f} s ({stored / build_s:.0f} memories/s)")
        result = evaluate(path, people, fact_ids, args.k)
        print(f"queries: {result['queries']}")
        print(f"recall@{args.k}: {result['recall']:.3f} (offline embedder)")
        print(
            f"query latency: p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms "
            f"(first query per person {result['cold_p50']:.1f} ms, "
            f"later {result['warm_p50']:.1f} ms)"
        )
        print(f"memory_context() p50: {result['context_p50']:.1f} ms")
        for miss in result["misses"]:
            print("  miss", miss)
    finally:
        if args.dir is None:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
