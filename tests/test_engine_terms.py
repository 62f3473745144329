"""The engine's inlined, cached scoring (``engine._candidates``) gives exactly the floats of the
model's reference functions (``left_gain``, ``side_gain``, ``GeneralLM.left_gain``, ...) summed in
the engine's order: speed-ups of the inner loop must not move a single bit of a confidence."""

from __future__ import annotations

import math
import random
from pathlib import Path

from unspin import engine
from unspin.model import left_gain, load_model, phrase_counter, right_gain, side_gain
from unspin.tokens import Tokens, neighbours, plain_gaps, span_case, tokenize

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _reference(text: str, compiled: engine.Compiled) -> list[tuple[int, int, int, float]]:
    """(i, j, entry index, confidence) of every candidate, computed term by term from the model."""
    model = load_model()
    ctx, general, w = model.context, model.general, model.combiner
    toks = tokenize(text)
    cands = engine._candidates(text, toks, compiled, [(0, 1.0)])
    keys = [t.key for t in toks]
    longest = max(map(len, compiled.entries))
    found = [(i, i + m, tuple(keys[i : i + m])) for i in range(len(keys))
             for m in range(2, min(longest, len(keys) - i) + 1)
             if tuple(keys[i : i + m]) in compiled.entries and plain_gaps(text, toks, i, i + m)]
    counter = phrase_counter(keys, found)
    out = []
    for c in cands:
        e = c.entry
        ci = engine.CASES.index(span_case(toks, c.i, c.j))
        p = e.priors[ci]
        left, right = neighbours(text, toks, c.i, c.j)
        n_l, k_l = model.seen_side(e.spun_text, e.original_text, "<", left)
        n_r, k_r = model.seen_side(e.spun_text, e.original_text, ">", right)
        lt = (w[2] * left_gain(ctx, left, e.spun, e.original) + w[7] * side_gain(n_l, k_l, p)
              + w[11] * general.left_gain(left, e.spun, e.original))
        rt = (w[3] * right_gain(ctx, right, e.spun, e.original) + w[8] * side_gain(n_r, k_r, p)
              + w[12] * general.right_gain(right, e.spun, e.original))
        total = sum(counter[x] for x in compiled.siblings[e.original])
        d_s = counter[e.spun_text]
        z = e.base[ci] + lt + rt + w[9] * math.log1p(total - d_s) + w[10] * math.log1p(d_s - 1)
        conf = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
        out.append((c.i, c.j, e.index, conf))
    return out


def _texts() -> list[str]:
    """The example article, and word salad of table phrases next to all sorts of neighbours
    (frequent and unknown words, punctuation, sentence ends), in every letter case."""
    compiled = engine._default_compiled()
    rng = random.Random(7)
    phrases = sorted(" ".join(k) for k in compiled.entries)
    fillers = ["the", "said", "officials", "of", "zqxj", "war", "on", "Monday", ",", ".", ";", "(",
               '"', "-", "US", "and", "a", "people", "government", "1,000", "it's"]
    texts = [(EXAMPLES / "spun_article.txt").read_text(encoding="utf-8")]
    for _ in range(40):
        words = []
        for _ in range(300):
            x = rng.choice(phrases) if rng.random() < 0.5 else rng.choice(fillers)
            words.append(rng.choice([x, x.capitalize(), x.upper()]) if rng.random() < 0.3 else x)
        texts.append(" ".join(words))
    return texts


def test_inlined_terms_are_exact() -> None:
    compiled = engine._default_compiled()
    for text in _texts():
        # cold caches, then warm ones: both paths give the reference floats bit for bit
        for _ in range(2):
            got = [(c.i, c.j, c.entry.index, c.confidence)
                   for c in engine._candidates(text, Tokens(text), compiled, [(0, 1.0)])]
            assert got == _reference(text, compiled)
        compiled.left_cache.clear()
        compiled.right_cache.clear()
