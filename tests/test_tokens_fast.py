"""The engine's fast tokens (:class:`unspin.tokens.Tokens`) agree with the reference tokenizer and
with :func:`unspin.tokens.word_keys`, including on the letters whose lower case is special."""

from __future__ import annotations

import random
import re
import sys

from unspin.tokens import Tokens, tokenize, tokenize_slow, word_keys, word_keys_of

ALPHABET = "aAbZ ΣσςİıKkſ’'.,\n\"“”:;019-_éÉßẞǅ\t"


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_tokens_match_reference() -> None:
    texts = _random_texts(3000) + ['He said: "We won’t stop." US troops', "ΟΔΟΣ.Β ΑΣ’Β İstanbul", ""]
    for text in texts:
        assert tokenize(text) == tokenize_slow(text), repr(text)
        toks = Tokens(text)
        assert "".join(g + w for g, w in zip(toks.gaps, [*toks.words, ""], strict=True)) == text
        assert Tokens.from_tokens(text, tokenize_slow(text)).gaps == toks.gaps
        assert word_keys_of(toks) == word_keys(text), repr(text)


def test_lower_case_assumption() -> None:
    """word_keys_of reuses the tokens' keys unless the text has "İ" or "Σ": every other code point
    whose lower case differs lowers to one code point of the same word/digit/punctuation class."""
    classes = [re.compile(r"[^\W_]"), re.compile(r"\d"), re.compile(r"[.,'’]")]
    odd = []
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        low = c.lower()
        if low == c:
            continue
        if len(low) != 1 or any(bool(p.match(c)) != bool(p.match(low)) for p in classes):
            odd.append(c)
    assert odd == ["\u0130"]
