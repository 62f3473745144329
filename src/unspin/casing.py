"""Carry the letter case of the spun text over to its replacement."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tokens import Tokens


def transfer_case(
    found: str, replacement: str, sentence_start: bool = False, in_capitals: bool = False,
) -> str | None:
    """Return ``replacement`` cased like ``found``, or None when ``found`` has mixed case.

    A replacement that carries its own capitals (a proper name, "the United States") keeps them;
    only its first letter is raised, at the start of a sentence. An initialism in capitals ("US")
    is a name in mixed-case text, but ``in_capitals`` (its neighbours are in capitals too: a
    headline or a text in capitals) makes the replacement capitals as well.

    >>> transfer_case("stated", "said"), transfer_case("Stated", "said"), transfer_case("STATED", "said")
    ('said', 'Said', 'SAID')
    >>> transfer_case("Related Press", "associated press")
    'Associated Press'
    >>> transfer_case("For the reason that", "since the")
    'Since the'
    >>> transfer_case("usa", "United States"), transfer_case("McStated", "said") is None
    ('United States', True)
    >>> transfer_case("America", "the United States"), transfer_case("America", "the United States", True)
    ('the United States', 'The United States')
    >>> transfer_case("1000's", "thousands", True)
    'Thousands'
    >>> transfer_case("US", "united states"), transfer_case("US", "the united states", True)
    ('United States', 'The United States')
    >>> transfer_case("New York OccasionS", "New York Times") is None
    True
    >>> transfer_case("USA", "United States", in_capitals=True)
    'UNITED STATES'

    """
    letters = [ch for ch in found if ch.isalpha()]
    if not letters:
        return replacement
    if _mixed_case(found, letters):
        return None  # "McStated", "New York OccasionS": not something a spinner writes
    if replacement != replacement.lower():  # carries its own capitals
        if found.isupper() and len(letters) > 1:
            if _initialism(found, replacement) and not in_capitals:  # "US" -> "United States"
                return replacement[:1].upper() + replacement[1:] if sentence_start else replacement
            return replacement.upper()
        if sentence_start and found[:1].isupper():
            return replacement[:1].upper() + replacement[1:]
        return replacement
    if found.islower():
        if sentence_start and not found[:1].isalpha():  # "1000's" opening a sentence
            return replacement[:1].upper() + replacement[1:]
        return replacement
    if found.isupper() and len(letters) > 1:
        if _initialism(found, replacement) and not in_capitals:
            return _title_name(replacement, sentence_start)
        return replacement.upper()
    words = found.split()
    if len(words) > 1 and all(_is_capitalised(w) for w in words):
        return " ".join(w[:1].upper() + w[1:] for w in replacement.split())
    return replacement[:1].upper() + replacement[1:]  # Capitalised, or a capital then lower case


def in_capitals(toks: Tokens, i: int, j: int) -> bool:
    """Are the words next to tokens [i, j) in capitals (each neighbour on the same line that has
    letters, at least one of them): a headline or a text in capitals, where "USA" is not set off
    from the words around it?"""
    words, gaps = toks.words, toks.gaps
    seen = False
    for k, gap in ((i - 1, gaps[i]), (j, gaps[j])):
        if 0 <= k < toks.n and "\n" not in gap and "\r" not in gap:
            if toks.cases[k] != "u":
                if any(ch.isalpha() for ch in words[k]):
                    return False
                continue
            seen = True
    return seen


def _mixed_case(found: str, letters: list[str]) -> bool:
    """Is ``found`` in none of the cases :func:`transfer_case` carries over (lower, UPPER, Title
    Case, a capital then lower case)?"""
    if found.islower() or (found.isupper() and len(letters) > 1):
        return False
    words = found.split()
    if all(_is_capitalised(w) for w in words):
        return False
    return not (_is_capitalised(words[0])
                and all(w.islower() or not any(c.isalpha() for c in w) for w in words[1:]))


#: Words a name written out in Title Case keeps in lower case ("the Bank of England").
_NAME_LOWER = frozenset({"the", "of", "and", "for", "on", "in"})


def _initialism(found: str, replacement: str) -> bool:
    """Is ``found`` an initialism ("US", "UK") that ``replacement`` spells out in words?

    Capitals are the case of a headline only when the words around them are capitals too; a lone
    upper-case word of two or three letters is an abbreviation, and what it abbreviates is a name:
    "before US Congress" is restored to "United States", not "UNITED STATES".
    """
    return " " not in found and len(found) <= 3 and len(replacement.split()) > 1


def _title_name(replacement: str, sentence_start: bool) -> str:
    words = [w if w in _NAME_LOWER else w[:1].upper() + w[1:] for w in replacement.split()]
    if sentence_start:
        words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() and (len(word) == 1 or word[1:] == word[1:].lower())


#: Known names (``data/entities.txt``) that are titles or generic nouns too: news copy writes
#: "the prime minister said", "the health ministry", so a table's original keeps them as written.
_NOT_ALWAYS_NAMES = frozenset({
    "Attorney General", "Vice President", "High Court", "Prime Minister", "Foreign Minister",
    "Secretary General", "Secretary of State", "Chief Justice", "House Speaker",
    "Speaker of the House", "Supreme Leader", "Foreign Ministry", "Defense Ministry",
    "Interior Ministry", "Health Ministry", "Finance Ministry", "Space Station", "Hurricane Center",
    "Senate Majority Leader", "National Assembly",
})


@functools.cache
def _known_names() -> tuple[re.Pattern[str], dict[str, str]]:
    from .builtin import known_entities

    names = {n.removeprefix("The ") for n in known_entities()}
    by_lower = {n.lower(): n for n in names - _NOT_ALWAYS_NAMES if " " in n}
    alternation = "|".join(re.escape(k) for k in sorted(by_lower, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternation})\b"), by_lower


def name_case(phrase: str) -> str:
    """``phrase`` with the known names of several words in it written as names: a learned table row
    says "united states" (its words are lower-cased to count them), and the repair must read "the
    United States". Titles and generic nouns ("prime minister", "health ministry") are left as
    they are, and so is a name already written with a capital.

    >>> name_case("the united states"), name_case("white house officials"), name_case("prime minister")
    ('the United States', 'White House officials', 'prime minister')
    """
    pattern, by_lower = _known_names()
    return pattern.sub(lambda m: by_lower[m.group()], phrase)
