"""Build compact food tables for fitcoach from the USDA SR ASCII release.

Usage (from the repo root)::

    python scripts/build_food_data.py [path/to/usda-sr]

The default source directory is ``../shared/data/usda-sr`` relative to the repo root.
Outputs (tab-separated, UTF-8, one header line) in ``fitcoach/data/``:

* ``foods.tsv``        ndb, group code, Long_Desc, Shrt_Desc, ComName, ManufacName,
                       kcal, protein_g, fat_g, carbs_g, fiber_g, sugar_g, sodium_mg
                       (per 100 g; empty = unknown)
* ``food_weights.tsv`` ndb, seq, amount, description, grams (household measures)
* ``food_groups.tsv``  group code, description
* ``food_index.json``  precomputed search index (tokenised names, brand words, priors) read by
                       ``FoodDatabase.load``; ignored (rebuilt in memory) when its fingerprint
                       does not match ``foods.tsv`` and the tokeniser. Rebuild only the index
                       with ``python scripts/build_food_data.py --index-only``.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "fitcoach" / "data"

# ABBREV.txt column indices
ABBREV_COLS = {
    "kcal": 3,
    "protein_g": 4,
    "fat_g": 5,
    "carbs_g": 7,
    "fiber_g": 8,
    "sugar_g": 9,
    "sodium_mg": 15,
}


def read_sr(path: Path) -> list[list[str]]:
    """Read one SR file into rows of unquoted fields."""
    rows: list[list[str]] = []
    with path.open(encoding="latin-1", newline="") as fh:
        for line in fh:
            line = line.rstrip("\r\n")
            if not line:
                continue
            rows.append([f.strip("~") for f in line.split("^")])
    return rows


def clean(text: str) -> str:
    """Make a field safe for TSV."""
    return text.replace("\t", " ").replace("\n", " ").strip()


def num(text: str) -> str:
    """Normalise a numeric field (keep empty as unknown)."""
    text = text.strip()
    if not text:
        return ""
    value = float(text)
    return f"{value:g}"


def write_index() -> None:
    """Write ``food_index.json`` for the current ``foods.tsv`` and tokeniser."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from fitcoach.domain.nutrition.foods import write_index as _write

    path = _write(OUT)
    print(f"wrote search index {path}")


def main(argv: list[str]) -> int:
    """Entry point."""
    if "--index-only" in argv[1:]:
        write_index()
        return 0
    src = Path(argv[1]) if len(argv) > 1 else REPO / ".." / "shared" / "data" / "usda-sr"
    src = src.resolve()
    groups = read_sr(src / "FD_GROUP.txt")
    foods = read_sr(src / "FOOD_DES.txt")
    abbrev = {row[0]: row for row in read_sr(src / "ABBREV.txt")}
    weights = read_sr(src / "WEIGHT.txt")
    OUT.mkdir(parents=True, exist_ok=True)

    with (OUT / "food_groups.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("group\tdescription\n")
        for code, desc in groups:
            fh.write(f"{code}\t{clean(desc)}\n")

    n = 0
    with (OUT / "foods.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(
            "ndb\tgroup\tlong_desc\tshrt_desc\tcom_name\tmanufacturer\t"
            + "\t".join(ABBREV_COLS)
            + "\n"
        )
        for row in foods:
            ndb, grp, long_desc, shrt_desc, com_name, manuf = row[:6]
            ab = abbrev.get(ndb)
            values = [num(ab[i]) if ab else "" for i in ABBREV_COLS.values()]
            fields = [ndb, grp, clean(long_desc), clean(shrt_desc), clean(com_name), clean(manuf)]
            fh.write("\t".join(fields + values) + "\n")
            n += 1

    with (OUT / "food_weights.tsv").open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("ndb\tseq\tamount\tdescription\tgrams\n")
        for row in weights:
            ndb, seq, amount, desc, grams = row[:5]
            fh.write(f"{ndb}\t{seq}\t{num(amount)}\t{clean(desc)}\t{num(grams)}\n")

    print(f"wrote {n} foods, {len(weights)} measures, {len(groups)} groups to {OUT}")
    write_index()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
