"""The engine's piecewise, cached scoring equals the combiner applied to ``model.features``, the
function the model was fitted with: training and runtime cannot drift apart."""

from __future__ import annotations

import math

import pytest

from unspin import engine
from unspin.model import (
    apostrophe_evidence,
    combine,
    doc_counts,
    features,
    is_typographic,
    load_model,
    phrase_counter,
)
from unspin.tokens import neighbours, span_case, tokenize

TEXT = (
    "The warfare within the region has lasted greater than two years, officers stated on Monday. "
    "Individuals had been compelled from their houses, and the nation's authorities stated it "
    "would assist households rebuild for the reason that flooding ended. However the preventing "
    "continued close to the border, the Related Press advised reporters. A firm close to the "
    "company declined to remark. The ministry’s officers said the road isn't protected and the "
    "bridge wasn’t either."
)


def test_engine_scores_match_features() -> None:
    model = load_model()
    compiled = engine._default_compiled()
    toks = tokenize(TEXT)
    cands = engine._candidates(TEXT, toks, compiled, [(0, 1.0)], restore_neighbours=False)
    assert len(cands) > 20
    keys = [t.key for t in toks]
    found = [(c.i, c.j, c.entry.spun) for c in cands]
    counter = phrase_counter(keys, list(dict.fromkeys(found)))
    own_counts = []
    apostrophes = set()
    for c in cands:
        e = c.entry
        case = span_case(toks, c.i, c.j)
        prior = e.priors[engine.CASES.index(case)]
        stats = model.rule_stats.get((e.spun, e.original))
        evidence = sum(stats[4:8]) if stats else 0  # the artifacts, all cases (not the news counts)
        left, right = neighbours(TEXT, toks, c.i, c.j)
        seen = (*model.seen_side(e.spun_text, e.original_text, "<", left, case),
                *model.seen_side(e.spun_text, e.original_text, ">", right, case))
        counts = doc_counts(counter, compiled.siblings[e.original], e.spun_text,
                            compiled.siblings.get(e.spun, ()), e.original_text)
        own_counts.append(counts[2])
        surface = TEXT[toks[c.i].start:toks[c.j - 1].end]
        apostrophe = apostrophe_evidence(surface, e.spun_text, e.original_text, is_typographic(TEXT))
        apostrophes.add(apostrophe)
        feats = features(model.context, prior, evidence, e.spun, e.original, left, right, seen,
                         counts, model.general, apostrophe)
        expected = combine(model.combiner, feats)
        assert math.isclose(c.confidence, expected, rel_tol=1e-9, abs_tol=1e-12), (e.rule.id, left, right)
    assert any(own_counts)  # the spun form's own group is counted somewhere in the text
    assert apostrophes == {-1.0, 0.0, 1.0}  # "wasn’t", most phrases, "isn't" among curly ones


def test_apostrophe_evidence() -> None:
    """A thesaurus is plain text: a contraction the spinner put in has a straight apostrophe."""
    assert is_typographic("the nation’s army") and is_typographic("I’m")
    assert not is_typographic("the nation's army") and not is_typographic("‘quoted’ words")
    assert not is_typographic("’tis, rock ’n’ roll")  # no letter on both sides
    # the row puts the apostrophe in: curly is the source's, straight stands out among curly ones
    assert apostrophe_evidence("isn’t", "isn't", "is not", False) == -1.0
    assert apostrophe_evidence("isn't", "isn't", "is not", True) == 1.0
    assert apostrophe_evidence("isn't", "isn't", "is not", False) == 0.0
    assert apostrophe_evidence("You’ve got", "you've got", "you have", True) == -1.0
    # the apostrophe is the source's own ("People’s" spun to "Individuals’s"): no evidence
    assert apostrophe_evidence("Individuals’s", "individuals's", "people's", True) == 0.0
    assert apostrophe_evidence("stated", "stated", "said", True) == 0.0


@pytest.mark.parametrize("case", ["l", "c", "s", "u"])
def test_case_prior_is_shared(case: str) -> None:
    """learn.case_prior (fitting) and the engine's priors use one formula."""
    from unspin.learn import FoldStats, case_prior
    from unspin.model import case_prior as model_case_prior

    st = FoldStats()
    s, o = ("stated",), ("said",)
    for c, (n, k) in zip("lcsu", [(10, 8), (3, 1), (4, 4), (0, 0)], strict=True):
        st.occ[(s, c)] = n
        st.sub[(s, o, c)] = k
    st.news_occ[(s, "l")] = 6
    st.news_sub[(s, o, "l")] = 6
    assert case_prior(st, s, o, case) == model_case_prior(
        [10, 3, 4, 0, 8, 1, 4, 0, 6, 0, 0, 0, 6, 0, 0, 0], case
    )


