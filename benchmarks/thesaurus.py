#!/usr/bin/env python3
"""Build spinner thesauri (``head|alt1|alt2|...`` a line) for ``unspin.emulate``.

Two sources:

- ``wordnet``: WordNet's plain-text ``data.noun|verb|adj|adv`` files (Debian ``wordnet-base``,
  ``/usr/share/wordnet``). A word's group is the word plus the other lemmas of its synsets, all in
  one part of speech (the one in which the word has most senses), senses in frequency order when
  the ``index.*`` files are there, at most ``--max-alts`` alternatives. Multi-word lemmas become
  multi-word heads (``give_up`` -> ``give up``). An inflection step adds groups for inflected
  forms, made the same way for head and members: verbs get third person ``-s``, ``-ing`` and the
  past forms (``said|stated|declared``, ``saying|stating|declaring``), nouns the plural; irregular
  forms come from WordNet's ``verb.exc``/``noun.exc``, the rest from simple suffix rules (no
  consonant doubling beyond what ``verb.exc`` lists; adjectives are not inflected). Lemmas with
  capitals (proper nouns), heads of one or two characters and English function words are left
  out, as heads and as members: WordNet's noun senses of "in" (inch), "one" (ace) or "be" would
  otherwise spin nearly every sentence in a way no real spinner does. Several sources can give
  the same surface head ("states": plural of the noun, third person of the verb); the one with
  most WordNet senses wins.
- ``table``: unspin's own table run forward: rows of ``data/synonym_map.tsv`` grouped by their
  original form, ``original|spun1|spun2|...``. Spinning with it and restoring with unspin is
  circular (the restorer is tested on exactly the substitutions it knows): a reference, never a
  headline number.

Usage::

    python benchmarks/thesaurus.py wordnet /tmp/wordnet.groups [--wordnet-dir DIR] [--max-alts 4]
    python benchmarks/thesaurus.py table /tmp/table.groups [--table data/synonym_map.tsv]

Prints the number of groups to stderr. The files are generated at run time, not committed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_WORDNET = Path("/usr/share/wordnet")
DEFAULT_TABLE = REPO / "data" / "synonym_map.tsv"
POS_FILES = (("noun", "n"), ("verb", "v"), ("adj", "a"), ("adv", "r"))
DEFAULT_MAX_ALTS = 4

# Function words (and number words) never used as heads or members of WordNet groups.
STOPWORDS = frozenset("""
a about above across after again against all almost also am among an and another any are
around as at away back be became because become becomes been before being below between both
but by can cannot could did do does doing done down during each either else enough ever every
few for from further had has have having he her here hers herself him himself his how however
i if in into is it its itself just least less like many may me might more most much must my
myself neither never no nor not now of off often on once one only onto or other others our ours
ourselves out over own per quite rather same several shall she should since so some still such
than that the their theirs them themselves then there these they this those though through thus
to together too toward towards under until up upon us very was we well were what whatever when
where whether which while who whom whose why will with within without would yet you your yours
yourself yourselves zero two three four five six seven eight nine ten eleven twelve twenty
hundred thousand million billion first second third last next
""".split())

_ADJ_MARKER = re.compile(r"\([a-z]+\)$")
_LEMMA_OK = re.compile(r"[a-z][a-z0-9'.\- ]*")
_VOWELS = set("aeiou")


# --- Reading WordNet ---


@dataclass
class WordNet:
    """Synsets per part of speech (lists of lemmas, spaces for ``_``) and inflection exceptions."""

    synsets: dict[str, dict[str, list[str]]]  # pos -> offset -> lemmas, in file order
    senses: dict[str, dict[str, list[str]]]  # pos -> lemma -> synset offsets, most frequent first
    exceptions: dict[str, dict[str, list[str]]]  # pos -> base -> irregular inflected forms


def _lemma(raw: str) -> str:
    return _ADJ_MARKER.sub("", raw).replace("_", " ")


def parse_data_file(lines: Iterable[str]) -> dict[str, list[str]]:
    """Synset offset -> lemmas of a WordNet ``data.*`` file (licence header lines skipped)."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if not line or line.startswith(" "):
            continue
        f = line.split(" ")
        if len(f) < 6 or not f[0].isdigit():
            continue
        n = int(f[3], 16)
        out[f[0]] = [_lemma(f[4 + 2 * i]) for i in range(n)]
    return out


