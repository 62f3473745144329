"""Fit the table and model from a corpus (the work behind ``python -m unspin.learn build``).

Kept apart from the runtime: it needs numpy and a corpus, the engine needs neither.
"""

from __future__ import annotations

import collections
import dataclasses
import gzip
import json
import math
import time
from pathlib import Path

from .engine import _quoted_spans, narrative_keys
from .families import family_of
from .learn import (
    Doc,
    FoldStats,
    Key,
    RULE_COUNT_COLUMNS,
    case_prior,
    clean_training_articles,
    clean_training_texts,
    doc_counts,
    inside_longer_events,
    occurrences,
    phrase_counter,
    prepare,
    resolve_events,
    rule_counts,
    sibling_index,
    side_keys,
    training_pairs,
)
from .model import FEATURES, ContextModel, GeneralLM, apostrophe_evidence, features, is_typographic
from .table import COLUMNS, load_table, phrase_key
from .tokens import context_keys, neighbours, span_case, tokenize

MODEL_DIR = Path(__file__).resolve().parent / "data" / "model"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _slug(phrase: str) -> str:
    return "_".join(phrase.lower().replace("’", "'").replace("'", "").replace(".", "").replace(",", "").split())


#: Never-spun news is the target domain, but only a sliver of the training text: its pairs count
#: this many times in the counts and in the combiner's fit (importance weighting).
NEWS_WEIGHT = 6


#: Cross-fitting folds: the combiner and the document model are fitted on features of each fold
#: computed from the counts of the other folds. With five, those counts come from 80 % of the pairs,
#: close to the shipped model's 100 %, so confidences learned in the fit hold on new text (with two
#: folds, features from half the data made the fit trust strong evidence more than it should).
FOLDS = 5


#: Largest weight one word can carry in the document model: no single word proves a text spun.
DOC_CLIP = 1.5
#: The document model weighs a word by how much more often spun text uses it than honest text.
#: Honest text is the training originals (official prose, mostly) and, as this share of them,
#: English at large (the Google Books word frequencies symspellpy ships): a word that ordinary
#: English uses often ("might", "info", "usage", "docs") is weaker evidence of spinning than
#: official prose alone says. On 326 honest Debian READMEs and licences, train-split builds made
#: 1.48 false edits per 1,000 words without it and 0.048 with it; the held-out spun splits moved
#: by at most 0.003 in error reduction. Three values were tried (session 12): 1.0 broke the model
#: (cross-fitted accuracy 0.84 against 0.96), 0.2 missed three of the 20 spun holdout-q articles.
DOC_GENERAL = 0.05


def document_word(word: str) -> bool:
    """May ``word`` carry weight in the document model? Not a lone letter: initials and
    abbreviations ("P.C.", "J. Smith") say nothing about word choice, yet "p" looked spun only
    because the spinner writes "p.c" for "percent"."""
    return len(word) > 1


def is_news_pair(name: str) -> bool:
    """Is the training pair ``name`` one of the spun news pairs (not official prose)?"""
    return name.startswith("spun/")


#: How much an occurrence inside a longer row's event counts towards the shorter row's rate
#: (learn.inside_longer_events): there the decoder picks the longer row, so the place is weak
#: evidence about the contexts where the shorter row decides. Not none: where a shorter row has
#: few places of its own ("brand new" -> "new", nearly always inside "a brand new" -> "a new"),
#: its rate over all places is still the best guess.
DOMINATED_WEIGHT = 0.1


def weight_of(name: str) -> int:
    return NEWS_WEIGHT if is_news_pair(name) else 1


def fit_logistic(X, y, l2: float = 1.0, iters: int = 30, sample_weight=None):  # type: ignore[no-untyped-def]
    """Newton's method for L2-regularised, optionally weighted logistic regression."""
    import numpy as np

    w = np.zeros(X.shape[1])
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    for _ in range(iters):
        z = X @ w
        p = 1 / (1 + np.exp(-z))
        g = X.T @ (sw * (p - y)) + l2 * w
        H = (X * (sw * p * (1 - p))[:, None]).T @ X + l2 * np.eye(X.shape[1])
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    return w


