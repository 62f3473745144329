"""Named context guards and protected collocations: the hand-written checks a table row can ask for.

A table names a guard (``attribution``, ``name_only``...); the logic lives here, not in the data.
"""

from __future__ import annotations

from collections.abc import Sequence

from .builtin import NUMBER_WORDS
from .table import Rule, phrase_key
from .tokens import Token, Tokens

_SPEAKERS = frozenset(
    "he she they it we i who officials official spokesman spokeswoman spokesperson police "
    "authorities minister president ministry statement report agency government".split()
)
_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve dozen several few many "
    "hundred thousand million a an".split()
)


#: Words that spell a number ("fifteen", "forty") and the magnitudes a spelt-out numeral goes on
#: with ("two thousand fifteen", "one hundred fifty", "fifteen hundred").
_NUMERAL_WORDS = frozenset(NUMBER_WORDS)
_BEFORE_NUMERAL_WORD = _NUMERAL_WORDS | {"hundred", "thousand", "million", "billion", "trillion"}
_AFTER_NUMERAL_WORD = _NUMERAL_WORDS | {"hundred", "thousand"}


def _is_number(tok: Token) -> bool:
    return tok.key[:1].isdigit() or tok.key in _NUMBER_WORDS


#: Words a duration ends with: "ago" follows one ("three days ago", "a while ago", "long ago").
_DURATION_ENDS = frozenset(
    "second seconds minute minutes hour hours day days week weeks month months year years decade "
    "decades century centuries while moment moments long time ages".split()
)


def numeral_rule(rule: Rule) -> bool:
    """Does ``rule`` turn one number word into digits ("fifteen" -> "15")? Such a rule is checked
    by :func:`allows` even without a named guard."""
    return rule.spun.lower() in _NUMERAL_WORDS and rule.original[:1].isdigit()


def digits_rule(rule: Rule) -> bool:
    """Does ``rule`` turn digits into a number word ("2" -> "two")? The spinner writes "2" for
    "two"; digits glued to a currency or percent sign or a colon ("$2", "2%", "2:30") were digits
    in the original too (no English writes "$two", "two%" or "two:30"), so :func:`allows` leaves
    them."""
    return rule.spun.isdecimal() and rule.original.isalpha()


#: Signs that make digits an amount, a number or a time whatever the words around: "$2", "#2",
#: "10:2" before them...
_GLUED_BEFORE = frozenset("$£€¥#:")
#: ... and "2%", "2:30", "2¢", "2°" after them. (Not a hyphen: the spinner writes "2-year-old"
#: for "two-year-old", so "2-" may be its.)
_GLUED_AFTER = frozenset("%‰:¢°")


