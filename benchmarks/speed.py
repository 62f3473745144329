#!/usr/bin/env python3
"""Speed of unspin: throughput on one core, baselines, CLI start-up, linearity and batch scaling.

Builds a news-like corpus (default 50 MB) in a temporary folder by shuffling and repeating the
paragraphs of the shared spun and clean texts (read in place, never copied into the repo), then
measures, in one run:

- ``unspin.restore`` throughput on one core (MB/s, per document, table already loaded);
- tokenising the same documents with ``regex.findall(r"\\w+")`` and the ratio restore/tokenise;
- ``flashtext`` keyword replacement with the same table (spun -> original, case-insensitive) and
  ``TorturePhrases_Estimator`` (naive substring scan, its own phrase list and our table), with
  ratios; the substring scans are timed on a sample of the corpus for a fixed time budget;
- CLI start-up: ``unspin --help``, ``echo 'one line' | unspin`` and the same with a spun line,
  which loads the compiled table (median wall time);
- linearity: restore time for inputs of n and 4n MB on normal text, one long single line, and
  pathological text where every word is a candidate; super-linear growth is flagged;
- ``unspin batch`` with ``-j1`` vs ``-jN`` on a folder of files, with peak RSS (skipped if the
  subcommand does not exist).

Usage::

    python benchmarks/speed.py            # default sizes, a few minutes on 2 cores
    python benchmarks/speed.py --quick    # small sizes, well under a minute
    python benchmarks/speed.py --size-mb 100 --line-mb 200 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
MB = 1_000_000
#: Growth of time per MB from n to 4n above which a case is flagged super-linear (quadratic: 4;
#: the margin absorbs timing noise on a busy machine).
SUPERLINEAR = 2.0
#: Below this many seconds at size n, timing noise is too large to judge growth.
MIN_JUDGE_SECS = 0.05

# --- Corpus ---


def read_paragraphs(corpus: Path) -> list[str]:
    """Non-empty paragraphs of ``spun/*/spun.txt`` and ``clean/*.txt`` (spun and clean mixed)."""
    files = sorted(corpus.glob("spun/*/spun.txt")) + sorted(corpus.glob("clean/*.txt"))
    paras = []
    for f in files:
        text = f.read_text(encoding="utf-8").replace("\r\n", "\n")
        paras += [p.strip() for p in text.split("\n\n") if p.strip()]
    if not paras:
        raise SystemExit(f"no spun or clean texts under {corpus}")
    return paras


def build_documents(paragraphs: Sequence[str], size_mb: float, seed: int = 1) -> list[str]:
    """News-like documents of 4-12 shuffled paragraphs, at least ``size_mb`` MB of UTF-8 in total."""
    rng = random.Random(seed)
    pool = list(paragraphs)
    docs: list[str] = []
    total, target, i = 0, size_mb * MB, len(pool)
    while total < target:
        k = rng.randint(4, 12)
        parts = []
        for _ in range(k):
            if i >= len(pool):
                rng.shuffle(pool)
                i = 0
            parts.append(pool[i])
            i += 1
        doc = "\n\n".join(parts) + "\n"
        docs.append(doc)
        total += len(doc.encode("utf-8"))
    return docs


def prefix_mb(docs: Sequence[str], size_mb: float) -> list[str]:
    """The shortest prefix of ``docs`` holding at least ``size_mb`` MB."""
    total = 0
    for i, d in enumerate(docs):
        if total >= size_mb * MB:
            return list(docs[:i])
        total += len(d.encode("utf-8"))
    return list(docs)


def take_mb(docs: Iterable[str], size_mb: float, sep: str = "\n") -> str:
    """The first documents of ``docs`` joined with ``sep`` until at least ``size_mb`` MB."""
    out, total = [], 0
    for d in docs:
        if total >= size_mb * MB:
            break
        out.append(d)
        total += len(d.encode("utf-8")) + len(sep)
    return sep.join(out)


#: Garbled numbers, a damaged name and quotes in every sentence (our own sentence): every built-in
#: repair is checked against the others and against the quotes.
BUILTIN_UNIT = ('"About six,000 people," the Related Press reported, '
                '"paid $three million in 2015-sixteen." ')


def repeat_to(unit: str, size_mb: float) -> str:
    """``unit`` repeated to at least ``size_mb`` MB (``unit`` should end with a space)."""
    n = max(1, int(size_mb * MB / max(1, len(unit.encode("utf-8")))) + 1)
    return unit * n


def candidate_phrases(rules: Sequence[Any], limit: int = 300) -> list[str]:
    """Spun phrases of the table (one per distinct phrase, stable order) for pathological text."""
    seen: dict[str, None] = {}
    for r in sorted(rules, key=lambda r: r.id):
        seen.setdefault(r.spun, None)
    return list(seen)[:limit] or ["stated"]


def mbytes(texts: Iterable[str]) -> float:
    """Total UTF-8 size of ``texts`` in MB (10^6 bytes)."""
    return sum(len(t.encode("utf-8")) for t in texts) / MB


# --- Timing helpers ---


def time_over(docs: Sequence[str], fn: Callable[[str], Any]) -> float:
    """Seconds to run ``fn`` on every document."""
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    return time.perf_counter() - t0


def time_budgeted(docs: Sequence[str], fn: Callable[[str], Any],
                  budget: float) -> tuple[float, float, int]:
    """Run ``fn`` over documents until done or ``budget`` seconds pass.

    Returns (seconds, MB processed, documents processed).
    """
    t0 = time.perf_counter()
    done = n = 0
    for d in docs:
        fn(d)
        done += len(d.encode("utf-8"))
        n += 1
        if time.perf_counter() - t0 >= budget:
            break
    return time.perf_counter() - t0, done / MB, n


def last_line(text: str, limit: int = 200) -> str:
    """The last non-empty line of an error output (the exception, for a traceback)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "(no message)")[:limit]


def median_wall(cmd: Sequence[str], runs: int, stdin: bytes | None = None) -> tuple[float | None, str]:
    """Median wall time of ``cmd`` over ``runs`` runs; (None, error) if it fails."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            return None, f"exit {p.returncode}: {last_line(p.stderr.decode(errors='replace'))}"
    return statistics.median(times), ""


def growth(small_secs: float, small_mb: float, big_secs: float, big_mb: float) -> tuple[float, str]:
    """Growth of seconds per MB from the small to the big input, and a verdict."""
    if small_secs < MIN_JUDGE_SECS:
        return (big_secs / big_mb) / max(small_secs / small_mb, 1e-12), "too fast to judge"
    g = (big_secs / big_mb) / (small_secs / small_mb)
    return g, ("SUPER-LINEAR" if g > SUPERLINEAR else "linear")


def pin_one_core() -> set[int] | None:
    """Pin this process to one CPU; returns the previous affinity (None if not supported)."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def unpin(before: set[int] | None) -> None:
    """Undo :func:`pin_one_core` so child processes may use every core again."""
    if before is not None:
        os.sched_setaffinity(0, before)


# --- Subprocess workers (fresh process per measurement: clean timing, own peak RSS, timeout) ---


def worker_restore(path: str) -> dict[str, Any]:
    """Time ``unspin.analyze`` on one file in this (fresh, pinned) process."""
    pin_one_core()
    import unspin

    unspin.restore("The officials stated that the talks would continue.")  # load table and models
    text = Path(path).read_text(encoding="utf-8")
    t0 = time.perf_counter()
    a = unspin.analyze(text)
    secs = time.perf_counter() - t0
    return {"secs": secs, "mb": len(text.encode("utf-8")) / MB, "repairs": len(a.repairs),
            "maxrss_mb": peak_rss_mb()}


def worker_measure(cmd: Sequence[str]) -> dict[str, Any]:
    """Run ``cmd`` with every core available; wall time, exit code, peak RSS of its processes."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, check=False)
    secs = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)  # cmd and the processes it waited for
    return {"secs": secs, "rc": p.returncode, "stderr": p.stderr.decode(errors="replace")[-300:],
            "maxrss_mb": ru.ru_maxrss / 1024, "user_s": round(ru.ru_utime, 2),
            "sys_s": round(ru.ru_stime, 2)}


def peak_rss_mb() -> float:
    """Peak RSS of this process in MB.

    Reads ``VmHWM`` from /proc: ``ru_maxrss`` would include the parent's RSS, which a child
    inherits through fork + exec on Linux.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(args: Sequence[str], timeout: float) -> dict[str, Any]:
    """Run this script in worker mode and parse its JSON; errors and timeouts become ``error``."""
    try:
        p = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                           timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if p.returncode != 0:
        return {"error": f"worker failed ({p.returncode}): {last_line(p.stderr)}"}
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- Sections ---


@dataclass
class Sizes:
    """Sizes of the inputs, in MB."""

    corpus: float
    normal: float  # linearity: normal text, n (and 4n)
    line: float  # one long line: n (and 4n)
    patho: float  # every word a candidate: n (and 4n)
    batch: float  # folder for unspin batch
    budget: float  # seconds per naive substring scan baseline
    restore_budget: float  # seconds at most for restore over the throughput corpus
    case_budget: float | None  # seconds per linearity case / batch run before sizes scale down
    calibrate: float  # MB of the calibration run per linearity case
    cli_runs: int


def throughput(docs: list[str], rules: Sequence[Any], budget: float,
               restore_budget: float) -> dict[str, Any]:
    """restore vs tokenise vs flashtext vs TorturePhrases on ``docs``, pinned to one core.

    ``restore`` runs over the whole corpus unless that takes longer than ``restore_budget``
    seconds; the fast baselines then run on exactly the documents restore got through, so the
    ratios always compare the same text.
    """
    import regex

    import unspin

    res: dict[str, Any] = {"corpus_mb": round(mbytes(docs), 2), "documents": len(docs)}
    t0 = time.perf_counter()
    if unspin.restore(SPUN_LINE) == SPUN_LINE:
        raise RuntimeError("the spun line was not repaired: the first call did not time the table")
    res["first_call_secs"] = round(time.perf_counter() - t0, 3)
    before = pin_one_core()
    try:
        r, mb, n = time_budgeted(docs, unspin.restore, restore_budget)
        sample = docs[:n]
        res.update({"measured_mb": round(mb, 3), "measured_documents": n, "complete": n == len(docs)})
        res["restore"] = {"secs": round(r, 3), "mb_s": round(mb / r, 4)}
        word = regex.compile(r"\w+")
        t = time_over(sample, word.findall)
        res["tokenise"] = {"secs": round(t, 3), "mb_s": round(mb / t, 3),
                           "restore_over_tokenise": round(r / t, 3)}
        res["flashtext"] = _flashtext(sample, rules, mb, r)
        res["torture_own"], res["torture_table"] = _torture(docs, rules, budget, r / mb)
    finally:
        unpin(before)
    return res


def _flashtext(docs: list[str], rules: Sequence[Any], mb: float, restore_secs: float) -> dict[str, Any]:
    try:
        from flashtext import KeywordProcessor
    except ImportError:
        return {"error": "flashtext not installed (pip install 'unspin[bench]')"}
    kp = KeywordProcessor(case_sensitive=False)
    t0 = time.perf_counter()
    for rule in rules:
        kp.add_keyword(rule.spun, rule.original)
    build = time.perf_counter() - t0
    f = time_over(docs, kp.replace_keywords)
    return {"secs": round(f, 3), "mb_s": round(mb / f, 3), "build_secs": round(build, 3),
            "keywords": len(kp), "restore_over_flashtext": round(restore_secs / f, 3)}


def _torture(docs: list[str], rules: Sequence[Any], budget: float,
             restore_s_per_mb: float) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        from TorturePhrases_Estimator.torture_phrases import TorturePhrasesEstimator
    except ImportError:
        err = {"error": "TorturePhrases_Estimator not installed (pip install 'unspin[bench]')"}
        return err, err
    out = []
    own = TorturePhrasesEstimator()
    ours = TorturePhrasesEstimator()
    ours.tortured_phrases = sorted({r.spun.lower() for r in rules})
    for est in (own, ours):
        secs, mb, _ = time_budgeted(docs, est.identify_tortured_phrases, budget)
        out.append({"phrases": len(est.tortured_phrases), "sample_mb": round(mb, 3),
                    "secs": round(secs, 3), "mb_s": round(mb / secs, 4),
                    "restore_over_it": round(restore_s_per_mb / (secs / mb), 4)})
    return out[0], out[1]


def find_unspin() -> str:
    """The ``unspin`` command of this environment (next to the interpreter, else on PATH)."""
    here = Path(sys.executable).with_name("unspin")
    return str(here) if here.exists() else (shutil.which("unspin") or str(here))


#: A line of our own, spun the way the spinner does it: it looks spun, so restoring it loads the
#: compiled table (an honest line such as "one line" is passed through without it).
SPUN_LINE = ("The officials stated the warfare within the region had ended, the officers mentioned "
             "on Tuesday.")


def compile_bytecode() -> int:
    """Compile the bytecode of the unspin package, as ``pip install`` does, and return how many
    modules were stale. In a checkout edited since its last import, or under
    ``PYTHONDONTWRITEBYTECODE=1``, every start would compile them again (40-70 ms here) and the
    start-up times would measure that instead of what an installed unspin costs."""
    import compileall
    import importlib.util

    import unspin

    stale = 0
    for src in Path(unspin.__file__).parent.glob("*.py"):
        pyc = Path(importlib.util.cache_from_source(str(src)))
        if not pyc.exists() or pyc.stat().st_mtime < src.stat().st_mtime:
            stale += 1
    compileall.compile_dir(str(Path(unspin.__file__).parent), quiet=1, maxlevels=0)
    return stale


def cli_startup(runs: int, exe: str) -> dict[str, Any]:
    """Median wall time of ``EXE --help`` and of one-line filter runs: an honest line, and a spun
    line (which loads the table), with the package's bytecode compiled first."""
    if not Path(exe).exists():
        return {"error": "no unspin command on PATH"}
    stale = compile_bytecode()
    h, herr = median_wall([exe, "--help"], runs)
    e, eerr = median_wall([exe], runs, stdin=b"one line\n")
    sp, sperr = median_wall([exe], runs, stdin=SPUN_LINE.encode() + b"\n")
    return {"help_secs": None if h is None else round(h, 3), "help_error": herr,
            "echo_secs": None if e is None else round(e, 3), "echo_error": eerr,
            "echo_spun_secs": None if sp is None else round(sp, 3), "echo_spun_error": sperr,
            "runs": runs, "stale_bytecode": stale}


def scaled_size(n: float, calib: dict[str, Any], case_budget: float) -> float:
    """``n``, or less so that restoring n + 4n MB at the calibrated rate fits ``case_budget`` s."""
    if "error" in calib or calib["secs"] <= 0:
        return n
    rate = calib["mb"] / calib["secs"]
    return min(n, max(calib["mb"], rate * case_budget / 5))


def linearity(tmp: Path, docs: list[str], rules: Sequence[Any], sizes: Sizes,
              timeout: float, case_budget: float | None = None) -> list[dict[str, Any]]:
    """restore time at n and 4n MB for five kinds of input, each in a fresh pinned process.

    With ``case_budget``, a small calibration run first measures the rate on that kind of input
    and n is scaled down when n + 4n would take longer than the budget (the row says so).
    """
    phrases = candidate_phrases(rules)
    longest = max(phrases, key=lambda p: (len(p.split()), p))
    kinds: list[tuple[str, float, Callable[[float], str]]] = [
        ("normal text (one document)", sizes.normal, lambda mb: take_mb(docs, mb, "\n")),
        ("one single line", sizes.line,
         lambda mb: take_mb((d.replace("\n", " ") for d in docs), mb, " ")),
        (f"every word a candidate ({len(phrases)} table phrases cycled, no punctuation)",
         sizes.patho, lambda mb: repeat_to(" ".join(phrases) + " ", mb)),
        (f"one phrase repeated ({longest!r})", sizes.patho, lambda mb: repeat_to(longest + " ", mb)),
        ("a built-in repair in every sentence (numbers, names, quotes)", sizes.patho,
         lambda mb: repeat_to(BUILTIN_UNIT, mb)),
    ]
    rows = []
    f = tmp / "linearity.txt"
    for name, n, make in kinds:
        row: dict[str, Any] = {"case": name, "requested_n_mb": n}
        if case_budget:
            c = min(n, sizes.calibrate)
            f.write_text(make(c), encoding="utf-8")
            n = scaled_size(n, run_worker(["--_worker-restore", str(f)], timeout), case_budget)
        row["scaled"] = n < row["requested_n_mb"]
        for label, mb in (("n", n), ("4n", 4 * n)):
            f.write_text(make(mb), encoding="utf-8")
            row[label] = run_worker(["--_worker-restore", str(f)], timeout)
        f.unlink(missing_ok=True)
        if "error" not in row["n"] and "error" not in row["4n"]:
            g, verdict = growth(row["n"]["secs"], row["n"]["mb"], row["4n"]["secs"], row["4n"]["mb"])
            row["growth"], row["verdict"] = round(g, 2), verdict
        elif ("error" not in row["n"] and row["4n"]["error"].startswith("timeout")
              and timeout > SUPERLINEAR * 4 * row["n"]["secs"]):
            # linear growth would have finished well within the timeout
            row["growth"], row["verdict"] = None, "SUPER-LINEAR (4n timed out)"
        else:
            row["growth"], row["verdict"] = None, "error"
        rows.append(row)
    return rows


def batch_scaling(tmp: Path, docs: list[str], size_mb: float, timeout: float,
                  exe: str) -> dict[str, Any]:
    """``EXE batch`` with -j1 and -jN on a folder of files; peak RSS per run."""
    if not Path(exe).exists():
        return {"skipped": "no unspin command on PATH"}
    p = subprocess.run([exe, "batch", "--help"], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        return {"skipped": "`unspin batch` is not available yet"}
    helptext = p.stdout
    src = tmp / "batch-src"
    files = 0
    total = 0
    for i, d in enumerate(docs):
        if total >= size_mb * MB:
            break
        f = src / f"{i // 200:03d}" / f"{i:06d}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(d, encoding="utf-8")
        files += 1
        total += len(d.encode("utf-8"))
    quarter = tmp / "batch-src-quarter"
    for f in sorted(src.rglob("*.txt"))[: max(1, files // 4)]:
        (quarter / f.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, quarter / f.parent.name / f.name)
    n = os.cpu_count() or 1
    extra = ["--quiet"] if "--quiet" in helptext else []
    runs: list[dict[str, Any]] = []
    for label, folder, jobs in (("-j1", src, 1), (f"-j{n}", src, n), (f"-j{n}, 1/4 of files", quarter, n)):
        dest = tmp / "batch-out"
        shutil.rmtree(dest, ignore_errors=True)
        cmd = [exe, "batch", str(folder), str(dest), "-j", str(jobs), *extra]
        r = run_worker(["--_worker-measure", *cmd], timeout)
        mb = mbytes(f.read_text(encoding="utf-8") for f in folder.rglob("*.txt"))
        r.update({"run": label, "jobs": jobs, "files": sum(1 for _ in folder.rglob("*.txt")),
                  "mb": round(mb, 2)})
        if "error" not in r and r["rc"] == 0:
            r["mb_s"] = round(mb / r["secs"], 2)
        elif "error" not in r:
            r["error"] = f"exit {r['rc']}: {last_line(r['stderr'])}"
        runs.append(r)
        shutil.rmtree(dest, ignore_errors=True)
    out: dict[str, Any] = {"runs": runs, "cores": n, "command": " ".join(["unspin", "batch", "SRC",
                                                                          "DEST", "-j", "N", *extra])}
    if all("mb_s" in r for r in runs[:2]):
        out["speedup"] = round(runs[1]["mb_s"] / runs[0]["mb_s"], 2)
        out["efficiency"] = round(out["speedup"] / n, 2)
    if all("maxrss_mb" in r and "error" not in r for r in runs[1:]):
        # steady memory: 4x the files should not need more memory per process
        out["rss_all_over_quarter"] = round(runs[1]["maxrss_mb"] / runs[2]["maxrss_mb"], 2)
    return out


# --- Report ---


def _g(x: float) -> str:
    """Three significant digits without scientific notation for the usual ranges."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _v(x: Any, fmt: str | None = None, unit: str = "") -> str:
    if x is None:
        return "-"
    return (fmt.format(x) if fmt else _g(x)) + unit


def markdown(res: dict[str, Any]) -> str:
    """Markdown tables for the README."""
    t = res.get("throughput", {})
    out = [(f"Table of {res.get('rules', 0):,} rows; Python {sys.version.split()[0]}; "
            f"{os.cpu_count()} cores; files under {res.get('tmp', '?')}.")]
    if t:
        part = ("" if t["complete"] else f"; restore stopped at its time budget after "
                f"{t['measured_mb']:.2f} MB ({t['measured_documents']:,} documents), and every "
                "ratio compares that same text")
        out += [(f"Throughput corpus: {t['corpus_mb']:.1f} MB, {t['documents']:,} documents "
                 f"(shuffled spun + clean news paragraphs), one core{part}."), "",
                "| measurement | MB/s | unspin time / its time |", "| --- | ---: | ---: |",
                f"| `unspin.restore` (per document) | {_g(t['restore']['mb_s'])} | 1 |",
                (f"| tokenise `regex.findall(r'\\w+')` | {_g(t['tokenise']['mb_s'])} | "
                 f"{_g(t['tokenise']['restore_over_tokenise'])} |")]
        ft = t["flashtext"]
        out.append(f"| flashtext replace, same table ({ft.get('keywords', 0)} keywords) | "
                   f"{_v(ft.get('mb_s'))} | {_v(ft.get('restore_over_flashtext'))} |"
                   if "error" not in ft else f"| flashtext | {ft['error']} | - |")
        for key, label in (("torture_own", "TorturePhrases_Estimator, its own list"),
                           ("torture_table", "TorturePhrases_Estimator scan, our table")):
            tp = t[key]
            out.append(f"| {label} ({tp.get('phrases', 0):,} phrases; {_g(tp.get('sample_mb', 0))} MB "
                       f"sample) | {_v(tp.get('mb_s'))} | {_v(tp.get('restore_over_it'))} |"
                       if "error" not in tp else f"| {label} | {tp['error']} | - |")
        out.append(f"\nFirst call (loads table and models): {t['first_call_secs']:.3f} s.")
    c = res.get("cli", {})
    if c:
        out += ["", f"| CLI start-up (median of {c.get('runs', 0)}; bytecode compiled first, "
                f"{c.get('stale_bytecode', 0)} modules were stale) | seconds |", "| --- | ---: |"]
        out.append(f"| `unspin --help` | {_v(c.get('help_secs'), '{:.3f}')} {c.get('help_error', '')} |")
        out.append(f"| `echo 'one line' \\| unspin` | {_v(c.get('echo_secs'), '{:.3f}')} "
                   f"{c.get('echo_error', '')} |")
        out.append(f"| `echo '<a spun line>' \\| unspin` (loads the table) | "
                   f"{_v(c.get('echo_spun_secs'), '{:.3f}')} {c.get('echo_spun_error', '')} |")
    if res.get("linearity"):
        out += ["", "| linearity: input | n MB | ms/MB at n | 4n MB | ms/MB at 4n | growth | verdict | peak RSS at 4n |",
                "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
        for row in res["linearity"]:
            cells = []
            for k in ("n", "4n"):
                r = row[k]
                cells += ([_g(r["mb"]), _g(1000 * r["secs"] / r["mb"])] if "error" not in r
                          else ["-", r["error"].replace("|", "/")[:60]])
            rss = row["4n"].get("maxrss_mb")
            if row.get("scaled"):
                cells[0] += f" (asked {_g(row['requested_n_mb'])})"
            out.append(f"| {row['case']} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} | "
                       f"{_v(row['growth'])} | {row['verdict']} | {_v(rss, '{:.0f}', ' MB')} |")
    b = res.get("batch")
    if b:
        if "skipped" in b:
            out += ["", f"Batch: skipped ({b['skipped']})."]
        else:
            out += ["", (f"Batch (`{b['command']}`, {b['cores']} cores): speedup "
                         f"{_v(b.get('speedup'))}x, efficiency {_v(b.get('efficiency'))}; peak RSS "
                         f"with all files / with 1/4 of them: {_v(b.get('rss_all_over_quarter'))}."),
                    "",
                    ("| batch run | files | MB | wall s | MB/s | CPU s, user / system (all processes) "
                     "| peak RSS (largest process) |"),
                    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for r in b["runs"]:
                out.append(f"| {r['run']} | {r['files']:,} | {r['mb']:.1f} | {_v(r.get('secs'))} | "
                           f"{_v(r.get('mb_s')) if 'error' not in r else r['error'][:60]} | "
                           f"{_v(r.get('user_s'))} / {_v(r.get('sys_s'))} | "
                           f"{_v(r.get('maxrss_mb'), '{:.0f}', ' MB')} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--_worker-restore"]:
        print(json.dumps(worker_restore(argv[1])))
        return 0
    if argv[:1] == ["--_worker-measure"]:
        print(json.dumps(worker_measure(argv[1:])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="shared corpus root (default: ../shared/corpus next to the repo)")
    ap.add_argument("--quick", action="store_true", help="small sizes for a fast check")
    ap.add_argument("--size-mb", type=float, default=None, help="throughput corpus (default 50, quick 5)")
    ap.add_argument("--line-mb", type=float, default=None,
                    help="the long single line at 4n (default 100, quick 8)")
    ap.add_argument("--batch-mb", type=float, default=None, help="folder for unspin batch (default 10, quick 2)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per subprocess (default 300, quick 60)")
    ap.add_argument("--scan-budget", type=float, default=None,
                    help="seconds for each naive substring-scan baseline (default 8, quick 2)")
    ap.add_argument("--restore-budget", type=float, default=None,
                    help="seconds at most for restore over the throughput corpus; a slower engine "
                         "is measured on the part it got through (default 60, quick 20)")
    ap.add_argument("--case-budget", type=float, default=None,
                    help="seconds per linearity case and batch run; sizes scale down to fit "
                         "(default 30, quick 15)")
    ap.add_argument("--no-autoscale", action="store_true",
                    help="use the requested sizes even when that takes long")
    ap.add_argument("--only", nargs="+", choices=("throughput", "cli", "linearity", "batch"),
                    help="run only these sections")
    ap.add_argument("--unspin", default=None, help="the unspin command to time (default: this env's)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    ap.add_argument("--tmp", type=Path, default=None,
                    help="where the temporary folder goes (default: the system's); /dev/shm takes "
                         "the disk out of the batch and linearity runs")
    a = ap.parse_args(argv)
    q = a.quick
    line = a.line_mb or (8.0 if q else 100.0)
    sizes = Sizes(corpus=a.size_mb or (5.0 if q else 50.0), normal=0.5 if q else 4.0,
                  line=line / 4, patho=0.25 if q else 2.0, batch=a.batch_mb or (2.0 if q else 10.0),
                  budget=a.scan_budget or (2.0 if q else 8.0), cli_runs=3 if q else 7,
                  restore_budget=a.restore_budget or (20.0 if q else 60.0),
                  case_budget=None if a.no_autoscale else (a.case_budget or (15.0 if q else 30.0)),
                  calibrate=0.05 if q else 0.2)
    timeout = a.timeout or (60.0 if q else 300.0)
    sections = set(a.only or ("throughput", "cli", "linearity", "batch"))
    exe = (shutil.which(a.unspin) or a.unspin) if a.unspin else find_unspin()

    from unspin.table import default_table

    rules = default_table()
    paragraphs = read_paragraphs(a.corpus)
    docs = build_documents(paragraphs, max(sizes.corpus, sizes.normal * 4, sizes.line * 4, sizes.batch))
    res: dict[str, Any] = {"rules": len(rules), "sizes": sizes.__dict__, "quick": q}
    tmp = Path(tempfile.mkdtemp(prefix="unspin-speed-", dir=a.tmp))
    res["tmp"] = str(tmp.parent)
    try:
        if "throughput" in sections:
            corpus_docs = prefix_mb(docs, sizes.corpus)
            res["throughput"] = throughput(corpus_docs, rules, sizes.budget, sizes.restore_budget)
        if "cli" in sections:
            res["cli"] = cli_startup(sizes.cli_runs, exe)
        if "linearity" in sections:
            res["linearity"] = linearity(tmp, docs, rules, sizes, timeout, sizes.case_budget)
        if "batch" in sections:
            batch_mb = sizes.batch
            t = res.get("throughput")
            if t and sizes.case_budget:  # -j1 should fit the budget at the measured rate
                batch_mb = min(batch_mb, max(0.2, t["restore"]["mb_s"] * sizes.case_budget))
            res["batch"] = batch_scaling(tmp, docs, batch_mb, timeout, exe)
            res["batch"]["requested_mb"] = sizes.batch
    finally:
        if a.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(res, indent=2) if a.json else markdown(res))
    flagged = [r["case"] for r in res.get("linearity", []) if r["verdict"].startswith("SUPER")]
    if flagged:
        print(f"\nwarning: super-linear growth in: {'; '.join(flagged)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