def general_source() -> GeneralLM:
    """General-English word and pair frequencies: the files ``symspellpy`` ships (MIT licence;
    derived from Google Books n-grams, CC BY 3.0). Needed to build the model, not to run it."""
    try:
        import symspellpy
    except ImportError:
        raise SystemExit("building the model needs symspellpy: pip install -e '.[build]'") from None
    d = Path(symspellpy.__file__).resolve().parent
    uni: dict[str, int] = {}
    for line in (d / "frequency_dictionary_en_82_765.txt").read_text(encoding="utf-8").splitlines():
        w, c = line.split()
        uni[w] = int(c)
    bi: dict[str, int] = {}
    for line in (d / "frequency_bigramdictionary_en_243_342.txt").read_text(encoding="utf-8").splitlines():
        a, b, c = line.split()
        bi[f"{a} {b}"] = int(c)
    return GeneralLM(uni, bi, min(bi.values()))


#: The counters of FoldStats, each summed or subtracted as a whole.
_COUNTERS = tuple(f.name for f in dataclasses.fields(FoldStats))


def _sum_stats(parts: list[FoldStats]) -> FoldStats:
    total = FoldStats()
    for st in parts:
        for name in _COUNTERS:
            getattr(total, name).update(getattr(st, name))
    return total


def _without(total: FoldStats, part: FoldStats) -> FoldStats:
    """The counts of every fold but ``part``."""
    out = FoldStats()
    for name in _COUNTERS:
        setattr(out, name, getattr(total, name) - getattr(part, name))
    return out