def test_news_pairs_move_the_prior_towards_their_own_rate() -> None:
    """The news pairs' own rate moves the pooled estimate, which counts as NEWS_STRENGTH
    occurrences: many news occurrences move it far, a few a little, none not at all."""
    from unspin.model import NEWS_STRENGTH
    from unspin.model import case_prior as model_case_prior

    pooled_counts = [100, 0, 0, 0, 50, 0, 0, 0]  # an artifact half of the time in all training text
    base = model_case_prior(pooled_counts, "l")
    assert base == pytest.approx(0.5, abs=0.01)
    assert model_case_prior([*pooled_counts, 0, 0, 0, 0, 0, 0, 0, 0], "l") == base
    few = model_case_prior([*pooled_counts, 3, 0, 0, 0, 3, 0, 0, 0], "l")
    many = model_case_prior([*pooled_counts, 300, 0, 0, 0, 300, 0, 0, 0], "l")
    assert base < few < many < 1.0
    assert few == pytest.approx((3 + NEWS_STRENGTH * base) / (3 + NEWS_STRENGTH))
    assert many > 0.9
    # news copy where the form is always honest pulls the prior down
    assert model_case_prior([*pooled_counts, 300, 0, 0, 0, 0, 0, 0, 0], "l") < 0.1


def test_news_rate_is_taken_from_the_same_kind_of_letter_case() -> None:
    """Capitalised mid-sentence, a spun word was a name ("24 million Individuals" for "Americans"):
    the news pairs' lower-case rate must not move that estimate, and a sentence-initial capital
    is spelling, so it takes the lower-case rate."""
    from unspin.model import case_prior as model_case_prior

    # all training text: "Individuals" mid-sentence was "americans" 70 times in 100
    counts = [1000, 100, 50, 0, 0, 70, 0, 0]
    news_lower = [20, 0, 0, 0, 0, 0, 0, 0]  # 20 lower-case occurrences in news, none "americans"
    base_c = model_case_prior(counts, "c")
    assert base_c > 0.6
    assert model_case_prior([*counts, *news_lower], "c") == base_c
    news_cap = [0, 20, 0, 0, 0, 20, 0, 0]
    assert model_case_prior([*counts, *news_cap], "c") > base_c
    # lower case and sentence-initial share the news rate
    news_start = [0, 0, 20, 0, 0, 0, 0, 0]
    assert model_case_prior([*counts, *news_start], "l") < model_case_prior(counts, "l")
    assert model_case_prior([*counts, *news_start], "l") == model_case_prior([*counts, *news_lower], "l")


def test_side_statistics_are_kept_apart_for_names() -> None:
    """Seen context is counted separately for a phrase Capitalised mid-sentence or in UPPER case."""
    from unspin.model import side_keys, side_prefix

    assert side_keys(("individuals",), "million", "have") == (
        "individuals\t<million", "individuals\t>have")
    assert side_keys(("individuals",), "million", "have", "s") == side_keys(
        ("individuals",), "million", "have", "l")
    assert side_keys(("individuals",), "million", "have", "c")[0] == "c^individuals\t<million"
    assert {side_prefix(c) for c in "lscu"} == {"", "c^", "u^"}


def test_context_lift_is_observed_over_expected() -> None:
    """A pair never seen says nothing when the words' own counts predict it rare ("a crew" in
    text where "crew" is rare), and counts against the word when they predict it common."""
    from unspin.model import ContextModel

    unigrams = {"a": 20_000, "crew": 2, "team": 400, "the": 50_000, "other": 929_598}  # 1M words
    ctx = ContextModel(unigrams, {"a team": 60})
    assert -0.1 < ctx.lift_left("a", "crew") < 0.0  # expected 0.05 times, seen never
    assert -0.1 < ctx.lift_right("crew", "the") < 0.0  # expected 0.1 times
    assert ctx.lift_left("the", "team") < -2.5  # expected 20 times, seen never
    assert ctx.lift_left("a", "team") > 1.5  # expected 8 times, seen 60


def test_document_model_reads_two_columns_and_refuses_others(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The document model's word weights load exactly (the fast parser agrees with a plain one);
    a file that is not word<TAB>weight on every line is an error, not a shifted table."""
    import gzip
    import shutil

    from unspin import model

    shipped = model.model_dir()
    rows = [line.split("\t") for line in
            gzip.decompress((shipped / "doc_words.tsv.gz").read_bytes()).decode().splitlines()]
    data = tmp_path / "data"
    shutil.copytree(shipped, data / "model")
    monkeypatch.setenv(model.DATA_DIR_ENV, str(data))
    model.load_document_model.cache_clear()
    try:
        assert model.load_document_model().words == {k: float(v) for k, v in rows}
        (data / "model" / "doc_words.tsv.gz").write_bytes(gzip.compress(b"said\t-1.5\nstated\t2.0\textra\n"))
        model.load_document_model.cache_clear()
        with pytest.raises(RuntimeError, match="two columns"):
            model.load_document_model()
    finally:
        model.load_document_model.cache_clear()
