"""The decision engine: candidates from the table, evidence from the model, one best repair set.

1. Tokenise; every phrase of the table found in the text (plain spaces between its words) is a
   candidate, with every original the table offers for it.
2. Each candidate gets a local confidence from the combiner: its learned prior for this letter
   case, and how much better the original fits between its neighbours than the spun phrase.
3. The document model says how likely the whole text is spun; quoted speech gets its own score
   when ``quotes="auto"``. A candidate's confidence is the product.
4. A dynamic programme picks the non-overlapping set of candidates above ``min_confidence`` that
   removes the most expected errors, and their case is carried over to the replacement.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import guards
from .casing import transfer_case
from .errors import BYTES_ERROR
from .model import CASES, Model, combine, features, load_model, logit, sigmoid
from .learn import doc_counts, phrase_counter, sibling_index
from .options import Options
from .repairs import Analysis, Repair
from .table import Rule, default_table, load_table, phrase_key
from .tokens import Token, neighbours, tokenize

Key = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """A table row prepared for matching."""

    rule: Rule
    spun: Key
    original: Key
    stats: tuple[int, ...] | None  # occurrences by case (l c s u), then substitutions by case
    shift: float  # log-odds correction from training-text base rates to news base rates

    def prior(self, case: str) -> float:
        """P(original | spun phrase in this letter case), from training counts when there are any,
        moved to news base rates."""
        st = self.stats
        if st is None:
            p = self.rule.prior
        else:
            n_all, k_all = sum(st[:4]), sum(st[4:])
            pooled = (k_all + 0.05) / (n_all + 1.0)
            ci = CASES.index(case)
            p = (st[4 + ci] + 3.0 * pooled) / (st[ci] + 3.0)
        if self.shift:
            p = sigmoid(logit(p) + self.shift)
        return p

    @property
    def original_text(self) -> str:
        return " ".join(self.original)

    @property
    def evidence(self) -> int:
        return sum(self.stats[4:]) if self.stats else 0


@dataclass(frozen=True, slots=True)
class Compiled:
    """A table ready for matching: phrase -> entries, plus the longest phrase per first word."""

    entries: dict[Key, tuple[Entry, ...]]
    first_words: dict[str, int]
    siblings: dict[Key, tuple[Key, ...]]


@dataclass(slots=True)
class Candidate:
    """A possible repair of tokens [i, j)."""

    i: int
    j: int
    entry: Entry
    confidence: float


def compile_rules(rules: tuple[Rule, ...], model: Model) -> Compiled:
    """Index rules by spun phrase; attach the model's statistics for each (spun, original) pair."""
    grouped: dict[Key, list[Entry]] = {}
    for r in rules:
        s, o = phrase_key(r.spun), phrase_key(r.original)
        shift = max(-3.0, min(3.0, model.domain_shift(o) - model.domain_shift(s)))
        grouped.setdefault(s, []).append(Entry(r, s, o, model.rule_stats.get((s, o)), shift))
    first: dict[str, int] = {}
    for s in grouped:
        first[s[0]] = max(first.get(s[0], 0), len(s))
    sibs = sibling_index((e.spun, e.original) for v in grouped.values() for e in v)
    return Compiled({k: tuple(v) for k, v in grouped.items()}, first, sibs)


@functools.cache
def _default_compiled() -> Compiled:
    return compile_rules(default_table(), load_model())


def _compiled_for(options: Options) -> Compiled:
    if options.table is None and not options.extra_tables:
        base = _default_compiled()
        rules = None
    else:
        rules = list(load_table(options.table) if options.table is not None else default_table())
        for extra in options.extra_tables:
            extra_rules = load_table(extra)
            ids = {r.id for r in extra_rules}
            rules = [r for r in rules if r.id not in ids] + list(extra_rules)
        base = _compiled_cached(tuple(rules))
    if not options.disable:
        return base
    dis = options.disable
    kept = tuple(
        r for r in (rules if rules is not None else default_table())
        if r.id not in dis and r.family not in dis
    )
    return _compiled_cached(kept)


@functools.lru_cache(maxsize=8)
def _compiled_cached(rules: tuple[Rule, ...]) -> Compiled:
    return compile_rules(rules, load_model())


_QUOTED = re.compile(r"“[^“”\n]*”|\"[^\"\n]*\"")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED.finditer(text)]


