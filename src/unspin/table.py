"""The reverse-synonym table: loading, validation and lookup structures.

The table is a UTF-8 TSV file (format described in ``data/README.md`` and the README). Each row
says: when the spinner's output contains ``spun``, the original copy may have said ``original``.
Rows carry a prior confidence; the engine combines it with context and document evidence.
Phrases are plain words, never regular expressions, so a user table cannot make matching slow.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .casing import name_case
from .errors import TableError

COLUMNS = ("id", "spun", "original", "family", "guard", "protect", "prior", "count", "note")

#: Rule families, the part of every id before the first dot.
FAMILIES = frozenset(
    {
        "saying",  # verbs of saying and reporting: stated -> said
        "war",  # war and conflict: warfare -> war, preventing -> fighting
        "military",  # armed forces: navy/army -> military
        "politics",  # government, law, diplomacy
        "health",  # medicine, bodies, disease
        "economy",  # money, trade, business
        "function",  # multi-word function phrases: for the reason that -> since the
        "number",  # digits and number words: 1000's -> thousands
        "contraction",  # contractions in narrative: didn't -> did not
        "name",  # damaged names of institutions and outlets: Related Press -> Associated Press
        "everyday",  # everything else
    }
)

#: Named context guards (implemented in :mod:`unspin.guards`); a table names them, never codes them.
GUARDS = frozenset(
    {
        "",  # no guard
        "name_only",  # only inside a capitalised name: "White Home" -> "White House"
        "not_name",  # never inside a capitalised name
        "attribution",  # only where a speaker is reported: "officials stated" -> "said"
        "numeric",  # only next to a number: "12 months" -> "year" needs a count before it
    }
)



@functools.cache
def _patterns() -> tuple[Any, Any]:
    """(id pattern, word pattern), compiled on first use: ``regex`` costs start-up time."""
    import regex

    ident = regex.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_'\-]+)+")
    # Words of a phrase: letters, digits and the inner punctuation names and numbers use.
    word = regex.compile(r"[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}'’.,\-]*[\p{L}\p{M}\p{N}'’.])?")
    return ident, word
MAX_PHRASE_WORDS = 6
MAX_PHRASE_CHARS = 80


@dataclass(frozen=True, slots=True)
class Rule:
    """One table row, validated."""

    id: str
    spun: str
    original: str
    family: str
    guard: str
    protect: tuple[str, ...]
    prior: float
    count: int
    note: str

    @property
    def spun_words(self) -> tuple[str, ...]:
        """The spun phrase as lower-cased words (the lookup key)."""
        return phrase_key(self.spun)

    def __reduce__(self) -> tuple:
        # a constructor call: unpickles several times faster than the dataclass default (the
        # compiled table's disk cache holds thousands of rules)
        return (Rule, (self.id, self.spun, self.original, self.family, self.guard, self.protect,
                       self.prior, self.count, self.note))


def phrase_key(phrase: str) -> tuple[str, ...]:
    """Lower-case words of a phrase, with typographic apostrophes folded to ASCII."""
    return tuple(phrase.replace("’", "'").lower().split())


def _check_phrase(path: str, line: int, column: str, phrase: str) -> None:
    words = phrase.split(" ")
    if not phrase or phrase != phrase.strip() or "" in words:
        raise TableError(path, line, f"{column} {phrase!r}: words must be separated by single spaces")
    if len(words) > MAX_PHRASE_WORDS or len(phrase) > MAX_PHRASE_CHARS:
        raise TableError(
            path, line,
            f"{column} {phrase!r} is too long (at most {MAX_PHRASE_WORDS} words, "
            f"{MAX_PHRASE_CHARS} characters)",
        )
    for w in words:
        if not _patterns()[1].fullmatch(w):
            raise TableError(path, line, f"{column} {phrase!r}: {w!r} is not a plain word")


def parse_table(text: str, path: str = "<table>") -> tuple[Rule, ...]:
    """Parse and validate table text; every problem raises :class:`TableError` with ``path:line``."""
    rules: list[Rule] = []
    seen_ids: dict[str, int] = {}
    seen_pairs: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
    header_seen = False
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if not header_seen:
            if tuple(cells) != COLUMNS:
                raise TableError(path, lineno, f"header must be: {' | '.join(COLUMNS)}")
            header_seen = True
            continue
        if len(cells) != len(COLUMNS):
            raise TableError(path, lineno, f"expected {len(COLUMNS)} tab-separated columns, got {len(cells)}")
        rid, spun, original, family, guard, protect, prior_s, count_s, note = cells
        if not _patterns()[0].fullmatch(rid):
            raise TableError(path, lineno, f"id {rid!r} must look like 'family.name' (lower case)")
        if rid in seen_ids:
            raise TableError(path, lineno, f"duplicate id {rid!r} (first on line {seen_ids[rid]})")
        fam = rid.split(".", 1)[0]
        if family not in FAMILIES:
            raise TableError(path, lineno, f"unknown family {family!r}; known: {', '.join(sorted(FAMILIES))}")
        if fam != family:
            raise TableError(path, lineno, f"id {rid!r} must start with its family {family!r}")
        _check_phrase(path, lineno, "spun", spun)
        _check_phrase(path, lineno, "original", original)
        if phrase_key(spun) == phrase_key(original):
            raise TableError(path, lineno, f"spun and original are the same phrase {spun!r}")
        if guard not in GUARDS:
            raise TableError(path, lineno, f"unknown guard {guard!r}; known: {', '.join(sorted(g for g in GUARDS if g))}")
        protects = tuple(p for p in protect.split("|") if p) if protect else ()
        for p in protects:
            _check_phrase(path, lineno, "protect", p)
            if not _contains(phrase_key(p), phrase_key(spun)):
                raise TableError(path, lineno, f"protected phrase {p!r} does not contain {spun!r}")
        try:
            prior = float(prior_s)
        except ValueError:
            raise TableError(path, lineno, f"prior {prior_s!r} is not a number") from None
        if not 0.0 < prior <= 1.0:
            raise TableError(path, lineno, f"prior {prior_s} must be in (0, 1]")
        if not (count_s.isascii() and count_s.isdigit()):  # not "²", which int() refuses
            raise TableError(path, lineno, f"count {count_s!r} must be a whole number >= 0")
        pair = (phrase_key(spun), phrase_key(original))
        if pair in seen_pairs:
            raise TableError(path, lineno, f"{spun!r} -> {original!r} repeats line {seen_pairs[pair]}")
        seen_ids[rid] = lineno
        seen_pairs[pair] = lineno
        # a known name in the original is written as a name ("the United States")
        rules.append(Rule(rid, spun, name_case(original), family, guard, protects, prior, int(count_s), note))
    if not header_seen:
        raise TableError(path, 1, "empty table: no header line")
    return tuple(rules)


def _contains(hay: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def load_table(path: str | os.PathLike[str]) -> tuple[Rule, ...]:
    """Read and validate a table file; undecodable bytes raise :class:`TableError` too."""
    return read_table(path)[1]


#: Tables parsed in this process, by (path, CRC-32 and length of the bytes): a table of your own
#: is read on every call (an edit is seen at once) but parsed and checked once per content.
_PARSED: dict[tuple[str, int, int], tuple[Rule, ...]] = {}


def read_table(path: str | os.PathLike[str]) -> tuple[tuple[str, int, int], tuple[Rule, ...]]:
    """(a key of the file's name and content, its rules): :func:`load_table` with the key that
    tells two readings of the same content apart from an edited file."""
    import zlib

    p = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise TableError(p, 0, f"cannot read table: {e.strerror or e}") from None
    key = (p, zlib.crc32(data), len(data))
    rules = _PARSED.get(key)
    if rules is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise TableError(p, line, f"invalid UTF-8 at byte {e.start}") from None
        rules = parse_table(text.removeprefix("\ufeff"), p)
        if len(_PARSED) >= 16:
            _PARSED.clear()
        _PARSED[key] = rules
    return key, rules


def bundled_table_path() -> Path:
    """Where the bundled table lives: inside the installed package, or ``data/`` in a checkout;
    ``$UNSPIN_DATA_DIR/synonym_map.tsv`` when that variable is set (see :data:`model.DATA_DIR_ENV`)."""
    override = os.environ.get("UNSPIN_DATA_DIR")
    if override:
        return Path(override) / "synonym_map.tsv"
    packaged = Path(__file__).resolve().parent / "data" / "synonym_map.tsv"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "synonym_map.tsv"


@functools.cache
def default_table() -> tuple[Rule, ...]:
    """The bundled table, loaded once per process on first use."""
    return load_table(bundled_table_path())
