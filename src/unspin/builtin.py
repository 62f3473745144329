"""Built-in repairs that a word table cannot express: garbled numbers and damaged names.

- ``number.word_digits``: the spinner swapped digit groups of a number for words, leaving
  "six,000", "four.7", "forty six.25", "7.eight", "$four hundred,000" or, with every group in
  words, "three.three" and "four,seven hundred"; honest copy never glues a number word to another
  group.
- ``number.currency``: "$three million" for "$3 million": news writes money in digits, and no one
  glues a currency sign to a number word.
- ``number.range``: "2015-sixteen" or "2-three" for "2015-16" or "2-3": a digit run and a number
  word joined by a hyphen are one number in digits, half of it swapped.
- ``number.compound``: "forty six" or "twenty first" for "46" or "21st". The spinner writes a
  two-digit number as two words with no hyphen, which English spelling never does ("forty-six").
- ``number.percent``: "17 p.c" for "17 percent" (a spinner's abbreviation, never news style).
- ``number.percent_sign``: "17 %" for "17 percent": the spinner put the sign in the word's place and
  kept the space before it; honest copy writes "17%" or "17 percent".
- ``number.unit``: "four a long time" and "one 12 months" for "four decades" and "one year": the
  spinner's phrases for "decades" and "year" cannot follow a number in English.
- ``function.perfect_failed_to``: "has did not act" or "had didn't answer" for "has failed to act":
  the spinner writes "did not" and "didn't" for "failed to", and no English puts them after the
  perfect's "has", "have" or "had".
- ``name.entity``: a capitalised name that differs from a known institution or outlet only in words
  the spinner is known to swap ("Related Press", "The New York Occasions"). rapidfuzz finds the
  closest known name; every differing word must be a table substitution for the repair to stand.

``Fix.gated`` marks repairs whose evidence is strong but not proof on its own (a sloppy honest
writer can type "forty six"): the engine scales their confidence down in text that looks honest.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | _TENS
_ORDINALS = {"first": (1, "st"), "second": (2, "nd"), "third": (3, "rd"), "fourth": (4, "th"),
             "fifth": (5, "th"), "sixth": (6, "th"), "seventh": (7, "th"), "eighth": (8, "th"),
             "ninth": (9, "th")}
_HUNDREDS = {"a": 1, "one": 1} | {w: NUMBER_WORDS[w] for w in _UNITS[2:10]}


def _alt(words) -> str:  # type: ignore[no-untyped-def]
    return "|".join(sorted(words, key=len, reverse=True))


def _word_case(word: str) -> bool:
    """lower, UPPER or Capitalised: the cases a spinner writes (not "sIx")."""
    return word.islower() or word.isupper() or word[1:].islower()


def _starts(words) -> str:  # type: ignore[no-untyped-def]
    """A lookahead for the first letter of any of ``words``, in either case. Put before a pattern
    that begins with ``\b`` and an alternation, it lets the regex engine skip ahead to a possible
    first character instead of trying the whole alternation at every position (the same matches,
    about twice as fast)."""
    letters = sorted({w[0].lower() for w in words} | {w[0].upper() for w in words})
    return f"(?=[{''.join(letters)}])"


_TENS_RE, _UNIT_RE = _alt(_TENS), _alt(_UNITS[1:10])
# A number below 1,000 in words as the spinner writes a digit group: "seven", "forty six" (no
# hyphen), "one hundred", "a hundred", "seven-hundred", "four hundred and twenty".
_SPELLED = (rf"(?:(?:{_alt(_HUNDREDS)})[ -]hundred(?: (?:and )?(?:(?:{_TENS_RE})(?: (?:{_UNIT_RE}))?|{_alt(_UNITS[1:])}))?"
            rf"|(?:{_TENS_RE})(?: (?:{_UNIT_RE}))?|{_alt(_UNITS)})")
# Digit groups joined by ".", "," or ":" with one or more of them in words: the spinner swapped a
# group of "6,000", "4.7", "4,700", "3.3" or "4:30" for words ("six,000", "four.7", "four,seven
# hundred", "three.three", "7.eight", "four:30"); honest copy never glues a number word to another
# group. A match
# starts at the first group in words or at the digit group just before it; digit groups further
# left ("1.2.three") are taken in by _digit_groups_before. (A pattern that started at any digit
# group would try every group of a long "1.1.1..." again from each start: quadratic.)
_GROUPED = (
    rf"(?=[0-9{''.join(sorted({w[0] + w[0].upper() for w in (*NUMBER_WORDS, 'a')}))}])"
    rf"\b(?:{_SPELLED}(?:[.,:](?:{_SPELLED}|[0-9]+))+|[0-9]+[.,:]{_SPELLED}(?:[.,:](?:{_SPELLED}|[0-9]+))*)\b"
)
_WORD_CHAR = re.compile(r"\w")
# News numerals are ASCII digits, and so are the spinner's: a group in another script ("six,٠٠٠",
# "six,０００") is not the spinner's garble, and "6,٠٠٠" would mix scripts in one number.
_ASCII_DIGITS = frozenset("0123456789")
_GROUP_CUT = re.compile(r"([.,:])")
# Cheap test before _GROUPED: a point, comma or colon between the last letter of a number word and
# the first letter of one or a digit, or between a digit and such a letter ("U.S." and "a.m." do
# not pass); written to start with the rare [.,:] so the regex engine can skip ahead to it
_DIGIT_GROUP = re.compile(
    r"[.,:](?:(?<=[eorxntydEORXNTYD][.,:])[zotfsenaZOTFSENA0-9]|(?<=[0-9][.,:])[zotfsenaZOTFSENA])"
)
# a currency sign glued to a number in words: "$three million" (news writes "$3 million"), not
# the first part of a hyphenated one ("$forty-five"), of digit groups that _GROUPED turned down
# ("$THREE.three") or of a number whose words a space other than " " joins ("$four" + NBSP +
# "hundred,000": "$4" would leave the rest garbled)
_CURRENCY = rf"[$£€]({_SPELLED})\b(?!-(?:hundred|{_alt(NUMBER_WORDS)})\b|[.,:]\w|\s(?:hundred|thousand)\b)"
# a digit run, a hyphen and a number in words: "2015-sixteen", "2-three" (a range or a season)
# (found from the hyphen, which the regex engine can skip ahead to; the digits are checked after)
_RANGE = rf"-(?<=[0-9]-)({_SPELLED})\b(?![.,:]\w)"


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled (case-insensitive) the first time a text needs it: the number-word
    patterns take milliseconds to compile, which every start of ``unspin`` would pay otherwise."""
    return re.compile(pattern, re.IGNORECASE)


