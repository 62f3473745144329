"""Property-based tests (issue 5): nothing is lost, nothing crashes, whatever the input.

Inputs: arbitrary Unicode (every category but surrogates), targeted hostile alphabets (whitespace
runs, CRLF, lone CR, tabs, BOM, zero-width and bidi controls, combining marks, emoji, NUL, letters
whose case mapping changes length), spun phrases from the bundled table in every case pattern, and
mutations of the hand-written spun paragraphs in ``tests/cases/spun.json``.

Budget: the ``ci`` profile (300 examples a property, see conftest.py); ``--slow`` runs 5,000.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st
from timing import best_time

import unspin
from unspin.table import default_table

CASES = Path(__file__).parent / "cases"


def _inputs(name: str, key: str = "input") -> list[str]:
    with (CASES / name).open(encoding="utf-8") as f:
        return [c[key] for c in json.load(f) if c.get("expect") != "fail" or key == "input"]


SPUN_PARAGRAPHS = [t for t in _inputs("spun.json") if len(t.split()) >= 6]
# Negatives written to be full of a spinner's favourite words pass alone (negative.json), but two
# of them joined can look spun to the document model (known-failures.json keeps such pairs): the
# museum paragraph ("naval warfare"), the law firm ("P.C.", "firm", "brief"), numbers spelt out in
# Special English style, "a long time", "the federal government ... we now have ... the best
# way", and "teams ... the place had been ... Record 12 ... the file" (a known failure until
# session 12: it passes alone, but after "Officers from three police forces ..." it looks spun).
_SPINNER_LIKE = ("naval warfare", "P.C.,", "one hundred fifty thousand", "took a long time",
                 "we now have a plan", "nineteen ninety-six", "the place had been empty")
CLEAN_PARAGRAPHS = [
    t for t in _inputs("negative.json")
    if len(t.split()) >= 8 and not any(marker in t for marker in _SPINNER_LIKE)
]
assert len(SPUN_PARAGRAPHS) >= 10 and len(CLEAN_PARAGRAPHS) >= 30

HAND_SPUN = [
    "stated",
    "warfare",
    "Related Press",
    "The New York Occasions",
    "Supreme Courtroom",
    "White Home",
    "for the reason that",
    "six,000",
    "1000's",
    "with out",
    "the place",
    "had been",
    "turn into",
    "12 months",
    "our bodies",
    "advised reporters",
    "nuclear energy stations",
    "the preventing continued",
    "in actual fact",
    "a part of",
    "as a way to",
    "a whole lot of",
    "couldn't",
    "didn't",
    "it'll",
    "one of many",
    "greater than",
]


def _table_phrases() -> list[str]:
    try:
        rules = default_table()
    except unspin.TableError:  # reported by test_table_loader; keep the properties running
        return []
    phrases = sorted({r.spun for r in rules} | {r.original for r in rules})
    return phrases


TABLE_PHRASES = _table_phrases() or HAND_SPUN
RULES_BY_ID = {r.id: r for r in default_table()} if TABLE_PHRASES is not HAND_SPUN else {}

HOSTILE = [
    " ",
    "  ",
    "   ",
    "\n",
    "\n\n",
    "\r\n",
    "\r\n\r\n",
    "\r",
    "\t",
    "\t\t",
    "\x0b",
    "\x0c",
    "\u00a0",
    "\u202f",
    "\u2009",
    "\u3000",
    "\ufeff",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u0301",
    "\u0308",
    "\u0327",
    "\u20dd",
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\U0001f1ec\U0001f1e7",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u201c",
    "\u201d",
    "\u2018",
    "\u2019",
    '"',
    "'",
    "\u2014",
    "\u2026",
    "-",
    ",",
    ".",
    ";",
    ":",
    "(",
    ")",
    # letters whose case mapping changes the length or is unusual
    "\u0130",
    "\u00df",
    "\ufb01",
    "\u01c5",
    "\u0149",
    "\u1e9e",
    "\u03a3",
    "\u03c2",
    "\U0001d400",
    "\uff21",
]

arbitrary_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
hostile_piece = st.sampled_from(HOSTILE)


def _mixed(s: str) -> str:
    """Alternating case inside words: 'sTaTeD'."""
    return "".join(c.upper() if i % 2 else c.lower() for i, c in enumerate(s))


def _capitalise(s: str) -> str:
    return s[:1].upper() + s[1:]


CASE_FUNCS: dict[str, Callable[[str], str]] = {
    "as-is": lambda s: s,
    "lower": str.lower,
    "upper": str.upper,
    "capitalised": _capitalise,
    "title": str.title,
    "mixed": _mixed,
}

cased_phrase = st.builds(
    lambda p, f: CASE_FUNCS[f](p),
    st.sampled_from(TABLE_PHRASES + HAND_SPUN),
    st.sampled_from(sorted(CASE_FUNCS)),
)
word = st.sampled_from(
    "the a of officials said police told reporters war fighting continued on Monday in since "
    "people thousands were without power homes bodies year become where".split()
)
separator = st.sampled_from([" ", " ", " ", "\n", "\r\n", "\t", ", ", ". ", "\u00a0", "", "  "])
piece = st.one_of(
    cased_phrase,
    cased_phrase,
    word,
    hostile_piece,
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
)
nasty_document = st.lists(st.tuples(piece, separator), max_size=60).map(
    lambda parts: "".join(p + s for p, s in parts)
)

options = st.fixed_dictionaries(
    {},
    optional={
        "min_confidence": st.sampled_from([0.3, 0.5, 0.7, 0.9, 1.0]),
        "quotes": st.sampled_from(["auto", "repair", "protect"]),
        "use_document_model": st.booleans(),
    },
)


@st.composite
def mutated_article(draw: st.DrawFn) -> str:
    """Hand-written spun paragraphs, duplicated, joined, then mutated."""
    paras = draw(st.lists(st.sampled_from(SPUN_PARAGRAPHS), min_size=1, max_size=4))
    if draw(st.booleans()):
        paras = paras + paras[: draw(st.integers(1, len(paras)))]  # duplicated paragraphs
    sep = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n", " ", "\r", "\n\u2029", "\n\t"]))
    text = sep.join(paras)
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["insert", "case", "delete", "duplicate", "insert-phrase"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        if op == "insert":
            text = (
                text[:i]
                + draw(st.one_of(hostile_piece, arbitrary_text.filter(lambda s: len(s) < 12)))
                + text[i:]
            )
        elif op == "insert-phrase":
            text = text[:i] + " " + draw(cased_phrase) + " " + text[i:]
        elif op == "case":
            f = CASE_FUNCS[draw(st.sampled_from(sorted(CASE_FUNCS)))]
            text = text[:i] + f(text[i:j]) + text[j:]
        elif op == "delete":
            text = text[:i] + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


# --- case patterns ------------------------------------------------------------------------------


def _word_shape(w: str) -> str:
    cased = [c for c in w if c.isupper() or c.islower()]
    if not cased:
        return "none"
    if all(c.islower() for c in cased):
        return "lower"
    if len(cased) == 1:
        return "single"  # one upper-case letter: 'A', 'I', "S'"
    if all(c.isupper() for c in cased):
        return "upper"
    if cased[0].isupper() and all(c.islower() for c in cased[1:]):
        return "cap"
    return "mixed"


def span_shape(s: str) -> str:
    """'lower', 'upper', 'cap' (first word capitalised), 'mixed' ('sTaTed') or 'other'."""
    shapes = [x for x in (_word_shape(w) for w in s.split()) if x != "none"]
    if not shapes:
        return "none"
    if "mixed" in shapes:
        return "mixed"
    if all(x == "lower" for x in shapes):
        return "lower"
    if all(x in ("upper", "single") for x in shapes) and "upper" in shapes:
        return "upper"
    if shapes[0] in ("cap", "single") and all(x in ("lower", "cap", "single") for x in shapes[1:]):
        return "cap"
    return "other"


_WORD = re.compile(r"\w+(?:['’]\w+)*")


def _among_capitals(text: str, start: int, end: int) -> bool:
    """Are the words next to text[start:end] on its line in capitals (each neighbour with
    letters, at least one)? A neighbour without letters ("2020") does not count."""
    line_start = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    line_ends = [k for k in (text.find("\n", end), text.find("\r", end)) if k >= 0]
    near = (_WORD.findall(text, line_start, start)[-1:]
            + _WORD.findall(text, end, min(line_ends, default=len(text)))[:1])
    near = [w for w in near if any(c.isalpha() for c in w)]
    return bool(near) and all(w.isupper() and sum(c.isalpha() for c in w) > 1 for w in near)


def check_case_transfer(analysis: unspin.Analysis, text: str) -> None:
    """lower -> lower, UPPER -> UPPER (a lone initialism spelt out: Title Case, except among words
    in capitals), Capitalised -> Capitalised; mixed case is never repaired."""
    for r in analysis.repairs:
        shape = span_shape(r.found)
        rep = r.replacement
        cased = [c for c in rep if c.isupper() or c.islower()]
        rule = RULES_BY_ID.get(r.rule)
        # a repair merged over several passes has an id "a+b"; any named part may bring capitals
        parts = [RULES_BY_ID.get(p) for p in r.rule.split("+")]
        proper = any(p is not None and any(c.isupper() for c in p.original) for p in parts)
        if rule is None and proper:
            continue  # merged repair carrying a name: its first letter follows the name
        assert shape != "mixed", f"mixed-case span repaired: {r}"
        if not cased:
            continue
        # A span that starts with a digit ("1000's") says nothing about the first letter's case:
        # "Thousands" at the start of a sentence is right.
        free_first = not (r.found[:1].isupper() or r.found[:1].islower())
        if shape == "lower" and not proper:
            tail = rep[rep.index(cased[0]) + 1 :] if free_first else rep
            assert tail == tail.lower(), f"lower-case span got {rep!r}: {r}"
        elif (shape == "upper" and " " not in r.found and len(r.found) <= 3 and " " in rep
              and not _among_capitals(text, r.start, r.end)):
            # a lone initialism spelt out is a name in Title Case (README, "What unspin
            # promises"): "US" -> "United States", "VP" -> "Vice President"
            words = rep.split(" ")
            assert all(w[:1].isupper() or w in ("the", "of", "and", "for", "on", "in") for w in words), r
            assert all(w[1:] == w[1:].lower() for w in words), f"initialism spelt out as {rep!r}: {r}"
        elif shape == "upper":
            assert rep == rep.upper(), f"UPPERCASE span got {rep!r}: {r}"
        elif shape == "cap" and proper:
            # A name keeps its own capitals ("the United States" mid-sentence); only its first
            # letter may be raised, at the start of a sentence.
            assert rep in (rule.original, rule.original[:1].upper() + rule.original[1:]), r
        elif shape == "cap" and (rep[:1].isupper() or rep[:1].islower()):
            # (a replacement that starts with a digit, '100 million', has no first letter to case)
            assert cased[0].isupper(), f"Capitalised span got {rep!r}: {r}"
            if len(cased) > 1 and not proper:
                assert rep != rep.upper(), f"Capitalised span shouted: {r}"


def check_all(text: str, opts: dict[str, Any], invariants: Callable[..., None]) -> unspin.Analysis:
    analysis = unspin.analyze(text, **opts)
    note(f"repairs: {[(r.start, r.found, r.replacement, r.rule) for r in analysis.repairs]}")
    invariants(text, analysis, opts)
    check_case_transfer(analysis, text)
    assert unspin.analyze(text, **opts) == analysis, "analyze is not deterministic"
    return analysis


# --- the properties ---------------------------------------------------------------------------


@given(text=arbitrary_text)
def test_arbitrary_unicode(text: str, invariants) -> None:
    check_all(text, {}, invariants)


@given(text=arbitrary_text)
def test_arbitrary_unicode_snippet_mode(text: str, invariants) -> None:
    check_all(text, {"use_document_model": False, "min_confidence": 0.0}, invariants)


@given(text=nasty_document, opts=options)
def test_hostile_documents(text: str, opts: dict[str, Any], invariants) -> None:
    check_all(text, opts, invariants)


@given(text=mutated_article(), opts=options)
def test_mutated_spun_articles(text: str, opts: dict[str, Any], invariants) -> None:
    check_all(text, opts, invariants)


@given(
    words=st.lists(st.tuples(cased_phrase, separator), min_size=1, max_size=30),
    prefix=st.sampled_from(SPUN_PARAGRAPHS),
)
def test_case_transfer(words: list[tuple[str, str]], prefix: str, invariants) -> None:
    """Spun phrases in every case pattern, after a spun paragraph so the document looks spun."""
    text = prefix + " " + "".join(p + s for p, s in words)
    check_all(text, {}, invariants)
    check_all(text, {"use_document_model": False, "min_confidence": 0.0}, invariants)


@given(
    text=st.text(
        st.characters(exclude_categories=("Cs", "Lu", "Ll", "Lt", "Lm", "Lo")), max_size=300
    ),
    opts=options,
)
def test_text_without_letters_is_unchanged(text: str, opts: dict[str, Any], invariants) -> None:
    analysis = check_all(text, opts, invariants)
    assert analysis.text == text
    assert analysis.repairs == ()


@given(
    paras=st.lists(st.sampled_from(CLEAN_PARAGRAPHS), min_size=1, max_size=6),
    sep=st.sampled_from(["\n\n", "\r\n", "\n", " ", "\r\n\r\n"]),
)
def test_clean_articles_are_unchanged(paras: list[str], sep: str, invariants) -> None:
    text = sep.join(paras)
    analysis = check_all(text, {}, invariants)
    assert analysis.text == text, [(r.found, r.replacement, r.rule) for r in analysis.repairs]


def test_a_span_left_as_found_may_take_another_repair(invariants) -> None:
    """Found by a QA pass (shipped model, snippet mode): "Could possibly" -> "Could" was undone
    because a later pass would make it "May" (a chain); the next pass proposed "Could" -> "May"
    on the span left as found, and it was dropped with the chain, so a new run on the output made
    it. Only the undone repair itself is not made again now; the result is a fixpoint."""
    text = "have Could possibly Possibly can"
    opts = {"use_document_model": False}
    invariants(text, unspin.analyze(text, **opts), opts)


@pytest.mark.parametrize("text", [
    "will extra seemingly extra extra to assist assure a",
    "Uk, The Uk America The Uk Maintained Uk, The Worthwhile The Uk And Entered Uk, Belgium,",
    "billion extra in speculate extra in a whole lot extra.\n\nI’ve more title identify",
])
def test_a_result_its_passes_could_not_confirm_is_checked_by_a_new_run(text: str, invariants) -> None:
    """Found by a QA pass (session 13; above the default threshold, snippet mode): the passes
    ended without one that found nothing on the result (a repair left as found, a repair that made
    the context for another), and a new run on the output changed it again. Such a result is now
    run again within the call and what that run does is folded in."""
    opts = {"use_document_model": False, "min_confidence": 0.6}
    invariants(text, unspin.analyze(text, **opts), opts)


@given(text=mutated_article())
def test_min_confidence_only_removes_repairs(text: str) -> None:
    """Within one pass, raising min_confidence trades recall for precision: it never adds or
    changes a repair. (The fixpoint passes that make restore idempotent may merge a repair with
    one a lower threshold allowed, so the guarantee is stated per pass; see README.)"""
    from unspin.engine import _analyze_once
    from unspin.options import Options

    spans = {}
    for mc in (0.3, 0.5, 0.9):
        spans[mc] = {
            (r.start, r.end, r.replacement)
            for r in _analyze_once(text, Options(min_confidence=mc)).repairs
        }
    assert spans[0.9] <= spans[0.5] <= spans[0.3]


@given(text=mutated_article(), data=st.data())
def test_disabled_rules_never_fire(
    text: str, data: st.DataObject, invariants, require_engine
) -> None:
    fired = unspin.analyze(text, min_confidence=0.3).repairs
    assume(fired)
    # a repair folded over two passes has the id "a+b"; rules are disabled one id at a time
    rule = data.draw(st.sampled_from(sorted({p for r in fired for p in r.rule.split("+")})))
    family = rule.split(".", 1)[0]
    by_id = check_all(text, {"min_confidence": 0.3, "disable": [rule]}, invariants)
    assert rule not in {p for r in by_id.repairs for p in r.rule.split("+")}
    by_family = check_all(text, {"min_confidence": 0.3, "disable": [family]}, invariants)
    assert family not in {r.rule.split(".", 1)[0] for r in by_family.repairs}


# One-paragraph quotations: a quotation that runs across a line break is ambiguous (news style
# leaves a multi-paragraph quotation open), so it is not part of this property.
QUOTABLE = [p for p in SPUN_PARAGRAPHS if not any(q in p for q in '"\u201c\u201d\r\n')]


@given(
    before=st.sampled_from(QUOTABLE),
    quoted=st.sampled_from(QUOTABLE),
    marks=st.sampled_from([('"', '"'), ("\u201c", "\u201d")]),
)
def test_protected_quotes_are_untouched(
    before: str, quoted: str, marks: tuple[str, str], invariants
) -> None:
    text = f"{before} {marks[0]}{quoted}{marks[1]} the official stated."
    start = len(before) + 1
    end = start + len(quoted) + 2
    assert text[start] == marks[0] and text[end - 1] == marks[1]
    analysis = check_all(text, {"quotes": "protect"}, invariants)
    inside = [r for r in analysis.repairs if r.end > start and r.start < end]
    assert not inside, f"repaired inside protected quotes: {inside}"


@pytest.mark.xfail(
    strict=False,
    reason="known limitation (README, 'What unspin promises'): a short spun paragraph whose "
    "50-word neighbourhood takes in the appended honest paragraph is judged by the mixed "
    "window, and its repairs can fall under the threshold",
)
@given(
    paras=st.lists(st.sampled_from(SPUN_PARAGRAPHS), min_size=2, max_size=4),
    clean=st.sampled_from(CLEAN_PARAGRAPHS),
    sep=st.sampled_from(["\n\n", "\r\n\r\n"]),
)
def test_clean_paragraph_keeps_confident_repairs(
    paras: list[str], clean: str, sep: str, invariants, require_engine
) -> None:
    """Documented guarantee: one clean paragraph appended or prepended to a spun article keeps
    every repair of confidence >= 0.9 inside the article (same span, same replacement)."""
    article = sep.join(paras)
    confident = {
        (r.start, r.end, r.replacement)
        for r in check_all(article, {}, invariants).repairs
        if r.confidence >= 0.9
    }
    appended = check_all(article + sep + clean, {}, invariants)
    assert confident <= {(r.start, r.end, r.replacement) for r in appended.repairs}
    shift = len(clean) + len(sep)
    prepended = check_all(clean + sep + article, {}, invariants)
    assert confident <= {(r.start - shift, r.end - shift, r.replacement) for r in prepended.repairs}


# --- the helpers themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "shape"),
    [
        ("stated", "lower"),
        ("Stated", "cap"),
        ("STATED", "upper"),
        ("sTaTed", "mixed"),
        ("StAted", "mixed"),
        ("For the reason that", "cap"),
        ("Related Press", "cap"),
        ("The New York Occasions", "cap"),
        ("A PART OF", "upper"),
        ("A", "cap"),
        ("1000's", "lower"),
        ("six,000", "lower"),
        ("12", "none"),
        ("the White Home", "other"),
        ("iPhone", "mixed"),
    ],
)
def test_span_shape(span: str, shape: str) -> None:
    assert span_shape(span) == shape


def test_mutations_really_mutate() -> None:
    """The article strategy is not a no-op: it produces changed and case-mangled text."""
    from hypothesis import find

    find(mutated_article(), lambda t: t not in SPUN_PARAGRAPHS and any(c.isupper() for c in t[1:3]))
    find(nasty_document, lambda t: "\r\n" in t and "\u200b" in t)


# --- runtime grows linearly with the input ---------------------------------------------------


def _article_of(n_chars: int) -> str:
    paras, size, i = [], 0, 0
    while size < n_chars:
        p = (
            SPUN_PARAGRAPHS[i % len(SPUN_PARAGRAPHS)]
            if i % 3
            else CLEAN_PARAGRAPHS[i % len(CLEAN_PARAGRAPHS)]
        )
        paras.append(p)
        size += len(p) + 2
        i += 1
    return "\n\n".join(paras)


def _assert_linear(run: Callable[[str], object], small: str, big: str, label: str,
                   factor: float = 8.0, floor: float = 0.01) -> None:
    """``run`` on ``big`` (about four times ``small``) takes less than ``factor`` times as long as on
    ``small`` (best of two runs each; times under ``floor`` count as ``floor``)."""
    times = [best_time(lambda text=text: run(text)) for text in (small, big)]
    assert times[1] < factor * max(times[0], floor), f"{label}: {times[0]:.3f}s, x4: {times[1]:.3f}s"


def _linear(n_chars: int, factor: float = 8.0) -> None:
    unspin.analyze(_article_of(1000))  # warm up: load the table and the model
    # The long text is the short one four times: a text of more distinct paragraphs can get
    # another verdict from the document model (it counts each distinct word once) and so another
    # number of passes, which is a difference in behaviour, not in cost per character.
    article = _article_of(n_chars)
    _assert_linear(unspin.analyze, article, "\n\n".join([article] * 4), f"{n_chars} chars", factor)


def test_runtime_is_linear_in_document_size() -> None:
    _linear(10_000)


@pytest.mark.slow
def test_runtime_is_linear_in_document_size_large() -> None:
    _linear(250_000, factor=6.0)


def test_runtime_is_linear_with_a_built_in_repair_in_every_sentence() -> None:
    """Garbled numbers, damaged names and quotes by the thousand: each built-in repair is checked
    against the others and against the quotes by bisection, not by a scan of all of them (which
    took 14 s for 340 KB of quoted "six,000")."""
    unit = '"About six,000 people," the Related Press reported, "paid $three million in 2015-sixteen." '
    unspin.analyze(unit)  # warm up
    _assert_linear(unspin.analyze, unit * 1500, unit * 6000, "1,500 sentences")


@pytest.mark.parametrize("unit", ["1.", "1,", "one.", "1.one.", "one.1.", "one hundred,", "$one ", "1-one "])
def test_number_patterns_are_linear_on_long_chains(unit: str) -> None:
    """Long chains of digit groups and number words: a pattern that could start at every group
    of "1.1.1..." and try the rest of the chain from there was quadratic (17 s for 16 KB)."""
    from unspin.builtin import number_fixes

    # the floor keeps a busy machine's noise on times of a few milliseconds out (a fresh clone
    # once measured 0.009 s against 0.079 s); the quadratic pattern took seconds at this size
    _assert_linear(lambda text: list(number_fixes(text)), unit * 3000 + " 1.one",
                   unit * 12000 + " 1.one", repr(unit), floor=0.025)
