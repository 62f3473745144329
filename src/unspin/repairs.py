"""Result objects: what unspin changed, where, how sure it is, and how to replay it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

#: Version tag of the JSON produced by :meth:`Repair.to_dict` and :meth:`Analysis.to_dict`.
SCHEMA = "unspin.analysis/1"


@dataclass(frozen=True, slots=True, order=True)
class Repair:
    """One restored artifact.

    ``start``/``end`` are half-open offsets in Python code points into the *input* text, so
    ``text[start:end] == found``. ``rule`` is the stable id of the table row (or built-in rule)
    that fired; ``confidence`` in [0, 1] is the probability that ``replacement`` is the original
    wording, given the context and the document. Repairs sort by position and compare equal only
    when all six fields are equal.
    """

    start: int
    end: int
    found: str
    replacement: str
    confidence: float
    rule: str

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Repair:
        """The repair a :meth:`to_dict` dict describes (also a repair of the CLI's JSON, whose
        ``line`` and ``col`` are ignored), for replaying stored repairs with :func:`apply_repairs`.

        >>> Repair.from_dict({"start": 3, "end": 9, "found": "stated", "replacement": "said",
        ...                   "confidence": 0.9, "rule": "x", "line": 1, "col": 4})
        Repair(start=3, end=9, found='stated', replacement='said', confidence=0.9, rule='x')
        """
        kinds: dict[str, tuple[type, ...]] = {
            "start": (int,), "end": (int,), "found": (str,), "replacement": (str,),
            "confidence": (int, float), "rule": (str,)}
        for name, kind in kinds.items():
            if name not in d:
                raise ValueError(f"a repair needs the field {name!r}: {dict(d)!r}")
            value = d[name]
            if not isinstance(value, kind) or isinstance(value, bool):
                what = "a number" if len(kind) > 1 else kind[0].__name__
                raise TypeError(f"a repair's {name!r} must be {what}, not {value!r}")
        return cls(d["start"], d["end"], d["found"], d["replacement"], float(d["confidence"]),
                   d["rule"])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (schema ``unspin.analysis/1``, see README). ``confidence`` is rounded
        to 4 decimals, so :meth:`from_dict` gives back an equal repair only when it had no more.

        >>> import dataclasses
        >>> r = Repair(3, 9, "stated", "said", 0.93817, "x")
        >>> Repair.from_dict(r.to_dict()) == dataclasses.replace(r, confidence=0.9382)
        True
        """
        return {
            "start": self.start,
            "end": self.end,
            "found": self.found,
            "replacement": self.replacement,
            "confidence": round(self.confidence, 4),
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True)
class Analysis:
    """The full result of :func:`unspin.analyze`.

    ``text`` is the repaired text, ``repairs`` the applied repairs in document order and
    ``spin_score`` in [0, 1] the probability that the input was machine-spun at all.
    ``apply_repairs(input, analysis.repairs) == analysis.text`` always holds.
    """

    text: str
    repairs: tuple[Repair, ...]
    spin_score: float

    def to_dict(self, *, include_text: bool = False) -> dict[str, Any]:
        """A JSON-ready dict; the repaired text is included only when asked for."""
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "spin_score": round(self.spin_score, 4),
            "repairs": [r.to_dict() for r in self.repairs],
        }
        if include_text:
            out["text"] = self.text
        return out


class Span(Protocol):
    """Anything that replaces ``text[start:end]`` with ``replacement`` (a repair, a spinner's
    substitution)."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def replacement(self) -> str: ...


def splice(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced; ``spans`` sorted by start, not overlapping (not checked:
    see :func:`apply_repairs` for repairs from elsewhere)."""
    out: list[str] = []
    pos = 0
    for r in spans:
        out.append(text[pos : r.start])
        out.append(r.replacement)
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def apply_repairs(text: str, repairs: Iterable[Repair | Mapping[str, Any]]) -> str:
    """Apply ``repairs`` (offsets into ``text``) and return the new text. A repair may also be
    given as its JSON dict (:meth:`Repair.to_dict`, or a repair of the CLI's ``--format json``).

    Raises ``ValueError`` when a repair's span is not inside ``text`` (or ends before it starts),
    when it does not match ``text`` or when two repairs overlap, instead of silently skipping it,
    and ``TypeError`` when ``text`` is not a ``str`` or a repair is neither a :class:`Repair`
    nor a dict.

    >>> apply_repairs("He stated it.", [Repair(3, 9, "stated", "said", 0.9, "x")])
    'He said it.'
    >>> apply_repairs("He stated it.", [{"start": 3, "end": 9, "found": "stated",
    ...                                  "replacement": "said", "confidence": 0.9, "rule": "x"}])
    'He said it.'
    """
    if not isinstance(text, str):
        raise TypeError(f"apply_repairs takes the text as str, not {type(text).__name__}")
    ordered = sorted(map(_as_repair, repairs))
    pos = 0
    for r in ordered:
        if not 0 <= r.start <= r.end <= len(text):
            raise ValueError(
                f"repair {r.rule!r} has span {r.start}:{r.end}, outside a text of {len(text)} "
                "characters or reversed"
            )
        if r.start < pos:
            raise ValueError(f"repairs overlap at offset {r.start}")
        if text[r.start : r.end] != r.found:
            raise ValueError(
                f"repair {r.rule!r} expects {r.found!r} at {r.start}:{r.end}, "
                f"text has {text[r.start:r.end]!r}"
            )
        pos = r.end
    return splice(text, ordered)


def _as_repair(r: object) -> Repair:
    if isinstance(r, Repair):
        return r
    if isinstance(r, Mapping):
        return Repair.from_dict(r)
    raise TypeError(f"apply_repairs takes Repair objects or their dicts (Repair.to_dict), "
                    f"not {type(r).__name__}")
