"""unspin: find and undo synonym-spinner artifacts in news copy.

>>> import unspin
>>> unspin.restore("Honest copy stays exactly as it was.")
'Honest copy stays exactly as it was.'

The heavy parts (table, context statistics) load on first use, not at import.
"""

from __future__ import annotations

from typing import Any

from .errors import TableError, UnspinError
from .options import DEFAULT_MIN_CONFIDENCE, Options, make_options
from .repairs import SCHEMA, Analysis, Repair, apply_repairs

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "SCHEMA",
    "Analysis",
    "Options",
    "Repair",
    "TableError",
    "UnspinError",
    "analyze",
    "apply_repairs",
    "restore",
]

__version__ = "0.1.0"


def analyze(text: str, options: Options | None = None, **overrides: Any) -> Analysis:
    """Find spinner artifacts in ``text`` and return the repaired text with every repair.

    Keyword options are the fields of :class:`Options` (``min_confidence``, ``table``,
    ``extra_tables``, ``disable``, ``quotes``, ``use_document_model``); an unknown keyword raises
    ``TypeError``. ``bytes`` input raises ``TypeError`` too.
    """
    from .engine import analyze_text

    return analyze_text(text, make_options(options, **overrides))


def restore(text: str, options: Options | None = None, **overrides: Any) -> str:
    """Return ``text`` with spinner artifacts restored; honest text comes back unchanged."""
    return analyze(text, options, **overrides).text
