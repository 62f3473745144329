"""The statistical model behind every decision: context language model, rule statistics,
document model and the combiner weights. Shared by the engine (runtime) and by ``learn`` (fitting),
so features are computed by exactly one piece of code.

Decision in one line: for a spun phrase ``s`` seen between words ``L`` and ``R``, the odds that the
original was ``o`` are the learned prior odds (how often ``s`` was an artifact of ``o`` in aligned
spun/original text, for this letter case) times how much better ``o`` than ``s`` fits between ``L``
and ``R`` in never-spun text (bigram lift), weighted by a logistic model fitted on held-apart data.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import math
import os
import sys
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

KAPPA = 1.0  # pseudo-count added to a word pair's observed and expected counts (ContextModel.lift_left)
CASES = "lcsu"


def sibling_index(pairs) -> dict[tuple[str, ...], tuple[str, ...]]:
    """For each original phrase: itself and every spun form the table derives from it (as text)."""
    sib: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for s, o in pairs:
        sib[o].update((" ".join(s), " ".join(o)))
    return {o: tuple(v) for o, v in sib.items()}


def doc_counts(counter: Counter, sibs: tuple[str, ...], s: str,
               own: tuple[str, ...] = (), o: str = "") -> tuple[int, int, int]:
    """(other members of the original's group seen in this document, other copies of ``s``,
    members of the group of ``s`` as an original: ``own``, its own siblings, without ``s`` and the
    original ``o``)."""
    return (sum(counter[x] for x in sibs if x != s), counter[s] - 1,
            sum(counter[x] for x in own if x != s and x != o))


def phrase_counter(keys: Sequence[str], occs: Sequence[tuple[int, int, tuple[str, ...]]]) -> Counter:
    """Counts of single words and of the multi-word table phrases found in a document."""
    c: Counter = Counter(keys)
    c.update(" ".join(s) for i, j, s in occs if j - i > 1)
    return c


def case_kind(case: str) -> str:
    """The kind of letter case by which a phrase's news rate and seen context are kept: "" for
    lower case and a sentence start, where a capital is spelling; the case itself for a phrase
    Capitalised mid-sentence ("c") or in UPPER case ("u"), which the spinner met as a name or a
    title ("24 million Individuals" was "Americans"; in lower case "individuals" next to
    "million" was "people")."""
    return "" if case == "l" or case == "s" else case


#: For each case of :data:`CASES`, the positions in it of the cases of the same kind.
_SAME_KIND = tuple(tuple(k for k, d in enumerate(CASES) if case_kind(d) == case_kind(c))
                   for c in CASES)


def side_prefix(case: str) -> str:
    """What the side statistics of a phrase in letter case ``case`` are keyed with before the
    phrase: nothing, or its :func:`case_kind` and "^" ("c^", "u^")."""
    kind = case_kind(case)
    return kind + "^" if kind else ""


def side_keys(s: tuple[str, ...], left: str, right: str, case: str = "l") -> tuple[str, str]:
    """Keys of the spun-side context statistics (see :meth:`Model.seen_side`)."""
    ss = side_prefix(case) + " ".join(s)
    return ss + "\t<" + left, ss + "\t>" + right


class ContextModel:
    """Unigram and bigram counts of never-spun text, answering 'how well does w fit here?'."""

    __slots__ = ("bigrams", "log_total", "total", "unigrams", "vocab")

    def __init__(self, unigrams: Mapping[str, int], bigrams: Mapping[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = max(1, sum(unigrams.values()))
        self.vocab = max(1, len(unigrams))
        self.log_total = math.log(self.total + 0.5 * self.vocab)

    def logp(self, w: str) -> float:
        """Smoothed log unigram probability."""
        return math.log(self.unigrams.get(w, 0) + 0.5) - self.log_total

    def lift_left(self, left: str, w: str) -> float:
        """log P(w | left) - log P(w): how much the left neighbour favours ``w``, as the log ratio of
        the pair's count to its count expected if the two words were independent, both with
        :data:`KAPPA` added (a pair never seen is no evidence when it would be rare anyway)."""
        expected = self.unigrams.get(left, 0) * math.exp(self.logp(w))
        return math.log((self.bigrams.get(left + " " + w, 0) + KAPPA) / (expected + KAPPA))

    def lift_right(self, w: str, right: str) -> float:
        """log P(right | w) - log P(right): how much ``w`` favours the right neighbour (as above)."""
        expected = self.unigrams.get(w, 0) * math.exp(self.logp(right))
        return math.log((self.bigrams.get(w + " " + right, 0) + KAPPA) / (expected + KAPPA))


class GeneralLM:
    """Word and word-pair frequencies of general English (Google Books n-grams, through the
    frequency files ``symspellpy`` ships), pruned to pairs that touch a table phrase.

    The pair counts stop at a threshold, and pairs and words come from different samples, so only
    ratios are used: how much likelier the original than the spun word is after ``left`` (or before
    ``right``), divided by how much likelier it is overall. A pair under the threshold counts as
    half the threshold; when both pairs are under it, or the neighbour is not a known word, the
    data says nothing and the gain is 0.
    """

    __slots__ = ("bigrams", "floor", "threshold", "unigrams")

    def __init__(self, unigrams: Mapping[str, int], bigrams: Mapping[str, int], threshold: int) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.threshold = threshold
        self.floor = threshold / 2

    def _gain(self, a: str, b: str, pair_o: str, pair_s: str) -> float:
        c_o, c_s = self.bigrams.get(pair_o, 0), self.bigrams.get(pair_s, 0)
        if not c_o and not c_s:
            return 0.0
        u_o, u_s = self.unigrams.get(a, 0), self.unigrams.get(b, 0)
        if not u_o or not u_s:
            return 0.0
        g = math.log(max(c_o, self.floor) / max(c_s, self.floor)) - math.log(u_o / u_s)
        return max(-6.0, min(6.0, g))

    def left_gain(self, left: str, spun: Sequence[str], original: Sequence[str]) -> float:
        """log [P(o | left) / P(o)] - log [P(s | left) / P(s)] for the first words."""
        if len(original) != 1 or len(spun) != 1:
            return 0.0  # see right_gain
        o, s = original[0], spun[0]
        if o == s:
            return 0.0
        return self._gain(o, s, left + " " + o, left + " " + s)

    def right_gain(self, right: str, spun: Sequence[str], original: Sequence[str]) -> float:
        """The same for the word after. Single words only: for a phrase, the pair made with its
        last word ("not agree" for "could not") says little about the phrase ("could not agree")."""
        if len(original) != 1 or len(spun) != 1:
            return 0.0
        o, s = original[-1], spun[-1]
        if o == s:
            return 0.0
        return self._gain(o, s, o + " " + right, s + " " + right)


EMPTY_GENERAL = GeneralLM({}, {}, 1)


def logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


#: Before reading a word, unspin assumes one text in ten is spun. The document model was fitted on
#: equal numbers of spun and honest texts; this prior moves its odds so that a short honest text
#: with a few spinner-like words ("naval warfare", "plenty of") is not taken for spun copy. (One in
#: five let three such honest paragraphs together pass for spun; held-out spun news scores the same
#: under both, its spin probability being near 1.)
SPIN_PRIOR = 0.1
#: Below this many words a text's spin probability is scaled down in proportion (see
#: :meth:`DocumentModel.spin_probability`).
MIN_WORDS = 20

FEATURES = ("bias", "prior", "left", "right", "evidence", "multiword", "lm_unigram",
            "seen_left", "seen_right", "doc_original", "doc_spun", "general_left", "general_right",
            "doc_own", "apostrophe")


#: How many occurrences the pooled estimate counts for when the news pairs' own rate moves it:
#: news copy is what unspin repairs, but the news pairs are few (chosen among 10, 30 and 100 on
#: the news holdout; see README).
NEWS_STRENGTH = 30.0


def case_prior(stats: Sequence[int], case: str) -> float:
    """P(original | spun phrase in this letter case) from training counts: ``stats`` holds the
    phrase's occurrences per case (l c s u), then how many were artifacts of the original, per
    case, and optionally the same eight counts from the news pairs alone. The estimate for one
    case is smoothed towards all cases pooled; then the news pairs' own rate in the same kind of
    case moves it (see :func:`case_kind`), the estimate so far counting as
    :data:`NEWS_STRENGTH` occurrences ("Individuals" mid-sentence is mostly the spinner's
    "Americans"; the news pairs' many lower-case "individuals" say nothing of it)."""
    n_all, k_all = sum(stats[:4]), sum(stats[4:8])
    pooled = (k_all + 0.05) / (n_all + 1.0)
    ci = CASES.index(case)
    p = (stats[4 + ci] + 3.0 * pooled) / (stats[ci] + 3.0)
    if len(stats) > 8:
        same = _SAME_KIND[ci]
        n_news, k_news = sum(stats[8 + k] for k in same), sum(stats[12 + k] for k in same)
        p = (k_news + NEWS_STRENGTH * p) / (n_news + NEWS_STRENGTH)
    return p


def side_gain(n_ctx: int, k_ctx: int, p: float) -> float:
    """Log-odds change of a repair given how often this spun phrase, next to this very word, was an
    artifact of this original in the aligned training text (``k_ctx`` of ``n_ctx`` times)."""
    if n_ctx == 0:
        return 0.0
    return max(-4.0, min(4.0, logit((k_ctx + 2.0 * p) / (n_ctx + 2.0)) - logit(p)))


def left_gain(ctx: ContextModel, left: str, spun: Sequence[str], original: Sequence[str]) -> float:
    """How much better the original's first word follows ``left`` than the spun one's (clipped)."""
    g = ctx.lift_left(left, original[0]) - ctx.lift_left(left, spun[0])
    return max(-6.0, min(6.0, g))


def right_gain(ctx: ContextModel, right: str, spun: Sequence[str], original: Sequence[str]) -> float:
    """How much better ``right`` follows the original's last word than the spun one's (clipped)."""
    g = ctx.lift_right(original[-1], right) - ctx.lift_right(spun[-1], right)
    return max(-6.0, min(6.0, g))


def unigram_gain(ctx: ContextModel, spun: Sequence[str], original: Sequence[str]) -> float:
    """Log frequency ratio of the original's and the spun phrase's first words (clipped)."""
    return max(-8.0, min(8.0, ctx.logp(original[0]) - ctx.logp(spun[0])))


def features(
    ctx: ContextModel,
    prior: float,
    evidence: int,
    spun: Sequence[str],
    original: Sequence[str],
    left: str,
    right: str,
    seen: tuple[int, int, int, int] = (0, 0, 0, 0),
    doc_counts: tuple[int, int, int] = (0, 0, 0),
    general: GeneralLM = EMPTY_GENERAL,
    apostrophe: float = 0.0,
) -> list[float]:
    """The combiner's inputs for replacing ``spun`` by ``original`` between ``left`` and ``right``
    (``apostrophe``: see :func:`apostrophe_evidence`).

    The engine evaluates the same terms piecewise, with caches (``engine._candidates``);
    ``tests/test_model.py`` checks that both agree.
    """
    n_l, k_l, n_r, k_r = seen
    return [
        1.0,
        logit(prior),
        left_gain(ctx, left, spun, original),
        right_gain(ctx, right, spun, original),
        math.log1p(evidence),
        1.0 if len(spun) > 1 else 0.0,
        unigram_gain(ctx, spun, original),
        side_gain(n_l, k_l, prior),
        side_gain(n_r, k_r, prior),
        math.log1p(doc_counts[0]),
        math.log1p(doc_counts[1]),
        general.left_gain(left, spun, original),
        general.right_gain(right, spun, original),
        math.log1p(doc_counts[2]),
        apostrophe,
    ]


def inserts_apostrophe(spun: str, original: str) -> bool:
    """Does the row put in an apostrophe its original has not ("isn't" -> "is not", "you've got"
    -> "you have", "1000's" -> "thousands")? Then the apostrophe came from the spinner's
    thesaurus, not from the text it spun (unlike "individuals's" -> "people's", whose "'s" is the
    source's own)."""
    return spun.count("'") > original.count("'")


def is_typographic(text: str) -> bool:
    """Does ``text`` write its own apostrophes curly ("it’s", "nation’s"): a ’ between letters."""
    k = text.find("’")
    while k != -1:
        if k > 0 and text[k - 1].isalpha() and text[k + 1 : k + 2].isalpha():
            return True
        k = text.find("’", k + 1)
    return False


def apostrophe_evidence(surface: str, spun: str, original: str, typographic: bool) -> float:
    """What the apostrophe of a phrase says of who wrote it, for a row that puts one in (see
    :func:`inserts_apostrophe`): a spinner's thesaurus is plain text, so a contraction it inserts has
    a straight apostrophe. Written curly (``surface`` holds ’), the phrase is the source's own: -1.
    Written straight in a text whose own apostrophes are curly (``typographic``), it stands out
    as the spinner's: +1. Otherwise 0 (a text typed with straight apostrophes says nothing)."""
    if not inserts_apostrophe(spun, original):
        return 0.0
    if "’" in surface:
        return -1.0
    return 1.0 if typographic and "'" in surface else 0.0


def combine(weights: Sequence[float], feats: Sequence[float]) -> float:
    """Probability that the repair is right, given the features."""
    return sigmoid(sum(w * f for w, f in zip(weights, feats, strict=True)))


class Model:
    """Everything learned, loaded once per process (see :func:`load_model`)."""

    __slots__ = ("combiner", "context", "general", "rates", "rule_stats", "side", "words_news", "words_train")

    def __init__(
        self,
        context: ContextModel,
        combiner: list[float],
        rule_stats: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[int, ...]],
        rates: dict[tuple[str, ...], tuple[int, int]],
        words: dict[str, int],
        side: dict[str, int],
        general: GeneralLM = EMPTY_GENERAL,
    ) -> None:
        self.general = general
        self.side = side
        self.rates = rates
        self.words_train = max(1, words["train"])
        self.words_news = max(1, words["news"])
        self.context = context
        self.combiner = combiner
        self.rule_stats = rule_stats

    def seen_side(self, spun: str, original: str, side: str, word: str,
                  case: str = "l") -> tuple[int, int]:
        """How often training text had ``spun`` in this kind of letter ``case`` (see
        :func:`side_prefix`) with ``word`` on this side (``<`` left, ``>`` right), and how many of
        those were artifacts of ``original``. (0, 0) for a pair whose
        artifacts were not counted (a row of your own, or a curated row the alignment split): its
        zero artifacts would say "never the spinner's here" without having looked."""
        if (tuple(spun.split(" ")), tuple(original.split(" "))) not in self.rule_stats:
            return 0, 0
        k = side_prefix(case) + spun + "\t" + side + word
        return self.side.get(k, 0), self.side.get(original + "\t" + k, 0)

    def domain_shift(self, phrase: tuple[str, ...]) -> float:
        """log P_news(phrase) - log P_train(phrase): how much likelier the phrase is in news.

        The news estimate is smoothed towards the training rate (it rests on a small corpus), and
        news is mixed half and half with training text, so the shift stays moderate.
        """
        c_train, c_news = self.rates.get(phrase, (0, 0))
        p_train = (c_train + 0.5) / self.words_train
        k = 2000.0
        p_news = (c_news + k * p_train) / (self.words_news + k)
        return math.log(0.5 * p_news + 0.5 * p_train) - math.log(p_train)

