"""Pure, picklable helpers for running unspin on an existing distributed engine.

These functions know nothing about Dask or Spark: they take plain records (dicts) or file paths
and return plain dicts, so the same code runs in ``dask.bag.map_partitions``, Spark's
``mapPartitions``, a ``multiprocessing.Pool`` or a plain loop. ``examples/dask_recipe.py`` shows
them on ``dask.bag``.

- :func:`repair_text_record`: one record in, the record plus the repaired text and report fields out.
- :func:`repair_partition`: the same over an iterable of records, with options validated and the
  engine warmed up (table loaded) once per partition instead of once per record.
- :func:`repair_file` / :func:`repair_files_partition`: repair one file of a folder into a mirror
  folder exactly as ``unspin batch`` does (streamed, atomic, permissions as ``cp`` gives them), and
  return its report row (path, status, spin_score, repairs, error).

A bad record or file never raises by default: it comes back with ``status == "failed"`` and the
error message, so one broken article does not kill a job over millions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from .options import Options, make_options

#: Prefix of the fields :func:`repair_text_record` adds, so user columns are never overwritten.
PREFIX = "unspin_"
TEXT_FIELD = PREFIX + "text"  # the repaired text
SCORE_FIELD = PREFIX + "spin_score"  # Analysis.spin_score
REPAIRS_FIELD = PREFIX + "repairs"  # number of repairs applied
STATUS_FIELD = PREFIX + "status"  # "repaired", "clean" or "failed"
ERROR_FIELD = PREFIX + "error"  # None, or "ExceptionType: message"
DETAIL_FIELD = PREFIX + "repair_list"  # list of Repair.to_dict(), only when asked for

OnError = Literal["report", "raise"]


def _status(n_repairs: int) -> str:
    return "repaired" if n_repairs else "clean"


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def repair_text_record(
    record: Mapping[str, Any],
    text_field: str = "text",
    *,
    output_field: str = TEXT_FIELD,
    include_repairs: bool = False,
    on_error: OnError = "report",
    options: Options | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Repair ``record[text_field]`` and return a new dict with the result fields added.

    Added fields: ``output_field`` (repaired text, default ``unspin_text``), ``unspin_spin_score``,
    ``unspin_repairs`` (count), ``unspin_status`` (``repaired``/``clean``/``failed``) and
    ``unspin_error``; the score is rounded to 4 places; with ``include_repairs`` also
    ``unspin_repair_list`` (JSON-ready dicts).
    ``record`` itself is not modified. ``options``/``overrides`` are unspin's options
    (``min_confidence=...``); a misspelt option always raises, whatever ``on_error`` says. A
    missing or non-``str`` text, a record that is not a mapping (a Spark ``Row`` is read with
    ``asDict()``), or an engine error, gives ``status == "failed"`` unless ``on_error="raise"``.
    """
    import unspin

    opts = make_options(options, **overrides)
    if on_error not in ("report", "raise"):
        raise ValueError(f"on_error must be 'report' or 'raise', got {on_error!r}")
    not_a_mapping = None
    if not isinstance(record, Mapping):
        as_dict = getattr(record, "asDict", None)  # a Spark Row
        if callable(as_dict):
            record = as_dict()
        else:  # reported as failed below, like any other bad record
            not_a_mapping = TypeError(f"a record must be a mapping (a dict; for a Spark Row, "
                                      f"row.asDict()), not {type(record).__name__}")
            record = {"_record": repr(record)[:200], output_field: None}
    out = dict(record)
    try:
        if not_a_mapping is not None:
            raise not_a_mapping
        text = record.get(text_field)
        if text is None and record.get(ERROR_FIELD):  # e.g. a line load_json_record could not parse
            raise ValueError(record[ERROR_FIELD])
        if not isinstance(text, str):
            kind = "missing" if text_field not in record else f"{type(text).__name__}, not str"
            raise TypeError(f"field {text_field!r} is {kind}")
        analysis = unspin.analyze(text, opts)
    except Exception as e:
        if on_error == "raise":
            raise
        if output_field != text_field:  # repairing in place: keep whatever the record had
            out[output_field] = None
        out.update({SCORE_FIELD: None, REPAIRS_FIELD: 0, STATUS_FIELD: "failed",
                    ERROR_FIELD: _error(e)})
        if include_repairs:
            out[DETAIL_FIELD] = []
        return out
    n = len(analysis.repairs)
    out.update({output_field: analysis.text, SCORE_FIELD: round(analysis.spin_score, 4),
                REPAIRS_FIELD: n, STATUS_FIELD: _status(n), ERROR_FIELD: None})
    if include_repairs:
        out[DETAIL_FIELD] = [r.to_dict() for r in analysis.repairs]
    return out


#: The name used in the scale-out docs; same function.
repair_record = repair_text_record


def warm_up(options: Options) -> None:
    """Make the engine load its table and models now (once per worker process), not mid-partition."""
    from unspin.engine import prepare

    prepare(options)


