#!/usr/bin/env python3
"""Build the compact exercise catalog shipped with fitcoach.

Reads the Free Exercise DB dump (``exercises.json``, public domain) and writes
``fitcoach/data/exercises.json`` with only the fields the app needs: id, name, force, level,
mechanic, equipment, primaryMuscles, secondaryMuscles and category (instructions and images
are dropped). The output is sorted by id and written deterministically.

Usage (from the repo root)::

    python scripts/build_exercise_data.py [SOURCE_JSON] [--out fitcoach/data/exercises.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "exercises" / "exercises.json"
DEFAULT_OUT = REPO_ROOT / "fitcoach" / "data" / "exercises.json"
KEEP = (
    "id",
    "name",
    "force",
    "level",
    "mechanic",
    "equipment",
    "primaryMuscles",
    "secondaryMuscles",
    "category",
)


def compact(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Keep only the catalog fields, validate ids, sort by id."""
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for row in rows:
        rid = row.get("id")
        if not isinstance(rid, str) or not rid or rid in seen:
            raise ValueError(f"bad or duplicate id: {rid!r}")
        seen.add(rid)
        item = {key: row.get(key) for key in KEEP}
        item["primaryMuscles"] = list(item["primaryMuscles"] or [])  # type: ignore[call-overload]
        item["secondaryMuscles"] = list(item["secondaryMuscles"] or [])  # type: ignore[call-overload]
        out.append(item)
    out.sort(key=lambda r: str(r["id"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    rows = json.loads(args.source.read_text(encoding="utf-8"))
    data = compact(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # one exercise per line keeps diffs readable while staying compact
    text = text.replace("},{", "},\n{")
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {len(data)} exercises to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