class DocumentModel:
    """How likely a whole text is spun, from its words: small, loaded before anything else so an
    honest text is passed through without loading the context model."""

    __slots__ = ("bias", "positive", "scale", "words")

    def __init__(self, words: dict[str, float], bias: float, scale: float) -> None:
        self.words = words
        self.bias = bias + logit(SPIN_PRIOR)
        self.scale = scale
        self.positive = {k: v for k, v in words.items() if v > 0}  # the words that point to spun

    def positive_total(self, keys: Sequence[str]) -> float:
        """Sum of the positive weights of ``keys``, repeats included: what any words among them
        can add to the log-odds at most (see :meth:`max_probability`). Sums of parts add up."""
        return sum(map(self.positive.get, keys, itertools.repeat(0.0)))

    def max_probability(self, positive_total: float) -> float:
        """An upper bound on :meth:`spin_probability` of any words whose :meth:`positive_total` is
        at most ``positive_total`` (each distinct word counts once there, negative weights only
        lower the sum, and short texts are scaled down)."""
        return sigmoid(self.bias + self.scale * positive_total) if self.scale > 0 else 1.0

    def spin_probability(self, keys: Sequence[str]) -> float:
        """P(the text was spun) from its words (naive Bayes, calibrated).

        Each distinct word counts once: a word repeated is not new evidence (one honest
        paragraph quoted three times is no more spun than once). Texts shorter than
        :data:`MIN_WORDS` carry too little evidence for naive Bayes, which treats correlated words
        as independent: their probability is scaled down by length.
        """
        # fsum is exact, so the total does not depend on the order of the set, which changes
        # with PYTHONHASHSEED: every process gives the same score to the last bit
        total = math.fsum(map(self.words.get, set(keys), itertools.repeat(0.0)))
        p = sigmoid(self.bias + self.scale * total)
        if len(keys) < MIN_WORDS:
            p *= len(keys) / MIN_WORDS
        return p


