"""The engine's inlined, cached scoring (``engine._candidates``) gives exactly the floats of the
model's reference functions (``left_gain``, ``side_gain``, ``GeneralLM.left_gain``, ...) summed in
the engine's order: speed-ups of the inner loop must not move a single bit of a confidence. The
same holds for the second look at candidates next to a likely repair, which are judged beside that
repair's original."""

from __future__ import annotations

import math
import random
from pathlib import Path

from unspin import engine
from unspin.model import (
    apostrophe_evidence,
    is_typographic,
    left_gain,
    load_model,
    phrase_counter,
    right_gain,
    side_gain,
)
from unspin.tokens import Tokens, gap_mark, neighbours, plain_gaps, span_case, tokenize

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _reference(
    text: str, compiled: engine.Compiled, restore_neighbours: bool = False
) -> list[tuple[int, int, int, float]]:
    """(i, j, entry index, confidence) of every candidate, computed term by term from the model.
    With ``restore_neighbours``, a candidate whose neighbouring word (no punctuation between) is
    covered by a candidate of confidence >= NEIGHBOUR_SURE with a non-empty original is scored
    again with that original's nearest word as the neighbour (the likeliest such candidate)."""
    toks = tokenize(text)
    raw = _reference_scores(text, compiled, toks, {})
    if not restore_neighbours:
        return raw
    sure = [(conf, i, j, compiled.by_index[k][0].original) for i, j, k, conf in raw
            if conf >= engine.NEIGHBOUR_SURE and compiled.by_index[k][0].original]
    ends = {j: max((s for s in sure if s[2] == j), key=lambda s: s[0])[3][-1] for _, _, j, _ in sure}
    begins = {i: max((s for s in sure if s[1] == i), key=lambda s: s[0])[3][0] for _, i, _, _ in sure}
    words = {}  # (i, j) -> (left, right) where a likely repair replaces a neighbouring word
    for i, j, _, _ in raw:
        left, right = neighbours(text, toks, i, j)
        if i > 0 and gap_mark(text[toks[i - 1].end : toks[i].start]) is None and i in ends:
            left = ends[i]
        if j < len(toks) and gap_mark(text[toks[j - 1].end : toks[j].start]) is None and j in begins:
            right = begins[j]
        words[i, j] = (left, right)
    return _reference_scores(text, compiled, toks, words)


def _reference_scores(
    text: str, compiled: engine.Compiled, toks: list, words: dict[tuple[int, int], tuple[str, str]]
) -> list[tuple[int, int, int, float]]:
    """The reference confidences, with the neighbours of ``words`` where it has them."""
    model = load_model()
    ctx, general, w = model.context, model.general, model.combiner
    cands = engine._candidates(text, toks, compiled, [(0, 1.0)], restore_neighbours=False)
    keys = [t.key for t in toks]
    longest = max(map(len, compiled.entries))
    found = [(i, i + m, tuple(keys[i : i + m])) for i in range(len(keys))
             for m in range(2, min(longest, len(keys) - i) + 1)
             if tuple(keys[i : i + m]) in compiled.entries and plain_gaps(text, toks, i, i + m)]
    counter = phrase_counter(keys, found)
    out = []
    for c in cands:
        e = c.entry
        case = span_case(toks, c.i, c.j)
        ci = engine.CASES.index(case)
        p = e.priors[ci]
        left, right = words.get((c.i, c.j)) or neighbours(text, toks, c.i, c.j)
        n_l, k_l = model.seen_side(e.spun_text, e.original_text, "<", left, case)
        n_r, k_r = model.seen_side(e.spun_text, e.original_text, ">", right, case)
        lt = (w[2] * left_gain(ctx, left, e.spun, e.original) + w[7] * side_gain(n_l, k_l, p)
              + w[11] * general.left_gain(left, e.spun, e.original))
        rt = (w[3] * right_gain(ctx, right, e.spun, e.original) + w[8] * side_gain(n_r, k_r, p)
              + w[12] * general.right_gain(right, e.spun, e.original))
        total = sum(counter[x] for x in compiled.siblings[e.original])
        d_s = counter[e.spun_text]
        own = sum(counter[x] for x in compiled.siblings.get(e.spun, ())
                  if x != e.spun_text and x != e.original_text)
        z = (e.base[ci] + lt + rt + w[9] * math.log1p(total - d_s)
             + (w[10] * math.log1p(d_s - 1) + w[13] * math.log1p(own)))
        surface = text[toks[c.i].start:toks[c.j - 1].end]
        if "'" in e.spun_text:  # as the engine adds it: only for phrases holding an apostrophe
            z += w[14] * apostrophe_evidence(surface, e.spun_text, e.original_text, is_typographic(text))
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
               '"', "-", "US", "and", "a", "people", "government", "1,000", "it's",
               "isn’t", "nation’s"]  # curly apostrophes: the typography term (model.apostrophe_evidence)
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
                   for c in engine._candidates(text, Tokens(text), compiled, [(0, 1.0)],
                                                 restore_neighbours=False)]
            assert got == _reference(text, compiled)
        compiled.left_cache.clear()
        compiled.right_cache.clear()


