"""An emulation of a WordPress-style thesaurus spinner, for making synthetic spun/original pairs.

The spinner (see ``shared/SPINNERS.md``) works from a thesaurus of synonym *groups*, one a line::

    head|alt1|alt2|...

and does this to a text:

- it searches each group's head, on word boundaries, group by group: all multi-word groups first
  (a head containing a space), then the single-word ones, each part in file order;
- every occurrence of the head is replaced by a member of the group picked at random, *the head
  included*, so many occurrences stay as they were;
- a replaced span is protected: no later group matches inside it or across it, so substitutions
  never chain within one run (``would -> could`` is never followed by ``could -> might``);
- the capitalised forms of a lower-case head are matched too: first letter (``Since``) and Title
  Case (``According To``), and the replacement takes that capitalisation (``For the reason that``,
  ``Based On``); a head that has capitals of its own matches only as written;
- optionally, quoted speech is left alone (``protect_quotes``): text between straight double quotes
  or between curly ones (“ ”), within one line; a quote left open runs to the end of its line, as
  an opening quote at the start of a paragraph does in news copy when the quote continues.

Word boundaries are judged on the input text: the character before a match and the character after
it must not be word characters (Python's Unicode ``\\w``). Matching is case-sensitive apart from the
capitalised forms above. Everything outside the replaced spans passes through unchanged, byte for
byte (line endings, a BOM, odd characters).

The search order is that of a spinner running one scan per group, but the work is one pass over
the text: every occurrence of every head form is collected in a single scan (indexed by the head's
first word), then the occurrences are accepted in (group rank, position) order unless they overlap
one accepted earlier. That is exactly what a sequential spinner does: for one group, a left-to-right
scan takes the leftmost occurrence that does not touch a protected span, then continues after it.

Command line::

    python -m unspin.emulate --thesaurus groups.txt [--seed N] [--protect-quotes] [FILE] > spun.txt

Reads FILE (or stdin) as UTF-8 and writes the spun text to stdout; ``--seed`` makes the choices
reproducible (default 0).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import ThesaurusError
from .repairs import splice

__all__ = [
    "SpinResult",
    "Substitution",
    "Thesaurus",
    "ThesaurusError",
    "load_thesaurus",
    "main",
    "parse_thesaurus",
    "quoted_spans",
    "spin",
    "spin_detailed",
]

# First token of a head or of the text at a position: a run of word characters, or one other
# non-space character (heads such as "'s" or "$" start that way).
_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORDCHAR = re.compile(r"\w")
# Quoted speech within one line; an unclosed quote runs to the end of the line.
_QUOTED = re.compile(r'"[^"\r\n]*"?|“[^”\r\n]*”?')
_BAD_CHARS = re.compile(r"[\t\r\n\x00-\x1f\x7f]")

EXACT, FIRST, TITLE = 0, 1, 2  # how an occurrence is capitalised relative to the head


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _title(s: str) -> str:
    """Upper-case the first character of every space-separated word (PHP's ``ucwords``)."""
    return " ".join(_upper_first(w) for w in s.split(" "))


def _recase(member: str, kind: int) -> str:
    if kind == FIRST:
        return _upper_first(member)
    if kind == TITLE:
        return _title(member)
    return member


@dataclass(frozen=True)
class Thesaurus:
    """Synonym groups in file order; ``groups[i][0]`` is the head of group ``i``.

    Build one with :func:`load_thesaurus`, :func:`parse_thesaurus` or ``Thesaurus.from_groups``.
    Two groups may share a head; the first in search order then takes every occurrence.
    """

    groups: tuple[tuple[str, ...], ...]
    source: str = "<thesaurus>"

    @classmethod
    def from_groups(cls, groups: Iterable[Sequence[str]], source: str = "<groups>") -> Thesaurus:
        """Validate ``groups`` (each a head followed by its alternatives) like lines of a file."""
        return parse_thesaurus("\n".join("|".join(g) for g in groups), source)

    def __len__(self) -> int:
        return len(self.groups)

    @property
    def multiword(self) -> int:
        """How many groups have a multi-word head."""
        return sum(1 for g in self.groups if " " in g[0])

    @cached_property
    def search_order(self) -> tuple[int, ...]:
        """Group indices in the order the spinner searches them: multi-word heads first."""
        multi = [i for i, g in enumerate(self.groups) if " " in g[0]]
        single = [i for i, g in enumerate(self.groups) if " " not in g[0]]
        return tuple(multi + single)

    @cached_property
    def _index(self) -> dict[str, list[tuple[str, int, int]]]:
        """First token of a head form -> [(form, search rank, capitalisation kind)]."""
        index: dict[str, list[tuple[str, int, int]]] = {}
        for rank, gi in enumerate(self.search_order):
            head = self.groups[gi][0]
            forms = [(head, EXACT)]
            first = _upper_first(head)
            if first != head:
                forms.append((first, FIRST))
            title = _title(head)
            if title not in (head, first):
                forms.append((title, TITLE))
            for form, kind in forms:
                m = _TOKEN.match(form)
                assert m is not None  # validated: a head starts with a non-space character
                index.setdefault(m.group(), []).append((form, rank, kind))
        return index


def parse_thesaurus(text: str, source: str = "<thesaurus>") -> Thesaurus:
    """Parse thesaurus text: one group ``head|alt1|alt2|...`` a line.

    Blank lines and lines starting with ``#`` are skipped. Each member must be non-empty, have no
    leading or trailing space, no doubled space, no tab or control character and at least one word
    character; a group needs a head and at least one alternative, all different. Every problem
    raises :class:`ThesaurusError` whose message starts with ``source:line:``.
    """
    groups: list[tuple[str, ...]] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if lineno == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if not line.strip() or line.startswith("#"):
            continue
        members = line.split("|")
        if len(members) < 2:
            raise ThesaurusError(source, lineno, f"{line!r}: a group needs a head and at least one "
                                                 "alternative, separated by '|'")
        seen: dict[str, int] = {}
        for pos, m in enumerate(members, start=1):
            what = "head" if pos == 1 else f"member {pos}"
            if not m:
                raise ThesaurusError(source, lineno, f"{what} is empty")
            if m != m.strip(" ") or "  " in m:
                raise ThesaurusError(source, lineno, f"{what} {m!r}: words must be separated by "
                                                     "single spaces, without spaces at the ends")
            if _BAD_CHARS.search(m):
                raise ThesaurusError(source, lineno, f"{what} {m!r} holds a tab or control character")
            if not _WORDCHAR.search(m):
                raise ThesaurusError(source, lineno, f"{what} {m!r} has no word character")
            if m in seen:
                raise ThesaurusError(source, lineno, f"{what} {m!r} repeats member {seen[m]}")
            seen[m] = pos
        groups.append(tuple(members))
    return Thesaurus(tuple(groups), source)


def load_thesaurus(path: str | Path) -> Thesaurus:
    """Read and validate a UTF-8 thesaurus file (see :func:`parse_thesaurus`)."""
    p = Path(path)
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ThesaurusError(str(p), line, "not valid UTF-8") from None
    return parse_thesaurus(text, str(p))


@dataclass(frozen=True)
class Substitution:
    """One occurrence of a head the spinner acted on (``replacement`` may equal ``found``)."""

    start: int  # offsets into the input text, half-open, in code points
    end: int
    found: str
    replacement: str
    group: int  # index into Thesaurus.groups

    @property
    def changed(self) -> bool:
        """Whether the spinner picked a member other than the word that was there."""
        return self.found != self.replacement


@dataclass(frozen=True)
class SpinResult:
    """The spun text and every occurrence the spinner replaced, in text order."""

    text: str
    substitutions: tuple[Substitution, ...]

    @property
    def changed(self) -> int:
        """How many occurrences came out different from the input."""
        return sum(1 for s in self.substitutions if s.changed)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted speech: straight or curly double quotes within a line (open quote: to EOL)."""
    return [m.span() for m in _QUOTED.finditer(text)]


def spin_detailed(text: str, thesaurus: Thesaurus, *, seed: int | random.Random = 0,
                  protect_quotes: bool = False) -> SpinResult:
    """Spin ``text`` with ``thesaurus`` and report every replaced occurrence.

    ``seed`` is an integer (a fresh ``random.Random(seed)``) or a ``random.Random`` to draw from;
    the same text, thesaurus and seed always give the same result. With ``protect_quotes`` quoted
    speech is left alone (see :func:`quoted_spans`).
    """
    if not isinstance(text, str):
        raise TypeError(f"spin() needs str, not {type(text).__name__}")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    index = thesaurus._index
    n = len(text)

    def wordchar(c: str) -> bool:  # exactly Python's Unicode \w
        return c.isalnum() or c == "_"

    found: list[tuple[int, int, int, int]] = []  # (rank, start, end, kind)
    for m in _TOKEN.finditer(text):
        entries = index.get(m.group())
        if entries is None:
            continue
        s = m.start()
        if s and wordchar(text[s - 1]):  # a punctuation token glued to a word: no boundary
            continue
        for form, rank, kind in entries:
            e = s + len(form)
            if text.startswith(form, s) and (e == n or not wordchar(text[e])):
                found.append((rank, s, e, kind))
    found.sort()

    taken = bytearray(n)
    if protect_quotes:
        for qs, qe in quoted_spans(text):
            taken[qs:qe] = b"\x01" * (qe - qs)
    order = thesaurus.search_order
    subs: list[Substitution] = []
    for rank, s, e, kind in found:
        if taken.find(1, s, e) != -1:
            continue
        taken[s:e] = b"\x01" * (e - s)
        gi = order[rank]
        member = rng.choice(thesaurus.groups[gi])
        subs.append(Substitution(s, e, text[s:e], _recase(member, kind), gi))
    subs.sort(key=lambda x: x.start)

    return SpinResult(splice(text, subs), tuple(subs))


def spin(text: str, thesaurus: Thesaurus, *, seed: int | random.Random = 0,
         protect_quotes: bool = False) -> str:
    """Return ``text`` as the thesaurus spinner would spin it (see the module docstring)."""
    return spin_detailed(text, thesaurus, seed=seed, protect_quotes=protect_quotes).text


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m unspin.emulate``: spin FILE or stdin to stdout. Exit 2 on a bad thesaurus or input."""
    ap = argparse.ArgumentParser(prog="python -m unspin.emulate",
                                 description="Spin text like a WordPress-style thesaurus spinner.")
    ap.add_argument("--thesaurus", required=True, type=Path, help="groups file, 'head|alt1|alt2' a line")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--protect-quotes", action="store_true", help="leave quoted speech alone")
    ap.add_argument("file", nargs="?", type=Path, help="input text (default: stdin)")
    a = ap.parse_args(argv)
    try:
        thesaurus = load_thesaurus(a.thesaurus)
    except ThesaurusError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: cannot read thesaurus: {e}", file=sys.stderr)
        return 2
    try:
        data = a.file.read_bytes() if a.file else sys.stdin.buffer.read()
        text = data.decode("utf-8")
    except OSError as e:
        print(f"error: cannot read input: {e}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"error: {a.file or '<stdin>'} is not valid UTF-8", file=sys.stderr)
        return 2
    out = spin(text, thesaurus, seed=a.seed, protect_quotes=a.protect_quotes)
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
