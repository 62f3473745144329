"""Word tokens with their offsets, the unit every rule and statistic is keyed on.

A word is a run of letters/digits with inner apostrophes ("didn't", "nation’s"); a number keeps its
inner commas and points ("6,000", "2.5"). Hyphens split words, as spinners see them: in "five-level"
the spinner replaced "level". Learning and matching use this same tokenizer.
"""

from __future__ import annotations

import re
from typing import NamedTuple

WORD_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
# Characters in a gap before a token that make it the start of a sentence or of a quotation.
_SENTENCE_BREAK = re.compile(r"[.!?:;\"“”‘«»()\[\]\n]|^\s*[-–—•*]")


class Token(NamedTuple):
    """One word: its text, lower-cased key, character span and case class."""

    text: str
    key: str
    start: int
    end: int
    case: str  # "l" lower, "c" capitalised mid-sentence, "s" capitalised at a sentence start,
    #            "u" upper case (two letters or more), "m" mixed or no letters


def case_class(word: str, sentence_start: bool) -> str:
    """Classify the letter case of ``word``.

    >>> [case_class(w, False) for w in ("said", "Said", "SAID", "McCain", "2020")]
    ['l', 'c', 'u', 'm', 'l']
    """
    if word.islower() or not any(ch.isalpha() for ch in word):
        return "l"
    if word.isupper():
        return "u" if sum(ch.isalpha() for ch in word) > 1 else ("s" if sentence_start else "c")
    if word[0].isupper() and (len(word) == 1 or word[1:].islower()):
        return "s" if sentence_start else "c"
    return "m"


def tokenize(text: str) -> list[Token]:
    """All word tokens of ``text`` in order.

    >>> [(t.key, t.case) for t in tokenize('He said: "We won’t stop." US troops')]
    [('he', 's'), ('said', 'l'), ('we', 's'), ("won't", 'l'), ('stop', 'l'), ('us', 'u'), ('troops', 'l')]
    """
    out: list[Token] = []
    prev_end = 0
    for m in WORD_RE.finditer(text):
        start, end = m.span()
        word = m.group()
        gap = text[prev_end:start]
        at_start = not out or bool(_SENTENCE_BREAK.search(gap))
        key = word.lower()
        if "’" in key:
            key = key.replace("’", "'")
        out.append(Token(word, key, start, end, case_class(word, at_start)))
        prev_end = end
    return out