def parse_index_file(lines: Iterable[str]) -> dict[str, list[str]]:
    """Lemma -> synset offsets in sense-frequency order, from a WordNet ``index.*`` file."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if not line or line.startswith(" "):
            continue
        f = line.split()
        if len(f) < 6:
            continue
        p_cnt = int(f[3])
        offsets = f[4 + p_cnt + 2:]
        out[f[0].replace("_", " ")] = offsets
    return out


def read_wordnet(directory: Path) -> WordNet:
    """Read the ``data.*`` files of ``directory`` (``index.*`` and ``*.exc`` when present)."""
    syn: dict[str, dict[str, list[str]]] = {}
    senses: dict[str, dict[str, list[str]]] = {}
    exc: dict[str, dict[str, list[str]]] = {}
    for name, _ in POS_FILES:
        data = directory / f"data.{name}"
        if not data.exists():
            continue
        syn[name] = parse_data_file(data.read_text(encoding="utf-8", errors="replace").split("\n"))
        index = directory / f"index.{name}"
        if index.exists():
            senses[name] = parse_index_file(index.read_text(encoding="utf-8", errors="replace").split("\n"))
        else:  # sense order unknown: the order of the data file
            by: dict[str, list[str]] = {}
            for off, lemmas in syn[name].items():
                for lem in lemmas:
                    by.setdefault(lem.lower(), []).append(off)
            senses[name] = by
        ex = directory / f"{name}.exc"
        table: dict[str, list[str]] = {}
        if ex.exists():
            for line in ex.read_text(encoding="utf-8", errors="replace").split("\n"):
                f = line.split()
                if len(f) >= 2:
                    table.setdefault(f[1].replace("_", " "), []).append(f[0].replace("_", " "))
        exc[name] = table
    if not syn:
        raise SystemExit(f"no WordNet data.* files in {directory} (apt-get install wordnet-base)")
    return WordNet(syn, senses, exc)


# --- Inflection (head and members inflected the same way) ---


def _plural(w: str) -> str:
    if w.endswith(("s", "x", "z", "ch", "sh")):
        return w + "es"
    if len(w) > 1 and w.endswith("y") and w[-2] not in _VOWELS:
        return w[:-1] + "ies"
    return w + "s"


def _third(w: str) -> str:
    if len(w) > 1 and w.endswith("o") and w[-2] not in _VOWELS:
        return w + "es"
    return _plural(w)


def _ing(w: str) -> str:
    if w.endswith("ie"):
        return w[:-2] + "ying"
    if w.endswith("e") and not w.endswith(("ee", "ye", "oe")) and len(w) > 2:
        return w[:-1] + "ing"
    return w + "ing"


def _past(w: str) -> str:
    if w.endswith("e"):
        return w + "d"
    if len(w) > 1 and w.endswith("y") and w[-2] not in _VOWELS:
        return w[:-1] + "ied"
    return w + "ed"


def _order_past(forms: list[str]) -> list[str]:
    """Past tense before participle when one form looks like a participle (went, gone)."""
    n_like = [f for f in forms if f.endswith("n")]
    if len(forms) > 1 and len(n_like) == 1:
        return [f for f in forms if f != n_like[0]] + n_like
    return forms


def verb_forms(lemma: str, exc: dict[str, list[str]]) -> dict[str, list[str]]:
    """Inflected forms of a verb lemma by slot (``s``, ``ing``, ``past``); multi-word: first word."""
    words = lemma.split(" ")
    irregular = exc.get(lemma)
    rest = ""
    if irregular is None:
        irregular = exc.get(words[0], [])
        rest = lemma[len(words[0]):]
        base = words[0]
    else:
        base, rest = lemma, ""
    ing = [f for f in irregular if f.endswith("ing")]
    past = [f for f in irregular if not f.endswith("ing")]
    return {
        "s": [_third(base) + rest],
        "ing": [f + rest for f in (ing or [_ing(base)])],
        "past": [f + rest for f in _order_past(past or [_past(base)])],
    }


def noun_forms(lemma: str, exc: dict[str, list[str]]) -> dict[str, list[str]]:
    """The plural of a noun lemma, irregular ones from ``noun.exc``.

    A multi-word noun gets the plural on its last word, or on the word before ``of``
    ("currents of air").
    """
    if lemma in exc:
        return {"pl": [exc[lemma][0]]}
    words = lemma.split(" ")
    i = words.index("of") - 1 if "of" in words[1:] else len(words) - 1  # "current of air"
    plural = exc.get(words[i], [_plural(words[i])])[0]
    return {"pl": [" ".join([*words[:i], plural, *words[i + 1:]])]}


# --- Building groups ---


def _usable(lemma: str) -> bool:
    return len(lemma) > 2 and _LEMMA_OK.fullmatch(lemma) is not None and lemma not in STOPWORDS


def wordnet_groups(wn: WordNet, max_alts: int = DEFAULT_MAX_ALTS, inflect: bool = True) -> list[list[str]]:
    """Groups ``[head, alt, ...]`` from WordNet, one per surface head, sorted by head."""
    best: dict[str, tuple[int, int, list[str]]] = {}  # head -> (senses, -priority, members)
    priority = 0

    def offer(head: str, senses: int, alts: Sequence[str]) -> None:
        nonlocal priority
        priority += 1
        members = [head]
        for a in alts:
            if a not in members:
                members.append(a)
        if len(members) < 2 or not _usable(head):
            return
        cur = best.get(head)
        if cur is None or (senses, -priority) > cur[:2]:
            best[head] = (senses, -priority, members[: max_alts + 1])

    for pos, _ in POS_FILES:
        if pos not in wn.synsets:
            continue
        synsets, senses, exc = wn.synsets[pos], wn.senses[pos], wn.exceptions.get(pos, {})
        for lemma, offsets in senses.items():
            if not _usable(lemma):
                continue
            alts: list[str] = []
            for off in offsets:
                for other in synsets.get(off, ()):
                    if other != lemma and _usable(other) and other not in alts:
                        alts.append(other)
            if not alts:
                continue
            alts = alts[:max_alts]
            offer(lemma, len(offsets), alts)
            if not inflect or pos not in ("verb", "noun"):
                continue
            forms = verb_forms if pos == "verb" else noun_forms
            head_forms = forms(lemma, exc)
            alt_forms = [forms(a, exc) for a in alts]
            for slot, hf in head_forms.items():
                for i, h in enumerate(hf):
                    offer(h, len(offsets), [af[slot][min(i, len(af[slot]) - 1)] for af in alt_forms])
    return [best[h][2] for h in sorted(best)]


def table_groups(table: Path | str | None = None) -> list[list[str]]:
    """unspin's table run forward: ``[original, spun1, spun2, ...]`` per original, in table order."""
    sys.path.insert(0, str(REPO / "src"))
    from unspin.table import default_table, load_table

    rules = load_table(str(table)) if table else default_table()
    groups: dict[str, list[str]] = {}
    for r in rules:
        g = groups.setdefault(r.original, [r.original])
        if r.spun not in g:
            g.append(r.spun)
    return [g for g in groups.values() if len(g) > 1]


