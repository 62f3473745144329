#!/usr/bin/env python3
"""Restoration quality of unspin on paired spun/original text and on clean text.

Reads the shared corpus in place (never copies it) and reports the same numbers as the official
scorer ``shared/tools/score.py`` (word-level Levenshtein error reduction, exact edit precision and
recall from difflib alignments, false edits per 1,000 words of clean text), plus a per-family
breakdown that the scorer cannot give: which rule family made each edit, and why gold edits were
missed.

Splits (deterministic, by the number in the pair directory or file name):

- ``tune``: ``corpus/spun/NNN`` with odd NNN, and ``corpus/clean/NNN_*.txt`` with odd NNN;
- ``holdout`` (the headline): the same with even NNN;
- ``all``: every spun pair and every clean file;
- ``large-holdout``: ``corpus/large/NNNN`` with NNNN divisible by 10 (excluded from training);
  the clean control is the ``original.txt`` of those pairs (never-spun official prose);
- ``holdout-q`` and ``large-holdout-q``: news pairs and clean articles numbered 1 mod 4, and
  ``corpus/large`` pairs numbered 5 mod 10. The corpus spun quoted speech in odd-numbered pairs
  only, so ``holdout`` and ``large-holdout`` measure texts whose quotes were spared, and these two
  measure texts whose quotes were spun; they are held out by a ``--split train-q`` build.

Usage::

    python benchmarks/quality.py                         # holdout, in-process
    python benchmarks/quality.py --split large-holdout --json
    python benchmarks/quality.py --cmd unspin            # run the CLI as a filter, like score.py
    python benchmarks/quality.py --vs-score              # also run score.py on the same files

The bundled model learns from every pair (``--split all`` of ``python -m unspin.learn build``), so
numbers on ``holdout`` and ``large-holdout`` are held-out only for a model built from the tuning
part, passed with ``--data``::

    python -m unspin.learn build --split train --out /tmp/unspin-train
    python benchmarks/quality.py --data /tmp/unspin-train --split holdout
    python -m unspin.learn build --split train-q --out /tmp/unspin-train-q
    python benchmarks/quality.py --data /tmp/unspin-train-q --split holdout-q
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shlex
import subprocess
import sys
import textwrap
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex
from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
DEFAULT_SCORER = REPO.parent / "shared" / "tools" / "score.py"
SPLITS = ("tune", "holdout", "all", "large-holdout", "holdout-q", "large-holdout-q")
#: Each held-out split: the build split (``python -m unspin.learn build --split``) that leaves it
#: out, and which pairs it holds ("news": ``corpus/spun`` and ``corpus/clean``; "large").
HELD_OUT_FROM = {"holdout": ("train", "news"), "large-holdout": ("train", "large"),
                 "holdout-q": ("train-q", "news"), "large-holdout-q": ("train-q", "large")}
#: The held-out splits of each build split.
HELD_OUT = {build: tuple(s for s, (b, _) in HELD_OUT_FROM.items() if b == build)
            for build in ("train", "train-q")}

# --- Definitions copied verbatim from shared/tools/score.py (tests check they still agree) ---
TOK = regex.compile(
    r"\p{L}[\p{L}\p{M}\p{N}]*(?:['’\-]\p{L}+)*|\p{N}[\p{N},.]*\p{N}|\p{N}|[^\s\p{L}\p{N}]"
)


def toks(s: str) -> list[str]:
    """Word tokens exactly as score.py makes them: lower-cased, typographic apostrophe folded."""
    return [t.lower().replace("’", "'") for t in TOK.findall(s)]


def edits(a: Sequence[str], b: Sequence[str]) -> set[tuple[int, int, tuple[str, ...]]]:
    """Edits turning token list ``a`` into ``b``: ``(i1, i2, replacement tokens)``, as score.py."""
    out = set()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            out.add((i1, i2, tuple(b[j1:j2])))
    return out


# --- Corpus and splits ---


@dataclass(frozen=True)
class Pair:
    """One spun/original pair on disk."""

    name: str
    spun: Path
    original: Path


def in_split(number: int, split: str) -> bool:
    """Whether a spun pair / clean file numbered ``number`` belongs to ``split`` (tune, holdout,
    holdout-q or all): the news a build learns from or leaves out (``unspin.learn.learns_from``)."""
    from unspin.learn import learns_from

    if split == "all":
        return True
    if split == "tune":
        return learns_from("news", number, "train")
    build, kind = HELD_OUT_FROM.get(split, (None, None))
    if build is None or kind != "news":
        raise ValueError(f"unknown split {split!r}")
    return not learns_from("news", number, build)


def _number(name: str) -> int | None:
    head = name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def find_pairs(corpus: Path, split: str) -> list[Pair]:
    """The spun/original pairs of ``split`` under ``corpus`` (sorted by name)."""
    from unspin.learn import learns_from

    build, kind = HELD_OUT_FROM.get(split, (None, None))
    if kind == "large":
        base, keep = corpus / "large", lambda n: not learns_from("large", n, build)
    else:
        base, keep = corpus / "spun", lambda n: in_split(n, split)
    out = []
    for d in sorted(p.parent for p in base.glob("*/spun.txt")):
        n = _number(d.name)
        if n is not None and keep(n) and (d / "original.txt").exists():
            out.append(Pair(f"{base.name}/{d.name}", d / "spun.txt", d / "original.txt"))
    return out


def find_clean(corpus: Path, split: str) -> list[Path]:
    """Never-spun texts of ``split``: ``clean/NNN_*.txt``, or the originals for the large splits."""
    if HELD_OUT_FROM.get(split, (None, None))[1] == "large":
        return [p.original for p in find_pairs(corpus, split)]
    out = []
    for f in sorted((corpus / "clean").glob("*.txt")):
        n = _number(f.name)
        if n is not None and in_split(n, split):
            out.append(f)
    return out


# --- Table knowledge for the miss breakdown ---


@dataclass
class TableIndex:
    """The rule table keyed the way score.py tokenises, to explain missed gold edits."""

    pairs: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = field(default_factory=dict)
    spun_forms: set[tuple[str, ...]] = field(default_factory=set)

    @classmethod
    def from_rules(cls, rules: Iterable[Any]) -> TableIndex:
        """Index rows with ``.spun``, ``.original`` and ``.family`` (``unspin.table.Rule``)."""
        idx = cls()
        for r in rules:
            s, o = tuple(toks(r.spun)), tuple(toks(r.original))
            idx.pairs.setdefault((s, o), r.family)
            idx.spun_forms.add(s)
        return idx


def load_table_index(table: str | None = None) -> TableIndex:
    """Index the bundled table (or ``table``); an empty index if the table cannot be loaded."""
    try:
        from unspin.table import default_table, load_table

        return TableIndex.from_rules(load_table(table) if table else default_table())
    except Exception as e:  # noqa: BLE001 - the benchmark must run even when the table is broken
        print(f"warning: table not loaded ({e}); miss breakdown will say not-in-table", file=sys.stderr)
        return TableIndex()


# --- Scoring one document ---

MISS_KINDS = ("attempted", "covered", "spun-known", "not-in-table")
MISS_HELP = {
    "attempted": "a system edit overlaps it, but not exactly",
    "covered": "the table has this exact spun->original pair: covered but not fired",
    "spun-known": "the table knows the spun form, only with other originals",
    "not-in-table": "the table has no row for this spun form",
}


def family_of(rule: str) -> str:
    """The family of a rule id (``saying.stated.said`` -> ``saying``)."""
    return rule.split(".", 1)[0] if rule else "?"


def token_families(text: str, repairs: Iterable[Any]) -> tuple[list[str | None], list[tuple[int, int, str]]]:
    """Per token of ``text``: the family of the repair whose char span it overlaps (or None).

    Also returns each repair's token range ``(first, last+1, family)``, which attributes
    insertions (a zero-width edit at a token position) to the repair that touches that position.
    """
    spans = [(m.start(), m.end()) for m in TOK.finditer(text)]
    fams: list[str | None] = [None] * len(spans)
    ranges = []
    reps = sorted(repairs, key=lambda r: r.start)
    j = 0
    for r in reps:
        fam = family_of(r.rule)
        while j < len(spans) and spans[j][1] <= r.start:
            j += 1
        k, first = j, j
        while k < len(spans) and spans[k][0] < r.end:
            fams[k] = fam
            k += 1
        ranges.append((first, k, fam))
    return fams, ranges


def attribute(edit: tuple[int, int, tuple[str, ...]], fams: list[str | None],
              ranges: list[tuple[int, int, str]]) -> str:
    """The rule family responsible for a system edit, or ``?`` if no repair touches it."""
    i1, i2, _ = edit
    found = Counter(f for f in fams[i1:i2] if f)
    if found:
        return found.most_common(1)[0][0]
    for a, b, fam in ranges:  # insertion or alignment drift: a repair touching the position
        if a <= i1 <= b:
            return fam
    return "?"


def _overlaps(e: tuple[int, int, Any], others: Iterable[tuple[int, int, Any]]) -> bool:
    i1, i2, _ = e
    for j1, j2, _ in others:
        if (j1 < i2 and i1 < j2) or (i1 == i2 and j1 <= i1 <= j2) or (j1 == j2 and i1 <= j1 <= i2):
            return True
    return False


def classify_miss(g: tuple[int, int, tuple[str, ...]], ts: Sequence[str],
                  sys_edits: set, index: TableIndex) -> tuple[str, str]:
    """Why gold edit ``g`` was missed: one of MISS_KINDS, and the family of the covering row."""
    i1, i2, rep = g
    spun = tuple(ts[i1:i2])
    fam = index.pairs.get((spun, rep))
    if _overlaps(g, sys_edits):
        return "attempted", fam or "?"
    if fam:
        return "covered", fam
    if spun in index.spun_forms:
        return "spun-known", "?"
    return "not-in-table", "?"


@dataclass
class DocScore:
    """Counts for one document (a pair, or a clean text when ``clean`` is True)."""

    name: str
    words: int
    err_before: int = 0
    err_after: int = 0
    gold: int = 0
    made: int = 0
    correct: int = 0
    clean: bool = False
    secs: float = 0.0
    fam_made: Counter = field(default_factory=Counter)
    fam_correct: Counter = field(default_factory=Counter)
    fam_missed: Counter = field(default_factory=Counter)  # covered misses, by family of the row
    miss_kinds: Counter = field(default_factory=Counter)
    false_edits: list[str] = field(default_factory=list)
    missed_edits: list[str] = field(default_factory=list)


def _ctx(ts: Sequence[str], e: tuple[int, int, tuple[str, ...]], tag: str = "") -> str:
    i1, i2, rep = e
    pre, post = " ".join(ts[max(0, i1 - 3):i1]), " ".join(ts[i2:i2 + 3])
    return f"{pre} [ {' '.join(ts[i1:i2])} -> {' '.join(rep)} ] {post}{tag}"


def score_pair(name: str, spun: str, original: str, restored: str,
               repairs: Iterable[Any] | None = None, index: TableIndex | None = None) -> DocScore:
    """Score one restored pair like score.py, plus per-family attribution when repairs are known."""
    ts, to, tr = toks(spun), toks(original), toks(restored)
    g, s = edits(ts, to), edits(ts, tr)
    d = DocScore(name, len(ts), Levenshtein.distance(ts, to), Levenshtein.distance(tr, to),
                 len(g), len(s), len(g & s))
    fams, ranges = token_families(spun, repairs or ())
    for e in s:
        fam = attribute(e, fams, ranges) if repairs is not None else "n/a"
        d.fam_made[fam] += 1
        if e in g:
            d.fam_correct[fam] += 1
        else:
            d.false_edits.append(_ctx(ts, e, f"  ({fam})"))
    index = index or TableIndex()
    for e in g - s:
        kind, fam = classify_miss(e, ts, s, index)
        d.miss_kinds[kind] += 1
        if kind == "covered":
            d.fam_missed[fam] += 1
        d.missed_edits.append(_ctx(ts, e, f"  ({kind})"))
    d.false_edits.sort()
    d.missed_edits.sort()
    return d


def score_clean(name: str, text: str, restored: str, repairs: Iterable[Any] | None = None) -> DocScore:
    """Score a never-spun text: every edit is a false edit (score.py ``clean`` mode)."""
    ts, tr = toks(text), toks(restored)
    s = edits(ts, tr)
    d = DocScore(name, len(ts), made=len(s), clean=True)
    fams, ranges = token_families(text, repairs or ())
    for e in sorted(s):
        fam = attribute(e, fams, ranges) if repairs is not None else "n/a"
        d.fam_made[fam] += 1
        d.false_edits.append(_ctx(ts, e, f"  ({fam})"))
    return d


# --- Restorers ---

Restorer = Callable[[str], tuple[str, tuple[Any, ...] | None]]


def engine_options(min_confidence: float | None, table: Path | None) -> dict[str, Any]:
    """The ``unspin.analyze`` options a benchmark's command line set (those left unset are absent,
    so the label of the run shows only what differs from the defaults)."""
    options: dict[str, Any] = {}
    if min_confidence is not None:
        options["min_confidence"] = min_confidence
    if table:
        options["table"] = table
    return options


def inprocess_restorer(**options: Any) -> Restorer:
    """Call ``unspin.analyze`` in this process; returns text and repairs."""
    import unspin

    opts = unspin.Options(**options)  # validated once; a misspelt option fails here

    def run(text: str) -> tuple[str, tuple[Any, ...]]:
        a = unspin.analyze(text, opts)
        return a.text, tuple(a.repairs)

    return run


def cmd_restorer(cmd: str) -> Restorer:
    """Run ``cmd`` as a shell filter exactly like score.py (UTF-8 stdin -> stdout)."""

    def run(text: str) -> tuple[str, None]:
        p = subprocess.run(cmd, shell=True, input=text.encode(), capture_output=True, timeout=120,
                           check=False)
        if p.returncode != 0:
            raise SystemExit(f"restorer failed ({p.returncode}): {p.stderr.decode()[-500:]}")
        return p.stdout.decode(), None

    return run


# --- Aggregation and report ---


def summarise(pairs: list[DocScore], clean: list[DocScore]) -> dict[str, Any]:
    """Totals over documents, in score.py's definitions, plus per-family and miss breakdowns."""
    E_s = sum(d.err_before for d in pairs)
    E_r = sum(d.err_after for d in pairs)
    G = sum(d.gold for d in pairs)
    S = sum(d.made for d in pairs)
    C = sum(d.correct for d in pairs)
    W = sum(d.words for d in pairs)
    CW = sum(d.words for d in clean)
    CF = sum(d.made for d in clean)
    fam: dict[str, dict[str, int]] = defaultdict(lambda: Counter())
    for d in pairs:
        for k, v in d.fam_made.items():
            fam[k]["made"] += v
        for k, v in d.fam_correct.items():
            fam[k]["correct"] += v
        for k, v in d.fam_missed.items():
            fam[k]["missed_covered"] += v
    for d in clean:
        for k, v in d.fam_made.items():
            fam[k]["clean_false"] += v
    families = {}
    for k in sorted(fam):
        c = fam[k]
        families[k] = {
            "made": c["made"], "correct": c["correct"],
            "precision": round(c["correct"] / c["made"], 3) if c["made"] else None,
            "missed_covered": c["missed_covered"], "clean_false_edits": c["clean_false"],
        }
    misses = Counter()
    for d in pairs:
        misses.update(d.miss_kinds)
    return {
        "pairs": {
            "docs": len(pairs), "words": W, "err_spun": E_s, "err_restored": E_r,
            "error_reduction": round((E_s - E_r) / E_s, 3) if E_s else 0.0,
            "edit_precision": round(C / S, 3) if S else 0.0,
            "edit_recall": round(C / G, 3) if G else 0.0,
            "gold_edits": G, "sys_edits": S, "correct": C,
            "secs": round(sum(d.secs for d in pairs), 3),
        },
        "clean": {
            "docs": len(clean), "words": CW, "false_edits": CF,
            "false_edits_per_1k_words": round(1000 * CF / max(CW, 1), 2),
            "secs": round(sum(d.secs for d in clean), 3),
        },
        "families": families,
        "missed": {k: misses.get(k, 0) for k in MISS_KINDS},
    }


