"""Options of :func:`unspin.restore` and :func:`unspin.analyze`, validated once."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, SupportsFloat

#: Repairs below this confidence are not applied unless the caller asks for them.
DEFAULT_MIN_CONFIDENCE = 0.5

QuotePolicy = Literal["auto", "repair", "protect"]

#: Ids of the built-in rules (:mod:`unspin.builtin`), which ``disable`` accepts besides table ids.
BUILTIN_RULES = frozenset(
    {
        "number.word_digits",
        "number.currency",
        "number.range",
        "number.compound",
        "number.unit",
        "number.percent",
        "number.percent_sign",
        "function.perfect_failed_to",
        "name.entity",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Everything that changes what unspin does.

    - ``min_confidence``: repairs with a lower confidence are not applied (default 0.5), except
      one beside another applied repair (the next word, only a space between), which needs 0.8
      of it (``engine.ADJOINING``). Raising it trades recall for precision.
    - ``table``: a TSV file that *replaces* the bundled synonym table.
    - ``extra_tables``: TSV files whose rows are *added* to the table (a row with an existing
      id replaces it).
    - ``disable``: rule ids (of the table(s) in use, or built-in), or family names (the part of
      an id before the first ``.``), that must not fire; an unknown one raises ``ValueError``.
    - ``quotes``: ``"auto"`` (default) repairs inside quotation marks only when the quoted text
      itself carries spinner artifacts; ``"protect"`` never touches quoted speech; ``"repair"``
      treats it like narrative.
    - ``use_document_model``: when False, every repair is judged as if the document were known
      to be spun (useful for short snippets); the ``spin_score`` is still reported.
    """

    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    table: str | os.PathLike[str] | None = None
    extra_tables: tuple[str | os.PathLike[str], ...] = ()
    disable: frozenset[str] = field(default_factory=frozenset)
    quotes: QuotePolicy = "auto"
    use_document_model: bool = True

    if TYPE_CHECKING:  # what the constructor accepts; the fields hold the normalised values
        def __init__(
            self, *, min_confidence: SupportsFloat = DEFAULT_MIN_CONFIDENCE,
            table: str | os.PathLike[str] | None = None,
            extra_tables: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] = (),
            disable: str | Iterable[str] = frozenset(), quotes: QuotePolicy = "auto",
            use_document_model: bool = True,
        ) -> None: ...

    def __post_init__(self) -> None:
        mc = self.min_confidence
        # any real number (numpy's, Fraction, Decimal) is taken as a float; bool is not a number here
        number = not isinstance(mc, bool | str | bytes) and hasattr(type(mc), "__float__")
        value = float(mc) if number else math.nan
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"min_confidence must be a number in [0, 1], got {mc!r}")
        object.__setattr__(self, "min_confidence", value)
        if self.use_document_model is not True and self.use_document_model is not False:  # "no"
            raise ValueError(f"use_document_model must be True or False, got {self.use_document_model!r}")
        if self.quotes not in ("auto", "repair", "protect"):
            raise ValueError(f"quotes must be 'auto', 'repair' or 'protect', got {self.quotes!r}")
        if self.table is not None:
            _check_path("table", self.table)
        extra = _collection(self.extra_tables, str | os.PathLike, tuple,
                            "extra_tables must be a path or a collection of paths")
        object.__setattr__(self, "extra_tables", extra)
        for path in self.extra_tables:
            _check_path("extra_tables", path)
        disable = _collection(self.disable, str, frozenset,
                              "disable must be a rule id, a family name or a collection of them")
        object.__setattr__(self, "disable", disable)
        if self.disable:
            _check_disable(self)


def _collection(value: Any, single: Any, make: Any, message: str) -> Any:
    """``make`` of ``value``'s items, or of ``value`` alone when it is one ``single`` item;
    ``TypeError`` (with ``message``) for anything else, bytes included."""
    if isinstance(value, single):
        return make((value,))
    try:
        if isinstance(value, bytes | bytearray):
            raise TypeError
        return make(value)
    except TypeError:
        raise TypeError(f"{message}, got {value!r}") from None


def _check_path(name: str, path: object) -> None:
    """A table option must name a file: a non-empty ``str`` or ``os.PathLike``."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} takes a path (str or os.PathLike), got {path!r}")
    if not os.fspath(path):
        raise ValueError(f"{name} takes a path, got an empty one")


def _check_disable(options: Options) -> None:
    """Raise ``ValueError`` naming every ``disable`` value that matches no rule or family.

    Families and built-in ids are checked first; the table(s) are loaded only for the rest.
    """
    from .errors import TableError
    from .table import FAMILIES, load_table

    bad = [d for d in options.disable if not isinstance(d, str)]
    if bad:
        raise TypeError(f"disable takes strings (rule ids or family names), got {bad[0]!r}")
    unknown = options.disable - FAMILIES - BUILTIN_RULES
    if not unknown:
        return
    try:
        ids = set(_ids(load_table(options.table)) if options.table is not None else _default_ids())
        for extra in options.extra_tables:
            ids |= _ids(load_table(extra))
    except TableError:
        return  # the table's own error is reported where it is used
    unknown = sorted(unknown - ids)
    if not unknown:
        return
    import difflib

    known = sorted(FAMILIES | BUILTIN_RULES | ids)
    hints = []
    for d in unknown:
        close = " or ".join(map(repr, difflib.get_close_matches(d, known, n=3)))
        hints.append(f"{d!r} (did you mean {close}?)" if close else repr(d))
    raise ValueError(
        f"unknown rule or family in disable: {', '.join(hints)}; disable takes a rule id of the "
        f"table(s) in use, a family name ({', '.join(sorted(FAMILIES))}) or a built-in rule id "
        f"({', '.join(sorted(BUILTIN_RULES))})"
    )


def _ids(rules: tuple[Any, ...]) -> frozenset[str]:
    return frozenset(r.id for r in rules)


@functools.cache
def _default_ids() -> frozenset[str]:
    """Rule ids of the bundled table."""
    from .table import default_table

    return _ids(default_table())


def make_options(options: Options | None = None, **overrides: object) -> Options:
    """Merge keyword overrides into ``options``; a misspelt keyword raises ``TypeError``."""
    if options is not None and not isinstance(options, Options):
        raise TypeError(
            f"options must be an unspin.Options, got {options!r}; pass single options as "
            "keywords (restore(text, min_confidence=0.7))"
        )
    base = options if options is not None else Options()
    if not overrides:
        return base
    known = set(Options.__dataclass_fields__)
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(known))}"
        )
    values = {name: getattr(base, name) for name in known}
    values.update(overrides)
    return Options(**values)  # type: ignore[arg-type]