def build(corpus: Path, repo: Path, min_count: int, split: str = "all", out: Path | None = None,
          n_folds: int = FOLDS) -> None:
    """Fit the table and model from ``corpus`` (see :data:`unspin.learn.SPLITS`) and write them into
    the checkout, or into ``out`` (``out/synonym_map.tsv``, ``out/model/``)."""
    import numpy as np

    general = general_source()
    table_path = (out or repo / "data") / "synonym_map.tsv"
    model_out = out / "model" if out else MODEL_DIR

    _log("aligning training pairs")
    _log(f"split {split}")
    docs: list[Doc] = [prepare(n, s, o) for n, s, o in training_pairs(corpus, split)]
    originals = {d.name: o for d, (_, _, o) in zip(docs, training_pairs(corpus, split), strict=True)}
    counts = resolve_events(docs)
    _log(f"{len(docs)} pairs, {sum(counts.values())} substitution events, {len(counts)} types")

    curated = load_table(repo / "data" / "curated.tsv")
    rules: dict[tuple[Key, Key], int] = {p: c for p, c in counts.items() if c >= min_count and p[1]}
    for r in curated:
        rules.setdefault((phrase_key(r.spun), phrase_key(r.original)), 0)
    index: dict[Key, list[Key]] = collections.defaultdict(list)
    for s, o in rules:
        index[s].append(o)
    max_len = max(len(s) for s in index)

    folds = [FoldStats() for _ in range(n_folds)]
    fold_of = {d.name: k % n_folds for k, d in enumerate(docs)}
    for d in docs:
        st = folds[fold_of[d.name]]
        wgt = weight_of(d.name)
        news = is_news_pair(d.name)
        d.dominated = inside_longer_events(d, index)
        for i, j, s in occurrences(d, index, max_len):
            case = span_case(d.toks, i, j)
            o = d.events.get((i, j))
            if o is not None and o not in index[s]:
                o = None
            # where a longer row explains the edit, the shorter one's rate is other evidence: it
            # counts, but little (see DOMINATED_WEIGHT), and not as seen context
            dominated = (i, j) in d.dominated
            f = DOMINATED_WEIGHT if dominated else 1
            st.occ[(s, case)] += wgt * f
            if news:
                st.news_occ[(s, case)] += f
            if o is not None:
                st.sub[(s, o, case)] += wgt * f
                if news:
                    st.news_sub[(s, o, case)] += f
            if dominated:
                continue
            kl, kr = side_keys(s, *neighbours(d.spun, d.toks, i, j), case)
            st.side[kl] += wgt
            st.side[kr] += wgt
            if o is not None:
                os_ = " ".join(o) + "\t"
                st.side[os_ + kl] += wgt
                st.side[os_ + kr] += wgt
        ks = context_keys(originals[d.name])
        st.uni.update(ks)
        st.bi.update(a + " " + b for a, b in zip(ks, ks[1:], strict=False))
        st.spun_words.update(t.key for t in d.toks)
        st.orig_words.update(k for k in ks if k[0].isalnum())
    clean_uni: collections.Counter[str] = collections.Counter()
    clean_bi: collections.Counter[str] = collections.Counter()
    # the clean articles that are the originals of a fold's news pairs leave the context model
    # together with that fold
    fold_clean = [(collections.Counter[str](), collections.Counter[str]()) for _ in range(n_folds)]
    for pair, text in clean_training_articles(corpus, split):
        ks = context_keys(text)
        bis = [a + " " + b for a, b in zip(ks, ks[1:], strict=False)]
        clean_uni.update(ks)
        clean_bi.update(bis)
        if pair in fold_of:
            fold_clean[fold_of[pair]][0].update(ks)
            fold_clean[fold_of[pair]][1].update(bis)
    _log("counted occurrences and context")

    curated_prior = {(phrase_key(r.spun), phrase_key(r.original)): r.prior for r in curated}

    def prior_of(st: FoldStats, s: Key, o: Key, case: str) -> float:
        if (s, o) in curated_prior and not counts_trusted(st, s, o, True):
            return curated_prior[(s, o)]
        return case_prior(st, s, o, case)

    sibs = sibling_index(rules)

    # Combiner training data, cross-fitted: features of one fold come from the other folds' counts.
    X: list[list[float]] = []
    y: list[float] = []
    sw: list[float] = []
    every_fold = _sum_stats(folds)
    for f in range(n_folds):
        other = _without(every_fold, folds[f])
        ctx = ContextModel(other.uni + (clean_uni - fold_clean[f][0]),
                           other.bi + (clean_bi - fold_clean[f][1]))
        ev = collections.Counter()
        for (s, o, _c), k in other.sub.items():
            ev[(s, o)] += k
        for d in docs:
            if fold_of[d.name] != f:
                continue
            occs = list(occurrences(d, index, max_len))
            counter = phrase_counter([t.key for t in d.toks], occs)
            typographic = is_typographic(d.spun)
            for i, j, s in occs:
                case = span_case(d.toks, i, j)
                if case == "m" or (i, j) in d.dominated:
                    continue
                left, right = neighbours(d.spun, d.toks, i, j)
                kl, kr = side_keys(s, left, right, case)
                truth = d.events.get((i, j))
                surface = d.spun[d.toks[i].start:d.toks[j - 1].end]
                s_text = " ".join(s)
                for o in index[s]:
                    o_text = " ".join(o)
                    os_ = o_text + "\t"
                    seen = (other.side[kl], other.side[os_ + kl], other.side[kr], other.side[os_ + kr])
                    X.append(features(ctx, prior_of(other, s, o, case), ev[(s, o)], s, o, left, right,
                                      seen, doc_counts(counter, sibs[o], s_text, sibs.get(s, ()), o_text),
                                      general, apostrophe_evidence(surface, s_text, o_text, typographic)))
                    y.append(1.0 if truth == o else 0.0)
                    sw.append(weight_of(d.name))
    Xa, ya = np.array(X), np.array(y)
    _log(f"combiner: {len(ya)} candidate occurrences, {int(ya.sum())} true repairs")
    w = fit_logistic(Xa, ya, sample_weight=np.array(sw))
    p = 1 / (1 + np.exp(-(Xa @ w)))
    for th in (0.5, 0.7, 0.9):
        sel = p >= th
        tp = float((ya[sel] == 1).sum())
        _log(f"  cross-fitted at {th}: precision {tp / max(1, sel.sum()):.3f} recall {tp / ya.sum():.3f}")
    _log("  weights " + ", ".join(f"{n}={v:.3f}" for n, v in zip(FEATURES, w, strict=True)))

    # Document model: naive-Bayes word weights, cross-fitted for calibration.
    g_total = sum(general.unigrams.values())

    def llr_table(st: FoldStats) -> dict[str, float]:
        ns, no = sum(st.spun_words.values()), sum(st.orig_words.values())
        out = {}
        for word in set(st.spun_words) | set(st.orig_words):
            a, b = st.spun_words[word], st.orig_words[word]
            if a + b < 8 or not document_word(word):
                continue
            # the honest side: the training originals, and English at large (see DOC_GENERAL)
            b = b + DOC_GENERAL * no * general.unigrams.get(word, 0) / g_total
            v = math.log((a + 0.5) / ns) - math.log((b + 0.5) / (no * (1 + DOC_GENERAL)))
            if abs(v) >= 0.5:
                out[word] = max(-DOC_CLIP, min(DOC_CLIP, v))
        return out

    doc_rows: list[tuple[float, float, float]] = []
    for f in range(n_folds):
        llr = llr_table(_without(every_fold, folds[f]))
        for d in docs:
            if fold_of[d.name] != f:
                continue
            for text, label in ((d.spun, 1.0), (originals[d.name], 0.0)):
                keys = narrative_keys(text, _quoted_spans(text))  # as the engine judges a document
                for n in (40, 120, len(keys)):
                    part = keys[:n]
                    total = sum(llr.get(k, 0.0) for k in set(part))  # as DocumentModel does
                    doc_rows.append((total / math.sqrt(max(1, len(part))), total, label))
    D = np.array(doc_rows)
    Xd = np.column_stack([np.ones(len(D)), D[:, 1]])
    wd = fit_logistic(Xd, D[:, 2], l2=0.1)
    pd_ = 1 / (1 + np.exp(-(Xd @ wd)))
    acc = float(((pd_ >= 0.5) == (D[:, 2] == 1)).mean())
    _log(f"document model: weights {wd.round(3).tolist()}, cross-fitted accuracy {acc:.4f}")

    all_stats = every_fold
    all_stats.uni.update(clean_uni)
    all_stats.bi.update(clean_bi)
    # Base rates of every rule phrase: in the training originals and in never-spun news, so the
    # engine can move the learned priors to the news domain (posterior odds scale with P(o)/P(s)).
    phrases = {s for s, _ in rules} | {o for _, o in rules}
    plen = max(len(p) for p in phrases)
    train_counts = count_phrases((originals[d.name] for d in docs), phrases, plen)
    news_counts = count_phrases(clean_training_texts(corpus, split), phrases, plen)
    rates = (train_counts, news_counts)
    proper = proper_nouns(originals.values())
    write_outputs(split, table_path, model_out, rules, curated, all_stats, w.tolist(), wd.tolist(),
                  llr_table(all_stats), rates, proper, general)


