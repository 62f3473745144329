"""Options of :func:`unspin.restore` and :func:`unspin.analyze`, validated once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

#: Repairs below this confidence are not applied unless the caller asks for them.
DEFAULT_MIN_CONFIDENCE = 0.5

QuotePolicy = Literal["auto", "repair", "protect"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Everything that changes what unspin does.

    - ``min_confidence``: repairs with a lower confidence are not applied (default 0.5). Raising
      it trades recall for precision.
    - ``table``: a TSV file that *replaces* the bundled synonym table.
    - ``extra_tables``: TSV files whose rows are *added* to the table (a row with an existing
      id replaces it).
    - ``disable``: rule ids, or family names (the part of an id before the first ``.``), that
      must not fire.
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

    def __post_init__(self) -> None:
        mc = self.min_confidence
        if isinstance(mc, bool) or not isinstance(mc, int | float) or not 0.0 <= mc <= 1.0:
            raise ValueError(f"min_confidence must be a number in [0, 1], got {mc!r}")
        if self.quotes not in ("auto", "repair", "protect"):
            raise ValueError(f"quotes must be 'auto', 'repair' or 'protect', got {self.quotes!r}")
        if isinstance(self.extra_tables, str | os.PathLike):
            object.__setattr__(self, "extra_tables", (self.extra_tables,))
        else:
            object.__setattr__(self, "extra_tables", tuple(self.extra_tables))
        if isinstance(self.disable, str):
            object.__setattr__(self, "disable", frozenset({self.disable}))
        else:
            object.__setattr__(self, "disable", frozenset(self.disable))


def make_options(options: Options | None = None, **overrides: object) -> Options:
    """Merge keyword overrides into ``options``; a misspelt keyword raises ``TypeError``."""
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

