"""The decision engine: candidates from the table, evidence from the model, one best repair set.

1. Tokenise; every phrase of the table found in the text (plain spaces between its words) is a
   candidate, with every original the table offers for it. Hard-wrapped text is read with its
   soft line breaks as spaces (:mod:`unspin.wrapping`).
2. Each candidate gets a local confidence from the combiner: its learned prior for this letter
   case, and how much better the original fits between its neighbours than the spun phrase. A
   candidate next to a likely repair is judged again beside that repair's original.
3. The document model says how likely the whole text is spun; quoted speech gets its own score
   when ``quotes="auto"``. A candidate's confidence is the product.
4. A dynamic programme picks the non-overlapping set of candidates above ``min_confidence`` that
   removes the most expected errors (a candidate beside one of them needs :data:`ADJOINING` of
   it), and their case is carried over to the replacement.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import functools
import math
import re
import threading
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, pairwise, repeat
from typing import TYPE_CHECKING, Any, NamedTuple

from .builtin import Fix, Spans, entity_fixes, grammar_fixes, number_fixes
from .casing import in_capitals, transfer_case
from .errors import BYTES_ERROR
from .model import (
    CASES,
    KAPPA,
    DocumentModel,
    Model,
    apostrophe_evidence,
    cached,
    case_prior,
    channel_pairs,
    fingerprint,
    is_typographic,
    load_document_model,
    load_model,
    logit,
    model_digest,
    phrase_counter,
    sibling_index,
    side_prefix,
    sigmoid,
    unigram_gain,
)
from .options import Options
from .repairs import Analysis, Repair, splice
from .tokens import (
    _SENTENCE_BREAK,
    SENT_END,
    SENT_START,
    Token,
    Tokens,
    gap_mark,
    word_keys,
    word_keys_of,
)
from .wrapping import unwrap

if TYPE_CHECKING:
    from .table import Rule

# The table and guard modules are imported where they are used: a text that looks honest is passed
# through without the table (start-up time of ``echo 'one line' | unspin``).

Key = tuple[str, ...]


#: Rows whose prior is below this in every letter case almost never fire; leaving them out of
#: matching keeps the engine fast and changes nothing measurable (see benchmarks/quality.py).
PRUNE_PRIOR = 0.03

#: A candidate next to a repair at least this likely (more likely than not) is scored again with
#: that repair's original as its neighbour: the spinner's word beside it is not the context the
#: original was written in ("officers mentioned": "mentioned" is judged after "officials").
NEIGHBOUR_SURE = 0.5

#: A candidate that adjoins a repair (the next word, nothing but a space between) is applied from
#: this share of the threshold. Two spun words side by side are one edit to a reader and to the
#: scorer: a repair of one of them alone leaves the pair half spun. For the neighbour, a wrong
#: original of a spun word costs no word error (one wrong word for another), so it pays once it
#: is right more often than it meets a word the spinner left alone: at confidence 0.4-0.5 a
#: repair brings the text closer about half the time (README, calibration). Measured on the
#: held-out splits with 0.2, 0.4, 0.6 and 0.8 of the default 0.5 and without: 0.6 and 0.8 were
#: best on both measures, 0.8 kept as the more cautious (benchmarks/HISTORY.md, session 16).
ADJOINING = 0.8


@dataclass(frozen=True, slots=True)
class Entry:
    """A table row prepared for matching, with the parts of its score that do not depend on
    where it occurs precomputed for each letter case (l, c, s, u)."""

    index: int
    rule: Rule
    spun: Key
    original: Key
    spun_text: str
    original_text: str
    priors: tuple[float, float, float, float]
    base: tuple[float, float, float, float]  # constant part of the combiner's log-odds

    def __reduce__(self) -> tuple:
        # a constructor call: unpickles several times faster than the dataclass default
        return (Entry, (self.index, self.rule, self.spun, self.original, self.spun_text,
                        self.original_text, self.priors, self.base))


def entry_prior(rule: Rule, stats: tuple[int, ...] | None, shift: float, case: str) -> float:
    """P(original | spun phrase in this letter case): training counts when there are any, else
    the table's prior; then moved from training-text to news base rates by ``shift``."""
    p = rule.prior if stats is None else case_prior(stats, case)
    if shift:
        p = sigmoid(logit(p) + shift)
    return p


@dataclass(frozen=True, slots=True)
class Compiled:
    """A table ready for matching: phrase -> entries, plus the longest phrase per first word."""

    entries: Mapping[Key, tuple[Entry, ...]]
    first_words: dict[str, int]
    siblings: Mapping[Key, tuple[Key, ...]]
    # neighbour -> {term id (entry index * 4 + letter case index): the entry's left (right)
    # context term next to that neighbour, in that letter case}
    left_cache: dict[str, dict[int, float]]
    right_cache: dict[str, dict[int, float]]
    pairs: Collection[tuple[str, str]]  # every (spun, original) of the table, pruned or not
    # For matching fast, a trie of the phrases: first word -> (the one-word phrase if it is one,
    # else None; the next words of longer phrases, or None), each next word -> (the phrase ending
    # there or None; the words after it or None); and per phrase and letter case (l, c, s, u),
    # each entry not pruned in that case with what scoring needs of it: (entry index, term id,
    # guarded, prior, logit of the prior, base log-odds, left and right term constants; see
    # _term_constants and _scored).
    starts: dict[str, tuple[Key | None, dict | None]]
    scoring: dict[Key, tuple[tuple[tuple, ...], ...]]
    # right neighbour -> exp of ContextModel.logp of it
    right_p: dict[str, float]
    # what scoring needs of the model the table was compiled against (the engine does not load
    # the whole model when the compiled table comes from the cache)
    model: ScoringModel
    # entry index -> (entry, its original's siblings, its spun form's own siblings: see _own_group)
    by_index: list[tuple[Entry, tuple[str, ...], tuple[str, ...]]]


class ScoringModel(NamedTuple):
    """The parts of a :class:`Model` that scoring reads besides the compiled table."""

    unigrams: dict[str, int]  # ContextModel.unigrams
    log_total: float  # ContextModel.log_total
    combiner: list[float]
    general_floor: float  # GeneralLM.floor


@dataclass(slots=True)
class Candidate:
    """A possible repair of tokens [i, j)."""

    i: int
    j: int
    entry: Entry
    confidence: float


def compile_rules(
    rules: tuple[Rule, ...], model: Model, own: frozenset[str] = frozenset()
) -> Compiled:
    """Index rules by spun phrase, with their priors and constant score terms. ``own``: ids of
    rows of your own (see :func:`_own_rows`), judged by the prior they give, not by the training
    counts of the same pair."""
    from .guards import implicitly_guarded
    from .table import phrase_key

    w = model.combiner
    ctx = model.context
    grouped: dict[Key, list[Entry]] = {}
    counted: set[str] = set()  # ids of the rows judged by training counts
    for r in rules:
        s, o = phrase_key(r.spun), phrase_key(r.original)
        stats = None if r.id in own else model.rule_stats.get((s, o))
        if stats is not None:
            counted.add(r.id)
        shift = max(-3.0, min(3.0, model.domain_shift(o) - model.domain_shift(s)))
        priors = tuple(entry_prior(r, stats, shift, c) for c in CASES)
        if max(priors) < PRUNE_PRIOR and stats is not None:
            continue
        evidence = sum(stats[4:8]) if stats else 0
        const = (w[0] + w[4] * math.log1p(evidence) + w[5] * (1.0 if len(s) > 1 else 0.0)
                 + w[6] * unigram_gain(ctx, s, o))
        base = tuple(const + w[1] * logit(p) for p in priors)
        e = Entry(len(grouped), r, s, o, " ".join(s), " ".join(o), priors, base)  # type: ignore[arg-type]
        grouped.setdefault(s, []).append(e)
    entries = {k: tuple(v) for k, v in grouped.items()}
    # number every entry uniquely (the cache keys use it)
    n = 0
    for k, v in entries.items():
        fixed = []
        for e in v:
            fixed.append(Entry(n, e.rule, e.spun, e.original, e.spun_text, e.original_text, e.priors, e.base))
            n += 1
        entries[k] = tuple(fixed)
    first: dict[str, int] = {}
    for s in entries:
        first[s[0]] = max(first.get(s[0], 0), len(s))
    sibs = sibling_index((e.spun, e.original) for v in entries.values() for e in v)
    pairs = frozenset((r.spun.lower(), r.original.lower()) for r in rules)
    starts = _trie(entries)
    # in the order the entries were numbered
    by_index = [(e, sibs[e.original], _own_group(e, sibs)) for v in entries.values() for e in v]
    index = _by_neighbour(model)
    scoring = {}
    for k, v in entries.items():
        per_entry = [(e, *_term_constants(e, model, index, e.rule.id in counted)) for e in v]
        scoring[k] = tuple(
            tuple((e.index, e.index * len(CASES) + ci,
                   bool(e.rule.guard or e.rule.protect or implicitly_guarded(e.rule)),
                   e.priors[ci], logits[ci], e.base[ci], lconsts[ci], rconsts[ci])
                  for e, logits, lconsts, rconsts in per_entry if e.priors[ci] >= PRUNE_PRIOR)
            for ci in range(len(CASES))
        )
    scoring_model = ScoringModel(model.context.unigrams, model.context.log_total, model.combiner,
                                 model.general.floor)
    return Compiled(entries, first, sibs, {}, {}, pairs, starts, scoring, {}, scoring_model,
                    by_index)


def _own_group(e: Entry, sibs: Mapping[Key, tuple[str, ...]]) -> tuple[str, ...]:
    """The other phrases the table derives from ``e``'s spun form as an original ("firm",
    "corporation" for a spun "company"), without the spun form and ``e``'s original: in a document
    that holds them the spun form is a word of the original text, which the spinner keeps in some
    places (it picks a random member of a group, the head included)."""
    return tuple(x for x in sibs.get(e.spun, ()) if x != e.spun_text and x != e.original_text)


def _trie(phrases) -> dict[str, tuple[Key | None, dict | None]]:  # type: ignore[no-untyped-def]
    """Word -> (the phrase ending at this word or None, the words that may follow or None)."""
    root: dict[str, list] = {}
    for key in phrases:
        level = root
        for m, word in enumerate(key, 1):
            node = level.setdefault(word, [None, None])
            if m == len(key):
                node[0] = key
            else:
                if node[1] is None:
                    node[1] = {}
                level = node[1]

    def freeze(level: dict[str, list]) -> dict[str, tuple[Key | None, dict | None]]:
        return {w: (k, None if nxt is None else freeze(nxt)) for w, (k, nxt) in level.items()}

    return freeze(root)