@functools.cache
def load_document_model() -> DocumentModel:
    """The bundled document model (a few thousand word weights)."""
    d = model_dir()
    weights = _read_weights(d)
    # word<TAB>weight lines, parsed in C (every start needs them: 1 ms instead of 3.5)
    text = gzip.decompress((d / "doc_words.tsv.gz").read_bytes()).decode("utf-8")
    lines = text.splitlines()
    cells = "\t".join(lines).split("\t")
    if len(cells) != 2 * len(lines):
        raise RuntimeError(f"{d / 'doc_words.tsv.gz'}: expected two columns on every line")
    words = dict(zip(cells[0::2], map(float, cells[1::2]), strict=True))
    bias, scale = weights["document"]
    return DocumentModel(words, bias, scale)


@functools.cache
def channel_pairs() -> frozenset[tuple[str, str]]:
    """Every one-word (spun, original) substitution seen in training, rare ones included."""
    return frozenset((r[0], r[1]) for r in _read_tsv_gz(model_dir() / "channel_pairs.tsv.gz"))


def _read_weights(d: Path) -> dict[str, Any]:
    weights = json.loads((d / "weights.json").read_text(encoding="utf-8"))
    if weights.get("format") != 1 or list(weights.get("features", ())) != list(FEATURES):
        raise RuntimeError(f"{d / 'weights.json'}: model format does not match this unspin version")
    return weights


