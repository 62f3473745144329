#!/usr/bin/env python3
"""Restoration quality on synthetic pairs: clean articles spun by ``unspin.emulate``.

Each clean article of the split (``<corpus>/clean/NNN_*.txt``; the never-spun originals of the
held-out pairs for ``large-holdout``) is spun with a thesaurus and one or more seeds, restored
with unspin in-process, and scored with the functions of ``quality.py`` (the official scorer's
metrics: error reduction, exact edit precision and recall; false edits on the unspun articles as
the clean control). For reference it also reports how many of the synthetic edits fall on a spun
form that unspin's table has any row for, and how many are an exact row (spun -> original).

Thesauri (``--thesaurus``, several allowed; default ``wordnet table``):

- ``wordnet``: groups built from WordNet's data files (``thesaurus.py wordnet``). Not circular:
  it tells how unspin does on substitutions drawn from a thesaurus it was not built from. WordNet
  is not the spinners' thesaurus, so unspin is not expected to know most of these substitutions;
  the number measures breadth and precision under a foreign thesaurus, not the real task.
- ``table``: unspin's own table run forward (``thesaurus.py table``). **Circular**: the restorer
  is asked to undo exactly the substitutions it was built from. A reference, never a headline.
- a path: any ``head|alt|...`` file.

Usage::

    python benchmarks/synthetic.py                                  # holdout, wordnet and table, seeds 0-2
    python benchmarks/synthetic.py --thesaurus wordnet --seeds 0 1 2 3 4 --json
    python benchmarks/synthetic.py --data /tmp/unspin-train --split holdout    # held-out model
    python benchmarks/synthetic.py --thesaurus my.groups --quotes protect

Quoted speech: ``--quotes alternate`` (default) protects it in even-numbered articles and spins it
in odd-numbered ones (both setups are seen in the wild); ``protect`` and ``spin`` do one for all.
The choices of article ``A`` under seed ``S`` come from ``random.Random(f"{S}:{A}")``, so a run is
reproducible and adding articles does not change the others.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parent / "src") not in sys.path:
    sys.path.insert(1, str(HERE.parent / "src"))

import quality  # the metric functions, shared with quality.py
import thesaurus as thes

from unspin.emulate import Thesaurus, load_thesaurus, spin_detailed

QUOTE_MODES = ("alternate", "protect", "spin")
SPLITS = ("tune", "holdout", "all", "large-holdout")
LABELS = {
    "wordnet": "WordNet thesaurus (not circular)",
    "table": "unspin's own table run forward (CIRCULAR, not a headline)",
}


def build_thesaurus(name: str, wordnet_dir: Path, max_alts: int, table: str | None) -> Thesaurus:
    """The thesaurus called ``name``: ``wordnet``, ``table`` or a file path."""
    if name not in ("wordnet", "table"):
        return load_thesaurus(name)
    if name == "wordnet":
        groups = thes.wordnet_groups(thes.read_wordnet(wordnet_dir), max_alts)
    else:
        groups = thes.table_groups(table)
    with tempfile.TemporaryDirectory() as tmp:  # through the file format, so it is validated
        path = Path(tmp) / f"{name}.groups"
        thes.write_groups(groups, path)
        t = load_thesaurus(path)
    return Thesaurus(t.groups, f"<{name}>")


def protect_for(name: str, mode: str) -> bool:
    """Whether quoted speech is protected in the article called ``name`` under ``mode``."""
    if mode != "alternate":
        return mode == "protect"
    number = quality._number(Path(name).name) or quality._number(Path(name).parent.name) or 0
    return number % 2 == 0


def coverage(pairs: Sequence[quality.DocScore], spun_texts: Sequence[str], originals: Sequence[str],
             index: quality.TableIndex) -> dict[str, Any]:
    """How many gold edits have a spun form the table knows, and how many are an exact row."""
    gold = known = exact = 0
    for spun, orig in zip(spun_texts, originals):
        ts, to = quality.toks(spun), quality.toks(orig)
        for i1, i2, rep in quality.edits(ts, to):
            gold += 1
            form = tuple(ts[i1:i2])
            if form in index.spun_forms:
                known += 1
            if (form, tuple(rep)) in index.pairs:
                exact += 1
    words = sum(d.words for d in pairs)
    return {
        "gold_edits": gold,
        "gold_edits_per_1k_words": round(1000 * gold / max(words, 1), 1),
        "spun_form_has_row": known,
        "spun_form_has_row_share": round(known / gold, 3) if gold else 0.0,
        "exact_row": exact,
        "exact_row_share": round(exact / gold, 3) if gold else 0.0,
    }


def run(thesaurus: Thesaurus, articles: Sequence[Path], corpus: Path, seeds: Sequence[int],
        quotes: str, restorer: quality.Restorer, index: quality.TableIndex,
        clean_scores: list[quality.DocScore], show: bool = False) -> dict[str, Any]:
    """Spin every article with every seed, restore, score; pooled summary plus one per seed."""
    pooled: list[quality.DocScore] = []
    per_seed: dict[str, dict[str, Any]] = {}
    spun_all: list[str] = []
    orig_all: list[str] = []
    spun_subs = 0
    for seed in seeds:
        scores = []
        for f in articles:
            name = str(f.relative_to(corpus)) if f.is_relative_to(corpus) else str(f)
            original = f.read_text(encoding="utf-8")
            res = spin_detailed(original, thesaurus, seed=random.Random(f"{seed}:{name}"),
                                protect_quotes=protect_for(name, quotes))
            spun_subs += res.changed
            t0 = time.perf_counter()
            restored, repairs = restorer(res.text)
            d = quality.score_pair(f"{name}@{seed}", res.text, original, restored, repairs, index)
            d.secs = time.perf_counter() - t0
            scores.append(d)
            spun_all.append(res.text)
            orig_all.append(original)
            if show:
                print(f"{d.name}: words={d.words} err_spun={d.err_before} err_restored={d.err_after} "
                      f"gold_edits={d.gold} sys_edits={d.made} exact={d.correct}", file=sys.stderr)
                for line in d.false_edits:
                    print("   false/partial:", line, file=sys.stderr)
                for line in d.missed_edits:
                    print("   missed:", line, file=sys.stderr)
        per_seed[str(seed)] = quality.summarise(scores, [])["pairs"]
        pooled += scores
    summary = quality.summarise(pooled, clean_scores)
    summary["per_seed"] = per_seed
    summary["coverage"] = coverage(pooled, spun_all, orig_all, index)
    summary["coverage"]["substitutions_changed"] = spun_subs
    return summary


def markdown(name: str, summary: dict[str, Any], split: str, restorer_label: str) -> str:
    """One section: headline table from quality.py's markdown, then coverage and per-seed rows."""
    label = LABELS.get(name, f"thesaurus file `{name}`")
    th, cov = summary["thesaurus"], summary["coverage"]
    out = [
        f"### {label}",
        "",
        (f"Thesaurus: {th['groups']:,} groups ({th['multiword_groups']:,} multi-word), "
         f"{th['members']:,} members. Seeds {', '.join(summary['per_seed'])}; quotes: "
         f"{summary['quotes']}. Pairs are pooled over seeds; the clean control is the unspun "
         "articles themselves."),
        "",
        quality.markdown(summary, split, restorer_label),
        "",
        (f"Synthetic edits: {cov['gold_edits']:,} ({cov['gold_edits_per_1k_words']} per 1,000 words); "
         f"on a spun form unspin has any row for: {cov['spun_form_has_row']:,} "
         f"({cov['spun_form_has_row_share']:.1%}); exactly a row of the table: {cov['exact_row']:,} "
         f"({cov['exact_row_share']:.1%})."),
        "",
        "| seed | error reduction | edit precision | edit recall | gold edits |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for seed, p in summary["per_seed"].items():
        out.append(f"| {seed} | {p['error_reduction']:.3f} | {p['edit_precision']:.3f} | "
                   f"{p['edit_recall']:.3f} | {p['gold_edits']:,} |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=quality.DEFAULT_CORPUS,
                    help="shared corpus root (default: ../shared/corpus next to the repo)")
    ap.add_argument("--split", choices=SPLITS, default="holdout",
                    help="which clean articles to spin (quality.py's splits; default holdout)")
    ap.add_argument("--thesaurus", nargs="+", default=["wordnet", "table"],
                    help="'wordnet', 'table' or a groups file; several allowed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--quotes", choices=QUOTE_MODES, default="alternate")
    ap.add_argument("--wordnet-dir", type=Path, default=thes.DEFAULT_WORDNET)
    ap.add_argument("--max-alts", type=int, default=thes.DEFAULT_MAX_ALTS,
                    help="alternatives per WordNet group")
    ap.add_argument("--min-confidence", type=float, default=None, help="passed to unspin.analyze")
    ap.add_argument("--no-document-model", action="store_true",
                    help="judge every candidate as if the text were known to be spun "
                         "(use_document_model=False): how much the document model holds back")
    ap.add_argument("--table", default=None, help="table for the engine, 'table' thesaurus and coverage")
    ap.add_argument("--data", type=Path, default=None,
                    help="use the table and model in this folder (sets UNSPIN_DATA_DIR)")
    ap.add_argument("--show", action="store_true", help="false and missed edits on stderr")
    ap.add_argument("--json", action="store_true", help="JSON instead of markdown")
    a = ap.parse_args(argv)
    quality.use_build(a.data, a.split)

    options = quality.engine_options(a.min_confidence, a.table)
    if a.no_document_model:
        options["use_document_model"] = False
    restorer = quality.inprocess_restorer(**options)
    label = "in-process unspin.analyze" + (f" {options}" if options else "")
    index = quality.load_table_index(a.table)
    articles = quality.find_clean(a.corpus, a.split)
    if not articles:
        raise SystemExit(f"no clean articles for split {a.split!r} under {a.corpus}")

    clean_scores = []
    for f in articles:
        text = f.read_text(encoding="utf-8")
        t0 = time.perf_counter()
        rest, reps = restorer(text)
        d = quality.score_clean(str(f), text, rest, reps)
        d.secs = time.perf_counter() - t0
        clean_scores.append(d)

    results: dict[str, Any] = {}
    for name in a.thesaurus:
        th = build_thesaurus(name, a.wordnet_dir, a.max_alts, a.table)
        summary = run(th, articles, a.corpus, a.seeds, a.quotes, restorer, index, clean_scores, a.show)
        summary["thesaurus"] = thes.describe(th.groups)
        summary["circular"] = name == "table"
        summary["quotes"] = a.quotes
        summary["split"], summary["restorer"] = a.split, label
        results[name] = summary

    if a.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"Synthetic pairs: `{a.split}` clean articles spun by `unspin.emulate` "
              "(secondary to the shared-corpus numbers of quality.py).")
        for name, summary in results.items():
            print()
            print(markdown(name, summary, a.split, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