def _row_identity(r: Rule) -> tuple:
    return (r.id, r.spun, r.original, r.guard, r.protect, r.prior)


@functools.cache
def _bundled_rows() -> frozenset[tuple]:
    """The rows of the bundled table, as :func:`_row_identity` sees them."""
    from .table import default_table

    return frozenset(map(_row_identity, default_table()))


def _own_rows(rules: tuple[Rule, ...]) -> frozenset[str]:
    """Ids of the rows of a table in use that are not a bundled row as it is (new, or with
    another prior): rows of your own, for :func:`compile_rules`. The bundled table is the one
    the model was learned with; a table being built (``build.drop_dead_rows``) is compiled with
    its own model and no rows of your own."""
    bundled = _bundled_rows()
    return frozenset(r.id for r in rules if _row_identity(r) not in bundled)


def _term_constants(
    e: Entry, model: Model, index: dict[str, dict[str, dict[str, int]]], counted: bool
) -> tuple[tuple, tuple, tuple]:
    """What the left and right context terms of ``e`` need that does not depend on the neighbour:
    the engine evaluates ``model.left_gain``, ``side_gain`` and ``GeneralLM.left_gain`` (and their
    right-hand twins) inline from these, with the same floating-point operations in the same
    order (``tests/test_engine_terms.py`` checks that the results are identical).

    Counts keyed by the neighbour and something of ``e`` ("left stated" in the context bigrams)
    come as dicts keyed by the neighbour alone (see :func:`_by_neighbour`): the engine looks up
    the neighbour's string, whose hash Python keeps, in a small dict, instead of building and
    hashing a new key in a big one."""
    ctx, general = model.context, model.general
    s0, o0, s1, o1 = e.spun[0], e.original[0], e.spun[-1], e.original[-1]
    lp_s, lp_o = ctx.logp(s0), ctx.logp(o0)
    gen = None  # general.left_gain / right_gain are 0.0 whatever the neighbour
    if len(e.original) == 1 and len(e.spun) == 1 and o0 != s0:
        u_o, u_s = general.unigrams.get(o0, 0), general.unigrams.get(s0, 0)
        if u_o and u_s:
            gen = math.log(u_o / u_s)
    logits = tuple(logit(p) for p in e.priors)

    def counts(kind: str, key: str) -> dict[str, int]:
        return index[kind].get(key, _NO_COUNTS)

    def sides(prefix: str) -> tuple[tuple, tuple]:
        # seen context only for rows judged by training counts (``counted``, see compile_rules
        # and Model.seen_side): a row without them never had its artifacts counted
        spun = prefix + e.spun_text + "\t"
        both = e.original_text + "\t" + spun
        left = (counts("before", s0), counts("before", o0),
                math.exp(lp_s), math.exp(lp_o),
                counts("side", spun + "<") if counted else _NO_COUNTS,
                counts("side", both + "<") if counted else _NO_COUNTS, gen,
                counts("general_before", o0), counts("general_before", s0))
        right = (counts("after", s1), counts("after", o1),
                 ctx.unigrams.get(s1, 0), ctx.unigrams.get(o1, 0),
                 counts("side", spun + ">") if counted else _NO_COUNTS,
                 counts("side", both + ">") if counted else _NO_COUNTS, gen,
                 counts("general_after", o1), counts("general_after", s1))
        return left, right

    # per letter case (CASES), made once per kind of case (lower case and sentence-initial
    # share their side statistics: model.case_kind)
    by_prefix = {prefix: sides(prefix) for prefix in {side_prefix(c) for c in CASES}}
    per_case = [by_prefix[side_prefix(c)] for c in CASES]
    return logits, tuple(lr[0] for lr in per_case), tuple(lr[1] for lr in per_case)


_NO_COUNTS: dict[str, int] = {}


@functools.cache
def _by_neighbour(model: Model) -> dict[str, dict[str, dict[str, int]]]:
    """The model's pair counts by what the engine knows before the neighbour, per kind of lookup:
    "before" (context bigrams) and "general_before": word -> {left neighbour: count of "left
    word"}; "after", "general_after": word -> {right neighbour: count of "word right"}; "side":
    "spun\\t<" (or "original\\tspun\\t<", and ">") -> {neighbour: count}. A neighbour (a word
    or a mark) holds no space and no tab: the pairs it is looked up in have one space, and it
    follows their last tab; keys with more spaces are never looked up."""
    canon: dict[str, str] = {}  # one string object per word: pickled once
    word = canon.setdefault

    Counts = dict[str, dict[str, int]]

    def split_pairs(counts: dict[str, int]) -> tuple[Counts, Counts]:
        before: dict[str, dict[str, int]] = {}
        after: dict[str, dict[str, int]] = {}
        for k, v in counts.items():
            a, sep, b = k.partition(" ")
            if not sep or " " in b:
                continue
            a, b = word(a, a), word(b, b)
            d = before.get(b)
            if d is None:
                d = before[b] = {}
            d[a] = v
            d = after.get(a)
            if d is None:
                d = after[a] = {}
            d[b] = v
        return before, after

    side: dict[str, dict[str, int]] = {}
    for k, v in model.side.items():
        pos = k.rfind("\t")
        if pos >= 0 and k[pos + 1 : pos + 2] in ("<", ">"):
            w = k[pos + 2 :]
            side.setdefault(k[: pos + 2], {})[word(w, w)] = v
    before, after = split_pairs(model.context.bigrams)
    general_before, general_after = split_pairs(model.general.bigrams)
    return {"before": before, "after": after, "general_before": general_before,
            "general_after": general_after, "side": side}


@functools.cache
def _default_compiled() -> Compiled:
    """The bundled table compiled against the bundled model, cached on disk between runs (packed:
    see :func:`pack_compiled`)."""
    from .table import bundled_table_path, default_table

    digest = fingerprint([bundled_table_path()])
    return cached(f"table-{digest}-{model_digest()}",
                  lambda: pack_compiled(compile_rules(default_table(), load_model())),
                  load=lambda packed: unpack_compiled(packed, check=True))


# Positions of the neighbour-count dicts in an entry's left and right term constants (see
# _term_constants): the packed table stores each dict once, by number, at these positions.
_COUNT_SLOTS = (0, 1, 4, 5, 7, 8)


def pack_compiled(compiled: Compiled) -> tuple:
    """``compiled`` as the disk cache stores it, for a fast start: the phrase trie and what every
    text needs as plain objects; each phrase's entries (a pickle) and each neighbour-count dict
    (its words' numbers and its counts) as a slice of one long byte string, unpacked the first
    time a text holds the phrase (:func:`unpack_compiled`). Unpickling the whole table took a
    quarter of a second or more (thousands of entries, hundreds of thousands of counts); a
    one-line text needs a few dozen phrases of it."""
    import pickle

    def dump(x: object) -> bytes:
        return pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)

    words: dict[str, int] = {}  # every word of the count dicts, stored once (see _CountStore)
    count_ids: dict[int, int] = {}  # id() of a count dict -> its number
    count_parts: list[bytes] = []

    def number(counts: dict[str, int]) -> int:
        n = count_ids.get(id(counts))
        if n is None:
            n = count_ids[id(counts)] = len(count_parts)
            ids = array("I", [words.setdefault(w, len(words)) for w in counts])
            count_parts.append(ids.tobytes() + array("Q", counts.values()).tobytes())
        return n

    def numbered(const: tuple) -> tuple:
        return tuple(number(x) if k in _COUNT_SLOTS else x for k, x in enumerate(const))

    phrase_index: dict[Key, int] = {}
    phrase_parts: list[bytes] = []
    for key, entries in compiled.entries.items():
        per_case = tuple(
            tuple((*t[:6], numbered(t[6]), numbered(t[7])) for t in firing)
            for firing in compiled.scoring[key]
        )
        sibs = tuple(compiled.by_index[e.index][1:] for e in entries)
        phrase_index[key] = len(phrase_parts)
        phrase_parts.append(dump((entries, sibs, per_case)))

    unigrams = compiled.model.unigrams
    return (compiled.first_words, dump(compiled.siblings), dump(compiled.pairs), compiled.starts,
            compiled.model._replace(unigrams=(_join_words(unigrams), array("Q", unigrams.values()))),
            len(compiled.by_index), phrase_index, _Slices.pack(phrase_parts),
            _Slices.pack(count_parts), _join_words(words))


def _join_words(words: Iterable[str]) -> bytes:
    """Words as one UTF-8 string, a line each: :func:`_split_words` gives them back with one
    ``split`` in C, several times faster than unpickling a list of tens of thousands of strings."""
    words = list(words)
    if any("\n" in w for w in words):
        raise ValueError("a word of the table's counts holds a line break")
    return "\n".join(words).encode("utf-8")


def _split_words(blob: bytes) -> list[str]:
    return blob.decode("utf-8").split("\n") if blob else []


def unpack_compiled(packed: tuple, check: bool = False) -> Compiled:
    """The :class:`Compiled` table of a :func:`pack_compiled` tuple; its phrases are unpacked on
    first use. With ``check``, one phrase is unpacked at once, so a cache written by other code
    fails here (and is rebuilt, see ``model.cached``) rather than in the middle of a text."""
    (first_words, siblings, pairs, starts, model, n_entries, phrase_index, phrases, counts,
     words) = packed
    keys, values = model.unigrams
    model = model._replace(unigrams=dict(zip(_split_words(keys), values, strict=True)))
    by_index: list = [None] * n_entries
    scoring = _PhraseStore(phrase_index, _Slices(*phrases), _CountStore(_Slices(*counts), words),
                           by_index)
    if check and phrase_index:
        scoring[next(iter(phrase_index))]  # unpacks the phrase and its counts
    return Compiled(_AllEntries(scoring), first_words, _UnpickledMapping(siblings), {}, {},
                    _Unpickled(pairs), starts, scoring, {}, model, by_index)


class _Slices:
    """Numbered byte strings stored as one (``data``) and the offsets between them: one object
    to unpickle instead of tens of thousands."""

    def __init__(self, data: Any, offsets: bytes) -> None:
        self.data = memoryview(data)  # bytes, or the cache file mapped into memory
        self.offsets = array("Q")
        self.offsets.frombytes(offsets)

    @staticmethod
    def pack(parts: list[bytes]) -> tuple[Any, bytes]:
        """(the parts joined, their offsets); the joined bytes go to the disk cache after the
        pickle (``pickle.PickleBuffer``, see ``model.cached``), so a process maps them in
        instead of reading them."""
        import pickle

        ends = array("Q", [0])
        for part in parts:
            ends.append(ends[-1] + len(part))
        return pickle.PickleBuffer(b"".join(parts)), ends.tobytes()

    def __getitem__(self, n: int) -> memoryview:
        return self.data[self.offsets[n] : self.offsets[n + 1]]


