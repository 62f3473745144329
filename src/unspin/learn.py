"""Learn the channel model from aligned spun/original pairs.

``python -m unspin.learn build --corpus ../shared/corpus`` aligns every training pair word by word,
turns the differences into candidate rows (spun phrase -> original phrase) with counts and example
contexts, measures how often each spun phrase is an artifact versus honest text, fits the small
logistic model that combines this prior with context evidence, and writes:

- ``data/synonym_map.tsv``: the table (learned rows merged with ``data/curated.tsv``);
- ``src/unspin/data/model/``: context statistics, per-case rule statistics, document-model word
  weights and the combiner weights.

``python -m unspin.learn propose SPUN ORIGINAL`` prints the rows one pair of texts supports, for a
reviewer who wants to grow the table from new evidence.

Held out from training (never read here): spun news pairs with an even number and large-corpus
pairs whose number is divisible by 10. The benchmarks report on those.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .model import CASES
from .model import case_prior as model_case_prior
from .model import doc_counts, phrase_counter, sibling_index, side_keys  # noqa: F401 (re-exported)
from .tokens import Token, plain_gaps, tokenize

MAX_SPUN = 6
MAX_ORIG = 5
Key = tuple[str, ...]


# --------------------------------------------------------------------------- corpus and splits
#: ``train``: the tuning part only (``corpus/large`` pairs not divisible by 10, odd-numbered news
#: pairs and clean articles), so the other part measures the model; ``all``: every pair and clean
#: article, for the model that ships (its numbers come from a ``train`` build). The corpus spun
#: quoted speech in odd-numbered pairs only (even ones have it protected), so ``train`` holds out
#: protected quotes alone; ``train-q`` holds out pairs with spun quotes instead: news pairs and
#: clean articles numbered 1 mod 4 and ``corpus/large`` pairs numbered 5 mod 10.
SPLITS = ("train", "train-q", "all")


def learns_from(kind: str, number: int, split: str) -> bool:
    """Whether a ``split`` build learns from pair (or clean article) ``number`` of ``kind``
    ("large", or "news" for ``corpus/spun`` and ``corpus/clean``). benchmarks/quality.py scores
    the rest as held out."""
    if split == "all":
        return True
    if split == "train":
        return number % 10 != 0 if kind == "large" else number % 2 == 1
    if split == "train-q":
        return number % 10 != 5 if kind == "large" else number % 4 != 1
    raise ValueError(f"unknown split {split!r}")


def training_pairs(corpus: Path, split: str = "train") -> Iterator[tuple[str, str, str]]:
    """(name, spun, original) for every pair the model may learn from."""
    for d in sorted((corpus / "large").iterdir()):
        if d.is_dir() and (d / "spun.txt").exists() and learns_from("large", int(d.name), split):
            yield f"large/{d.name}", _read(d / "spun.txt"), _read(d / "original.txt")
    for d in sorted((corpus / "spun").iterdir()):
        if d.is_dir() and (d / "spun.txt").exists() and learns_from("news", int(d.name), split):
            yield f"spun/{d.name}", _read(d / "spun.txt"), _read(d / "original.txt")


def clean_training_texts(corpus: Path, split: str = "train") -> Iterator[str]:
    """Never-spun news (odd numbers only for ``train``), extra language-model evidence."""
    for _pair, text in clean_training_articles(corpus, split):
        yield text


def clean_training_articles(corpus: Path, split: str = "train") -> Iterator[tuple[str, str]]:
    """(name of the pair spun from it, text) of every never-spun news article the model may learn
    from. Article ``NNN_...`` is the original of pair ``spun/NNN``, so cross-fitting leaves it out
    together with that pair."""
    for f in sorted((corpus / "clean").glob("*.txt")):
        if f.name[:3].isdigit() and learns_from("news", int(f.name[:3]), split):
            yield f"spun/{f.name[:3]}", _read(f)


def _read(p: Path) -> str:
    return p.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- alignment
@dataclass
class Event:
    """One substitution found by alignment: spun tokens [i, j) came from ``original``."""

    i: int
    j: int
    original: Key


def raw_ops(a: Sequence[str], b: Sequence[str]) -> Iterator[tuple[int, int, Key]]:
    """Differences between spun keys ``a`` and original keys ``b`` as (i, j, original).

    Pure insertions and deletions are widened by one shared neighbour on the left, on the right,
    and on both sides at once, because a spinner always replaces a whole phrase ("now" -> "right
    now"), and the words it adds may sit inside the phrase ("at least" -> "at the very least").
    """
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if op in ("insert", "delete"):
            if i1 > 0 and j1 > 0:
                yield i1 - 1, i2, tuple(b[j1 - 1 : j2])
            if i2 < len(a) and j2 < len(b):
                yield i1, i2 + 1, tuple(b[j1 : j2 + 1])
            if i1 > 0 and j1 > 0 and i2 < len(a) and j2 < len(b):
                yield i1 - 1, i2 + 1, tuple(b[j1 - 1 : j2 + 1])
        else:
            yield i1, i2, tuple(b[j1:j2])


def segment(a: Key, b: Key, known: set[tuple[Key, Key]]) -> list[tuple[int, int, Key]] | None:
    """Split an aligned block into known substitutions and identical words, if possible.

    Returns pieces (i, j, original) relative to ``a`` with at least two pieces, or None.
    """
    n, m = len(a), len(b)
    best: dict[tuple[int, int], list[tuple[int, int, Key]] | None] = {}

    def go(i: int, j: int) -> list[tuple[int, int, Key]] | None:
        if (i, j) in best:
            return best[(i, j)]
        if i == n and j == m:
            return []
        result = None
        if i < n and j < m and a[i] == b[j]:
            rest = go(i + 1, j + 1)
            if rest is not None:
                result = rest
        for k in range(1, min(MAX_SPUN, n - i) + 1):
            for l in range(0, min(MAX_ORIG, m - j) + 1):
                if (a[i : i + k], b[j : j + l]) in known:
                    rest = go(i + k, j + l)
                    if rest is not None and (result is None or len(rest) + 1 > len(result)):
                        result = [(i, i + k, b[j : j + l]), *rest]
        best[(i, j)] = result
        return result

    pieces = go(0, 0)
    return pieces if pieces and len(pieces) >= 2 else None


@dataclass
class Doc:
    """A tokenised training pair with its substitution events."""

    name: str
    spun: str
    toks: list[Token]
    orig_keys: list[str]
    raw: list[tuple[int, int, Key]] = field(default_factory=list)
    events: dict[tuple[int, int], Key] = field(default_factory=dict)
    dominated: set[tuple[int, int]] = field(default_factory=set)  # see inside_longer_events


def prepare(name: str, spun: str, original: str) -> Doc:
    """Tokenise both sides and record the raw alignment differences."""
    st = tokenize(spun)
    ok = [t.key for t in tokenize(original)]
    doc = Doc(name, spun, st, ok)
    for i, j, o in raw_ops([t.key for t in st], ok):
        if 0 < j - i <= MAX_SPUN and len(o) <= MAX_ORIG and plain_gaps(spun, st, i, j):
            doc.raw.append((i, j, o))
    return doc


def resolve_events(docs: list[Doc]) -> collections.Counter[tuple[Key, Key]]:
    """Second pass: split multi-substitution blocks using pairs seen on their own elsewhere."""
    first: collections.Counter[tuple[Key, Key]] = collections.Counter()
    for d in docs:
        keys = [t.key for t in d.toks]
        for i, j, o in d.raw:
            first[(tuple(keys[i:j]), o)] += 1
    known = {p for p, c in first.items() if c >= 3 and p[1] != () and len(p[0]) <= 3}
    counts: collections.Counter[tuple[Key, Key]] = collections.Counter()
    for d in docs:
        keys = [t.key for t in d.toks]
        for i, j, o in d.raw:
            s = tuple(keys[i:j])
            pieces = segment(s, o, known) if len(s) + len(o) > 2 and first[(s, o)] < 3 else None
            if pieces:
                for pi, pj, po in pieces:
                    d.events[(i + pi, i + pj)] = po
                    counts[(s[pi:pj], po)] += 1
            elif o:
                d.events[(i, j)] = o
                counts[(s, o)] += 1
    return counts


# --------------------------------------------------------------------------- statistics
def occurrences(doc: Doc, index: dict[Key, list[Key]], max_len: int) -> Iterator[tuple[int, int, Key]]:
    """Every place where a known spun phrase occurs in the spun text of ``doc``."""
    keys = [t.key for t in doc.toks]
    n = len(keys)
    for i in range(n):
        for L in range(1, max_len + 1):
            if i + L > n:
                break
            s = tuple(keys[i : i + L])
            if s in index and (L == 1 or plain_gaps(doc.spun, doc.toks, i, i + L)):
                yield i, i + L, s


def inside_longer_events(doc: Doc, index: dict[Key, list[Key]]) -> set[tuple[int, int]]:
    """Spans (i, j) strictly inside a longer substitution event of ``doc`` that is itself a table
    row. The decoder prefers the longer phrase there, so such a place says nothing about how often
    the shorter phrase alone is an artifact: "the federal" is counted where "the federal
    government" (an artifact of "the government") does not explain it. An insertion is recorded
    widened to the left, to the right and to both sides, so without this the two shorter rows
    would take the longer one's evidence as their own."""
    keys = [t.key for t in doc.toks]
    longer = [(i, j) for (i, j), o in doc.events.items()
              if j - i > 1 and o in index.get(tuple(keys[i:j]), ())]
    out: set[tuple[int, int]] = set()
    for a, b in longer:
        for i in range(a, b):
            for j in range(i + 1, b + 1):
                if (i, j) != (a, b):
                    out.add((i, j))
    return out


@dataclass
class FoldStats:
    """Counts from one half of the training data."""

    occ: collections.Counter[tuple[Key, str]] = field(default_factory=collections.Counter)
    sub: collections.Counter[tuple[Key, Key, str]] = field(default_factory=collections.Counter)
    uni: collections.Counter[str] = field(default_factory=collections.Counter)
    bi: collections.Counter[str] = field(default_factory=collections.Counter)
    spun_words: collections.Counter[str] = field(default_factory=collections.Counter)
    orig_words: collections.Counter[str] = field(default_factory=collections.Counter)
    side: collections.Counter[str] = field(default_factory=collections.Counter)
    # occ and sub again, from the news pairs only and unweighted: the news-specific rate
    news_occ: collections.Counter[tuple[Key, str]] = field(default_factory=collections.Counter)
    news_sub: collections.Counter[tuple[Key, Key, str]] = field(default_factory=collections.Counter)


def case_prior(st: FoldStats, s: Key, o: Key, case: str) -> float:
    """P(original = o | spun phrase s with this case), as the engine computes it (model.case_prior)."""
    return model_case_prior(rule_counts(st, s, o), case)


#: What :func:`rule_counts` returns, in order (the columns of ``rule_stats.tsv.gz``).
RULE_COUNT_COLUMNS = tuple(f"{k}_{c}" for k in ("occ", "sub", "news_occ", "news_sub") for c in CASES)


def rule_counts(st: FoldStats, s: Key, o: Key) -> list[int]:
    """The counts model.case_prior reads: occurrences and artifacts per letter case, then the same
    from the news pairs alone (:data:`RULE_COUNT_COLUMNS`)."""
    return ([st.occ[(s, c)] for c in CASES] + [st.sub[(s, o, c)] for c in CASES]
            + [st.news_occ[(s, c)] for c in CASES] + [st.news_sub[(s, o, c)] for c in CASES])


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m unspin.learn", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    from .build import FOLDS  # (numpy is imported only when a build runs)

    b = sub.add_parser("build", help="learn the table and model from a corpus")
    b.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "corpus")
    b.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[2])
    b.add_argument("--min-count", type=int, default=2)
    b.add_argument("--split", choices=SPLITS, default="all",
                   help="learn from every pair (all, the shipped model), or leave out the pairs "
                        "quality.py holds out: holdout and large-holdout (train) or holdout-q and "
                        "large-holdout-q (train-q)")
    b.add_argument("--out", type=Path, default=None,
                   help="write synonym_map.tsv and model/ here instead of into the checkout "
                        "(use it with UNSPIN_DATA_DIR=OUT)")
    b.add_argument("--folds", type=int, default=FOLDS,
                   help=f"cross-fitting folds for the combiner and document model (default: {FOLDS})")
    p = sub.add_parser("propose", help="rows that one spun/original pair supports")
    p.add_argument("spun", type=Path)
    p.add_argument("original", type=Path)
    a = ap.parse_args(argv)
    if a.cmd == "propose":
        texts = []
        for path in (a.spun, a.original):  # a bad input is one line, not a traceback
            try:
                texts.append(_read(path))
            except OSError as e:
                print(f"unspin learn: error: {path}: {e.strerror or e}", file=sys.stderr)
                return 2
            except UnicodeDecodeError as e:
                print(f"unspin learn: error: {path}: not UTF-8 (byte {e.start})", file=sys.stderr)
                return 2
        return propose(str(a.spun), *texts)
    from .build import build

    build(a.corpus, a.repo, a.min_count, a.split, a.out, n_folds=a.folds)
    return 0


def propose(name: str, spun: str, original: str) -> int:
    """Print candidate rows (spun, original, count, example) for one pair of texts."""
    doc = prepare(name, spun, original)
    counts = resolve_events([doc])
    examples: dict[tuple[Key, Key], str] = {}
    for (i, j), o in doc.events.items():
        s = tuple(t.key for t in doc.toks[i:j])
        lo, hi = doc.toks[max(0, i - 3)].start, doc.toks[min(len(doc.toks) - 1, j + 2)].end
        examples.setdefault((s, o), doc.spun[lo:hi].replace("\n", " "))
    print("spun\toriginal\tcount\texample")
    for (s, o), c in counts.most_common():
        print(f"{' '.join(s)}\t{' '.join(o)}\t{c}\t{examples.get((s, o), '')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