def write_groups(groups: Iterable[Sequence[str]], path: Path) -> int:
    """Write groups one a line (``head|alt|...``); returns the number written."""
    lines = ["|".join(g) for g in groups]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


def describe(groups: Sequence[Sequence[str]]) -> dict[str, int]:
    """Sizes of a thesaurus: groups, multi-word groups, members (heads included)."""
    return {
        "groups": len(groups),
        "multiword_groups": sum(1 for g in groups if " " in g[0]),
        "members": sum(len(g) for g in groups),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="source", required=True)
    w = sub.add_parser("wordnet", help="groups from WordNet's data.* files")
    w.add_argument("out", type=Path)
    w.add_argument("--wordnet-dir", type=Path, default=DEFAULT_WORDNET)
    w.add_argument("--max-alts", type=int, default=DEFAULT_MAX_ALTS, help="alternatives per group")
    w.add_argument("--no-inflect", action="store_true", help="lemmas only, no inflected forms")
    t = sub.add_parser("table", help="unspin's table run forward (circular: a reference only)")
    t.add_argument("out", type=Path)
    t.add_argument("--table", type=Path, default=None, help="table file (default: the bundled one)")
    a = ap.parse_args(argv)
    if a.source == "wordnet":
        groups = wordnet_groups(read_wordnet(a.wordnet_dir), a.max_alts, not a.no_inflect)
    else:
        groups = table_groups(a.table)
    write_groups(groups, a.out)
    d = describe(groups)
    print(f"{a.out}: {d['groups']:,} groups ({d['multiword_groups']:,} multi-word), "
          f"{d['members']:,} members", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