class _Unpickled(Collection):
    """A pickled container unpickled the first time it is used: parts of the table only some
    texts need (the table's pairs, for damaged names) or only tools do (siblings)."""

    def __init__(self, blob: bytes) -> None:
        self._blob: bytes | None = blob
        self._value: Any = None

    def _load(self) -> Any:
        if self._blob is not None:
            import pickle

            self._value, self._blob = pickle.loads(self._blob), None
        return self._value

    def __contains__(self, x: object) -> bool:
        return x in self._load()

    def __iter__(self) -> Iterator:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __eq__(self, other: object) -> bool:
        return self._load() == (other._load() if isinstance(other, _Unpickled) else other)

    __hash__ = None  # type: ignore[assignment]


class _UnpickledMapping(_Unpickled, Mapping):
    """:class:`_Unpickled` for a dict."""

    def __getitem__(self, key: object) -> Any:
        return self._load()[key]


class _CountStore(dict):
    """Number -> neighbour-count dict, built on first use from its slice (its words' numbers,
    then its counts); the words of all of them are one list, unpickled with the first, so each
    word is one string object (as in memory)."""

    def __init__(self, slices: _Slices, word_blob: bytes) -> None:
        super().__init__()
        self.slices = slices
        self.word_blob = word_blob
        self.words: list[str] | None = None

    def __missing__(self, n: int) -> dict[str, int]:
        if self.words is None:
            self.words = _split_words(self.word_blob)
        blob = self.slices[n]
        size = len(blob) // 12  # 4 bytes a word number, 8 a count
        ids, values = array("I"), array("Q")
        ids.frombytes(blob[: 4 * size])
        values.frombytes(blob[4 * size :])
        counts = self[n] = dict(zip(map(self.words.__getitem__, ids), values, strict=True))
        return counts


class _PhraseStore(dict):
    """Phrase -> its scoring tuples per letter case (``Compiled.scoring``), unpacked the first time
    it is looked up, which also records its entries (``Compiled.by_index``, ``entries``)."""

    def __init__(self, index: dict[Key, int], slices: _Slices, counts: _CountStore,
                 by_index: list) -> None:
        super().__init__()
        self.index = index  # phrase -> its number in ``slices``
        self.slices = slices
        self.counts = counts
        self.by_index = by_index
        self.entries: dict[Key, tuple[Entry, ...]] = {}

    def __missing__(self, key: Key) -> tuple[tuple[tuple, ...], ...]:
        import pickle

        entries, sibs, per_case = pickle.loads(self.slices[self.index[key]])  # KeyError: no phrase
        counts = self.counts

        def resolved(c: tuple) -> tuple:  # the dicts at _COUNT_SLOTS (0, 1, 4, 5, 7, 8)
            return (counts[c[0]], counts[c[1]], c[2], c[3], counts[c[4]], counts[c[5]], c[6],
                    counts[c[7]], counts[c[8]])

        value = tuple(
            tuple((t[0], t[1], t[2], t[3], t[4], t[5], resolved(t[6]), resolved(t[7]))
                  for t in firing)
            for firing in per_case
        )
        self.entries[key] = entries
        for e, (sib, own) in zip(entries, sibs, strict=True):
            self.by_index[e.index] = (e, sib, own)
        # published last: another thread that finds the phrase finds its entries too (two
        # threads may both unpack it; they store the same values)
        self[key] = value
        return value


class _AllEntries(Mapping):
    """``Compiled.entries`` of an unpacked table: phrase -> its entries, unpacking as needed
    (iterating unpacks every phrase: for tools and tests, not for repairing text)."""

    def __init__(self, store: _PhraseStore) -> None:
        self.store = store

    def __getitem__(self, key: Key) -> tuple[Entry, ...]:
        self.store[key]  # unpacks the phrase
        return self.store.entries[key]

    def __iter__(self) -> Iterator[Key]:
        return iter(self.store.index)

    def __len__(self) -> int:
        return len(self.store.index)

    def __contains__(self, key: object) -> bool:
        return key in self.store.index


#: Compiled tables of your own (and any with ``disable``), by the content keys of their files
#: (see :func:`unspin.table.read_table`) and the disabled names: built once per process, however
#: many calls, passes and threads use them; the least recently used goes past
#: ``_COMPILED_LIMIT`` configurations.
_COMPILED_FOR: dict[tuple[Any, ...], Compiled] = {}
_COMPILED_LIMIT = 16
_COMPILING = threading.Lock()


def _compiled_for(options: Options) -> Compiled:
    from .table import default_table, read_table

    if options.table is None and not options.extra_tables:
        if not options.disable:
            return _default_compiled()
        key: tuple[Any, ...] = (None, (), options.disable)
        found = [("", default_table())]
    else:
        found = [read_table(options.table) if options.table is not None else ("", default_table())]
        found += [read_table(extra) for extra in options.extra_tables]
        key = (found[0][0], tuple(k for k, _ in found[1:]), options.disable)
    with _COMPILING:  # one thread compiles; the others wait for its result
        compiled = _COMPILED_FOR.pop(key, None)
        if compiled is None:
            compiled = _compile_own(found, options.disable)
            while len(_COMPILED_FOR) >= _COMPILED_LIMIT:
                del _COMPILED_FOR[next(iter(_COMPILED_FOR))]  # the least recently used
        _COMPILED_FOR[key] = compiled  # (again) last: the most recently used
    return compiled


def _compile_own(found: list[tuple[Any, tuple[Rule, ...]]], disable: frozenset[str]) -> Compiled:
    """Compile the rules of the first table of ``found``, with the rows of the others added
    (replacing rows of the same id) and the rule ids and families in ``disable`` left out."""
    rules = list(found[0][1])
    for _, extra_rules in found[1:]:
        ids = {r.id for r in extra_rules}
        rules = [r for r in rules if r.id not in ids] + list(extra_rules)
    if disable:
        rules = [r for r in rules if r.id not in disable and r.family not in disable]
    rules_t = tuple(rules)
    return compile_rules(rules_t, load_model(), _own_rows(rules_t))


_QUOTED = re.compile(r"“[^“”\n]*”|\"[^\"\n]*\"")
# A line break that is no paragraph break, where the next line does not start with a quotation
# mark of the same kind (the next paragraph of a quotation, or another one): in hard-wrapped text
# a quotation goes on over it (soft breaks before lower case are spaces already, see
# :mod:`unspin.wrapping`). Only the line break itself: the blanks around it are the quotation's
# own characters, so no text can be matched two ways (no exponential backtracking).
_DOUBLE_MARKS = "\"“”„«»‹›`"
_SINGLE_MARKS = "'‘’‚`"
_GOES_ON_DOUBLE = rf"(?:\r\n|\r|\n)(?![ \t]*[\r\n{_DOUBLE_MARKS}])"
_GOES_ON_SINGLE = rf"(?:\r\n|\r|\n)(?![ \t]*[\r\n{_SINGLE_MARKS}])"
_LINE_END = r"(?=[\r\n]|\Z)"
# Words that start with an apostrophe ("'til", "'em", "rock 'n' roll"): no quotation opens there.
_ELISION = (r"(?!(?i:til|till|em|cause|cos|cuz|tis|twas|twere|bout|round|n|s|burbs|nam|bama|"
            r"nuff|fraid|kay|sup)\b)")
# A plural possessive inside single quotes ("the players’ union") closes no quotation.
_POSSESSIVE = r"(?<=[sS])[’'](?=[ \t][^\W\d_])"


def _speech_pattern(double: str, single: str) -> re.Pattern[str]:
    """:data:`_SPEECH` with quotations going on over the line breaks ``double`` and ``single``
    match (an empty pattern where they stop at the line end)."""
    d = f"|{double}" if double else ""
    s = f"|{single}" if single else ""
    return re.compile("|".join([
        rf"“(?:[^“”\r\n]{d})*(?:”|{_LINE_END})",
        rf"\"(?:[^\"\r\n]{d})*(?:\"|{_LINE_END})",
        rf"«(?:[^«»\r\n]{d})*(?:»|{_LINE_END})",
        rf"»(?:[^«»\r\n]{d})*(?:[«»]|{_LINE_END})",
        rf"‹(?:[^‹›\r\n]{d})*(?:›|{_LINE_END})",
        rf"›(?:[^‹›\r\n]{d})*(?:[‹›]|{_LINE_END})",
        rf"„(?:[^„“”\r\n]{d})*(?:[“”]|{_LINE_END})",
        r"”[^“”\r\n]*”",
        rf"「[^「」\r\n]*(?:」|{_LINE_END})",
        rf"『[^『』\r\n]*(?:』|{_LINE_END})",
        rf"(?<![\w’])‘(?:[^‘’\r\n]|’(?=\w)|{_POSSESSIVE}{s})*(?:’|{_LINE_END})",
        rf"‚(?:[^‚‘\r\n]{s})*(?:‘|{_LINE_END})",
        rf"(?:``|(?<![\w'’])'')(?:[^'\r\n]|'(?!'){s})*(?:''|{_LINE_END})",
        (rf"(?<![\w'’])'(?=[^\W\d_]){_ELISION}(?:[^'\r\n]|'(?=\w)|{_POSSESSIVE}{s})*"
         rf"(?:'(?!\w)|{_LINE_END})"),
    ]))


#: Quoted speech in every common style, for ``quotes="protect"`` and for contractions: double
#: quotes, also a quote left open to the end of its paragraph (a quote that goes on in the next
#: one); guillemets, double and single, either way round (« », » «, » », ‹ ›, › ‹); German quotes
#: (double and single); Swedish ” ” (within a line); CJK corner brackets; curly single quotes and
#: straight single quotes (British style; an apostrophe inside, as in "can’t", or after a plural,
#: as in "the players’ union", does not close one, nor can one open after a letter, as in
#: "players'", or before a digit or an elision, as in "the '90s" and "'til"); doubled straight
#: quotes ('' '' and TeX's `` ''; not after a digit, as in 12''). In hard-wrapped text (see
#: :func:`_speech_spans`) a quotation goes on over a line break (see _GOES_ON_DOUBLE).
_SPEECH = _speech_pattern("", "")
_SPEECH_WRAPPED = _speech_pattern(_GOES_ON_DOUBLE, _GOES_ON_SINGLE)
#: Lines longer than this are paragraphs, not the lines of hard-wrapped text.
_WRAP_WIDTH = 100