def _count_text(x: float) -> str:
    """A count as written to the table and model files: whole counts as integers, weighted ones
    (see DOMINATED_WEIGHT) to four decimals."""
    x = round(x, 4)
    return str(int(x)) if x == int(x) else f"{x:.4f}".rstrip("0")


def counts_trusted(st: FoldStats, s: Key, o: Key, curated: bool) -> bool:
    """Use learned counts for a pair? Always for learned rows; for a curated row only when the
    alignment saw the pair as one unit often enough (it may split "for the reason that")."""
    return not curated or sum(st.sub[(s, o, c)] for c in "lcsu") >= 5


#: Plural magnitudes, and the words an original may use for a quantity the spun text states
#: with one of them (number words, magnitudes, quantifiers, spans of time).
MAGNITUDES = frozenset({"dozens", "hundreds", "thousands", "millions", "billions", "1000's", "100's"})
QUANTITIES = MAGNITUDES | frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "dozen", "hundred",
    "thousand", "million", "billion", "many", "several", "numerous", "lots", "countless", "scores",
    "centuries", "decades", "years",
})


def plausible_learned_row(s: Key, o: Key, prior: float) -> bool:
    """Reject alignment debris: rows too rare to ever fire, and rows where one side is the other
    plus two or more words (a thesaurus spinner swaps phrases; it does not drop content)."""
    if prior < 0.005:
        return False
    n = len(s)
    if len(o) > n and any(o[k : k + n] == s for k in range(len(o) - n + 1)):
        return False  # "25" -> "25 percent" would grow again on its own output: never idempotent
    if any(w in MAGNITUDES for w in s) and not any(w in QUANTITIES or w[:1].isdigit() for w in o):
        return False  # "thousands of individuals" -> "people": a quantity cannot vanish (it was
        # "millions" -> "hundreds of thousands" beside "people" -> "individuals", misaligned)
    short, long_ = (s, o) if len(s) < len(o) else (o, s)
    if len(long_) - len(short) >= 2:
        n = len(short)
        if any(long_[k : k + n] == short for k in range(len(long_) - n + 1)):
            return False
    return True


