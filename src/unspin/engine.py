"""The decision engine (placeholder while the model is built): validates input, no repairs yet."""

from __future__ import annotations

from .errors import BYTES_ERROR
from .options import Options
from .repairs import Analysis


def analyze_text(text: str, options: Options) -> Analysis:
    """Analyse ``text`` under ``options``."""
    if isinstance(text, bytes | bytearray | memoryview):
        raise TypeError(BYTES_ERROR)
    if not isinstance(text, str):
        raise TypeError(f"unspin expects str, got {type(text).__name__}")
    return Analysis(text, (), 0.0)
