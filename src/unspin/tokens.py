"""Word tokens with their offsets, the unit every rule and statistic is keyed on.

A word is a run of letters/digits with inner apostrophes ("didn't", "nation’s"); a number keeps its
inner commas and points ("6,000", "2.5"). Hyphens split words, as spinners see them: in "five-level"
the spinner replaced "level". Learning and matching use this same tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate, compress
from operator import ne
from typing import NamedTuple

WORD_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
# Characters in a gap before a token that make it the start of a sentence or of a quotation.
_SENTENCE_BREAK = re.compile(r"[.!?:;\"“”‘«»()\[\]\n\r•]")  # a lone CR ends a line too (old Mac files)


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


def starts_sentence(text: str, toks: Sequence[Token], i: int) -> bool:
    """Does token ``i`` open a sentence (also for tokens without letters, such as "1000's")?"""
    if toks[i].case == "s":
        return True
    prev_end = toks[i - 1].end if i else 0
    return i == 0 or _SENTENCE_BREAK.search(text, prev_end, toks[i].start) is not None


def span_case(toks: Sequence[Token], i: int, j: int) -> str:
    """Case class of the phrase in tokens [i, j): its first word's, except that a capitalised
    phrase at a sentence start counts as a name when its second word is capitalised too."""
    c = toks[i].case
    if c == "s" and j - i > 1 and toks[i + 1].case == "c":
        return "c"
    return c


def plain_gaps(text: str, toks: Sequence[Token], i: int, j: int) -> bool:
    """True when tokens [i, j) are separated by at most two plain spaces each, so a multi-word
    table phrase may match there."""
    for k in range(i, j - 1):
        a, b = toks[k].end, toks[k + 1].start
        if b - a > 2 or text[a:b].strip(" "):
            return False
    return True


def word_keys(text: str) -> list[str]:
    """Just the lower-cased words of ``text``, fast (what the document model reads).

    >>> word_keys("He Won’t STOP")
    ['he', "won't", 'stop']
    """
    return WORD_RE.findall(text.lower().replace("’", "'"))


# WORD_RE for splitting, rewritten to start with the one character class every word starts with,
# so the regex engine skips ahead to it (same matches: \d is part of [^\W_], and each branch goes
# on from that first character exactly as it did; tests/test_fast_paths.py compares the two).
_SPLIT_RE = re.compile(r"([^\W_](?:(?<=\d)\d*(?:[.,]\d+)+|[^\W_]*(?:['’][^\W_]+)*))")
# Memos shared by all texts: letter case of a capitalised word (mid-sentence, sentence start),
# and whether a gap between words holds a sentence break. Cleared when they grow too big.
_WORD_CASES: dict[str, tuple[str, str]] = {}
_BREAKS: dict[str, bool] = {}
_MEMO_LIMIT = 200_000


class Tokens:
    """The tokens of a text as parallel lists, made with one regex pass and no per-token objects
    (what the engine works on; :func:`tokenize` gives the same tokens as :class:`Token` objects).

    ``gaps[k]`` is the text before token ``k`` (``gaps[n]`` the text after the last one), so
    ``text == gaps[0] + words[0] + gaps[1] + ... + words[n-1] + gaps[n]``.
    """

    __slots__ = ("_cases", "ends", "gaps", "keys", "n", "starts", "text", "words")

    def __init__(self, text: str) -> None:
        parts = _SPLIT_RE.split(text)
        self.text = text
        self.gaps = parts[0::2]
        self.words = words = parts[1::2]
        self.n = n = len(words)
        offsets = list(accumulate(map(len, parts)))
        self.starts = offsets[0:-1:2]
        self.ends = offsets[1::2]
        self._cases: list[str] | None = None  # letter cases, found when first asked for
        if not n:
            self.keys = []
            return
        # Lower-casing words joined by a line break is lower-casing each on its own (a line break
        # is neither cased nor case-ignorable, so it ends the context of a final sigma).
        low = "\n".join(words).lower()
        self.keys = low.replace("’", "'").split("\n") if "’" in low else low.split("\n")

    @property
    def cases(self) -> list[str]:
        """Letter case class of each word (see :func:`case_class`): looked at only when needed
        (the engine passes a text that looks honest through without it)."""
        cases = self._cases
        if cases is None:
            cases = self._cases = self._find_cases()
        return cases

    def _find_cases(self) -> list[str]:
        words, gaps, n = self.words, self.gaps, self.n
        cases = ["l"] * n
        word_cases, breaks = _WORD_CASES, _BREAKS
        if len(word_cases) > _MEMO_LIMIT:
            word_cases.clear()
        if len(breaks) > _MEMO_LIMIT:
            breaks.clear()
        # only words with capitals need a closer look (and a sentence-start test); a word whose key
        # differs from it only by "’" -> "'" has none and comes out "l" from the closer look too
        for k in compress(range(n), map(ne, words, self.keys)):
            w = words[k]
            pair = word_cases.get(w)
            if pair is None:
                pair = word_cases[w] = (case_class(w, False), case_class(w, True))
            c, c_start = pair
            if c != c_start:
                if k == 0:
                    c = c_start
                else:
                    g = gaps[k]
                    b = breaks.get(g)
                    if b is None:
                        b = breaks[g] = _SENTENCE_BREAK.search(g) is not None
                    if b:
                        c = c_start
            cases[k] = c
        return cases

    @classmethod
    def from_tokens(cls, text: str, toks: Sequence[Token]) -> Tokens:
        """The same structure for tokens made by :func:`tokenize`."""
        self = cls.__new__(cls)
        self.text = text
        self.words = [t.text for t in toks]
        self.keys = [t.key for t in toks]
        self._cases = [t.case for t in toks]
        self.starts = [t.start for t in toks]
        self.ends = [t.end for t in toks]
        self.n = len(toks)
        bounds = [0, *self.ends]
        self.gaps = [text[a:b] for a, b in zip(bounds, [*self.starts, len(text)], strict=True)]
        return self

    def __len__(self) -> int:
        return self.n

    def token(self, k: int) -> Token:
        return Token(self.words[k], self.keys[k], self.starts[k], self.ends[k], self.cases[k])

    def __getitem__(self, k: int) -> Token:
        if k < 0:
            k += self.n
        if not 0 <= k < self.n:
            raise IndexError(k)
        return self.token(k)

    def tokens(self) -> list[Token]:
        return list(map(Token, self.words, self.keys, self.starts, self.ends, self.cases))


def word_keys_of(toks: Tokens) -> list[str]:
    """``word_keys(toks.text)``, which is ``toks.keys`` (no second pass) unless the text holds one of
    the two letters whose lower case is not one letter of the same kind regardless of context:
    "İ" (two code points) and "Σ" (final or not, by its neighbours). ``tests/test_fast_paths.py``
    checks that claim against the running Python's Unicode tables."""
    t = toks.text
    if "\u0130" in t or "\u03a3" in t:
        return word_keys(t)
    return toks.keys