def test_candidates_next_to_a_likely_repair_are_judged_beside_its_original() -> None:
    compiled = engine._default_compiled()
    changed = 0
    for text in _texts():
        for _ in range(2):  # cold caches, then warm ones
            got = [(c.i, c.j, c.entry.index, c.confidence)
                   for c in engine._candidates(text, Tokens(text), compiled, [(0, 1.0)])]
            assert got == _reference(text, compiled, restore_neighbours=True)
        changed += got != _reference(text, compiled)
        compiled.left_cache.clear()
        compiled.right_cache.clear()
    assert changed >= 10  # the second look moves confidences in most of these texts


def test_a_row_without_counted_artifacts_has_no_seen_context(tmp_path: Path) -> None:
    """A row of your own whose spun form the training text holds (with other originals) is not
    judged by seen-context counts: its artifacts were never counted, so "k of n times the
    spinner's here" would read 0 of n. The prior of the row decides, as the table documents."""
    from unspin.options import Options
    from unspin.table import default_table, phrase_key

    model = load_model()
    # a spun form of the bundled table seen in training after "the"
    rule = next(r for r in default_table()
                if len(phrase_key(r.spun)) == 1 and model.side.get(f"{r.spun}\t<the", 0) >= 3)
    assert model.seen_side(rule.spun, rule.original, "<", "the")[0] >= 3
    mine = tmp_path / "mine.tsv"
    mine.write_text("id\tspun\toriginal\tfamily\tguard\tprotect\tprior\tcount\tnote\n"
                    f"everyday.mine\t{rule.spun}\tnonesuch\teveryday\t\t\t0.9\t0\tmine\n",
                    encoding="utf-8")
    assert model.seen_side(rule.spun, "nonesuch", "<", "the") == (0, 0)
    text = f"Officials said the {rule.spun} was discussed on Monday."
    compiled = engine._compiled_for(Options(extra_tables=(str(mine),)))
    got = {(i, j, k): c for i, j, k, c in _reference(text, compiled)}
    cands = engine._candidates(text, Tokens(text), compiled, [(0, 1.0)], restore_neighbours=False)
    assert any(c.entry.rule.id == "everyday.mine" for c in cands)
    for c in cands:
        assert c.confidence == got[c.i, c.j, c.entry.index]


def test_rows_of_your_own_are_judged_by_their_prior(tmp_path: Path) -> None:
    """A bundled row copied unchanged into a table of your own scores as before; given another
    prior, it is judged by that prior, not by the training counts of the same pair."""
    from unspin.options import Options
    from unspin.table import default_table

    model = load_model()
    rule = next(r for r in default_table() if r.count >= 3 and not r.guard and not r.protect
                and len(r.spun.split()) == 1 and r.spun.isalpha())
    header = "id\tspun\toriginal\tfamily\tguard\tprotect\tprior\tcount\tnote\n"

    def confidence(prior: str | None) -> float:
        options = Options(use_document_model=False, min_confidence=0.0)
        if prior is not None:
            mine = tmp_path / f"mine-{prior}.tsv"
            mine.write_text(header + "\t".join([rule.id, rule.spun, rule.original, rule.family, "",
                                                "", prior, str(rule.count), rule.note]) + "\n",
                            encoding="utf-8")
            options = Options(use_document_model=False, min_confidence=0.0, extra_tables=(str(mine),))
        text = f"Officials said the {rule.spun} was discussed on Monday."
        return next(c.confidence for c in engine.candidates(text, options) if c.rule == rule.id)

    pair = (tuple(rule.spun.lower().split()), tuple(rule.original.lower().split()))
    assert model.rule_stats.get(pair) is not None  # the pair has training counts
    bundled = confidence(None)
    assert confidence(f"{rule.prior:g}") == bundled
    low, high = confidence("0.05"), confidence("0.95")
    assert low < high
    assert low < bundled


def test_a_table_compiled_with_its_own_model_keeps_its_counts() -> None:
    """``compile_rules`` judges rows by the model's training counts unless told which rows are
    your own: the build compiles a new table (whose rows are no bundled rows) against the model
    learned with it, to drop the rows that can never fire."""
    import dataclasses

    from unspin.table import default_table

    model = load_model()
    rule = next(r for r in default_table() if r.count >= 3)
    other = dataclasses.replace(rule, prior=0.05)  # as a rebuilt table may state it
    as_built = engine.compile_rules((other,), model)
    bundled = engine.compile_rules((rule,), model)
    yours = engine.compile_rules((other,), model, own=frozenset({other.id}))

    def priors(compiled: engine.Compiled) -> tuple[float, ...]:
        return next(e for v in compiled.entries.values() for e in v).priors

    assert priors(as_built) == priors(bundled)
    assert priors(yours) != priors(bundled)
