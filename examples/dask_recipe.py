#!/usr/bin/env python3
"""Repair an archive of articles with unspin on Dask (``dask.bag``, local processes).

Use this when one machine's ``unspin batch`` is not enough, or when the articles already live in
a Dask pipeline. The work per document is the same function the library uses
(:mod:`unspin.distributed`): a JSONL text comes out as ``unspin.restore`` gives it, and a file as
``unspin batch`` writes it (files over 1 MiB are repaired in blocks cut at paragraph breaks, so
their repairs are judged block by block, not over the whole file).

Two inputs::

    # a folder of .txt files -> the same tree under DEST, plus a per-document report
    python examples/dask_recipe.py folder SRC DEST [--glob '*.txt' ...]   # as unspin batch --glob

    # JSON Lines with a text column -> JSONL with the repaired text added, plus a report
    python examples/dask_recipe.py jsonl 'articles/*.jsonl' OUTDIR --text-field body --id-field url

Common flags: ``--workers N`` (default: all cores), ``--scheduler processes|threads|sync``,
``--min-confidence X``, ``--report DIR`` (default: ``<DEST>-report``). The report is JSON Lines
(``part-NNNNN.jsonl``), one row per document: path or id, status (repaired/clean/failed),
spin_score, repairs, error. Source files are never modified; folder outputs are written
atomically (as ``unspin batch`` writes them); JSONL parts are written by Dask, into folders that
must not hold parts of an earlier run.

Needs the ``dask`` extra: ``pip install 'unspin[dask]'`` (or ``pip install 'dask[bag]'``). On a
real cluster, replace the local scheduler with a ``dask.distributed.Client``; nothing else changes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from unspin import Options
from unspin.distributed import (
    iter_text_files,
    load_json_record,
    repair_files_partition,
    repair_partition,
    report_row,
)


def _dumps(obj: Any) -> str:
    """One JSON line; non-ASCII as is, unless the text holds lone surrogates (valid JSON escapes,
    such as "\\ud800", that UTF-8 cannot encode): then escaped, so one record cannot stop a job."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(obj)
    return line


def _name(i: int) -> str:
    return f"{i:05d}"


def _jsonl_part(records: Any) -> list[str]:
    """A partition as the text of its part file: one JSON object a line, each line ended, and
    nothing for an empty partition (``to_textfiles(last_endline=True)`` would write a lone
    newline there, which no JSON Lines reader accepts). The part is one string, about the size
    of the partition's records again: keep partitions of a size that fits twice in memory."""
    text = "".join(_dumps(r) + "\n" for r in records)
    return [text] if text else []


def _to_jsonl(bag: Any, folder: Path) -> list[Any]:
    """Delayed writes of ``bag`` as ``folder/part-NNNNN.jsonl``, one JSON object a line."""
    return bag.map_partitions(_jsonl_part).to_textfiles(
        str(folder / "part-*.jsonl"), name_function=_name, compute=False)


def _check_fresh(*folders: Path) -> None:
    """Refuse folders that hold ``part-*.jsonl`` files of an earlier run: Dask writes only as
    many parts as this run has, so old ones would be read as part of the new output."""
    for folder in folders:
        if any(folder.glob("part-*.jsonl")):
            raise SystemExit(f"{folder} holds part-*.jsonl files of an earlier run: remove them or "
                             "choose another folder")


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def run_folder(src: Path, dest: Path, report: Path, options: Options,
               pattern: str | Sequence[str] = "*.txt", partition_size: int = 64) -> dict[str, int]:
    """Repair every file under ``src`` that matches ``pattern`` (one or several, as ``unspin batch
    --glob`` matches them) into ``dest``; write the report; return counts."""
    import dask
    import dask.bag as db

    if not src.is_dir():
        raise SystemExit(f"SRC {src} is not a folder")
    if _inside(dest, src) or _inside(src, dest):
        raise SystemExit(f"DEST {dest} and SRC {src} must not hold one another: the sources are "
                         "never modified")
    for folder in (src, dest):
        if _inside(report, folder):
            raise SystemExit(f"the report folder {report} must not be inside {folder}")
    _check_fresh(report)
    patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    paths = [str(p) for p in iter_text_files(src, patterns)]
    if not paths:  # as unspin batch: a warning, not a failure
        print(f"warning: no file under {src} matches {' or '.join(map(repr, patterns))}",
              file=sys.stderr)
        return {}
    bag = db.from_sequence(paths, partition_size=partition_size)
    rows = bag.map_partitions(repair_files_partition, str(src), str(dest), options=options)
    writes = _to_jsonl(rows, report)
    counts, *_ = dask.compute(rows.pluck("status").frequencies(), *writes)
    return dict(counts)