def proper_nouns(texts) -> set[str]:
    """Lower-cased words that news copy capitalises even mid-sentence (names, nationalities)."""
    cap: collections.Counter[str] = collections.Counter()
    low: collections.Counter[str] = collections.Counter()
    for text in texts:
        for line in text.splitlines():
            toks = [t for t in tokenize(line) if t.case in "lcsu"]
            if len(toks) > 2 and sum(t.case != "l" for t in toks) > len(toks) / 2:
                continue  # a title or headline in Title Case says nothing about a word's case
            for t in toks:
                if t.case == "c":
                    cap[t.key] += 1
                elif t.case == "l":
                    low[t.key] += 1
    # Never lower-case at all: government prose capitalises "the Department", "the President".
    return {w for w, c in cap.items() if c >= 5 and low[w] == 0}


def count_phrases(texts, phrases: set[Key], max_len: int) -> tuple[collections.Counter[Key], int]:
    """Occurrences of each phrase in ``texts``, and the number of words read."""
    counts: collections.Counter[Key] = collections.Counter()
    words = 0
    for text in texts:
        keys = [t.key for t in tokenize(text)]
        words += len(keys)
        for i in range(len(keys)):
            for n in range(1, max_len + 1):
                k = tuple(keys[i : i + n])
                if len(k) < n:
                    break
                if k in phrases:
                    counts[k] += 1
    return counts, words


