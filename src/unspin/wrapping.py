"""Hard-wrapped text (e-mail, ``lynx -dump`` and ``fmt`` output, fixed-width archives): a line
break inside a sentence reads as a space.

Text wrapped after it was spun splits the spinner's phrases ("for the reason\\nthat") and puts
false sentence ends in the middle of sentences. A line break is *soft* when the line before it is
not blank and does not end in a hyphen or dash (a hyphenated word stays as it is), and the next
line goes on with a lower-case letter: a paragraph, a heading or a list item does not start lower
case ("bread flour\\n1 1/2 teaspoons" is a list). unspin analyses a view of the text in which
every soft break, with the blanks around it, is one space, and maps the repairs back to the
input. Where the text a repair replaces held a line break, the replacement keeps it (in the same
place when it has as many words, else at its last space; after it when it is one word, the repair
then taking in the blanks before the next word), so the text keeps its lines; but only before a
lower-case word, so that every soft break stays soft and a new run reads the result the same way.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .repairs import Repair

# A line break (\r\n, \r or \n) with the blanks after it, before a letter; the blanks before
# it and the letter case are checked in code.
_BREAK = re.compile(r"(?:\r\n|\r|\n)[ \t]*(?=[^\W\d_])")
_BLANKS = " \t\f\v\u00a0"  # a line of these alone is a blank line
# A line ending in one of these is no soft break: a hyphenated word, or a dash.
_NOT_BEFORE = "\r\n-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212"


@dataclass(frozen=True, slots=True)
class Unwrapped:
    """The text with its soft line breaks read as spaces, and the way back to the input."""

    text: str
    #: view offsets at which a soft break (now one space) begins, in order
    at: tuple[int, ...]
    #: the input's blanks and line break for each of them
    gaps: tuple[str, ...]
    #: ``shifts[k]``: how many characters longer the input is than the view after the first ``k``
    #: breaks (input offset minus view offset)
    shifts: tuple[int, ...]

    def input_offset(self, x: int) -> int:
        """Offset in the input of view offset ``x``, which is not inside a soft break."""
        k = bisect.bisect_left(self.at, x)  # breaks that begin before x lie wholly before it
        return x + self.shifts[k]

    def to_input(self, original: str, repairs: Sequence[Repair]) -> tuple[Repair, ...]:
        """``repairs`` (sorted, of the view) as repairs of ``original``.

        A soft break stays soft in the result, so a new run reads the result as this run read
        its input (``restore`` stays idempotent): a line break is put into a replacement only
        before a lower-case letter, and a repair whose replacement would start a line with
        anything else (a soft break right before "six,000" -> "6,000") takes that break in and
        joins the lines.
        """
        at, gaps = self.at, self.gaps
        # what each repair puts where it starts in the input: a break moved after a one-word
        # replacement must land before a lower-case word, which may be the next repair's
        next_word = {self.input_offset(r.start): r.replacement for r in repairs}
        out = []
        for r in repairs:
            start, end = self.input_offset(r.start), self.input_offset(r.end)
            lo, hi = bisect.bisect_left(at, r.start), bisect.bisect_left(at, r.end)
            replacement = r.replacement
            if lo < hi:  # soft breaks inside the found text
                if " " in replacement:
                    replacement = _rewrap(r, at[lo:hi], gaps[lo:hi])
                else:
                    end, replacement = _break_after(original, end, replacement, gaps[hi - 1],
                                                    next_word)
            if lo and at[lo - 1] + 1 == r.start and not _starts_lower(replacement):
                start -= len(gaps[lo - 1])  # the line would start with a capital or a digit
                replacement = " " + replacement
            out.append(Repair(start, end, original[start:end], replacement, r.confidence, r.rule))
        return tuple(out)


def _break_after(original: str, end: int, word: str, gap: str,
                 next_word: dict[int, str]) -> tuple[int, str]:
    """(end, replacement) of a one-word replacement ``word`` for words that the soft break
    ``gap`` split ("had\nbeen" -> "were"), ending at input offset ``end``: the break moves after
    it, over the blanks before the next word, as refilling the line would put it ("they
    had\nbeen moving" -> "they were\nmoving"), if that word is in lower case; else the lines
    join."""
    after = end
    while after < len(original) and original[after] in _BLANKS:
        after += 1
    if end < after < len(original) and _starts_lower(next_word.get(after, original[after:])):
        return after, word + gap
    return end, word


def _starts_lower(text: str) -> bool:
    return text[:1].islower()


def _rewrap(r: Repair, at: tuple[int, ...], gaps: tuple[str, ...]) -> str:
    """The replacement of view repair ``r`` with the input's line breaks put back where a
    lower-case word follows (each where it was when the replacement has as many words, else
    the last one at its last such space)."""
    spaces = [k for k, ch in enumerate(r.found) if ch == " "]
    new_spaces = [k for k, ch in enumerate(r.replacement) if ch == " "]
    out = list(r.replacement)
    if len(new_spaces) == len(spaces):  # word for word: each gap where it was
        by_space = dict(zip((a - r.start for a in at), gaps, strict=True))
        for old, new in zip(spaces, new_spaces, strict=True):
            if old in by_space and _starts_lower(r.replacement[new + 1 :]):
                out[new] = by_space[old]
    else:
        for new in reversed(new_spaces):
            if _starts_lower(r.replacement[new + 1 :]):
                out[new] = gaps[-1]
                break
    return "".join(out)


def unwrap(text: str) -> Unwrapped | None:
    """The view of ``text`` with its soft line breaks as spaces, or None when it has none."""
    if "\n" not in text and "\r" not in text:
        return None
    at: list[int] = []
    gaps: list[str] = []
    shifts: list[int] = [0]
    pieces: list[str] = []
    pos = 0  # input offset copied up to
    shift = 0  # input offset minus view offset
    for m in _BREAK.finditer(text):
        end = m.end()
        start = m.start()
        while start and text[start - 1] in _BLANKS:  # (text[pos] is a letter: it stops there)
            start -= 1
        if start == 0 or text[start - 1] in _NOT_BEFORE:
            continue  # a blank line, the text's start, or a word hyphenated at the line end
        if not text[end].islower():
            continue
        pieces.append(text[pos:start])
        pieces.append(" ")
        at.append(start - shift)
        gaps.append(text[start:end])
        shift += end - start - 1
        shifts.append(shift)
        pos = end
    if not at:
        return None
    pieces.append(text[pos:])
    return Unwrapped("".join(pieces), tuple(at), tuple(gaps), tuple(shifts))