# "[one hundred [and]] forty six", "twenty first": no hyphen between tens and unit
_COMPOUND = (
    rf"{_starts(list(_HUNDREDS) + list(_TENS))}"
    rf"\b(?:({_alt(_HUNDREDS)}) hundred (?:and )?)?({_TENS_RE}) ({_UNIT_RE}|{_alt(_ORDINALS)})\b"
)
_NUMBER_BEFORE = rf"(?:[0-9]|\b(?:{_alt(NUMBER_WORDS)}))\Z"
# the spinner's phrase for a unit of time (lower case: only that is repaired), after a space ...
_UNIT_PHRASE = re.compile(r"(?<= )(?:a long time|12 months)\b")
# ... and the number that must end just before that space (searched for backwards from there:
# a scan of the whole text for the number words first was the slow part of number_fixes)
_UNIT_NUMBER = rf"\b(?:[0-9]+|{_alt(NUMBER_WORDS)}|several|a few|many)\Z"
_UNIT_ORIGINAL = {"a long time": "decades", "12 months": "year"}
_PERCENT = re.compile(r"(?<= )p\.c(?=\.?(?:\W|$))", re.IGNORECASE)
_ABBREVIATION_PERIOD = re.compile(r"\.(?=[,;:)?!]| +[a-z(\u2013\u2014])")
_PERCENT_SIGN = re.compile(r"(?<=\w )%")


