"""The paragraph windows of the document model (``engine.local_spin``): a neighbourhood that looks
unmistakably spun keeps that verdict inside an honest-looking text, and the bar for
"unmistakably" rises with the number of windows judged, so that one honest window in a long text
does not pass for spun by chance."""

from __future__ import annotations

from collections.abc import Sequence

from unspin import engine


class _FakeDocumentModel:
    """Spin probability ``marked`` for a window holding the word "marker", ``plain`` otherwise."""

    def __init__(self, marked: float, plain: float = 0.001) -> None:
        self.marked, self.plain = marked, plain

    def spin_probability(self, keys: Sequence[str]) -> float:
        return self.marked if "marker" in keys else self.plain


def _text(honest_paragraphs: int) -> str:
    marked = " ".join(["marker"] + ["word"] * 59)
    honest = " ".join(["plain"] * 60)
    return "\n\n".join([marked] + [honest] * honest_paragraphs)


def _verdicts(text: str, marked: float) -> list[float]:
    keys = engine.word_keys(text)
    spin = 0.001
    return [f for _, f in engine.local_spin(text, _FakeDocumentModel(marked), keys, spin)]


def test_a_sure_window_keeps_its_verdict_in_a_short_text() -> None:
    verdicts = _verdicts(_text(1), marked=0.995)  # 120 words: the bar is odds 65.7 x 2.4
    assert verdicts[0] == 0.995
    assert verdicts[1] == 0.001  # the honest paragraph keeps the document's verdict


def test_the_bar_rises_with_the_number_of_windows() -> None:
    # 1,260 words: 25.2 windows, so the bar is odds 65.7 x 25.2 (p = 0.99940)
    assert _verdicts(_text(20), marked=0.995)[0] == 0.001
    assert _verdicts(_text(20), marked=0.9995)[0] == 0.9995


def test_the_bar_for_one_window_is_local_sure() -> None:
    # 51 words, just over one window: the bar is LOCAL_SURE itself, near enough (p = 0.98529)
    text = " ".join(["marker"] + ["word"] * 40) + "\n\n" + " ".join(["plain"] * 10)
    below = engine.LOCAL_SURE - 0.01
    assert _verdicts(text, marked=engine.LOCAL_SURE + 0.002)[0] == engine.LOCAL_SURE + 0.002
    assert _verdicts(text, marked=below)[0] == 0.001


class _JudgeEveryWindow:
    """The real document model without its bound: every window is judged."""

    def __init__(self, dm) -> None:  # type: ignore[no-untyped-def]
        self.dm = dm
        self.calls = 0

    def spin_probability(self, keys: Sequence[str]) -> float:
        self.calls += 1
        return self.dm.spin_probability(keys)


def test_windows_skipped_by_the_bound_change_no_verdict() -> None:
    """Skipping the windows whose positive word weights cannot reach the bar gives the same
    verdicts as judging them all, on texts of spun and honest paragraphs mixed in many ways."""
    import json
    import random
    from pathlib import Path

    from unspin.model import load_document_model
    from unspin.tokens import Tokens

    cases = Path(__file__).parent / "cases"
    spun = [c["input"] for c in json.loads((cases / "spun.json").read_text(encoding="utf-8"))]
    honest = [c["input"] for c in json.loads((cases / "negative.json").read_text(encoding="utf-8"))]
    dm = load_document_model()
    rng = random.Random(7)
    skipped = reached = 0
    for n in range(120):
        paragraphs = rng.sample(spun, rng.randint(0, 4)) + rng.sample(honest, rng.randint(1, 8))
        rng.shuffle(paragraphs)
        text = "\n\n".join(paragraphs)
        toks = Tokens(text)
        keys = engine.word_keys_of(toks)
        spin = dm.spin_probability(keys)
        every = _JudgeEveryWindow(dm)
        expected = engine.local_spin(text, every, keys, spin, toks)
        counted = _JudgeEveryWindow(dm)
        counted.positive_total = dm.positive_total  # type: ignore[attr-defined]
        counted.max_probability = dm.max_probability  # type: ignore[attr-defined]
        assert engine.local_spin(text, counted, keys, spin, toks) == expected, n
        assert engine.local_spin(text, dm, keys, spin) == expected, n  # without the tokens too
        skipped += every.calls - counted.calls
        reached += any(f != spin for _, f in expected)
    assert skipped > 100 and reached > 5, (skipped, reached)


# --- built-in artifacts as document evidence (engine.with_artifacts) ----------------------------


def _found(text: str) -> list:
    from unspin.builtin import number_fixes

    return list(number_fixes(text))


