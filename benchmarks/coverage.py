#!/usr/bin/env python3
"""How much of the vocabulary of real spinners the table knows.

``../shared/data/observed_substitutions.tsv`` lists original -> spun substitutions found by
aligning real spun copies of news articles with their sources (with counts). The shared corpus
was spun by an emulation; these come from the wild, so they tell whether the table's knowledge
carries over to real spinner output. Nothing in the table was learned from this file.

For each observed substitution (weighted by its count), the report says whether the table has a
row turning the spun form into the original:

- ``exact``: a row spun -> original, as written (letter case and apostrophes folded);
- ``word by word``: a multi-word block of as many spun as original words whose every changed
  word pair has a row ("males communicate" -> "men speak": "males" -> "men", "communicate" ->
  "speak"); the aligner joined neighbouring substitutions into one block;
- ``spun form known``: the table has rows for the spun form, but with other originals;
- ``unknown``: no row for the spun form.

Usage::

    python benchmarks/coverage.py                       # bundled table
    python benchmarks/coverage.py --show                # also list what is not covered
    python benchmarks/coverage.py --table my.tsv --observed other.tsv --json
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent / "src") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "src"))

from unspin.table import load_table, phrase_key

DEFAULT_OBSERVED = HERE.parents[1] / "shared" / "data" / "observed_substitutions.tsv"
DEFAULT_TABLE = HERE.parent / "data" / "synonym_map.tsv"
KINDS = ("exact", "word by word", "spun form known", "unknown")

Key = tuple[str, ...]


def read_observed(path: Path) -> list[tuple[str, str, int]]:
    """(original, spun, count) rows of an observed-substitutions file (header ``original spun count``)."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise SystemExit(f"{path}:{n}: expected 3 tab-separated columns")
        if n == 1 and parts[2] == "count":
            continue
        rows.append((parts[0], parts[1], int(parts[2])))
    return rows


def classify(original: str, spun: str, pairs: set[tuple[Key, Key]], spun_forms: set[Key]) -> str:
    """Which of :data:`KINDS` the table's rows ``pairs`` (spun, original) make of one substitution."""
    s, o = phrase_key(spun), phrase_key(original)
    if (s, o) in pairs:
        return "exact"
    if len(s) == len(o) > 1:
        changed = [(a, b) for a, b in zip(s, o, strict=True) if a != b]
        if changed and all(((a,), (b,)) in pairs for a, b in changed):
            return "word by word"
    if s in spun_forms:
        return "spun form known"
    return "unknown"


def coverage(observed: Iterable[tuple[str, str, int]], pairs: set[tuple[Key, Key]]) -> dict:
    """Occurrences (and distinct substitutions) of each kind, with the ones not covered."""
    spun_forms = {s for s, _ in pairs}
    occ: collections.Counter[str] = collections.Counter()
    types: collections.Counter[str] = collections.Counter()
    missed = []
    for original, spun, count in observed:
        kind = classify(original, spun, pairs, spun_forms)
        occ[kind] += count
        types[kind] += 1
        if kind in ("spun form known", "unknown"):
            missed.append({"original": original, "spun": spun, "count": count, "kind": kind})
    total = sum(occ.values())
    return {
        "occurrences": total,
        "types": sum(types.values()),
        "kinds": {k: {"occurrences": occ[k], "types": types[k],
                      "share": occ[k] / total if total else 0.0} for k in KINDS},
        "covered_share": (occ["exact"] + occ["word by word"]) / total if total else 0.0,
        "missed": missed,
    }


def table_pairs(path: Path) -> set[tuple[Key, Key]]:
    return {(phrase_key(r.spun), phrase_key(r.original)) for r in load_table(path)}


def markdown(res: dict, table: Path, observed: Path) -> str:
    lines = [(f"Table `{table}` against `{observed}`: {res['occurrences']} observed occurrences, "
              f"{res['types']} distinct substitutions."), "",
             "| kind | occurrences | share | distinct |", "| --- | ---: | ---: | ---: |"]
    for k in KINDS:
        v = res["kinds"][k]
        lines.append(f"| {k} | {v['occurrences']} | {v['share']:.3f} | {v['types']} |")
    lines.append("")
    lines.append(f"Covered (exact or word by word): **{res['covered_share']:.3f}** of occurrences.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--observed", type=Path, default=DEFAULT_OBSERVED,
                    help="observed substitutions (default: ../shared/data/observed_substitutions.tsv)")
    ap.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="table file (default: the bundled one)")
    ap.add_argument("--show", action="store_true", help="list the substitutions not covered")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    if not args.observed.is_file():
        print(f"coverage.py: no observed substitutions at {args.observed} (use --observed)", file=sys.stderr)
        return 2
    res = coverage(read_observed(args.observed), table_pairs(args.table))
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    print(markdown(res, args.table, args.observed))
    if args.show:
        print()
        for m in sorted(res["missed"], key=lambda m: (-m["count"], m["spun"])):
            print(f"  {m['count']:3d}  {m['spun']!r} -> {m['original']!r}  ({m['kind']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
