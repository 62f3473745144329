"""Pieces of the model build (``python -m unspin.learn build``) that can be checked without the corpus."""

from __future__ import annotations

import collections

import pytest

pytest.importorskip("numpy")  # the build's own extra; the arithmetic below does not need it

from unspin.build import _COUNTERS, _sum_stats, _without, document_word
from unspin.learn import FoldStats

FIELDS = ("occ", "sub", "uni", "bi", "spun_words", "orig_words", "side", "news_occ", "news_sub")


def test_every_counter_is_carried() -> None:
    assert set(_COUNTERS) == set(FIELDS)


def _fold(seed: int) -> FoldStats:
    st = FoldStats()
    for k, name in enumerate(FIELDS):
        getattr(st, name).update({f"w{(seed + k + i) % 5}": seed + i + 1 for i in range(3)})
    return st


def test_counts_of_the_other_folds() -> None:
    folds = [_fold(s) for s in range(4)]
    every = _sum_stats(folds)
    for f in range(4):
        rest = _without(every, folds[f])
        for name in FIELDS:
            expected: collections.Counter[str] = collections.Counter()
            for g, st in enumerate(folds):
                if g != f:
                    expected.update(getattr(st, name))
            assert getattr(rest, name) == +expected, (f, name)
    # the folds themselves are left alone
    assert all(getattr(folds[0], n) == getattr(_fold(0), n) for n in FIELDS)


def test_document_words() -> None:
    assert not document_word("p")  # "P.C.", initials
    assert document_word("stated")
    assert document_word("12")


def test_clean_articles_are_named_after_the_pair_spun_from_them(tmp_path) -> None:
    """Cross-fitting leaves a clean article out with its news pair: the names must line up."""
    from unspin.learn import clean_training_articles, training_pairs

    (tmp_path / "large").mkdir()
    for n in ("001", "002"):
        pair = tmp_path / "spun" / n
        pair.mkdir(parents=True)
        (pair / "original.txt").write_text(f"Article {n} said.\n", encoding="utf-8")
        (pair / "spun.txt").write_text(f"Article {n} stated.\n", encoding="utf-8")
    (tmp_path / "clean").mkdir()
    for n in ("001", "002"):
        (tmp_path / "clean" / f"{n}_story.txt").write_text(f"Article {n} said.\n", encoding="utf-8")
    originals = {name: o for name, _s, o in training_pairs(tmp_path, "all")}
    clean = dict(clean_training_articles(tmp_path, "all"))
    assert clean == originals == {"spun/001": "Article 001 said.\n", "spun/002": "Article 002 said.\n"}
    assert dict(clean_training_articles(tmp_path, "train")) == {"spun/001": "Article 001 said.\n"}


def test_an_insertion_is_widened_left_right_and_on_both_sides() -> None:
    from unspin.learn import raw_ops

    spun = "killed at the very least eleven people".split()
    original = "killed at least eleven people".split()
    got = {(" ".join(spun[i:j]), " ".join(o)) for i, j, o in raw_ops(spun, original)}
    # the spinner replaced the phrase "at least": only widening on both sides finds it whole
    assert got == {("at the very", "at"), ("the very least", "least"),
                   ("at the very least", "at least")}


def test_a_replacement_is_not_widened() -> None:
    from unspin.learn import raw_ops

    got = list(raw_ops("officials stated it".split(), "officials said it".split()))
    assert got == [(1, 2, ("said",))]


def test_a_row_inside_a_longer_event_does_not_take_its_evidence() -> None:
    """ "the federal government" for "the government" is also recorded as "the federal" -> "the";
    where the longer row is in the table, that place is not the shorter row's own evidence."""
    from unspin.learn import inside_longer_events, prepare, resolve_events

    doc = prepare("large/0001", "the federal government acted", "the government acted")
    resolve_events([doc])
    key = tuple
    index = {key(["the", "federal"]): [key(["the"])],
             key(["federal", "government"]): [key(["government"])],
             key(["the", "federal", "government"]): [key(["the", "government"])]}
    # spans (token i, token j) inside the three-word event; the event itself is not among them
    assert inside_longer_events(doc, index) >= {(0, 2), (1, 3)}
    assert (0, 3) not in inside_longer_events(doc, index)
    # without the longer row in the table, the two-word rows stand on their own
    del index[key(["the", "federal", "government"])]
    assert not inside_longer_events(doc, index) & {(0, 2), (1, 3)}


def test_weighted_counts_are_written_and_read_back() -> None:
    from unspin.build import _count_text
    from unspin.model import _count

    assert [_count_text(x) for x in (3, 3.0, 12.1000000001, 0.35)] == ["3", "3", "12.1", "0.35"]
    assert [_count(x) for x in ("3", "12.1", "0.35")] == [3, 12.1, 0.35]
    assert isinstance(_count("3"), int)