def score_lines(summary: dict[str, Any]) -> tuple[str, str]:
    """The two summary lines in score.py's exact format (pairs, clean)."""
    p, c = summary["pairs"], summary["clean"]
    return (
        (f"docs={p['docs']} words={p['words']} err_spun={p['err_spun']} "
         f"err_restored={p['err_restored']} error_reduction={p['error_reduction']:.3f} "
         f"edit_precision={p['edit_precision']:.3f} edit_recall={p['edit_recall']:.3f}"),
        (f"docs={c['docs']} words={c['words']} false_edits={c['false_edits']} "
         f"false_edits_per_1k_words={c['false_edits_per_1k_words']:.2f}"),
    )


def _fmt(x: float | None, nd: int = 3) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def markdown(summary: dict[str, Any], split: str, label: str) -> str:
    """Markdown tables for the README: headline numbers, per family, missed-edit breakdown."""
    p, c, m = summary["pairs"], summary["clean"], summary["missed"]
    out = [
        (f"Split `{split}` ({label}): {p['docs']} spun pairs, {p['words']:,} words; "
         f"{c['docs']} clean texts, {c['words']:,} words."),
        "",
        "| metric | value |",
        "| --- | ---: |",
        f"| error reduction | {p['error_reduction']:.3f} |",
        f"| edit precision | {p['edit_precision']:.3f} |",
        f"| edit recall | {p['edit_recall']:.3f} |",
        f"| word errors before -> after | {p['err_spun']:,} -> {p['err_restored']:,} |",
        f"| gold edits / system edits / exact | {p['gold_edits']:,} / {p['sys_edits']:,} / {p['correct']:,} |",
        f"| false edits per 1,000 clean words | {c['false_edits_per_1k_words']:.2f} ({c['false_edits']} in {c['words']:,}) |",
        "",
        "| family | edits made | correct | precision | missed (covered, not fired) | false edits on clean |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k, f in summary["families"].items():
        out.append(f"| {k} | {f['made']} | {f['correct']} | {_fmt(f['precision'])} | "
                   f"{f['missed_covered']} | {f['clean_false_edits']} |")
    if not summary["families"]:
        out.append("| (no edits) | 0 | 0 | - | 0 | 0 |")
    missed = sum(m.values())
    out += ["", f"Missed gold edits: {missed:,}", "", "| why missed | edits | share |", "| --- | ---: | ---: |"]
    for k in MISS_KINDS:
        out.append(f"| {k}: {MISS_HELP[k]} | {m[k]:,} | {m[k] / missed if missed else 0:.1%} |")
    return "\n".join(out)


def hard_wrap(text: str, width: int) -> str:
    """``text`` with each line filled to ``width`` columns, as ``fmt`` or an e-mail client wraps
    it (words are not broken; the corpus has one paragraph a line)."""
    return "\n".join(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
                     for line in text.split("\n"))


def evaluate(corpus: Path, split: str, restorer: Restorer, index: TableIndex,
             show: bool = False, out: Any = None, wrap: int | None = None) -> dict[str, Any]:
    """Run ``restorer`` over the pairs and clean texts of ``split`` and summarise (with ``wrap``,
    on the spun and clean texts hard-wrapped at that width)."""
    out = out or sys.stdout
    pairs = find_pairs(corpus, split)
    clean = find_clean(corpus, split)
    if not pairs and not clean:
        raise SystemExit(f"no pairs or clean texts for split {split!r} under {corpus}")
    pair_scores, clean_scores = [], []
    for pr in pairs:
        spun = pr.spun.read_text(encoding="utf-8")
        orig = pr.original.read_text(encoding="utf-8")
        if wrap:
            spun = hard_wrap(spun, wrap)
        t0 = time.perf_counter()
        rest, reps = restorer(spun)
        d = score_pair(pr.name, spun, orig, rest, reps, index)
        d.secs = time.perf_counter() - t0
        pair_scores.append(d)
        if show:
            print(f"{pr.name}: words={d.words} err_spun={d.err_before} err_restored={d.err_after} "
                  f"gold_edits={d.gold} sys_edits={d.made} exact={d.correct}", file=out)
            for line in d.false_edits:
                print("   false/partial:", line, file=out)
            for line in d.missed_edits:
                print("   missed:", line, file=out)
    for f in clean:
        text = f.read_text(encoding="utf-8")
        if wrap:
            text = hard_wrap(text, wrap)
        t0 = time.perf_counter()
        rest, reps = restorer(text)
        d = score_clean(str(f.relative_to(corpus)), text, rest, reps)
        d.secs = time.perf_counter() - t0
        clean_scores.append(d)
        if show:
            for line in d.false_edits:
                print(f"   {f.name}: false edit:", line, file=out)
    return summarise(pair_scores, clean_scores)


def mixed_documents(corpus: Path, split: str, restorer: Restorer) -> dict[str, Any]:
    """One spun paragraph of each pair (its first of 40 words or more) set in the middle of an
    honest text of the split (the next one, never its own original): how many of the repairs the
    paragraph gets in its own article it still gets there. What a text's honest paragraphs cost a
    spun one (the document score is the whole text's; see README, 'What unspin promises')."""
    pairs, hosts = find_pairs(corpus, split), find_clean(corpus, split)
    docs = own_total = kept = 0
    for k, pair in enumerate(pairs):
        spun = pair.spun.read_text(encoding="utf-8")
        para = next((q for q in spun.split("\n\n") if len(q.split()) >= 40), None)
        if para is None or not hosts:
            continue
        host = hosts[(k + 1) % len(hosts)].read_text(encoding="utf-8").split("\n\n")
        mid = len(host) // 2
        before = "".join(q + "\n\n" for q in host[:mid])
        mixed = before + para + "\n\n" + "\n\n".join(host[mid:])

        def inside(text: str, at: int) -> set[tuple[int, int, str]]:
            _, repairs = restorer(text)
            return {(r.start - at, r.end - at, r.replacement) for r in repairs or ()
                    if at <= r.start and r.end <= at + len(para)}

        own = inside(spun, spun.index(para))
        docs += 1
        own_total += len(own)
        kept += len(own & inside(mixed, len(before)))
    return {"paragraphs": docs, "repairs_in_own_article": own_total, "kept_in_honest_text": kept,
            "kept_share": round(kept / own_total, 3) if own_total else None}


#: Confidence bins of :func:`calibration`: [0.3, 0.4), ..., [0.9, 1.0].
CALIBRATION_BINS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def repair_outcomes(spun: str, original: str, repairs: Iterable[Any]) -> list[tuple[float, bool, bool]]:
    """(confidence, exact, closer) of each repair applied on its own: ``exact`` when its edit is
    one of the gold edits (what edit precision counts), ``closer`` when it lowers the word-level
    edit distance to the original (what error reduction counts). A repair of one word of a spun
    block of two ("wholesome younger" -> "healthy younger" for "healthy young") is closer, not
    exact."""
    from unspin import apply_repairs

    ts, to = toks(spun), toks(original)
    gold, before = edits(ts, to), Levenshtein.distance(ts, to)
    out = []
    for r in repairs:
        tr = toks(apply_repairs(spun, [r]))
        out.append((r.confidence, edits(ts, tr) <= gold, Levenshtein.distance(tr, to) < before))
    return out


def calibration(corpus: Path, split: str, **options: Any) -> list[dict[str, Any]]:
    """Per confidence bin (see :data:`CALIBRATION_BINS`), over the pairs of ``split``: how many
    repairs ``unspin.analyze`` makes at ``min_confidence`` 0.3, and the share of them that are
    exact and that bring the text closer (see :func:`repair_outcomes`)."""
    import unspin

    opts = unspin.Options(**{**options, "min_confidence": CALIBRATION_BINS[0]})
    rows = [[0, 0, 0] for _ in CALIBRATION_BINS]
    for pr in find_pairs(corpus, split):
        spun = pr.spun.read_text(encoding="utf-8")
        orig = pr.original.read_text(encoding="utf-8")
        for conf, exact, closer in repair_outcomes(spun, orig, unspin.analyze(spun, opts).repairs):
            k = sum(conf >= b for b in CALIBRATION_BINS) - 1
            rows[k][0] += 1
            rows[k][1] += exact
            rows[k][2] += closer
    return [{"from": b, "to": round(b + 0.1, 1), "repairs": n,
             "exact": round(e / n, 3) if n else None, "closer": round(c / n, 3) if n else None}
            for b, (n, e, c) in zip(CALIBRATION_BINS, rows, strict=True)]


def decision_ceiling(spun: str, original: str, **options: Any) -> str:
    """``spun`` with every repair unspin could propose applied if, and only if, it brings the text
    closer to ``original``: what perfect decisions would reach with this table and these built-ins.

    The proposals are every candidate of the table (all originals of each phrase, one pass,
    document model off) and every built-in repair the engine makes with the document model off at
    ``min_confidence`` 0; they are taken greedily in document order (longer first at a start),
    skipping any that overlaps one already taken."""
    import unspin
    from unspin import engine
    from unspin.options import BUILTIN_RULES

    opts = unspin.Options(**{**options, "use_document_model": False, "min_confidence": 0.0})
    proposals = list(engine.candidates(spun, opts))
    proposals += [r for r in unspin.analyze(spun, opts).repairs if r.rule in BUILTIN_RULES]
    proposals.sort(key=lambda r: (r.start, -r.end))
    to = toks(original)
    best = Levenshtein.distance(toks(spun), to)
    taken: list[Any] = []
    for r in proposals:
        if taken and r.start < taken[-1].end:
            continue
        trial = unspin.apply_repairs(spun, [*taken, r])
        d = Levenshtein.distance(toks(trial), to)
        if d < best:
            taken.append(r)
            best = d
    return unspin.apply_repairs(spun, taken)


def ceiling(corpus: Path, split: str, **options: Any) -> dict[str, Any]:
    """Error reduction, edit precision and recall of :func:`decision_ceiling` over the pairs of
    ``split`` (score.py's definitions)."""
    scores = []
    for pr in find_pairs(corpus, split):
        spun = pr.spun.read_text(encoding="utf-8")
        orig = pr.original.read_text(encoding="utf-8")
        scores.append(score_pair(pr.name, spun, orig, decision_ceiling(spun, orig, **options)))
    return summarise(scores, [])["pairs"]


def run_official(scorer: Path, corpus: Path, split: str, cmd: str) -> tuple[str, str]:
    """Run score.py on exactly the files of ``split``; returns its two summary lines."""
    pairs = [str(p.spun.parent) for p in find_pairs(corpus, split)]
    clean = [str(f) for f in find_clean(corpus, split)]
    lines = []
    for mode, paths in (("pairs", pairs), ("clean", clean)):
        p = subprocess.run([sys.executable, str(scorer), mode, *paths, "--cmd", cmd],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            raise SystemExit(f"score.py {mode} failed: {p.stderr[-500:]}")
        last = p.stdout.strip().splitlines()[-1]
        # score.py adds the restorer's wall time; drop it for the comparison
        lines.append(" ".join(kv for kv in last.split() if not kv.startswith("secs=")))
    return lines[0], lines[1]


def model_split() -> str | None:
    """Which part of the corpus the model in use learned from (weights.json), if it says."""
    from unspin.model import model_dir

    try:
        return json.loads((model_dir() / "weights.json").read_text(encoding="utf-8")).get("split")
    except (OSError, ValueError):
        return None


def use_build(data: Path | None, split: str) -> None:
    """Use the table and model in ``data`` if given (``UNSPIN_DATA_DIR``, which subprocesses
    inherit too), and warn on stderr when the model in use learned from the split being scored."""
    if data is not None:
        os.environ["UNSPIN_DATA_DIR"] = str(data.resolve())
    built = model_split()
    if built is not None and split != "tune" and split not in HELD_OUT.get(built, ()):
        print(f"warning: the model in use ({built} build) learned from '{split}'; these numbers "
              "are not held-out (see --data)", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="shared corpus root (default: ../shared/corpus next to the repo)")
    ap.add_argument("--split", choices=SPLITS, default="holdout")
    ap.add_argument("--min-confidence", type=float, default=None, help="passed to unspin.analyze")
    ap.add_argument("--table", default=None, help="table file for the miss breakdown and the engine")
    ap.add_argument("--cmd", default=None,
                    help="run this shell command as a filter (like score.py) instead of in-process")
    ap.add_argument("--vs-score", nargs="?", const=str(DEFAULT_SCORER), default=None, metavar="SCORE_PY",
                    help="also run the official score.py on the same files (with --cmd, default "
                         "'unspin') and check that the numbers agree")
    ap.add_argument("--show", action="store_true", help="print false and missed edits with context")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON instead of markdown")
    ap.add_argument("--mixed", action="store_true",
                    help="also set one spun paragraph of each pair inside an honest text of the split "
                         "and report how many of its repairs it keeps there (in-process only)")
    ap.add_argument("--calibration", action="store_true",
                    help="also report, per confidence bin, the share of repairs that are exact gold "
                         "edits and the share that bring the text closer to its original (in-process only)")
    ap.add_argument("--ceiling", action="store_true",
                    help="also score perfect decisions: every repair unspin proposes applied if and "
                         "only if it brings the text closer (what the table and built-ins allow)")
    ap.add_argument("--data", type=Path, default=None,
                    help="use the table and model in this folder (python -m unspin.learn build --out); "
                         "sets UNSPIN_DATA_DIR, also for --cmd")
    ap.add_argument("--wrap", type=int, default=None, metavar="WIDTH",
                    help="hard-wrap the spun and clean texts at WIDTH columns before restoring (as "
                         "archives of e-mail or fmt output are); the originals are compared word by word")
    a = ap.parse_args(argv)
    if a.wrap is not None and a.wrap < 1:
        ap.error("--wrap takes a width of 1 or more")
    if a.wrap is not None and a.vs_score:
        ap.error("--wrap cannot go with --vs-score: score.py reads the texts as they are")
    use_build(a.data, a.split)

    options = engine_options(a.min_confidence, a.table)
    if a.cmd:
        if a.mixed or a.calibration:
            ap.error("--mixed and --calibration need the repairs: run in-process, without --cmd")
        if options:
            ap.error("--min-confidence/--table apply to the in-process run; put them in --cmd instead")
        restorer, label = cmd_restorer(a.cmd), f"command `{a.cmd}`"
    else:
        restorer, label = inprocess_restorer(**options), "in-process unspin.analyze" + (
            f" {options}" if options else "")
    index = load_table_index(a.table)
    summary = evaluate(a.corpus, a.split, restorer, index, show=a.show, wrap=a.wrap)
    if a.wrap:
        label += f", texts hard-wrapped at {a.wrap} columns"
    summary["split"], summary["restorer"] = a.split, label
    if a.mixed:
        summary["mixed"] = mixed_documents(a.corpus, a.split, restorer)
    if a.calibration:
        summary["calibration"] = calibration(a.corpus, a.split, **options)
    if a.ceiling:
        summary["ceiling"] = ceiling(a.corpus, a.split, **options)
    mine = score_lines(summary)

    agree = None
    if a.vs_score:
        official = run_official(Path(a.vs_score), a.corpus, a.split, a.cmd or "unspin")
        agree = list(mine) == list(official)
        summary["score_py"] = {"lines": list(official), "agree": agree}

    if a.json:
        print(json.dumps(summary, indent=2))
    else:
        print(markdown(summary, a.split, label))
        print()
        if a.mixed:
            m = summary["mixed"]
            print(f"Mixed documents: {m['paragraphs']} spun paragraphs, each set inside an honest "
                  f"text, kept {m['kept_in_honest_text']} of the {m['repairs_in_own_article']} repairs "
                  f"they get in their own article ({_fmt(m['kept_share'])}).")
            print()
        if a.calibration:
            print("| confidence | repairs | exact gold edit | brings the text closer |")
            print("| --- | ---: | ---: | ---: |")
            for row in summary["calibration"]:
                print(f"| {row['from']:.1f}-{row['to']:.1f} | {row['repairs']} | {_fmt(row['exact'])} | "
                      f"{_fmt(row['closer'])} |")
            print()
        if a.ceiling:
            c = summary["ceiling"]
            print(f"Decision ceiling (every proposed repair applied iff it brings the text closer): "
                  f"error reduction {c['error_reduction']:.3f}, edit precision {c['edit_precision']:.3f}, "
                  f"edit recall {c['edit_recall']:.3f}.")
            print()
        print("score.py-format lines (this script):")
        for line in mine:
            print("  " + line)
        if a.vs_score:
            print(f"score.py on the same files, `--cmd {shlex.quote(a.cmd or 'unspin')}`:")
            for line in summary["score_py"]["lines"]:
                print("  " + line)
            print("agreement:", "yes, identical" if agree else "NO - the numbers differ")
    return 0 if agree in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