#: The least confidence a repair is made at, whatever ``min_confidence`` asks: a model's "one in a
#: thousand" is a verdict against the repair, and at ``min_confidence`` 0 such repairs, made on the
#: repaired text, would chain onto sure ones and have them left as found (see :func:`_passes`).
CONFIDENCE_FLOOR = 0.001


def threshold(options: Options) -> float:
    """The confidence a repair needs under ``options``: ``min_confidence``, at least
    :data:`CONFIDENCE_FLOOR`."""
    return max(options.min_confidence, CONFIDENCE_FLOOR)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Quoted speech as the document model was trained to set it apart: double quotes closed
    within a line."""
    return [m.span() for m in _QUOTED.finditer(text)]


_CONTRACTED_WORD = re.compile(r"[^\W_]+['’](?:ve|ll|d|re|m)|[^\W_]+n['’]t", re.IGNORECASE)


@functools.cache
def _expands(spun: str, original: str, family: str) -> bool:
    return family == "contraction" or (
        _CONTRACTED_WORD.fullmatch(spun) is not None and len(original.split()) == 2)


def expands_contraction(rule: Rule) -> bool:
    """Does ``rule`` expand a contraction ("isn't" -> "is not", also a learned row of the name
    family such as "i'll" -> "i will")? Never done inside quoted speech."""
    return _expands(rule.spun, rule.original, rule.family)


def _short_lines(text: str) -> bool:
    """Is ``text`` hard-wrapped: several lines, three in four of them at most 100 characters?"""
    if "\n" not in text and "\r" not in text:
        return False
    lines = [len(x) for x in text.splitlines() if x.strip()]
    return len(lines) > 1 and sum(n > _WRAP_WIDTH for n in lines) * 4 <= len(lines)


#: Whether the text being analysed is hard-wrapped, set while its view (soft breaks as spaces,
#: so longer lines) is analysed; None when the text is analysed as it is.
_WRAPPED: contextvars.ContextVar[bool | None] = contextvars.ContextVar("unspin_wrapped",
                                                                       default=None)


@contextlib.contextmanager
def _wrapped_as(text: str) -> Iterator[None]:
    """While the view of ``text`` is analysed: whether ``text`` itself is hard-wrapped (the
    view's lines, with soft breaks joined, are no longer the text's)."""
    token = _WRAPPED.set(_short_lines(text))
    try:
        yield
    finally:
        _WRAPPED.reset(token)


def _require_str(text: object) -> None:
    """A clear ``TypeError`` for input that is not ``str`` (``bytes`` above all)."""
    if isinstance(text, bytes | bytearray | memoryview):
        raise TypeError(BYTES_ERROR)
    if not isinstance(text, str):
        raise TypeError(f"unspin expects str, got {type(text).__name__}")


def _speech_spans(text: str) -> list[tuple[int, int]]:
    """Quoted speech in every common style (see :data:`_SPEECH`), for ``quotes="protect"`` and
    contractions. In hard-wrapped text (see :func:`_short_lines`) a quotation goes on over a line
    break that is no paragraph break; in text with a paragraph a line, a quotation left open
    stops at the line end, as the next paragraph may be narrative."""
    wrapped = _WRAPPED.get()
    if wrapped is None:
        wrapped = _short_lines(text)
    return _spans_from_marks(_SPEECH_WRAPPED if wrapped else _SPEECH, text)


#: Every quotation of :data:`_SPEECH` starts with one of these characters.
_OPENING_MARK = re.compile("[“\"«»‹›„”「『‘‚`']")


def _spans_from_marks(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """``[m.span() for m in pattern.finditer(text)]`` for a pattern whose matches all start
    with an :data:`_OPENING_MARK`, tried only there (the pattern's fourteen branches tried at
    every character took about 20 times as long; tests/test_fast_paths.py compares the two)."""
    spans = []
    pos = 0
    search, match = _OPENING_MARK.search, pattern.match
    while (mark := search(text, pos)) is not None:
        m = match(text, mark.start())  # (a lookbehind still sees the text before it)
        if m is None:
            pos = mark.start() + 1
        else:
            spans.append(m.span())
            pos = m.end()
    return spans


def _document_spin(
    text: str, toks: Tokens, keys: list[str], dm: DocumentModel, quoted: list[tuple[int, int]]
) -> tuple[float, bytearray | None]:
    """P(spun) of the narrative words (outside ``quoted``), and the tokens' quote mask when it was
    built on the way (``None`` otherwise)."""
    if not quoted:
        return dm.spin_probability(keys), None
    if keys is toks.keys:
        # narrative_keys(text, quoted) is the keys of the tokens outside the quotes (a quote mark
        # is never part of a word, and keys are lower-cased word by word: no "İ" or "Σ")
        quote_of = _quote_mask(toks.starts, quoted)
        return dm.spin_probability(list(compress(keys, quote_of.translate(_FLIP)))), quote_of
    return dm.spin_probability(narrative_keys(text, quoted)), None


def narrative_keys(text: str, quoted: list[tuple[int, int]]) -> list[str]:
    """The words of ``text`` outside the ``quoted`` spans: what the document model judges. Quoted
    speech is spared by some spinners and is informal in honest copy, so it is judged apart."""
    parts, pos = [], 0
    for a, b in quoted:
        parts.append(text[pos:a])
        pos = b
    parts.append(text[pos:])
    return word_keys(" ".join(parts))


#: Passes over the text until nothing changes (a repair can create the context for another).
MAX_PASSES = 4


def prepare(options: Options) -> None:
    """Load now what restoring text under ``options`` needs (the document model, the compiled
    table: built and cached on disk if this is the first run), rather than on the first text
    that looks spun. For worker processes, and for a parent about to start them (one build of a
    missing cache instead of one per worker). Raises :class:`TableError` for a bad table."""
    load_document_model()
    _compiled_for(options)


#: Fresh runs over a result that its own passes could not confirm (see :func:`analyze_text`).
MAX_CHECKS = 2


def analyze_text(text: str, options: Options) -> Analysis:
    """Analyse ``text`` under ``options`` (see :func:`unspin.analyze`).

    The result is a fixpoint: repairs are re-examined on the repaired text, and what a later pass
    changes is folded into the repairs of the input, so ``restore(restore(x)) == restore(x)``.
    """
    _require_str(text)
    view = unwrap(text)
    if view is not None:  # hard-wrapped: analyse with the soft line breaks read as spaces
        with _wrapped_as(text):
            found = analyze_text(view.text, options)
        repairs = view.to_input(text, found.repairs)
        return Analysis(splice(text, repairs), repairs, found.spin_score)
    current, repairs, spin, confirmed = _passes(text, options)
    # A result is confirmed when the last pass, run on it, found nothing: a new run on it begins
    # with that same pass. Where passes ended otherwise (a repair left as found because the model
    # would have chained it, a cycle, the last pass), a new run may decide differently in the
    # changed text: run it here and fold what it does in, so the promise holds for the result.
    for _ in range(MAX_CHECKS):
        if confirmed:
            break
        checked, later, _, confirmed = _passes(current, options)
        if not later:
            break
        repairs = compose(text, repairs, current, later)
        current = splice(text, repairs)
        confirmed = confirmed and current == checked
    return Analysis(current, tuple(repairs), spin)


def _passes(text: str, options: Options) -> tuple[str, list[Repair], float, bool]:
    """(repaired text, repairs, spin score, confirmed): passes over ``text`` until one changes
    nothing; confirmed when the last pass ran on the result and proposed no repair at all."""
    first = _analyze_once(text, options)
    repairs, current = list(first.repairs), first.text
    seen = {text: [], current: repairs}
    vetoed: list[Repair] = []  # repairs of the input left as found (see _chained)
    confirmed = not repairs
    for _ in range(MAX_PASSES - 1):
        if not repairs:
            confirmed = True  # every repair was left as found: the input itself, which first judged
            break
        again = _analyze_once(current, options)
        later, after = list(again.repairs), again.text
        if not later:
            confirmed = True
            break
        if vetoed and later:
            # the vetoed repairs would be made again on the text they left as found: not those,
            # but any other repair there stands (a new run on the output would make it)
            redo = set(_in_output(vetoed, repairs))
            later = [n for n in later if (n.start, n.end, n.replacement) not in redo]
            after = splice(current, later)
        # A later repair that only undoes an earlier one ("Related" -> "Associated" -> "Related",
        # met at low thresholds) answers the same question the other way round: the surer answer
        # stands. (A new run on the result meets the pair in the other order and keeps it too.)
        undone = {n for r, n in _chained(repairs, later)
                  if n.replacement == r.found and n.confidence <= r.confidence}
        if undone:
            later = [n for n in later if n not in undone]
            after = splice(current, later)
            if not later:
                break  # not confirmed: analyze_text runs the result again to make sure
        # The spinner never spins its own output: a repair whose replacement the model would
        # repair again ("firm" -> "company" -> "agency") was not sure. Its span is left as found
        # (dropping the second repair instead would leave a text that a new run repairs again).
        chained = {r for r, _ in _chained(repairs, later)}
        if chained:
            vetoed.extend(chained)
            repairs = [r for r in repairs if r not in chained]
            current = splice(text, repairs)
            seen[current] = repairs
            continue
        if not later:
            break
        if after in seen:  # a cycle ("four" -> "4" -> "four"): stop at the first state of it
            repairs, current = seen[after], after
            break
        repairs = compose(text, repairs, current, later)
        current = splice(text, repairs)  # compose may re-case a merged span
        seen[current] = repairs
    return current, repairs, first.spin_score, confirmed


def _shifts(repairs: list[Repair]) -> list[int]:
    """How far the ``repairs`` (sorted) move the input: entry k is the shift of an offset after
    the first k repairs and before the next one."""
    out = [0]
    for r in repairs:
        out.append(out[-1] + len(r.replacement) - (r.end - r.start))
    return out


def _in_output(left: list[Repair], repairs: list[Repair]) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each repair in ``left``, whose span no repair of ``repairs``
    (sorted) touches, with its span as offsets into the text the ``repairs`` make."""
    ends, shifts = [r.end for r in repairs], _shifts(repairs)
    out = []
    for r in sorted(left):
        k = bisect.bisect_right(ends, r.start)  # the repairs that end by its start move it
        out.append((r.start + shifts[k], r.end + shifts[k], r.replacement))
    return out