def write_outputs(split: str, table_path: Path, model_out: Path, rules, curated, st: FoldStats, weights, doc_weights,
                  llr, rates, proper: set[str], general: GeneralLM) -> None:
    """Write the table and the model files."""
    curated_pairs = {(phrase_key(r.spun), phrase_key(r.original)): r for r in curated}
    rows = []
    used_ids: set[str] = set()
    for (s, o), c in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])):
        if (s, o) in curated_pairs:
            continue
        n_all = sum(st.occ[(s, cc)] for cc in "lcsu")
        k_all = sum(st.sub[(s, o, cc)] for cc in "lcsu")
        if n_all == 0 or k_all == 0:
            continue
        prior = min(1.0, max(0.0005, k_all / n_all))
        if not plausible_learned_row(s, o, prior):
            continue
        cap = sum(st.sub[(s, o, cc)] for cc in "c") > 0.6 * k_all and st.sub[(s, o, "l")] == 0
        spun = " ".join(s)
        orig = " ".join(w[:1].upper() + w[1:] if w in proper else w for w in o)
        fam = family_of(spun, orig, cap)
        rid = f"{fam}.{_slug(spun)}.{_slug(orig)}"
        if rid in used_ids:
            continue
        used_ids.add(rid)
        note = (f"learned: artifact of '{orig}' in {_count_text(k_all)} of {_count_text(n_all)}"
                " occurrences in aligned spun text")
        rows.append([rid, spun, orig, fam, "", "", f"{prior:.4f}", str(c), note.replace("\t", " ")])
    header = [
        "# unspin reverse-synonym table. UTF-8, tab-separated, one spun form -> original form a row.",
        "# Columns: id (stable, family.spun.original), spun, original, family, guard (named context",
        "# check, see README), protect (|-separated phrases in which the spun form is honest), prior",
        "# (share of this spun form that was an artifact of this original in aligned spun text),",
        "# count (aligned occurrences seen; 0 for curated rows), note (evidence or reason).",
        "# Generated by `python -m unspin.learn build` from data/curated.tsv plus aligned training",
        "# pairs; edit data/curated.tsv, not this file, for hand-made rows.",
    ]
    out_rows = [[r.id, r.spun, r.original, r.family, r.guard, "|".join(r.protect), f"{r.prior:g}",
                 str(r.count), r.note] for r in curated] + rows
    table_path.parent.mkdir(parents=True, exist_ok=True)
    table_path.write_text(
        "\n".join(header + ["\t".join(COLUMNS)] + ["\t".join(r) for r in out_rows]) + "\n", encoding="utf-8"
    )
    _log(f"wrote {len(out_rows)} table rows ({len(curated)} curated)")

    model_out.mkdir(parents=True, exist_ok=True)
    vocab = set()
    for s, o in rules:
        vocab.update((s[0], s[-1], o[0], o[-1]))
    uni = {k: v for k, v in st.uni.items() if v >= 2 or k in vocab}
    bi = {k: v for k, v in st.bi.items() if v >= 2 and any(w in vocab for w in k.split(" "))}
    stats_lines = ["\t".join(["spun", "original", *RULE_COUNT_COLUMNS])]
    for (s, o) in sorted(rules):
        row = rule_counts(st, s, o)
        if sum(row[:4]) == 0 or not counts_trusted(st, s, o, (s, o) in curated_pairs):
            continue  # row[:4]: occurrences of the spun phrase
        stats_lines.append("\t".join([" ".join(s), " ".join(o), *map(_count_text, row)]))
    _write_gz(model_out / "rule_stats.tsv.gz", stats_lines)
    _write_gz(model_out / "unigrams.tsv.gz", [f"{k}\t{v}" for k, v in sorted(uni.items())])
    _write_gz(model_out / "bigrams.tsv.gz", [f"{k}\t{v}" for k, v in sorted(bi.items())])
    (train_c, train_n), (news_c, news_n) = rates
    _write_gz(model_out / "phrase_rates.tsv.gz", ["phrase\ttrain\tnews"] + [
        f"{' '.join(p)}\t{train_c[p]}\t{news_c[p]}" for p in sorted(set(train_c) | set(news_c))])
    # Every substitution seen (also those too rare to be a row), for checking damaged names.
    _write_gz(model_out / "channel_pairs.tsv.gz",
              [f"{' '.join(s)}\t{' '.join(o)}" for s, o in sorted(rules) if len(s) == len(o) == 1])
    side_lines = [f"{k}\t{v}" for k, v in sorted(st.side.items()) if v >= 2]
    _write_gz(model_out / "side_stats.tsv.gz", side_lines)
    # General English, pruned to what a gain can read: pairs with a rule's first word on the right
    # or its last word on the left, and the counts of the rules' words.
    firsts = {p[0] for s, o in rules for p in (s, o)}
    lasts = {p[-1] for s, o in rules for p in (s, o)}
    g_bi = {k: v for k, v in general.bigrams.items()
            if k.split(" ")[1] in firsts or k.split(" ")[0] in lasts}
    g_uni = {k: v for k, v in general.unigrams.items() if k in firsts or k in lasts}
    _write_gz(model_out / "general_unigrams.tsv.gz", [f"#threshold\t{general.threshold}"]
              + [f"{k}\t{v}" for k, v in sorted(g_uni.items())])
    _write_gz(model_out / "general_bigrams.tsv.gz", [f"{k}\t{v}" for k, v in sorted(g_bi.items())])
    _write_gz(model_out / "doc_words.tsv.gz", [f"{k}\t{v:.4f}" for k, v in sorted(llr.items())])
    (model_out / "weights.json").write_text(json.dumps(
        {"format": 1, "features": list(FEATURES), "combiner": weights, "document": doc_weights,
         "words": {"train": train_n, "news": news_n}, "split": split},
        indent=1) + "\n", encoding="utf-8")
    _log(f"model: {len(uni)} unigrams, {len(bi)} bigrams, {len(llr)} document words")
    drop_dead_rows(table_path, model_out)


def drop_dead_rows(path: Path, model_out: Path) -> None:
    """Remove learned rows the engine prunes (prior under PRUNE_PRIOR in every case, after the
    move to news base rates): a row in the table must be able to fire."""
    from .engine import compile_rules
    from .model import read_model
    from .table import load_table

    rules = load_table(path)
    compiled = compile_rules(rules, read_model(model_out))
    alive = {e.rule.id for v in compiled.entries.values() for e in v}
    lines = path.read_text(encoding="utf-8").split("\n")
    dead = {r.id for r in rules} - alive
    kept = [ln for ln in lines if not (ln and not ln.startswith("#") and ln.split("\t", 1)[0] in dead)]
    path.write_text("\n".join(kept), encoding="utf-8")
    _log(f"dropped {len(dead)} rows that can never fire; {len(alive)} rows remain")


def _write_gz(path: Path, lines: list[str]) -> None:
    # mtime=0 keeps the file byte-identical between identical builds
    data = ("\n".join(lines) + "\n").encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