def test_spinner_only_artifacts_raise_the_spin_score_up_to_a_cap() -> None:
    one = _found("It cost $three million.")
    two = _found("It cost $three million and about six,000 jobs.")
    assert {f.rule for f in two} == {"number.currency", "number.word_digits"}

    def odds(p: float) -> float:
        return p / (1 - p)

    assert engine.with_artifacts(0.5, [], []) == 0.5
    assert abs(odds(engine.with_artifacts(0.5, one, [])) - odds(0.5) * 2.718281828**1.5) < 1e-6
    capped = engine.with_artifacts(0.5, two + two, [])  # four artifacts count no more than two
    assert abs(capped - engine.with_artifacts(0.5, two, [])) < 1e-12
    # a text that reads clearly honest stays under an even chance whatever it holds
    assert engine.with_artifacts(0.04, two + two, []) < 0.5
    assert engine.with_artifacts(0.0, two, []) == 0.0 and engine.with_artifacts(1.0, two, []) == 1.0


def test_artifacts_in_quotes_and_honest_number_styles_do_not_count() -> None:
    text = 'She said: "It cost $three million." Forty six people came; 17 % voted.'
    found = _found(text)
    assert {f.rule for f in found} >= {"number.currency", "number.compound", "number.percent_sign"}
    quote = (text.index('"'), text.rindex('"') + 1)
    assert engine.with_artifacts(0.3, found, [quote]) == 0.3  # "forty six" and "17 %" happen honestly
    assert engine.with_artifacts(0.3, found, []) > 0.3


def test_a_short_spun_sentence_with_money_in_words_is_judged_spun() -> None:
    import unspin

    text = ("Officers stated the storm caused $one hundred million in damage, and the city set "
            "aside $seventy five million for repairs.")
    a = unspin.analyze(text)
    assert a.spin_score > 0.9
    assert a.text.startswith("Officials said the storm caused $100 million")
    # the same words without the artifacts are not enough evidence on their own
    plain = unspin.analyze(text.replace("$one hundred", "$100").replace("$seventy five", "$75"))
    assert plain.spin_score < 0.6 and "stated" in plain.text


# --- intact collocations as evidence of honest text (engine.with_intact_collocations) ----------


def test_few_places_of_broken_context_lower_a_spun_verdict_and_many_do_not() -> None:
    f = engine.with_intact_collocations
    # literary prose: 250 words that look spun, no phrase in a context the spinner breaks
    assert f(0.997, 0, 250) < 0.5
    # spun copy has about 5 such places in 100 words; at 3 in 100 nothing moves
    assert f(0.997, 15, 300) == 0.997 and f(0.9, 9, 300) == 0.9
    # the evidence is capped, and a short text carries little of it
    assert f(0.9999, 0, 10_000) > 0.5
    assert f(0.9, 0, 20) > 0.8
    # it never raises a score, and leaves certainties alone
    assert f(0.2, 40, 100) == 0.2 and f(0.0, 0, 500) == 0.0 and f(1.0, 0, 500) == 1.0


def test_a_window_without_such_places_does_not_overrule_the_document() -> None:
    from unspin.tokens import Tokens

    text = _text(3)
    toks = Tokens(text)
    keys = engine.word_keys_of(toks)  # the tokens' own keys: places are token numbers
    marked = [f for _, f in engine.local_spin(text, _FakeDocumentModel(0.9999), keys, 0.001, toks)]
    assert marked[0] > 0.99  # the marked paragraph overrules the honest document...
    places_elsewhere = [70, 130]  # tokens of the honest paragraphs only
    kept = engine.local_spin(text, _FakeDocumentModel(0.9999), keys, 0.001, toks, places_elsewhere)
    assert [f for _, f in kept] == [0.001] * 4  # ...only if one of its phrases is in a broken context
    with_place = engine.local_spin(text, _FakeDocumentModel(0.9999), keys, 0.001, toks, [3])
    assert with_place[0][1] > 0.99


def test_candidates_judge_the_document_as_analyze_does() -> None:
    """engine.candidates (for inspection) weighs the same document evidence as analyze: in an
    honest essay whose words look spun but whose phrases sit in intact contexts, no candidate
    reaches the default threshold, and analyze repairs nothing."""
    from pathlib import Path

    import unspin

    text = (Path(__file__).parent / "honest_registers" / "literary_essay.txt").read_text(encoding="utf-8")
    assert unspin.analyze(text).repairs == ()
    assert max(c.confidence for c in engine.candidates(text, unspin.Options())) < 0.5