def _chained(base: list[Repair], later: list[Repair]) -> list[tuple[Repair, Repair]]:
    """(repair of ``base``, repair of ``later``) where the later one (offsets into the text the
    ``base`` repairs make) lies entirely inside the first one's replacement: a chain of two
    substitutions. A later repair that reaches beyond a replacement ("seventeen p.c" -> "17 p.c"
    -> "17 percent") is not one. Both lists are sorted and free of overlaps."""
    if not later:
        return []
    starts = [n.start for n in later]
    out = []
    for r, shift in zip(base, _shifts(base), strict=False):  # the shift before each repair
        a = r.start + shift
        b = a + len(r.replacement)
        k = bisect.bisect_left(starts, a)
        while k < len(later) and later[k].end <= b:
            out.append((r, later[k]))
            k += 1
    return out


def candidates(text: str, options: Options) -> list[Repair]:
    """Every repair the table proposes for ``text`` before overlaps are resolved and before the
    ``min_confidence`` threshold, for inspection and tests (one pass, no built-in repairs)."""
    _require_str(text)
    view = unwrap(text)
    if view is not None:  # hard-wrapped: see analyze_text
        with _wrapped_as(text):
            cands = candidates(view.text, options)
        return [r for c in cands for r in view.to_input(text, [c])]
    toks = Tokens(text)
    if not toks.n:
        return []
    compiled = _compiled_for(options)
    if not options.use_document_model:
        scored = _scored(toks, compiled, [(0, 1.0)])
    else:
        # the document judged as analyze judges it (before any threshold)
        dm = load_document_model()
        keys = word_keys_of(toks)
        quoted = _quoted_spans(text)
        spin, _ = _document_spin(text, toks, keys, dm, quoted)
        spin = with_artifacts(spin, _builtin_found(text, options), quoted)
        regions = local_spin(text, dm, keys, spin, toks)
        scored = _scored(toks, compiled, regions)
        places = _confident_places(scored, toks, regions)
        again = _judge_again(spin, len(places), len(keys), regions)
        if again is not None:
            judged = local_spin(text, dm, keys, again, toks, places)
            if judged != regions:
                scored = _scored(toks, compiled, judged)
    out = []
    for c in (Candidate(*x) for x in scored):
        start, end = toks.starts[c.i], toks.ends[c.j - 1]
        rep = transfer_case(text[start:end], c.entry.rule.original, toks.cases[c.i] == "s",
                            toks.cases[c.i] == "u" and in_capitals(toks, c.i, c.j))
        if rep is not None:
            out.append(Repair(start, end, text[start:end], rep, c.confidence, c.entry.rule.id))
    return sorted(out)


def compose(text0: str, base: list[Repair], text1: str, later: list[Repair]) -> list[Repair]:
    """Fold repairs made on ``text1`` (the result of ``base`` on ``text0``) into repairs of
    ``text0``. A later repair that touches an earlier one absorbs it into a single repair.

    >>> t0 = "the warfare, for the reason that"
    >>> b = [Repair(4, 11, "warfare", "war", 0.9, "a")]
    >>> t1 = "the war, for the reason that"
    >>> [(r.found, r.replacement, r.rule) for r in compose(t0, b, t1, [Repair(4, 7, "war", "battle", 0.6, "b")])]
    [('warfare', 'battle', 'a+b')]
    """
    # Segments of text1: (t1_start, t1_end, t0_start, t0_end, repair or None for unchanged text).
    segs: list[tuple[int, int, int, int, Repair | None]] = []
    p0 = p1 = 0
    for r in base:
        if r.start > p0:
            segs.append((p1, p1 + r.start - p0, p0, r.start, None))
            p1 += r.start - p0
        segs.append((p1, p1 + len(r.replacement), r.start, r.end, r))
        p1 += len(r.replacement)
        p0 = r.end
    segs.append((p1, p1 + len(text0) - p0, p0, len(text0), None))

    seg_starts = [g[0] for g in segs]

    def widen(x: int, at_end: bool) -> tuple[int, int]:
        """(text1 offset, text0 offset) of x, widened to the edges of an earlier repair."""
        k = bisect.bisect_right(seg_starts, x) - 1
        # at an end offset, x belongs to the segment that ends there
        if at_end and k > 0 and segs[k][0] == x and segs[k - 1][1] == x:
            k -= 1
        for a1, b1, a0, b0, r in segs[max(k, 0) : k + 2]:
            inside = a1 <= x < b1 or (at_end and a1 < x <= b1) or (a1 == b1 == x)
            if inside:
                if r is None:
                    return x, a0 + (x - a1)
                return (b1, b0) if at_end else (a1, a0)
        return x, len(text0)

    regions: list[list] = []  # [t1_start, t1_end, t0_start, t0_end, [later repairs]]
    for n in sorted(later):
        x1, x0 = widen(n.start, at_end=False)
        y1, y0 = widen(n.end, at_end=True)
        if regions and x1 < regions[-1][1]:
            regions[-1][1], regions[-1][3] = max(regions[-1][1], y1), max(regions[-1][3], y0)
            regions[-1][4].append(n)
        else:
            regions.append([x1, y1, x0, y0, [n]])
    region_starts = [g[2] for g in regions]

    def absorbed_by_region(r: Repair) -> bool:
        k = bisect.bisect_right(region_starts, r.start) - 1
        return k >= 0 and regions[k][2] <= r.start and r.end <= regions[k][3]

    out = [r for r in base if not absorbed_by_region(r)]
    base_starts = [r.start for r in base]
    for x1, y1, x0, y0, news in regions:
        piece = text1[x1:y1]
        for n in sorted(news, reverse=True):
            piece = piece[: n.start - x1] + n.replacement + piece[n.end - x1 :]
        lo = bisect.bisect_left(base_starts, x0)
        absorbed = [r for r in base[lo : bisect.bisect_right(base_starts, y0)] if r.end <= y0]
        found = text0[x0:y0]
        # case of the whole merged span, as transfer_case does for a single repair
        if sum(ch.isalpha() for ch in found) > 1 and found.isupper():
            piece = piece.upper()
        elif found[:1].isupper() and piece[:1].islower():
            piece = piece[:1].upper() + piece[1:]
        if piece == found:
            continue
        parts = absorbed + sorted(news)
        rule = "+".join(dict.fromkeys(p.rule for p in parts))
        conf = min(p.confidence for p in parts)
        out.append(Repair(x0, y0, found, piece, conf, rule))
    return sorted(out)


def _analyze_once(text: str, options: Options) -> Analysis:
    toks = Tokens(text)
    keys = word_keys_of(toks)
    if not keys:
        return Analysis(text, (), 0.0)
    if options.table is not None or options.extra_tables:
        _compiled_for(options)  # a broken user table is reported whatever the input
    if not any(c.isalpha() for k in keys for c in k):
        return Analysis(text, (), 0.0)  # no words ("4 < 10"): no wording to restore
    dm = load_document_model()
    all_quoted = _quoted_spans(text)  # contractions are never repaired in quotes, whatever the policy
    spin, quote_of = _document_spin(text, toks, keys, dm, all_quoted)
    found = _builtin_found(text, options)
    spin = with_artifacts(spin, found, all_quoted)
    if options.quotes == "protect":  # a promise: no quotation style is repaired (spin as judged)
        speech = _speech_spans(text)
        if speech != all_quoted:
            all_quoted, quote_of = speech, None
    regions, doc_factor, quote_factor, fixed = _judge(
        text, toks, keys, dm, spin, all_quoted, quote_of, found, options)
    if doc_factor < threshold(options):
        # No table repair can reach the threshold in this document; built-in ones still may.
        return _result(text, [], fixed, spin)
    compiled = _compiled_for(options)
    cands = _scored(toks, compiled, regions)  # (i, j, entry, confidence)
    if options.use_document_model:  # what the contexts of its phrases say of the document
        places = _confident_places(cands, toks, regions)
        again = _judge_again(spin, len(places), len(keys), regions)
        if again is not None:
            spin = again
            new_regions, doc_factor, new_quote_factor, fixed = _judge(
                text, toks, keys, dm, spin, all_quoted, quote_of, found, options, places)
            if doc_factor < threshold(options):
                return _result(text, [], fixed, spin)
            if new_regions != regions or new_quote_factor != quote_factor:  # else the same ones
                regions, quote_factor = new_regions, new_quote_factor
                cands = _scored(toks, compiled, regions)
    t_starts, t_ends = toks.starts, toks.ends
    if fixed:  # sorted and not overlapping (see _builtin_found): their ends are sorted too
        fixed_starts, fixed_ends = [f.start for f in fixed], [f.end for f in fixed]
        n_fixed = len(fixed)
        kept = []
        for c in cands:
            # the first fix ending after the candidate's start is the only one that may overlap it
            k = bisect.bisect_right(fixed_ends, t_starts[c[0]])
            if k == n_fixed or fixed_starts[k] >= t_ends[c[1] - 1]:
                kept.append(c)
        cands = kept
    if all_quoted and cands:
        if quote_of is None:
            quote_of = _quote_mask(t_starts, all_quoted)
        kept = []
        for c in cands:
            i, j, e, conf = c
            if quote_of.find(1, i, j) >= 0:
                if expands_contraction(e.rule):
                    continue  # contractions are honest in quoted speech
                c = (i, j, e, conf * quote_factor)
            kept.append(c)
        cands = kept
    if any(expands_contraction(c[2].rule) for c in cands):
        # nor in quoted speech of any other style (‘...’, «...», a quote open to the paragraph end)
        speech_of = _quote_mask(t_starts, _speech_spans(text))
        cands = [c for c in cands
                 if not expands_contraction(c[2].rule) or speech_of.find(1, c[0], c[1]) < 0]
    min_conf = threshold(options)
    floor = ADJOINING * min_conf
    # (i, j, repair) of each picked candidate that reaches the floor and changes the text
    made: list[tuple[int, int, Repair]] = []
    cases, gaps = toks.cases, toks.gaps
    cased = _CASED
    for i, j, e, conf in _decode(cands):
        if conf < floor:
            continue
        if gaps[i] in _HYPHENS and e.original[:1] in _ARTICLE_WORDS:
            continue  # no article follows a hyphen ("out-of-town" -> "out-of-the city")
        start, end = t_starts[i], t_ends[j - 1]
        found = text[start:end]
        # does token i open a sentence (also for tokens without letters, such as "1000's")?
        at_start = cases[i] == "s" or i == 0 or _SENTENCE_BREAK.search(gaps[i]) is not None
        capitals = cases[i] == "u" and in_capitals(toks, i, j)
        ck = (found, e.rule.original, at_start, capitals)
        replacement = cased.get(ck, "")
        if replacement == "":
            if len(cased) > _CACHE_LIMIT:
                cased.clear()
            replacement = cased[ck] = transfer_case(found, e.rule.original, at_start, capitals)
        if replacement is None or replacement == found:
            continue
        if "’" in found and "'" in replacement:  # keep the text's apostrophe ("nation’s")
            replacement = replacement.replace("'", "’")
        made.append((i, j, Repair(start, end, found, replacement, conf, e.rule.id)))
    keep = [m[2].confidence >= min_conf for m in made]
    _adjoining_kept(made, keep, gaps)
    return _result(text, [m[2] for m in compress(made, keep)], fixed, spin)