def ago_rule(rule: Rule) -> bool:
    """Does ``rule`` restore "ago" ("in the past" -> "ago")? "ago" only ever follows a duration, so
    :func:`allows` checks the word before: "two days in the past" is the spinner's, "in the past
    24 hours" and "in the past few weeks" are honest English."""
    return rule.original.lower() == "ago"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words after which "in the past" is "in the past <duration>" ("in the past decade", "in the
#: past few weeks", "in the past two years"), never the spinner's "ago".
_PAST_NOUN_PHRASE = _words(
    "second seconds minute minutes hour hours day days week weeks month months year years decade "
    "decades century centuries few couple several many dozen half quarter"
) | _NUMERAL_WORDS


_ARTICLES = frozenset({"the", "a", "an"})
#: Words that never follow an article: pronouns, possessives, other determiners and predeterminers,
#: auxiliaries and modals, prepositions, conjunctions, question words and adverbs of time and place
#: ("since the it", "became a the", "since the both"). Not "then", which a compound follows ("the
#: then-president"), nor "all" and "much" (see below).
_NOT_AFTER_ARTICLE = _words(
    "i you he she it we they me him us them his her its their our my your this that these those "
    "a an the some any no every each either neither is are was were be been being am has have had "
    "do does did will would can could shall should may might must not of in on at to from by with "
    "for about into onto over under after before since during than as and or but nor if because "
    "when while although though so yet who whom whose which what where why how there both another "
    "such also here yesterday today tomorrow half most whatever whichever whoever enough"
)
#: Words an article stands before only in a compound ("the all-time high", "the much-needed"):
#: refused unless a hyphen follows.
_ONLY_IN_COMPOUNDS_AFTER_ARTICLE = _words("all much")


def article_rule(rule: Rule) -> bool:
    """Does ``rule`` end its original in an article the spun phrase did not end in ("for the reason
    that" -> "since the", "grew to become" -> "became a")? The spinner absorbed the article into
    its phrase, so a noun phrase must follow; :func:`allows` checks the next word."""
    original, spun = phrase_key(rule.original), phrase_key(rule.spun)
    return bool(original) and original[-1] in _ARTICLES and spun[-1:] != original[-1:]


#: Determiners after which the next word heads a noun phrase; plural nouns without an "s"; and
#: prepositions, after which a noun phrase is not a subject ("absent from the assembly had been
#: ..." puts its subject after the verb).
_DETERMINERS = _words("the a an this that its his her their our my your every each one")
_PLURALS_WITHOUT_S = _words(
    "people police children men women staff data media cattle clergy personnel feet teeth mice "
    "geese folk"
)
#: Words that are not a singular noun after "that" or "this" (pronouns: "that we had been").
_PRONOUNS = _words("i you he she it we they me him her us them who which what there")
#: Words that open a clause where "were" goes with a singular subject (the subjunctive: "if the
#: country were to ...", "as though it were").
_SUBJUNCTIVE = _words("if though wish unless whether")
_PREPOSITIONS = _words(
    "of in on at to from by with for about into onto over under after before since during among "
    "amongst between through across against without within near behind beyond like than via"
)


def plural_rule(rule: Rule) -> bool:
    """Does ``rule`` turn "had been" into "were" ("had been" -> "were", "had been typically" ->
    "were often")? "had been" fits a subject of either number, "were" only a plural one, so
    :func:`allows` refuses it right after a subject that is a determiner and a singular noun
    ("the work had been scheduled" is honest; "the work were" is not English)."""
    spun, original = phrase_key(rule.spun), phrase_key(rule.original)
    return spun[:2] == ("had", "been") and original[:1] == ("were",)


#: How many words may stand between a determiner and the noun of a subject ("the old federal
#: building had been").
_MODIFIERS = 2


def _singular_subject(toks: Tokens, i: int) -> bool:
    """Do the words before token ``i`` look like a subject of one: a determiner, at most
    :data:`_MODIFIERS` words, and a noun without a plural ending, joined by plain spaces, not the
    object of a preposition, and not in a clause opened by "if" or "though", where "were" is the
    subjunctive of any number?"""
    if i < 2 or toks.gaps[i].strip():
        return False
    keys, gaps = toks.keys, toks.gaps
    noun = keys[i - 1]
    if not noun.isalpha() or noun.endswith("s") or noun in _PLURALS_WITHOUT_S or noun in _PRONOUNS:
        return False
    for d in range(i - 2, max(-1, i - 3 - _MODIFIERS), -1):  # where the determiner may be
        if gaps[d + 1].strip():
            return False  # punctuation between: not one noun phrase
        k = keys[d]
        if k in _DETERMINERS:
            if d > 0 and keys[d - 1] in _PREPOSITIONS:
                return False
            return not any(w in _SUBJUNCTIVE for w in keys[max(0, d - 3) : d])
        # a modifier: a word of letters that is no pronoun or preposition ("the man who")
        if not k.replace("'", "").isalpha() or k in _PRONOUNS or k in _PREPOSITIONS:
            return False
    return False


def pc_rule(rule: Rule) -> bool:
    """Does ``rule`` read "pc" as a word ("pc" -> "computer")? After a number it is a percentage
    (British news style: "9 pc"), which :func:`allows` leaves."""
    return rule.spun.lower() == "pc"


def implicitly_guarded(rule: Rule) -> bool:
    """Is ``rule`` checked by :func:`allows` although it names no guard and protects nothing?"""
    return (numeral_rule(rule) or ago_rule(rule) or digits_rule(rule) or article_rule(rule)
            or plural_rule(rule) or pc_rule(rule))


#: Punctuation an article never stands before (an opening quote may: 'the "Arab Spring"').
_PHRASE_BREAKS = frozenset(".,;:!?)]}”")

#: (its protected phrases as (offset of the spun phrase in it, words), numeral_rule(rule),
#: ago_rule(rule), digits_rule(rule), article_rule(rule), plural_rule(rule), pc_rule(rule)): what
#: :func:`allows` asks of a rule, worked out once per rule (in _CHECKS).
_Checks = tuple[tuple[tuple[int, tuple[str, ...]], ...], bool, bool, bool, bool, bool, bool]
_CHECKS: dict[Rule, _Checks] = {}


def _checks(rule: Rule) -> _Checks:
    found = _CHECKS.get(rule)
    if found is None:
        spun = phrase_key(rule.spun)
        aligned = []
        for p in rule.protect:
            pk = phrase_key(p)
            # every alignment of the spun phrase inside the protected phrase
            aligned.extend((off, pk) for off in range(len(pk) - len(spun) + 1)
                           if pk[off : off + len(spun)] == spun)
        if len(_CHECKS) > 100_000:
            _CHECKS.clear()
        found = _CHECKS[rule] = (tuple(aligned), numeral_rule(rule), ago_rule(rule),
                                 digits_rule(rule), article_rule(rule), plural_rule(rule),
                                 pc_rule(rule))
    return found


def allows(rule: Rule, toks: Sequence[Token] | Tokens, i: int, j: int, case: str) -> bool:
    """May ``rule`` fire on tokens [i, j) (letter case ``case``)?"""
    aligned, numeral, ago, digits, article, plural, pc = _checks(rule)
    if digits and isinstance(toks, Tokens):
        before, after = toks.gaps[i][-1:], toks.gaps[j][:1]
        if before in _GLUED_BEFORE or after in _GLUED_AFTER:
            return False
    if pc and i > 0 and _is_number(toks[i - 1]):
        return False  # "9 pc" is a percentage (British news style), not a personal computer
    if article:
        if j >= len(toks) or toks[j].key in _NOT_AFTER_ARTICLE:
            return False
        if (toks[j].key in _ONLY_IN_COMPOUNDS_AFTER_ARTICLE and isinstance(toks, Tokens)
                and not toks.gaps[j + 1].startswith("-")):
            return False
        if isinstance(toks, Tokens) and any(c in _PHRASE_BREAKS for c in toks.gaps[j]):
            return False
    if plural and isinstance(toks, Tokens) and _singular_subject(toks, i):
        return False
    if aligned or numeral or ago:
        keys = toks.keys if isinstance(toks, Tokens) else [t.key for t in toks]
        if aligned and _protected(aligned, keys, i):
            return False
        if numeral and j - i == 1 and (
            (i > 0 and keys[i - 1] in _BEFORE_NUMERAL_WORD)
            or (j < len(keys) and keys[j] in _AFTER_NUMERAL_WORD)
        ):
            # One word of a numeral spelt out in several: the spinner writes a whole number in
            # words ("180" -> "one hundred eighty"), and digits for one of its words would leave
            # "two thousand 15" or "15 thousand million", which no news copy and no spinner
            # writes. ("15 million" is news style: a magnitude after is allowed unless it is
            # "hundred" or "thousand".)
            return False
        if ago and not (i > 0 and keys[i - 1] in _DURATION_ENDS):
            return False
        if ago and j < len(keys) and (keys[j] in _PAST_NOUN_PHRASE or keys[j][:1].isdigit()):
            # "three years in the past decade": "the past" opens a noun phrase, nothing follows "ago"
            return False
    g = rule.guard
    if not g:
        return True
    prev = toks[i - 1] if i > 0 else None
    nxt = toks[j] if j < len(toks) else None
    if g == "name_only":
        # Inside a capitalised name: the phrase itself is capitalised and so is a neighbour.
        return case in ("c", "s") and any(
            t is not None and t.case in ("c", "s") and not t.key[:1].isdigit() for t in (prev, nxt)
        )
    if g == "not_name":
        return case in ("l", "s") and not (nxt is not None and nxt.case == "c")
    if g == "attribution":
        if prev is not None and (prev.key in _SPEAKERS or prev.case == "c"):
            return True
        return nxt is not None and nxt.key == "that"
    if g == "numeric":
        return prev is not None and _is_number(prev)
    return False  # unknown guards are rejected when the table loads; never fire here


def _protected(aligned: tuple[tuple[int, tuple[str, ...]], ...], keys: Sequence[str], i: int) -> bool:
    """Does the phrase at token ``i`` sit inside one of its protected phrases (see :func:`_checks`)?"""
    for off, pk in aligned:
        a = i - off
        b = a + len(pk)
        if a >= 0 and b <= len(keys) and tuple(keys[a:b]) == pk:
            return True
    return False
