"""Built-in repairs that a word table cannot express: garbled numbers and damaged names.

- ``number.word_digits``: the spinner swapped the leading digits of a number for a word, leaving
  "six,000" or "four.7"; honest copy never writes a number word glued to digit groups.
- ``number.percent``: "17 p.c." for "17 percent" (a spinner's abbreviation, never news style).
- ``name.entity``: a capitalised name that differs from a known institution or outlet only in words
  the spinner is known to swap ("Related Press", "The New York Occasions"). rapidfuzz finds the
  closest known name; every differing word must be a table substitution for the repair to stand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | _TENS

_WORD_DIGITS = re.compile(
    r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")((?:[.,]\d+)+)\b",
    re.IGNORECASE,
)
# "x,0" / "x.0" (a letter, a point or comma, a digit); one pattern per punctuation mark, each
# starting with its literal so the regex engine can skip ahead to it
_DIGIT_GROUPS = (re.compile(r",(?<=[a-zA-Z],)\d"), re.compile(r"\.(?<=[a-zA-Z]\.)\d"))
_PERCENT = re.compile(r"(?<=\d )p\.c\.(?=\W|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Fix:
    """A built-in repair on a character span."""

    start: int
    end: int
    replacement: str
    confidence: float
    rule: str


_WORD_LENGTHS = sorted({len(w) for w in NUMBER_WORDS})


def _word_digit_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_WORD_DIGITS.finditer(text)``, tried only where one can start: a number
    word's length before a letter, mark, digit ("x,0"), which is where every match has its first
    mark (the words end in ASCII letters; case-insensitive matching keeps their length)."""
    starts: set[int] = set()
    for pattern in _DIGIT_GROUPS:
        for m in pattern.finditer(text):
            at = m.start()
            starts.update(at - k for k in _WORD_LENGTHS if at >= k)
    end = 0
    for s in sorted(starts):
        if s >= end:  # like finditer: matches do not overlap
            m = _WORD_DIGITS.match(text, s)
            if m is not None:
                yield m
                end = m.end()


def number_fixes(text: str) -> Iterator[Fix]:
    """Garbled numbers.

    >>> [(f.replacement, f.rule) for f in number_fixes("about six,000 people; four.7 p.c. growth")]
    [('6,000', 'number.word_digits'), ('4.7', 'number.word_digits'), ('percent', 'number.percent')]
    """
    for m in _word_digit_matches(text):
        word = m.group(1)
        if not (word.islower() or word.isupper() or word[1:].islower()):
            continue  # mixed case ("sIx") is not something a spinner writes
        value = NUMBER_WORDS[m.group(1).lower()]
        yield Fix(m.start(), m.end(), f"{value}{m.group(2)}", 0.98, "number.word_digits")
    if ".c." not in text and ".C." not in text:  # cheap test first ("c" matches only c and C)
        return
    for m in _PERCENT.finditer(text):
        yield Fix(m.start(), m.end(), "percent", 0.95, "number.percent")


# ----------------------------------------------------------------------------- damaged names
# Same matches as r"\b(?:The )?[A-Z][a-z]+(?:[ ](?:of |for |and |the |on )?[A-Z][a-z]+){1,5}\b",
# written to start with [A-Z] so the regex engine can skip ahead to a capital letter.
_NAME_SPAN = re.compile(
    r"[A-Z](?<=\b[A-Z])(?:(?<=T)he [A-Z])?[a-z]+(?:[ ](?:of |for |and |the |on )?[A-Z][a-z]+){1,5}\b"
)


@functools.cache
def known_entities() -> tuple[str, ...]:
    """Names of institutions and outlets that news copy cites (``data/entities.txt``)."""
    path = Path(__file__).resolve().parent / "data" / "entities.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(s.strip() for s in lines if s.strip() and not s.startswith("#"))


@functools.cache
def _entity_index() -> tuple[frozenset[str], dict[int, tuple[str, ...]]]:
    names = known_entities()
    by_len: dict[int, list[str]] = {}
    for n in names:
        by_len.setdefault(len(n.split()), []).append(n)
    return frozenset(names), {k: tuple(v) for k, v in by_len.items()}


_CLOSEST: dict[str, tuple | None] = {}  # span -> rapidfuzz's closest known name (the same pool)


def _closest(span: str, pool: tuple[str, ...]) -> tuple | None:
    """The known name of ``pool`` (the names with as many words as ``span``) closest to ``span``,
    remembered per span: capitalised spans repeat across a corpus, and rapidfuzz is imported only
    when one is first needed."""
    try:
        return _CLOSEST[span]
    except KeyError:
        pass
    from rapidfuzz import fuzz, process

    if len(_CLOSEST) > 100_000:
        _CLOSEST.clear()
    hit = _CLOSEST[span] = process.extractOne(span, pool, scorer=fuzz.ratio, score_cutoff=55)
    return hit


def entity_fixes(text: str, is_substitution) -> Iterator[Fix]:  # type: ignore[no-untyped-def]
    """Repairs of damaged known names; ``is_substitution(spun_word, original_word)`` is the channel
    check (True when the table says the spinner turns ``original_word`` into ``spun_word``).

    >>> list(entity_fixes("He told the Related Press.", lambda s, o: (s, o) == ("related", "associated")))
    [Fix(start=12, end=19, replacement='Associated', confidence=0.97, rule='name.entity')]
    """
    exact, by_len = _entity_index()
    for m in _NAME_SPAN.finditer(text):
        span = m.group()
        if span in exact:
            continue
        words = span.split(" ")
        pool = by_len.get(len(words))
        if not pool:
            continue
        hit = _closest(span, pool)
        if hit is None:
            continue
        target = hit[0].split(" ")
        diffs = [(k, w, t) for k, (w, t) in enumerate(zip(words, target, strict=True)) if w != t]
        if not diffs or len(diffs) > len(words) // 2 + (len(words) == 1):
            continue
        if not all(w.lower() != t.lower() and is_substitution(w.lower(), t.lower()) for _, w, t in diffs):
            continue
        offsets = []
        pos = m.start()
        for w in words:
            offsets.append(pos)
            pos += len(w) + 1
        for k, w, t in diffs:
            yield Fix(offsets[k], offsets[k] + len(w), t, 0.97, "name.entity")