def _judge(
    text: str, toks: Tokens, keys: list[str], dm: DocumentModel, spin: float,
    all_quoted: list[tuple[int, int]], quote_of: bytearray | None, found: list[Fix], options: Options,
    places: Sequence[int] | None = None,
) -> tuple[list[tuple[int, float]], float, float, list[Fix]]:
    """What the document's spin probability ``spin`` means for its repairs: (paragraph regions
    with their factors, the largest factor, the factor of quoted speech, the built-in repairs
    ``found`` that reach the threshold). ``places``: see :func:`local_spin`."""
    if options.use_document_model:
        regions = local_spin(text, dm, keys, spin, toks, places)
        doc_factor = max(f for _, f in regions)
    else:
        regions, doc_factor = [(0, 1.0)], 1.0
    quoted = all_quoted if options.quotes != "repair" else []
    quote_factor = 1.0
    if quoted:
        if options.quotes == "protect":
            quote_factor = 0.0
        else:
            # Spinners either spare quoted speech or spin it like the rest: let the quoted words
            # themselves say which, relative to the whole document.
            if quote_of is not None:  # the keys of the tokens inside the quotes (see above)
                quoted_keys = list(compress(keys, quote_of))
            else:
                quoted_keys = word_keys(" ".join(text[a:b] for a, b in quoted))
            quote_factor = dm.spin_probability(quoted_keys)
            if options.use_document_model:
                quote_factor = min(1.0, quote_factor / max(spin, 1e-9))
    return regions, doc_factor, quote_factor, _gated(found, options, regions, quoted, quote_factor)


#: Phrases of the table whose context alone makes them the spinner's (confidence at least this
#: before the document's factor): "advised reporters", "the preventing continued".
CONFIDENT = 0.9
#: How often such a place occurs per word in spun text, taken low (the shared corpus's spun texts
#: of 100 words or more: medians 5 and 8 in 100 words, 1 % quantiles 2 and 4), and in honest text,
#: taken high (medians 0-0.36 in 100 words, 90 % quantiles 0-1.5: clean and original corpus
#: texts, tests/honest_news, tests/honest_registers, Debian documentation).
SPUN_PLACES_PER_WORD = 0.03
HONEST_PLACES_PER_WORD = 0.005
#: The most that few such places can take from the log-odds that a text is spun.
INTACT_LOG_ODDS_CAP = 6.0


def _judge_again(
    spin: float, places: int, words: int, regions: list[tuple[int, float]],
) -> float | None:
    """The spin probability to judge the document again with, now that its ``places`` (see
    :func:`_confident_places`) are known, or None when nothing would change. The words looked
    spun (the whole text's, or one neighbourhood's, which then overrules the document): if few
    phrases sit in a context the spinner breaks, that lowers the document's verdict (see
    :func:`with_intact_collocations`), and a neighbourhood without one keeps the document's (see
    :func:`local_spin`). A text whose words look honest keeps its verdict: an honest text with
    one spun paragraph has few such places for its length."""
    lowered = with_intact_collocations(spin, places, words) if spin >= 0.5 else spin
    if lowered < spin or any(f > spin for _, f in regions):
        return lowered
    return None


def _confident_places(
    cands: list[tuple[int, int, Entry, float]], toks: Tokens, regions: list[tuple[int, float]],
) -> list[int]:
    """The tokens (sorted) that start a candidate whose confidence before the document's factor
    is at least :data:`CONFIDENT`."""
    starts = [a for a, _ in regions]
    places = set()
    for i, _, _, conf in cands:
        factor = regions[bisect.bisect_right(starts, toks.starts[i]) - 1][1]
        if factor > 0.0 and conf >= CONFIDENT * factor:
            places.add(i)
    return sorted(places)


def with_intact_collocations(spin: float, places: int, words: int) -> float:
    """``spin`` lowered when a text of ``words`` words has few ``places`` where the context marks
    a phrase as the spinner's: the likelihood of that count under a spun text's rate
    (:data:`SPUN_PLACES_PER_WORD`) against an honest text's (Poisson), added to the log-odds when
    it favours honest, at most :data:`INTACT_LOG_ODDS_CAP`. Words the spinner favours make old-
    fashioned, literary or technical prose look spun; broken collocations are what spun copy has
    and such prose has not. Never raises ``spin``: the words already count that evidence."""
    if not 0.0 < spin < 1.0:
        return spin
    log_lr = (places * math.log(SPUN_PLACES_PER_WORD / HONEST_PLACES_PER_WORD)
              - (SPUN_PLACES_PER_WORD - HONEST_PLACES_PER_WORD) * words)
    if log_lr >= 0.0:
        return spin
    return _shift_log_odds(spin, max(-INTACT_LOG_ODDS_CAP, log_lr))


def _shift_log_odds(p: float, delta: float) -> float:
    """``p`` (strictly between 0 and 1) with ``delta`` added to its log-odds."""
    odds = p / (1.0 - p) * math.exp(delta)
    return odds / (1.0 + odds)


def _result(text: str, repairs: list[Repair], fixed: list[Fix], spin: float) -> Analysis:
    """Merge table and built-in repairs (they never overlap), leave out those that would change
    part of a longer word (see :func:`_touchable`), and apply the rest."""
    if fixed:
        repairs = repairs + [
            Repair(f.start, f.end, text[f.start : f.end], f.replacement, f.confidence, f.rule)
            for f in fixed
        ]
        repairs.sort()
    if repairs:
        repairs = _touchable(text, repairs)
    return Analysis(splice(text, repairs), tuple(repairs), spin)


#: Characters that carry on the word they touch, although the tokenizer does not count them as
#: letters: combining marks ("resume" + U+0301 is "resumé", not the word "resume"), the soft
#: hyphen, zero-width joiners and the word joiner, and "_" (an identifier: "officers_stated").
_JOINERS = frozenset("_\u00ad\u200c\u200d\u2060")


def _continues_word(ch: str) -> bool:
    return ch in _JOINERS or unicodedata.category(ch)[0] == "M"


def _touchable(text: str, repairs: list[Repair]) -> list[Repair]:
    """``repairs`` without those that would change part of a longer word (see :data:`_JOINERS`).

    Links, e-mail addresses and code are repaired like any text: the spinner rewrote them too
    ("trafficking-in-individuals-report" in a link of a spun report), and in text that looks
    honest nothing is repaired at all."""
    n = len(text)
    return [r for r in repairs
            if not (r.start > 0 and _continues_word(text[r.start - 1]))
            and not (r.end < n and _continues_word(text[r.end]))]


#: The document model also judges each paragraph together with its neighbours (at least this
#: many words): where that neighbourhood is unmistakably spun, its repairs stand even when honest
#: paragraphs around it pull the whole document's score down.
WINDOW_WORDS = 50
#: "Unmistakably" for a text of one window. A long text has many windows, and the more windows
#: are judged, the likelier one honest window looks spun by chance (old-fashioned or spoken prose:
#: "within", "though", "had been"), so the bar rises with their number: the odds it takes are
#: multiplied by the number of windows, len(words) / WINDOW_WORDS (a Bonferroni correction).
LOCAL_SURE = 0.985
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


def local_spin(
    text: str, dm: DocumentModel, keys: list[str], spin: float, toks: Tokens | None = None,
    places: Sequence[int] | None = None,
) -> list[tuple[int, float]]:
    """(start offset, spin probability) of each paragraph, judged with its neighbours.

    ``toks``, the tokens of ``text``, saves tokenising each paragraph again when its keys are
    ``keys`` (paragraph breaks are white space, so no word straddles one). ``places`` (sorted
    token numbers, with ``toks``): where the context marks a phrase as the spinner's (see
    :func:`with_intact_collocations`); when given, a neighbourhood without one keeps the
    document's verdict, whatever its words.
    """
    cuts = [0] + [m.end() for m in _PARAGRAPH_BREAK.finditer(text)]
    if len(cuts) == 1 or len(keys) <= WINDOW_WORDS:
        return [(0, spin)]
    bounds = list(zip(cuts, cuts[1:] + [len(text)], strict=True))
    if toks is not None and keys is toks.keys:
        t_starts = toks.starts
        edges = [bisect.bisect_left(t_starts, c) for c in cuts] + [len(keys)]
        para_keys = [keys[a:b] for a, b in pairwise(edges)]
    else:
        edges = None
        para_keys = [word_keys(text[a:b]) for a, b in bounds]
    out = []
    last = len(bounds) - 1
    judged: dict[tuple[int, int], float] = {}  # (first, last paragraph) -> spin probability
    sure_odds = LOCAL_SURE / (1.0 - LOCAL_SURE) * max(1.0, len(keys) / WINDOW_WORDS)
    sure = sure_odds / (1.0 + sure_odds)
    # Most windows cannot reach ``sure``: the positive weights of their words, repeats included,
    # bound what they can score, and those bounds add up paragraph by paragraph. Only the others
    # are judged (same verdicts, about two windows in three skipped on news).
    positive_total = getattr(dm, "positive_total", None)
    para_pos = [positive_total(ks) for ks in para_keys] if positive_total is not None else None
    hopeless = sure - 1e-9  # a margin for the different order of additions
    for k in range(len(bounds)):
        lo = hi = k
        n = len(para_keys[k])
        while n < WINDOW_WORDS and (lo > 0 or hi < last):
            if hi < last:
                hi += 1
                n += len(para_keys[hi])
            if n < WINDOW_WORDS and lo > 0:
                lo -= 1
                n += len(para_keys[lo])
        local = judged.get((lo, hi))
        if (local is None and para_pos is not None
                and dm.max_probability(sum(para_pos[lo : hi + 1])) < hopeless):
            local = judged[lo, hi] = -1.0  # under the bar, whatever its exact value
        if local is None and places is not None and edges is not None:
            nearest = bisect.bisect_left(places, edges[lo])  # the first place in or after it
            if nearest == len(places) or places[nearest] >= edges[hi + 1]:
                local = judged[lo, hi] = -1.0  # no phrase in a context the spinner breaks
        if local is None:
            if edges is not None:  # the paragraphs' keys are consecutive slices of ``keys``
                window = keys[edges[lo] : edges[hi + 1]]
            else:
                window = [w for q in range(lo, hi + 1) for w in para_keys[q]]
            local = judged[lo, hi] = dm.spin_probability(window)
        # The whole document's verdict stands unless the neighbourhood is unmistakably spun.
        out.append((bounds[k][0], max(spin, local) if local >= sure else spin))
    return out


