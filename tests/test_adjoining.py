"""A repair beside an applied repair is applied from engine.ADJOINING times the threshold (README,
step 6 of *How unspin decides*); alone it needs the threshold."""

from __future__ import annotations

from unspin.engine import ADJOINING, _adjoining_kept
from unspin.repairs import Repair
from unspin.tokens import Tokens


def _made(text: str, spans: list[tuple[int, int, float]]) -> tuple[list, list[str]]:
    toks = Tokens(text)
    made = []
    for i, j, conf in spans:
        start, end = toks.starts[i], toks.ends[j - 1]
        made.append((i, j, Repair(start, end, text[start:end], "x", conf, "r")))
    return made, toks.gaps


def test_a_neighbour_across_a_space_is_kept_in_a_chain() -> None:
    made, gaps = _made("aa bb cc dd, ee", [(0, 1, 0.9), (1, 2, 0.45), (2, 3, 0.42), (4, 5, 0.45)])
    keep = [r.confidence >= 0.5 for _, _, r in made]
    _adjoining_kept(made, keep, gaps)
    # bb beside aa, then cc beside bb; ee is alone (dd is not repaired)
    assert keep == [True, True, True, False]


def test_punctuation_or_a_skipped_word_breaks_the_adjoining() -> None:
    made, gaps = _made("aa, bb cc dd", [(0, 1, 0.9), (1, 2, 0.45), (3, 4, 0.45)])
    keep = [r.confidence >= 0.5 for _, _, r in made]
    _adjoining_kept(made, keep, gaps)
    assert keep == [True, False, False]


def test_a_neighbour_before_the_repair_counts_too() -> None:
    made, gaps = _made("aa bb", [(0, 1, 0.41), (1, 2, 0.7)])
    keep = [r.confidence >= 0.5 for _, _, r in made]
    _adjoining_kept(made, keep, gaps)
    assert keep == [True, True]


def test_the_share_is_below_one() -> None:
    assert 0.5 < ADJOINING < 1.0


def test_a_run_is_kept_back_to_its_start_from_a_kept_repair_at_its_end() -> None:
    made, gaps = _made("aa bb cc dd. ee", [(0, 1, 0.45), (1, 2, 0.42), (2, 3, 0.41), (3, 4, 0.9),
                                          (4, 5, 0.45)])
    keep = [r.confidence >= 0.5 for _, _, r in made]
    _adjoining_kept(made, keep, gaps)
    assert keep == [True, True, True, True, False]