def repair_partition(
    records: Iterable[dict[str, Any]],
    text_field: str = "text",
    *,
    output_field: str = TEXT_FIELD,
    include_repairs: bool = False,
    on_error: OnError = "report",
    options: Options | None = None,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """Repair every record of one partition (for ``bag.map_partitions`` / ``rdd.mapPartitions``).

    Options are validated and the engine is warmed up once for the whole partition; each record
    is then handled by :func:`repair_text_record`. Returns a list (Dask and Spark both accept it).
    """
    opts = make_options(options, **overrides)
    warm_up(opts)
    return [
        repair_text_record(r, text_field, output_field=output_field,
                           include_repairs=include_repairs, on_error=on_error, options=opts)
        for r in records
    ]


def report_row(record: dict[str, Any], id_field: str | None = "id") -> dict[str, Any]:
    """The per-document report of a repaired record: id (if any), status, score, repairs, error."""
    row: dict[str, Any] = {}
    if id_field is not None:
        row["id"] = record.get(id_field)
    row.update({"status": record.get(STATUS_FIELD), "spin_score": record.get(SCORE_FIELD),
                "repairs": record.get(REPAIRS_FIELD, 0), "error": record.get(ERROR_FIELD)})
    return row


def _roots(src_root: str | os.PathLike[str], dest_root: str | os.PathLike[str]) -> tuple[str, str]:
    """The real paths of SRC and DEST; ``ValueError`` when outputs could land on sources."""
    from .batch import within

    src_real, dest_real = os.path.realpath(src_root), os.path.realpath(dest_root)
    if src_real == dest_real or within(src_real, dest_real):
        raise ValueError(f"dest_root {os.fspath(dest_root)!r} must not be src_root or contain it "
                         "(the sources are never modified)")
    return src_real, dest_real


def _not_a_file(path: str) -> str | None:
    """Why ``path`` cannot be read as a file (the words ``unspin batch`` reports), or None."""
    import stat

    from .batch import BROKEN_LINK, NOT_A_FILE, VANISHED

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return BROKEN_LINK if os.path.islink(path) else VANISHED
    except OSError:
        return None  # reading it will say what is wrong
    return None if stat.S_ISREG(mode) else NOT_A_FILE


def repair_file(
    path: str | os.PathLike[str],
    src_root: str | os.PathLike[str],
    dest_root: str | os.PathLike[str],
    *,
    options: Options | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Repair one UTF-8 file of ``src_root`` into the same relative path under ``dest_root``,
    exactly as ``unspin batch`` does: streamed in blocks of 1 MiB cut at paragraph breaks,
    written atomically (temporary file + rename) with the source's times and, for a new output,
    its permissions minus the umask; byte for byte outside the repairs (a BOM and line endings
    kept). The source is never modified: ``dest_root`` equal to ``src_root`` or containing it
    raises ``ValueError``, and an output whose folder leads into ``src_root`` fails.

    Returns the report row ``{"path", "status", "spin_score", "repairs", "error"}``; ``path`` is
    relative to ``src_root`` and ``spin_score`` rounded to 4 places. A file that is not UTF-8
    text, cannot be read or is not under ``src_root`` gives ``status == "failed"`` and no output.
    """
    from .batch import BLOCK_SIZE
    from .batch import repair_file as batch_repair_file

    opts = make_options(options, **overrides)
    roots = _roots(src_root, dest_root)
    src = os.path.abspath(path)
    rel = os.path.relpath(src, os.path.abspath(src_root))
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return {"path": os.fspath(path), "status": "failed", "spin_score": None, "repairs": 0,
                "error": f"not under src_root {os.fspath(src_root)!r}"}
    rel = Path(rel).as_posix()
    problem = _not_a_file(src)
    if problem:  # reading a FIFO could block for ever; say what a broken link is
        return {"path": rel, "status": "failed", "spin_score": None, "repairs": 0, "error": problem}
    result = batch_repair_file(src, os.path.join(os.fspath(dest_root), rel), rel, opts, BLOCK_SIZE,
                               roots)
    score = None if result.spin_score is None else round(result.spin_score, 4)
    return {"path": rel, "status": result.status, "spin_score": score, "repairs": result.repairs,
            "error": result.error}


def repair_files_partition(
    paths: Iterable[str | os.PathLike[str]],
    src_root: str | os.PathLike[str],
    dest_root: str | os.PathLike[str],
    *,
    options: Options | None = None,
    **overrides: Any,
) -> list[dict[str, Any]]:
    """:func:`repair_file` over one partition of paths, options validated and engine warmed once."""
    opts = make_options(options, **overrides)
    _roots(src_root, dest_root)  # a wrong pair of folders fails the job at once, not per file
    warm_up(opts)
    return [repair_file(p, src_root, dest_root, options=opts) for p in paths]


def load_json_record(line: str, source: str | None = None) -> dict[str, Any]:
    """Parse one JSON Lines record; a malformed line becomes a record that will report ``failed``.

    The returned dict carries the parse error under ``unspin_error`` (naming ``source``, the file
    the line came from, when given, and the line's first 40 characters) and no text, so
    :func:`repair_text_record` reports it instead of the whole partition failing.
    """
    import json

    try:
        rec = json.loads(line)
    except ValueError as e:
        problem = f"invalid JSON: {e}"
    except RecursionError:
        problem = "invalid JSON: nested too deeply"
    else:
        if isinstance(rec, dict):
            return rec
        problem = f"JSON line is a {type(rec).__name__}, not an object"
    where = f" in {source}" if source else ""
    return {ERROR_FIELD: f"{problem}{where} (line starts {line.strip()[:40]!r})", "_line": line[:200]}


def iter_text_files(
    root: str | os.PathLike[str], pattern: str | Iterable[str] = "*.txt",
) -> Iterator[Path]:
    """Files under ``root`` matching ``pattern`` (one or several), in a stable (sorted) order,
    found as ``unspin batch`` finds them: the same ``--glob`` rules (a pattern with a ``/`` matches
    the path relative to ``root``, ``**/`` any folder), symlinked folders not entered, and matching
    names that are not regular files (a broken link, a FIFO) included, so that :func:`repair_file`
    reports them as failed instead of leaving them out silently."""
    from .batch import walk

    patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    base = Path(root)
    yield from sorted(base / rel for rel, _, _ in walk(os.fspath(root), patterns))