@dataclass(frozen=True, slots=True)
class Fix:
    """A built-in repair on a character span."""

    start: int
    end: int
    replacement: str
    confidence: float
    rule: str
    gated: bool = False


def overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Does [start, end) overlap one of ``spans``? (A scan: for a few spans; see :class:`Spans`.)"""
    return any(a < end and start < b for a, b in spans)


class Spans:
    """Spans that do not overlap one another, for the question "does [start, end) overlap one of
    them?" by bisection: checking n fixes against n spans costs n log n, not n² (a text can hold
    tens of thousands of garbled numbers or quotes). Spans are added in runs of increasing
    position (a pattern's matches, the quotes of a text); a span that starts before the end of the
    last one opens a new run, so there are as many runs as patterns, not as spans.

    >>> taken = Spans([(0, 3), (10, 12)])
    >>> taken.add(5, 7); taken.add(20, 25)
    >>> [taken.overlaps(a, b) for a, b in ((3, 5), (2, 4), (7, 10), (11, 30), (12, 20))]
    [False, True, False, True, False]
    """

    __slots__ = ("_runs",)

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._runs: list[tuple[list[int], list[int]]] = []
        for a, b in spans:
            self.add(a, b)

    def add(self, start: int, end: int) -> None:
        runs = self._runs
        if not runs or start < runs[-1][1][-1]:
            runs.append(([], []))
        starts, ends = runs[-1]
        starts.append(start)
        ends.append(end)

    def overlaps(self, start: int, end: int) -> bool:
        for starts, ends in self._runs:
            # the last span of the run that starts before ``end`` ends last among those (the spans
            # of a run neither overlap nor go back), so it alone can reach past ``start``
            k = bisect.bisect_left(starts, end) - 1
            if k >= 0 and ends[k] > start:
                return True
        return False


def _cased(found: str, word: str) -> str:
    """``word`` in the letter case of ``found`` ("P.C" -> "PERCENT", "P.c" -> "Percent")."""
    letters = [c for c in found if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return word.upper()
    return word.capitalize() if letters and letters[0].isupper() else word


_TENS_SPACED = tuple(w + " " for w in _TENS)


def _has_tens_word(text: str) -> bool:
    """Cheap test before the compound pattern: does a tens word ("forty ") occur at all? Every
    one ends in "ty", which plain substring searches find far faster than the regex scans."""
    if "ty " not in text and "TY " not in text:
        return False
    low = text.lower()
    return any(w in low for w in _TENS_SPACED)


def _number_before(text: str, pos: int) -> bool:
    """Does a number (digits or a number word) end just before the space at ``pos``?"""
    return _compiled(_NUMBER_BEFORE).search(text, max(0, pos - 12), pos) is not None


def _compound_value(m: re.Match[str]) -> str | None:
    hundreds, tens, last = m.group(1), m.group(2), m.group(3)
    if not all(_word_case(w) for w in m.group().split(" ")):
        return None
    value = _TENS[tens.lower()] + (100 * _HUNDREDS[hundreds.lower()] if hundreds else 0)
    last = last.lower()
    if last in _ORDINALS:
        if last == "second" and not m.string[max(0, m.start() - 4) : m.start()].lower() == "the ":
            return None  # "a thirty second delay" is 30 seconds, not the 32nd
        unit, suffix = _ORDINALS[last]
        return _cased(m.group(), f"{value + unit}{suffix}")
    return str(value + NUMBER_WORDS[last])


def _spelled_value(words: str) -> int | None:
    """The value of a number below 1,000 in words as _SPELLED matches it ("forty six" -> 46,
    "one hundred and five" -> 105), or None in a letter case a spinner does not write ("sIx")."""
    if not all(_word_case(w) for w in words.split(" ")):  # "seven-Hundred" is one word
        return None
    ws = [w for w in words.lower().replace("-", " ").split(" ") if w != "and"]
    value = 0
    if len(ws) > 1 and ws[1] == "hundred":
        value, ws = 100 * _HUNDREDS[ws[0]], ws[2:]
    return value + sum(NUMBER_WORDS[w] for w in ws)


def _digit_groups_before(text: str, start: int, floor: int) -> int:
    """Where the number of a _GROUPED match at ``start`` begins: before the digit groups that
    precede it ("1.2." of "1.2.three"), if that is a word boundary, and not before ``floor``."""
    k = start
    while k - 2 >= floor and text[k - 1] in ".,:" and text[k - 2] in _ASCII_DIGITS:
        j = k - 2
        while j > floor and text[j - 1] in _ASCII_DIGITS:
            j -= 1
        k = j
    if k < start and k > 0 and _WORD_CHAR.match(text, k - 1):
        return start  # "A1.2.three": the digits belong to a word, as the regex's \b says
    return k


def _grouped_digits(found: str) -> tuple[str, bool] | None:
    """``found`` (a _GROUPED match) with every group in words written in digits, and whether all
    its groups were in words; None when it is not what a spinner makes of a number: a group in
    words after a comma that is not a thousands group ("4,seven") or after a colon that is not
    two digits of minutes ("4:five"), or a capitalised group after
    the first ("in 2007.Eight people" is a missing space, not a number)."""
    if not all(_word_case(w) for w in found.split(" ")):
        return None  # "THREE.three": mixed case is not something a spinner writes
    parts = _GROUP_CUT.split(found)  # group, separator, group, ...
    all_words = True
    for k in range(0, len(parts), 2):
        part = parts[k]
        if part.isascii() and part.isdecimal():
            all_words = False
            continue
        if k and part[:1].isupper() and not found.isupper():
            return None
        value = _spelled_value(part)
        if value is None or (k and parts[k - 1] == "," and value < 100):
            return None  # a thousands group has three digits ("4,seven" is not "4,007")
        if k and parts[k - 1] == ":" and value < 10:
            return None  # minutes have two digits ("four:five" is not "4:05")
        parts[k] = str(value)
    return "".join(parts), all_words


def number_fixes(text: str) -> Iterator[Fix]:
    """Garbled numbers, in no particular order (spans do not overlap).

    >>> [(f.replacement, f.rule) for f in number_fixes("about six,000 people; four.7 p.c. growth")]
    [('6,000', 'number.word_digits'), ('4.7', 'number.word_digits'), ('percent', 'number.percent')]
    >>> [f.replacement for f in number_fixes("forty six.25 seconds, a 7.eight quake, 3 % of the vote")]
    ['46.25', '7.8', 'percent']
    >>> [f.replacement for f in number_fixes("for four a long time, the first in one 12 months")]
    ['decades', 'year']
    >>> [f.replacement for f in number_fixes("$four hundred,000 in 2015-sixteen; three.three p.c")]
    ['400,000', '3.3', '16', 'percent']
    >>> [f.replacement for f in number_fixes("a $three million fund; $seven-hundred million; $forty-five")]
    ['3', '700']
    >>> [f.replacement for f in number_fixes("$a hundred,000 at four:30 p.m., not at four:five")]
    ['100,000', '4:30']
    >>> [f.replacement for f in number_fixes("$seven-Hundred million, $Seven-hundred million")]
    ['700']
    >>> list(number_fixes("in 2007.Eight people, 4,seven, COVID19-three, A4-six, U.S. one-two"))
    []
    """
    taken = Spans()
    if _DIGIT_GROUP.search(text) is not None:  # cheap test first: most texts have no "x,000"
        end = 0  # of the last match
        for m in _compiled(_GROUPED).finditer(text):
            start = m.start()
            if text[start] in _ASCII_DIGITS:
                start = _digit_groups_before(text, start, end)
            end = m.end()
            digits = _grouped_digits(text[start:end])
            if digits is not None:
                value, all_words = digits
                taken.add(start, end)
                # all in words ("three.three") is a little weaker evidence than a word glued to
                # digits: gated like the other patterns a careless writer could produce
                yield Fix(start, end, value, 0.98, "number.word_digits", gated=all_words)
    if "-" in text:
        for m in _compiled(_RANGE).finditer(text):
            start = m.start()  # the digit run before the hyphen must be a whole word
            while start and text[start - 1] in _ASCII_DIGITS:
                start -= 1
            if start and _WORD_CHAR.match(text, start - 1):
                continue
            value = _spelled_value(m.group(1))
            if value is not None and not taken.overlaps(start, m.end()):
                taken.add(start, m.end())
                yield Fix(m.start(1), m.end(), str(value), 0.95, "number.range", gated=True)
    if "$" in text or "£" in text or "€" in text:
        for m in _compiled(_CURRENCY).finditer(text):
            value = _spelled_value(m.group(1))
            if value is not None and not taken.overlaps(m.start(1), m.end()):
                taken.add(m.start(1), m.end())
                yield Fix(m.start(1), m.end(), str(value), 0.95, "number.currency", gated=True)
    if _has_tens_word(text):
        for m in _compiled(_COMPOUND).finditer(text):
            value = _compound_value(m)
            if value is not None and not taken.overlaps(m.start(), m.end()):
                yield Fix(m.start(), m.end(), value, 0.95, "number.compound", gated=True)
    if " a long time" in text or " 12 months" in text:
        for m in _UNIT_PHRASE.finditer(text):
            # the number is one word ("seventeen", "a few") or a digit run: 64 characters back
            # hold any of them (a digit run longer than that is not a count of years)
            before = _compiled(_UNIT_NUMBER).search(text, max(0, m.start() - 64), m.start() - 1)
            if before is None:
                continue
            phrase = m.group()
            number = before.group().split(" ")[0].lower()
            if phrase == "12 months" and number not in ("one", "1"):
                continue  # "two 12 months" cannot come from "two year"
            yield Fix(m.start(), m.end(), _UNIT_ORIGINAL[phrase], 0.95, "number.unit", gated=True)
    if ".c" in text or ".C" in text:  # cheap test first ("c" matches only c and C)
        for m in _PERCENT.finditer(text):
            if _word_case(m.group().replace(".", "")) and _number_before(text, m.start() - 1):
                # "17 p.c. in May": a period that no sentence ends at is the abbreviation's
                end = m.end() + 1 if _ABBREVIATION_PERIOD.match(text, m.end()) else m.end()
                yield Fix(m.start(), end, _cased(m.group(), "percent"), 0.95, "number.percent")
    if " %" in text:
        for m in _PERCENT_SIGN.finditer(text):
            if _number_before(text, m.start() - 1):
                yield Fix(m.start(), m.end(), "percent", 0.95, "number.percent_sign", gated=True)


# ----------------------------------------------------------------------------- grammar
_PERFECT_DID_NOT = r"(?=[hH])\b(ha[ds]|have) (did not|didn['’]t)\b"


def grammar_fixes(text: str) -> Iterator[Fix]:
    """Spinner phrases that cannot stand where they are in English, in text order.

    >>> [(f.replacement, f.rule) for f in grammar_fixes("The city has did not pay; it had didn't try.")]
    [('failed to', 'function.perfect_failed_to'), ('failed to', 'function.perfect_failed_to')]
    >>> list(grammar_fixes("It did not pay, and it has not paid since."))
    []
    """
    if "did" not in text and "DID" not in text:  # cheap test first: "did not", "didn't"
        return
    for m in _compiled(_PERFECT_DID_NOT).finditer(text):
        if all(_word_case(w) for w in m.group().split(" ")):  # not "hAS" or "dId"
            yield Fix(m.start(2), m.end(2), _cased(m.group(2), "failed to"), 0.95,
                      "function.perfect_failed_to", gated=True)


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
    [Fix(start=12, end=19, replacement='Associated', confidence=0.97, rule='name.entity', gated=True)]
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
            yield Fix(offsets[k], offsets[k] + len(w), t, 0.97, "name.entity", gated=True)