def _read_tsv_gz(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()]


#: Names a folder holding ``synonym_map.tsv`` and ``model/`` to use instead of the bundled ones
#: (for measuring a model built with ``python -m unspin.learn build --out``).
DATA_DIR_ENV = "UNSPIN_DATA_DIR"


def model_dir() -> Path:
    """Folder of the model files: the bundled one, or ``$UNSPIN_DATA_DIR/model``."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override) / "model"
    return Path(__file__).resolve().parent / "data" / "model"


#: Bump when the layout of anything pickled into the cache changes.
CACHE_VERSION = 45


@functools.cache
def model_digest() -> str:
    """Fingerprint of the shipped model files: names the on-disk caches built from them."""
    files = sorted(p for p in model_dir().iterdir() if p.is_file())
    return f"{fingerprint(files)}-v{CACHE_VERSION}-py{sys.version_info[0]}{sys.version_info[1]}"


def fingerprint(files: Sequence[Path]) -> str:
    """16 hex digits that change when the name, size or content of one of ``files`` changes: a
    cache key, not a security check (CRC-32 and Adler-32, 64 bits, with ``zlib``; hashing the
    3 MB of model files with ``hashlib`` took 9-10 ms of every start that needs the table).
    The content of a ``.gz`` file is taken as its last 8 bytes: gzip ends a file with the CRC-32
    and the length of the uncompressed data, so the rest of the file need not be read."""
    crc = adler = 1
    for p in files:
        if p.name.endswith(".gz"):
            with open(p, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - 8))
                content = f.read()
        else:
            content = p.read_bytes()
            size = len(content)
        head = f"{p.name}\t{size}\t".encode()
        crc = zlib.crc32(content, zlib.crc32(head, crc))
        adler = zlib.adler32(content, zlib.adler32(head, adler))
    return f"{crc:08x}{adler:08x}"


def cached(name: str, build: Any, load: Any = None) -> Any:
    """``build()``, or its result pickled earlier under ``name`` in the cache directory; with
    ``load``, ``load(`` that value ``)``.

    The cache lives in ``$UNSPIN_CACHE_DIR`` (default ``~/.cache/unspin``); names carry content
    hashes, so a stale entry is never read. An unwritable cache only costs start-up time. Each
    new entry prunes the least recently used ones (see :func:`_prune_cache`).
    A cached value that ``load`` cannot take (it raises) is built again and rewritten.
    Byte strings the value wraps in ``pickle.PickleBuffer`` are stored after the pickle and come
    back as read-only memoryviews of the file mapped into memory: only the pages used are read.
    """
    import pickle  # here, not at module level: start-up time

    cache_dir = _cache_dir()
    if cache_dir is None:  # no usable place for a cache: build, as an unwritable one would
        value = build()
        return value if load is None else load(value)
    path = cache_dir / f"{name}.pickle"
    unreadable = (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, ImportError,
                  TypeError, KeyError, IndexError)
    with _BUILD_LOCK:  # threads of one process build a missing entry once, not once each
        try:
            value = _read_cache(path)
            value = value if load is None else load(value)
        except unreadable:
            value = build()
            _write_cache(path, value)
            return value if load is None else load(value)
    try:
        os.utime(path)  # "recently used", for _prune_cache
    except OSError:
        pass
    return value


_CACHE_MAGIC = b"unspin-cache\n"
#: Held while a cache entry is read or built (see :func:`cached`).
_BUILD_LOCK = threading.RLock()


def _read_cache(path: Path) -> Any:
    """A value written by :func:`_write_cache`: magic, an Adler-32 checksum of the rest, the number
    of out-of-band buffers, their lengths and the pickle's (8 bytes each, little-endian), the
    pickle, the buffers."""
    import mmap
    import pickle

    with open(path, "rb") as f:
        try:
            data: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError:  # a file system that cannot map files: read it instead
            data = f.read()
    view = memoryview(data)
    pos = len(_CACHE_MAGIC)
    if data[:pos] != _CACHE_MAGIC:
        raise ValueError(f"{path}: not an unspin cache file")
    # a checksum of everything after it: parts of the value are unpacked only when a text needs
    # them, so damage found then could not be repaired by building the entry again
    if int.from_bytes(data[pos : pos + 8], "little") != zlib.adler32(view[pos + 8 :]):
        raise ValueError(f"{path}: damaged")
    pos += 8
    n = int.from_bytes(data[pos : pos + 8], "little")
    sizes = [int.from_bytes(data[pos + 8 * k : pos + 8 * k + 8], "little") for k in range(1, n + 2)]
    pos += 8 * (n + 2)
    pickled_end = pos + sizes[-1]
    buffers, at = [], pickled_end
    for size in sizes[:-1]:
        buffers.append(view[at : at + size])
        at += size
    if at != len(data):
        raise ValueError(f"{path}: truncated")
    return pickle.loads(view[pos:pickled_end], buffers=buffers)


def _write_cache(path: Path, value: Any) -> None:
    """Best effort: an unwritable cache only costs start-up time (see :func:`_read_cache`)."""
    import pickle

    buffers: list[pickle.PickleBuffer] = []
    pickled = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
    raws = [b.raw() for b in buffers]
    header = b"".join(x.to_bytes(8, "little") for x in [len(raws), *(len(r) for r in raws), len(pickled)])
    checksum = zlib.adler32(header)
    for part in (pickled, *raws):
        checksum = zlib.adler32(part, checksum)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(_CACHE_MAGIC + checksum.to_bytes(8, "little") + header)
            f.write(pickled)
            f.writelines(raws)
        os.replace(tmp, path)
    except OSError:
        _unlink(str(tmp))  # a full disk must not stay full of a half-written entry
        return
    _prune_cache(path.parent, path)


#: Total size of cache files kept (an install's model and table take about 23 MB together): each
#: upgrade, model or ``--table`` of its own writes new ones, and the old ones would stay forever.
CACHE_KEEP_BYTES = 256 * 2**20
#: A temporary cache file older than this (seconds) was left by a writer that died.
_STALE_TMP_SECS = 3600


def _prune_cache(folder: Path, keep: Path) -> None:
    """Delete the least recently used cache files of ``folder`` (by modification time, which a
    read refreshes) beyond :data:`CACHE_KEEP_BYTES` in total, never ``keep``, and temporary files
    of writers that died. Only names unspin writes are touched; best effort (a file another
    process still has mapped stays readable to it on POSIX; where it cannot be deleted, it stays)."""
    import re
    import time

    ours = re.compile(r"(?:model|table)-[\w.-]+\.(pickle|\d+\.tmp)\Z")
    now = time.time()
    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                m = ours.match(e.name)
                if m is None or e.path == str(keep):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                if m.group(1) != "pickle":
                    if now - st.st_mtime > _STALE_TMP_SECS:
                        _unlink(e.path)
                    continue
                entries.append((st.st_mtime, st.st_size, e.path))
        total = keep.stat().st_size
    except OSError:
        return
    for _mtime, size, path in sorted(entries, reverse=True):  # most recently used first
        total += size
        if total > CACHE_KEEP_BYTES:
            _unlink(path)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@functools.cache
def load_model() -> Model:
    """Load the bundled model, from the on-disk cache when one matches the shipped files."""
    d = model_dir()
    return _assemble(cached(f"model-{model_digest()}", lambda: _load_parts(d)))


def read_model(d: Path) -> Model:
    """The model in folder ``d``, read without any cache (for the builder)."""
    return _assemble(_load_parts(d))


def _assemble(parts: tuple[Any, ...]) -> Model:
    uni, bi, weights, stats, rates, side, general = parts
    return Model(ContextModel(uni, bi), weights["combiner"], stats, rates, weights["words"], side,
                 GeneralLM(*general))


def _count(x: str) -> float:
    """A count of ``rule_stats.tsv.gz``: whole, or weighted (see build.DOMINATED_WEIGHT)."""
    return int(x) if x.isdigit() else float(x)


def _load_parts(d: Path) -> tuple[Any, ...]:
    uni = {k: int(v) for k, v in _read_tsv_gz(d / "unigrams.tsv.gz")}
    bi = {k: int(v) for k, v in _read_tsv_gz(d / "bigrams.tsv.gz")}
    weights = _read_weights(d)
    stats = {}
    rows = _read_tsv_gz(d / "rule_stats.tsv.gz")
    for row in rows[1:]:
        stats[(tuple(row[0].split(" ")), tuple(row[1].split(" ")))] = tuple(_count(x) for x in row[2:])
    rates = {tuple(r[0].split(" ")): (int(r[1]), int(r[2])) for r in _read_tsv_gz(d / "phrase_rates.tsv.gz")[1:]}
    side = {}
    for line in gzip.decompress((d / "side_stats.tsv.gz").read_bytes()).decode("utf-8").splitlines():
        k, _, v = line.rpartition("\t")
        side[k] = int(v)
    return uni, bi, weights, stats, rates, side, read_general(d)


def read_general(d: Path) -> tuple[dict[str, int], dict[str, int], int]:
    """(unigrams, bigrams, pair threshold) of the general-English frequency files."""
    rows = _read_tsv_gz(d / "general_unigrams.tsv.gz")
    threshold = int(rows[0][1])  # first row: "#threshold", the smallest pair count in the source
    uni = {k: int(v) for k, v in rows[1:]}
    bi = {k: int(v) for k, v in _read_tsv_gz(d / "general_bigrams.tsv.gz")}
    return uni, bi, threshold


def _cache_dir() -> Path | None:
    """Where cache entries go, or None when no home directory can be found for "~"."""
    base = os.environ.get("UNSPIN_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    try:
        return Path(base).expanduser() / "unspin"
    except RuntimeError:  # "~" or "~user" with no home directory known (a container's uid)
        return None