def _builtin_found(text: str, options: Options) -> list[Fix]:
    """Garbled numbers, impossible grammar ("has did not") and damaged names (see
    :mod:`unspin.builtin`), non-overlapping, at their own confidence."""
    dis = options.disable
    found: list[Fix] = []
    for fixes in (number_fixes(text), grammar_fixes(text)):
        found.extend(f for f in fixes if f.rule not in dis and f.rule.split(".", 1)[0] not in dis)
    if "name.entity" not in dis and "name" not in dis:
        # the table (the spinner's substitutions) is only loaded if a name looks damaged
        def spinner_swaps(s: str, o: str) -> bool:
            return (s, o) in channel_pairs() or (s, o) in _compiled_for(options).pairs

        taken = Spans((x.start, x.end) for x in found)
        found.extend(f for f in entity_fixes(text, spinner_swaps) if not taken.overlaps(f.start, f.end))
    return found


#: Built-in repairs of things honest copy does not write: a number half in words ("six,000"), a
#: currency sign before words ("$three million"), "2015-sixteen", "17 p.c", "four a long time",
#: a damaged known name ("Related Press"). In 1,850 honest texts (935,000 words: the shared
#: corpus's originals and clean articles, tests/honest_news) none of them occurs; in its 1,741
#: spun texts (940,000 words) 1,360 do, in 746 of them. ("forty six", "17 %" and "has did not"
#: do occur in honest text, and are not counted.)
SPINNER_ONLY = frozenset(
    {"number.word_digits", "number.currency", "number.range", "number.percent", "number.unit",
     "name.entity"}
)
#: What each such artifact outside quoted speech adds to the log-odds that the text is spun, and
#: the most all of them add: a short text with a garbled number or name and a few ambiguous words
#: is judged spun (0.52 -> 0.96 with two), while a text that reads clearly honest (0.05 or less)
#: stays under an even chance, so its table repairs still cannot reach the default threshold.
ARTIFACT_LOG_ODDS = 1.5
ARTIFACT_LOG_ODDS_CAP = 3.0


def with_artifacts(spin: float, found: Iterable[Fix], quoted: list[tuple[int, int]]) -> float:
    """The document's spin probability ``spin`` with the evidence of its :data:`SPINNER_ONLY`
    built-in repairs outside the ``quoted`` spans (quotes are judged apart, and some spinners
    spare them) added to its log-odds."""
    n = 0
    in_quotes = Spans(quoted) if quoted else None
    for f in found:
        if f.rule in SPINNER_ONLY and (in_quotes is None or not in_quotes.overlaps(f.start, f.end)):
            n += 1
    if not n or not 0.0 < spin < 1.0:
        return spin
    return _shift_log_odds(spin, min(ARTIFACT_LOG_ODDS_CAP, ARTIFACT_LOG_ODDS * n))


def _gated(
    found: list[Fix], options: Options, regions: list[tuple[int, float]],
    quoted: list[tuple[int, int]], quote_factor: float,
) -> list[Fix]:
    """The built-in repairs ``found`` at their confidence in this document, those that reach the
    threshold, sorted."""
    starts = [a for a, _ in regions]
    in_quotes = Spans(quoted)
    out = []
    for f in found:
        conf = f.confidence
        if f.gated:
            # Strong evidence on its own (a damaged known name, "forty six"); only a text that
            # looks clearly honest (spin probability under 0.25) weakens it.
            conf *= min(1.0, regions[bisect.bisect_right(starts, f.start) - 1][1] / 0.25)
        if in_quotes.overlaps(f.start, f.end):
            conf *= quote_factor
        if conf >= threshold(options):
            out.append(Fix(f.start, f.end, f.replacement, conf, f.rule))
    return sorted(out, key=lambda f: f.start)


def _quote_mask(starts: list[int], spans: list[tuple[int, int]]) -> bytearray:
    """For each token (by its start offset): 1 if it is inside one of the quoted ``spans`` (sorted,
    not overlapping), else 0."""
    mask = bytearray(len(starts))
    for a, b in spans:
        lo, hi = bisect.bisect_right(starts, a), bisect.bisect_left(starts, b)
        if lo < hi:
            mask[lo:hi] = b"\x01" * (hi - lo)
    return mask


_FLIP = bytes([1, 0]) + bytes(range(2, 256))  # bytes.translate table: 0 <-> 1


_CACHE_LIMIT = 500_000
_LOGIT_MAX = 1 - 1e-4  # model.logit clips to [1e-4, 1 - 1e-4]
_CASE_INDEX = {c: k for k, c in enumerate(CASES)}


_MARKS: dict[str, str | None] = {}
#: (found, original, at sentence start) -> transfer_case of them ("" for not known yet): the same
#: phrases are repaired over and over
_CASED: dict[tuple[str, str, bool], str | None] = {}


def _mark(gap: str) -> str | None:
    """:func:`gap_mark`, remembered (gaps between words are few distinct strings)."""
    m = _MARKS.get(gap, "")
    if m == "":
        if len(_MARKS) > _CACHE_LIMIT:
            _MARKS.clear()
        m = _MARKS[gap] = gap_mark(gap)
    return m


_PLAIN_GAPS = frozenset({"", " ", "  "})  # at most two plain spaces (see tokens.plain_gaps)
_HYPHENS = frozenset({"-", "\u2010", "\u2011"})  # a hyphen joining two words of a compound
_ARTICLE_WORDS = frozenset({("the",), ("a",), ("an",)})


def _candidates(
    text: str, toks: Tokens | Sequence[Token], compiled: Compiled, regions: list[tuple[int, float]],
    restore_neighbours: bool = True,
) -> list[Candidate]:
    """Every candidate repair of the table in ``text``, scored (see :func:`_scored`)."""
    if not isinstance(toks, Tokens):
        toks = Tokens.from_tokens(text, toks)
    return [Candidate(*c) for c in _scored(toks, compiled, regions, restore_neighbours)]