def tokenize(text: str) -> list[Token]:
    """All word tokens of ``text`` in order.

    >>> [(t.key, t.case) for t in tokenize('He said: "We won’t stop." US troops')]
    [('he', 's'), ('said', 'l'), ('we', 's'), ("won't", 'l'), ('stop', 'l'), ('us', 'u'), ('troops', 'l')]
    """
    return Tokens(text).tokens()


def tokenize_slow(text: str) -> list[Token]:
    """The reference implementation of :func:`tokenize` (one match object per token), kept for tests."""
    out: list[Token] = []
    append = out.append
    prev_end = 0
    for m in WORD_RE.finditer(text):
        start, end = m.span()
        word = m.group()
        key = word.lower()
        if key == word:  # the common case: no capitals, so no need to look for a sentence start
            case = "l"
        else:
            at_start = not out or _SENTENCE_BREAK.search(text, prev_end, start) is not None
            case = case_class(word, at_start)
        if "’" in key:
            key = key.replace("’", "'")
        append(Token(word, key, start, end, case))
        prev_end = end
    return out


SENT_START = "<s>"
SENT_END = "</s>"
_MARKS = (("!", SENT_END), (".", SENT_END), ("?", SENT_END), ("\n", SENT_END), (",", ","),
          (";", ";"), (":", ";"), ("(", "("), (")", "("), ('"', '"'), ("“", '"'), ("”", '"'),
          ("—", "-"), ("–", "-"), (" - ", "-"))


def gap_mark(gap: str) -> str | None:
    """The punctuation that matters for context in the text between two words, if any.

    >>> gap_mark(" "), gap_mark(", "), gap_mark(". "), gap_mark(" “")
    (None, ',', '</s>', '"')
    """
    if not gap.strip(" "):
        return None
    for ch, mark in _MARKS:
        if ch in gap:
            return mark
    return None


def neighbours(text: str, toks: Sequence[Token], i: int, j: int) -> tuple[str, str]:
    """Left and right context of tokens [i, j): a neighbouring word, a punctuation mark
    (",", ";", "(", '"', "-") or a sentence boundary ("<s>", "</s>")."""
    if i == 0:
        left = SENT_START
    else:
        m = gap_mark(text[toks[i - 1].end : toks[i].start])
        left = toks[i - 1].key if m is None else (SENT_START if m == SENT_END else m)
    if j >= len(toks):
        right = SENT_END
    else:
        m = gap_mark(text[toks[j - 1].end : toks[j].start])
        right = toks[j].key if m is None else m
    return left, right


def context_keys(text: str) -> list[str]:
    """Words, context punctuation and sentence markers in order: what the context model counts.

    >>> context_keys("Yes, he said. It rained")
    ['<s>', 'yes', ',', 'he', 'said', '</s>', '<s>', 'it', 'rained', '</s>']
    """
    out: list[str] = [SENT_START]
    prev_end = None
    for t in tokenize(text):
        if prev_end is not None:
            m = gap_mark(text[prev_end : t.start])
            if m == SENT_END:
                out += [SENT_END, SENT_START]
            elif m is not None:
                out.append(m)
        out.append(t.key)
        prev_end = t.end
    out.append(SENT_END)
    return out