def analyze_text(text: str, options: Options) -> Analysis:
    """Analyse ``text`` under ``options`` (see :func:`unspin.analyze`)."""
    if isinstance(text, bytes | bytearray | memoryview):
        raise TypeError(BYTES_ERROR)
    if not isinstance(text, str):
        raise TypeError(f"unspin expects str, got {type(text).__name__}")
    toks = tokenize(text)
    if not toks:
        return Analysis(text, (), 0.0)
    model = load_model()
    compiled = _compiled_for(options)
    keys = [t.key for t in toks]
    spin = model.spin_probability(keys)
    doc_factor = spin if options.use_document_model else 1.0

    quote_of = _quote_membership(text, toks) if options.quotes != "repair" else None
    quote_factor = 1.0
    if quote_of is not None and any(quote_of):
        if options.quotes == "protect":
            quote_factor = 0.0
        else:
            quoted_keys = [k for k, q in zip(keys, quote_of, strict=True) if q]
            quote_factor = model.spin_probability(quoted_keys)
            if options.use_document_model:
                quote_factor = min(1.0, quote_factor / max(spin, 1e-9))
    cands = _candidates(text, toks, compiled, model, doc_factor)
    if quote_of is not None and quote_factor < 1.0:
        for c in cands:
            if any(quote_of[c.i : c.j]):
                c.confidence *= quote_factor
    chosen = _decode(cands, len(toks), options.min_confidence)
    repairs: list[Repair] = []
    for c in chosen:
        start, end = toks[c.i].start, toks[c.j - 1].end
        found = text[start:end]
        replacement = transfer_case(found, c.entry.rule.original)
        if replacement is None or replacement == found:
            continue
        repairs.append(Repair(start, end, found, replacement, c.confidence, c.entry.rule.id))
    out = _apply_sorted(text, repairs)
    return Analysis(out, tuple(repairs), spin)


def _apply_sorted(text: str, repairs: list[Repair]) -> str:
    parts: list[str] = []
    pos = 0
    for r in repairs:
        parts.append(text[pos : r.start])
        parts.append(r.replacement)
        pos = r.end
    parts.append(text[pos:])
    return "".join(parts)


def _quote_membership(text: str, toks: list[Token]) -> list[bool]:
    spans = _quoted_spans(text)
    if not spans:
        return [False] * len(toks)
    out = []
    k = 0
    for t in toks:
        while k < len(spans) and spans[k][1] <= t.start:
            k += 1
        out.append(k < len(spans) and spans[k][0] < t.start < spans[k][1])
    return out


def _span_case(toks: list[Token], i: int, j: int) -> str:
    c = toks[i].case
    if c == "s" and j - i > 1 and toks[i + 1].case == "c":
        return "c"
    return c


def _plain_gaps(text: str, toks: list[Token], i: int, j: int) -> bool:
    for k in range(i, j - 1):
        a, b = toks[k].end, toks[k + 1].start
        if b - a > 2 or text[a:b].strip(" "):
            return False
    return True


def _candidates(
    text: str, toks: list[Token], compiled: Compiled, model: Model, doc_factor: float
) -> list[Candidate]:
    entries, first, sibs = compiled.entries, compiled.first_words, compiled.siblings
    n = len(toks)
    found: list[tuple[int, int, Key]] = []
    for i, tok in enumerate(toks):
        longest = first.get(tok.key)
        if longest is None:
            continue
        for j in range(i + 1, min(n, i + longest) + 1):
            key = tuple(t.key for t in toks[i:j])
            if key in entries and (j - i == 1 or _plain_gaps(text, toks, i, j)):
                found.append((i, j, key))
    if not found:
        return []
    counter = phrase_counter([t.key for t in toks], found)
    ctx, weights = model.context, model.combiner
    out: list[Candidate] = []
    for i, j, key in found:
        case = _span_case(toks, i, j)
        if case == "m":
            continue
        left, right = neighbours(text, toks, i, j)
        spun_text = " ".join(key)
        for e in entries[key]:
            if not guards.allows(e.rule, toks, i, j, case):
                continue
            seen = model.seen(spun_text, e.original_text, left, right)
            feats = features(ctx, e.prior(case), e.evidence, e.spun, e.original, left, right,
                             seen, doc_counts(counter, sibs[e.original], key))
            out.append(Candidate(i, j, e, combine(weights, feats) * doc_factor))
    return out


def _decode(cands: list[Candidate], n: int, min_conf: float) -> list[Candidate]:
    """Best non-overlapping subset: maximise the expected number of errors removed."""
    by_start: dict[int, list[Candidate]] = {}
    for c in cands:
        if c.confidence >= min_conf and c.confidence > 0.0:
            by_start.setdefault(c.i, []).append(c)
    if not by_start:
        return []
    best = [0.0] * (n + 1)
    choice: list[Candidate | None] = [None] * (n + 1)
    for i in range(n - 1, -1, -1):
        best[i] = best[i + 1]
        choice[i] = None
        for c in by_start.get(i, ()):
            gain = (c.confidence - 0.5 * min_conf) * (c.j - c.i) ** 0.5 + best[c.j]
            if gain > best[i]:
                best[i] = gain
                choice[i] = c
    out = []
    i = 0
    while i < n:
        c = choice[i]
        if c is None:
            i += 1
        else:
            out.append(c)
            i = c.j
    return out