def _scored(
    toks: Tokens, compiled: Compiled, regions: list[tuple[int, float]],
    restore_neighbours: bool = True,
) -> list[tuple[int, int, Entry, float]]:
    """(i, j, entry, confidence) of every table phrase found on tokens [i, j), for each entry of
    it that may fire there, in order of (i, j). With ``restore_neighbours``, a candidate next to a
    likely repair is judged beside that repair's original (see :func:`_with_restored_neighbours`)."""
    starts_of, scoring = compiled.starts, compiled.scoring
    n = toks.n
    keys, gaps = toks.keys, toks.gaps
    # Every table phrase in the text, in order of (start, end): (i, j, phrase).
    found: list[tuple[int, int, Key]] = []
    append = found.append
    for i in compress(range(n), map(starts_of.__contains__, keys)):
        key, nxt = starts_of[keys[i]]
        if key is not None:
            append((i, i + 1, key))
        j = i + 1
        # extend while the words so far begin some phrase and are separated by plain spaces
        while nxt is not None and j < n and gaps[j] in _PLAIN_GAPS:
            node = nxt.get(keys[j])
            if node is None:
                break
            j += 1
            key, nxt = node
            if key is not None:
                append((i, j, key))
    if not found:
        return []
    counter = phrase_counter(keys, found)
    count = counter.get
    group_total: dict[Key, int] = {}
    unigrams, log_total, w, floor = compiled.model
    uni_get = unigrams.get
    w_left, w_right, w_seen_l, w_seen_r, w_doc_o, w_doc_s = w[2], w[3], w[7], w[8], w[9], w[10]
    w_gen_l, w_gen_r, w_doc_own, w_apostrophe = w[11], w[12], w[13], w[14]
    lcache, rcache = compiled.left_cache, compiled.right_cache
    by_index = compiled.by_index
    if len(lcache) > _CACHE_LIMIT:
        lcache.clear()
    if len(rcache) > _CACHE_LIMIT:
        rcache.clear()
    p_right = compiled.right_p
    mark_of = _MARKS.get
    if len(p_right) > _CACHE_LIMIT:
        p_right.clear()
    log = math.log
    cases = toks.cases
    region_starts = [a for a, _ in regions]
    one_region = regions[0][1] if len(regions) == 1 else None
    t_starts = toks.starts
    exp, log1p = math.exp, math.log1p
    doc_terms: dict[int, tuple[float, float]] = {}  # entry index -> its two document terms here
    out: list[tuple[int, int, Entry, float]] = []
    typographic: list[bool] = []  # [model.is_typographic(text)], found when first needed

    def apostrophe_surface(i: int, j: int) -> str | None:
        """The phrase on tokens [i, j) as written, if it holds an apostrophe (see
        model.apostrophe_evidence); else None."""
        if j - i == 1:
            if "'" not in keys[i]:
                return None
        elif not any("'" in keys[k] for k in range(i, j)):
            return None
        if not typographic:
            typographic.append(is_typographic(toks.text))
        return toks.text[t_starts[i]:toks.ends[j - 1]]

    def score(i: int, j: int, firing: tuple, case: str, left: str, right: str, factor: float,
              add: Callable[[tuple[int, int, Entry, float]], None]) -> None:
        """Add (i, j, entry, confidence) for each of the ``firing`` entries of the phrase on
        tokens [i, j), between neighbours ``left`` and ``right``."""
        lterms = lcache.get(left)
        if lterms is None:
            lterms = lcache[left] = {}
        rterms = rcache.get(right)
        if rterms is None:
            rterms = rcache[right] = {}
        surface = apostrophe_surface(i, j)
        for index, term_id, guarded, p, logit_p, base, lconst, rconst in firing:
            e, sibs, own = by_index[index]
            if guarded and not _guards_allow(e.rule, toks, i, j, case):
                continue
            lt = lterms.get(term_id)
            if lt is None:
                # w_left * left_gain + w_seen_l * side_gain + w_gen_l * general.left_gain,
                # inlined (see _term_constants)
                bi_s, bi_o, p_s, p_o, side_n, side_k, gen, gbi_o, gbi_s = lconst
                u = uni_get(left, 0)
                g = _lift_gain(bi_o.get(left, 0), u * p_o, bi_s.get(left, 0), u * p_s)
                sg, gg = _side_and_general(left, p, logit_p, side_n, side_k, gen, gbi_o, gbi_s, floor)
                lt = lterms[term_id] = w_left * g + w_seen_l * sg + w_gen_l * gg
            rt = rterms.get(term_id)
            if rt is None:
                bi_s, bi_o, c_s, c_o, side_n, side_k, gen, gbi_o, gbi_s = rconst
                p_r = p_right.get(right)
                if p_r is None:
                    p_r = p_right[right] = exp(log(uni_get(right, 0) + 0.5) - log_total)
                g = _lift_gain(bi_o.get(right, 0), c_o * p_r, bi_s.get(right, 0), c_s * p_r)
                sg, gg = _side_and_general(right, p, logit_p, side_n, side_k, gen, gbi_o, gbi_s, floor)
                rt = rterms[term_id] = w_right * g + w_seen_r * sg + w_gen_r * gg
            terms = doc_terms.get(index)
            if terms is None:
                total = group_total.get(e.original)
                if total is None:
                    total = group_total[e.original] = sum(map(count, sibs, repeat(0)))
                d_s = counter[e.spun_text]
                d_o = total - d_s  # same as learn.doc_counts: the group minus this spun form
                d_s -= 1
                d_own = sum(map(count, own, repeat(0))) if own else 0
                terms = doc_terms[index] = (w_doc_o * log1p(d_o),
                                            w_doc_s * log1p(d_s) + w_doc_own * log1p(d_own))
            # z = base + left term + right term + document terms, summed in this order
            z = base + lt + rt + terms[0] + terms[1]
            if surface is not None:
                z += w_apostrophe * apostrophe_evidence(surface, e.spun_text, e.original_text,
                                                        typographic[0])
            # sigmoid(z), inlined
            if z >= 0:
                conf = 1.0 / (1.0 + exp(-z))
            else:
                ez = exp(z)
                conf = ez / (1.0 + ez)
            add((i, j, e, conf * factor))

    add = out.append
    # what _with_restored_neighbours needs to score a phrase again: (i, j, firing entries, case,
    # left, right, factor, left and right neighbour words (not marks), number of candidates added)
    items: list[tuple] = []
    for i, j, key in found:
        # letter case of the phrase (tokens.span_case)
        case = cases[i]
        if case == "s" and j - i > 1 and cases[i + 1] == "c":
            case = "c"
        elif case == "m":
            continue
        ci = _CASE_INDEX[case]
        firing = scoring[key][ci]  # the entries not pruned in this letter case
        if not firing:
            continue
        # left and right context (tokens.neighbours)
        left_open = right_open = False
        if i == 0:
            left = SENT_START
        else:
            g = gaps[i]
            m = mark_of(g, "")
            if m == "":
                m = _mark(g)
            left_open = m is None
            left = keys[i - 1] if m is None else (SENT_START if m == SENT_END else m)
        if j >= n:
            right = SENT_END
        else:
            g = gaps[j]
            m = mark_of(g, "")
            if m == "":
                m = _mark(g)
            right_open = m is None
            right = keys[j] if m is None else m
        if one_region is not None:
            factor = one_region
        else:
            factor = regions[bisect.bisect_right(region_starts, t_starts[i]) - 1][1]
        before = len(out)
        score(i, j, firing, case, left, right, factor, add)
        if restore_neighbours:
            items.append((i, j, firing, case, left, right, factor, left_open, right_open,
                          len(out) - before))
    if restore_neighbours and out:
        out = _with_restored_neighbours(out, items, score)
    return out


def _with_restored_neighbours(
    out: list[tuple[int, int, Entry, float]], items: list[tuple], score: Callable[..., None],
) -> list[tuple[int, int, Entry, float]]:
    """``out`` (the candidates of ``items``, in order), with the candidates that touch a likely
    repair (confidence >= NEIGHBOUR_SURE, across a plain space) scored again with that repair's
    original as the neighbour on that side: one step of decoding the lattice of candidates
    jointly, where later passes over the repaired text would also see the document score fall."""
    ends: dict[int, tuple[float, Entry]] = {}  # token -> the likeliest repair ending there
    begins: dict[int, tuple[float, Entry]] = {}  # token -> the likeliest repair starting there
    for i, j, e, conf in out:
        if conf >= NEIGHBOUR_SURE and e.original:
            b = ends.get(j)
            if b is None or conf > b[0]:
                ends[j] = (conf, e)
            b = begins.get(i)
            if b is None or conf > b[0]:
                begins[i] = (conf, e)
    if not ends:
        return out
    merged: list[tuple[int, int, Entry, float]] = []
    at = 0  # the first candidate of the current item in ``out``
    for i, j, firing, case, left, right, factor, left_open, right_open, n_out in items:
        new_left = ends[i][1].original[-1] if left_open and i in ends else left
        new_right = begins[j][1].original[0] if right_open and j in begins else right
        if new_left != left or new_right != right:
            score(i, j, firing, case, new_left, new_right, factor, merged.append)
        else:
            merged.extend(out[at : at + n_out])
        at += n_out
    return merged


def _lift_gain(pair_o: int, expected_o: float, pair_s: int, expected_s: float) -> float:
    """model.left_gain / right_gain from the pairs' counts and their counts expected under
    independence: lift of the original's pair minus the spun one's (ContextModel.lift_left),
    clipped to [-6, 6], with the same floating-point operations. Called once per new (neighbour,
    entry) pair: the caller caches the result."""
    g = (math.log((pair_o + KAPPA) / (expected_o + KAPPA))
         - math.log((pair_s + KAPPA) / (expected_s + KAPPA)))
    if g > 6.0:
        return 6.0
    if g < -6.0:
        return -6.0
    return g


def _side_and_general(
    neighbour: str, p: float, logit_p: float, side_n: dict[str, int], side_k: dict[str, int],
    gen: float | None, gbi_o: dict[str, int], gbi_s: dict[str, int], floor: float,
) -> tuple[float, float]:
    """The seen-context gain (model.side_gain) and the general-English gain (GeneralLM._gain) of
    one neighbour, before their weights; the same float operations as the model's reference terms.
    Called once per new (neighbour, entry) pair: the results are cached by the caller."""
    sg = gg = 0.0
    n_ctx = side_n.get(neighbour, 0)
    if n_ctx:
        q = (side_k.get(neighbour, 0) + 2.0 * p) / (n_ctx + 2.0)
        if q < 1e-4:
            q = 1e-4
        elif q > _LOGIT_MAX:
            q = _LOGIT_MAX
        sg = math.log(q / (1 - q)) - logit_p
        if sg > 4.0:
            sg = 4.0
        elif sg < -4.0:
            sg = -4.0
    if gen is not None:
        c_o, c_s = gbi_o.get(neighbour, 0), gbi_s.get(neighbour, 0)
        if c_o or c_s:
            gg = math.log(max(c_o, floor) / max(c_s, floor)) - gen
            if gg > 6.0:
                gg = 6.0
            elif gg < -6.0:
                gg = -6.0
    return sg, gg


def _guards_allow(rule: Rule, toks: Tokens, i: int, j: int, case: str) -> bool:
    from .guards import allows

    return allows(rule, toks, i, j, case)


_ROOT = [0.0] + [k ** 0.5 for k in range(1, 65)]


def _decode(cands: list[tuple[int, int, Entry, float]]) -> list[tuple[int, int, Entry, float]]:
    """Pick non-overlapping candidates (i, j, entry, confidence), in text order; the caller keeps
    those that reach the threshold (and those that adjoin them, see :func:`_adjoining_kept`).

    Overlaps are resolved before the threshold (most confidence per word covered, longer phrases
    favoured), so raising ``min_confidence`` only ever removes repairs, never swaps one for another.
    """
    by_start: dict[int, list[tuple[int, int, Entry, float]]] = {}
    for c in cands:
        if c[3] > 0.0:
            group = by_start.get(c[0])
            if group is None:
                by_start[c[0]] = [c]
            else:
                group.append(c)
    if not by_start:
        return []
    # best[i] = best gain from token i on; it only changes at a token where candidates start, so
    # it is kept for those tokens only (ascending in ``starts``), and best[j] for any j is the
    # value at the first start >= j (0 past the last one).
    starts = sorted(by_start)
    m = len(starts)
    best = [0.0] * (m + 1)
    choice: list[tuple[int, int, Entry, float] | None] = [None] * m
    bisect_left = bisect.bisect_left
    for q in range(m - 1, -1, -1):
        b = best[q + 1]
        pick = None
        for c in by_start[starts[q]]:
            i, j, _, conf = c
            span = j - i
            # the first start >= j: the next start for a one-word candidate (starts are distinct)
            after = best[q + 1] if span == 1 else best[bisect_left(starts, j)]
            gain = conf * (_ROOT[span] if span < 65 else span ** 0.5) + after
            if gain > b:
                b = gain
                pick = c
        best[q] = b
        choice[q] = pick
    picked = []
    q = 0
    while q < m:
        c = choice[q]
        if c is None:
            q += 1
        else:
            picked.append(c)
            q = bisect_left(starts, c[1])
    return picked


def _adjoining_kept(made: list[tuple[int, int, Repair]], keep: list[bool], gaps: Sequence[str]) -> None:
    """Mark in ``keep`` each repair of ``made`` ((i, j, repair) on tokens [i, j), in text order,
    all of them reaching :data:`ADJOINING` times the threshold) in a run of adjoining ones (each
    the next token of the one before, nothing but plain space between) that holds a kept one: one
    sweep carries a kept repair forward along its run, one back."""
    for k in range(1, len(made)):
        i = made[k][0]
        if keep[k - 1] and made[k - 1][1] == i and gaps[i] in _PLAIN_GAPS:
            keep[k] = True
    for k in range(len(made) - 2, -1, -1):
        j = made[k][1]
        if keep[k + 1] and made[k + 1][0] == j and gaps[j] in _PLAIN_GAPS:
            keep[k] = True