def _has_text(line_and_path: tuple[str, str]) -> bool:
    return bool(line_and_path[0].strip())


def run_jsonl(inputs: Sequence[str], outdir: Path, report: Path, options: Options,
              text_field: str = "text", id_field: str | None = "id", output_field: str | None = None,
              blocksize: str = "64MiB") -> dict[str, int]:
    """Repair the ``text_field`` of every JSONL record; write records and report; return counts."""
    import dask
    import dask.bag as db

    from unspin.distributed import TEXT_FIELD

    if _inside(report, outdir) or _inside(outdir, report):
        raise SystemExit(f"the report folder {report} and OUTDIR {outdir} must be apart")
    _check_fresh(outdir, report)
    try:
        # utf-8-sig: a file that starts with a byte-order mark (as some editors save JSONL)
        lines = db.read_text(list(inputs), blocksize=blocksize, encoding="utf-8-sig",
                             include_path=True)  # (line, file): a malformed line names its file
    except OSError as e:  # no file matches
        raise SystemExit(f"cannot read {' '.join(inputs)}: {e}") from None
    records = lines.filter(_has_text).starmap(load_json_record)
    repaired = records.map_partitions(repair_partition, text_field,
                                      output_field=output_field or TEXT_FIELD, options=options)
    out = _to_jsonl(repaired, outdir)
    rep = _to_jsonl(repaired.map(report_row, id_field=id_field), report)
    # One compute: the repair runs once and feeds the outputs, the report and the counts.
    counts, *_ = dask.compute(repaired.pluck("unspin_status").frequencies(), *out, *rep)
    return dict(counts)


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return n


def _byte_size(value: str) -> str:
    """A size such as ``64MiB`` or ``1000000`` that Dask can read, of at least one byte."""
    try:
        from dask.utils import parse_bytes
    except ImportError:
        return value  # main() says that Dask is missing
    try:
        n = parse_bytes(value)
    except (ValueError, TypeError):
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a size such as 64MiB, got {value!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("folder", help="repair a folder of text files into a mirror folder")
    f.add_argument("src", type=Path)
    f.add_argument("dest", type=Path)
    f.add_argument("--glob", action="append", default=None,
                   help="file name pattern as in 'unspin batch --glob' (default *.txt; repeatable)")
    f.add_argument("--partition-size", type=_positive_int, default=64,
                   help="files per Dask partition")
    j = sub.add_parser("jsonl", help="repair a text column of JSON Lines files")
    j.add_argument("inputs", nargs="+", help="JSONL files or globs")
    j.add_argument("outdir", type=Path)
    j.add_argument("--text-field", default="text")
    j.add_argument("--id-field", default="id", help="field copied into the report (default id)")
    j.add_argument("--output-field", default=None,
                   help="where the repaired text goes (default unspin_text; the text field itself "
                        "to replace it)")
    j.add_argument("--blocksize", type=_byte_size, default="64MiB",
                   help="bytes of JSONL per partition (such as 64MiB)")
    for p in (f, j):
        p.add_argument("--report", type=Path, default=None, help="report folder (default DEST-report)")
        p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1)
        p.add_argument("--scheduler", choices=("processes", "threads", "sync"), default="processes")
        p.add_argument("--min-confidence", type=float, default=None)
    a = ap.parse_args(argv)

    try:
        import dask
    except ImportError:
        raise SystemExit("this recipe needs Dask: pip install 'unspin[dask]'") from None

    try:
        options = Options() if a.min_confidence is None else Options(min_confidence=a.min_confidence)
    except ValueError as e:
        raise SystemExit(f"error: {e}") from None
    dest = a.dest if a.mode == "folder" else a.outdir
    report = a.report or dest.with_name(dest.name + "-report")
    with dask.config.set(scheduler=a.scheduler, num_workers=a.workers):
        if a.mode == "folder":
            counts = run_folder(a.src, dest, report, options, a.glob or ["*.txt"],
                                a.partition_size)
        else:
            counts = run_jsonl(a.inputs, dest, report, options, a.text_field, a.id_field or None,
                               a.output_field, a.blocksize)
    total = sum(counts.values())
    print(f"{total} documents: {counts.get('repaired', 0)} repaired, {counts.get('clean', 0)} clean, "
          f"{counts.get('failed', 0)} failed; output in {dest}, report in {report}", file=sys.stderr)
    return 1 if counts.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main())
