"""Exceptions raised by unspin."""

from __future__ import annotations


class UnspinError(Exception):
    """Base class of every error unspin raises on purpose."""


class _FileLineError(UnspinError, ValueError):
    """An input file is malformed at one line; the message starts with ``file:line:`` (with
    ``file:`` alone when ``line`` is 0: the file could not be read at all)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")


class TableError(_FileLineError):
    """A synonym table is malformed; the message starts with ``file:line:``."""


class ThesaurusError(_FileLineError):
    """A spinner thesaurus (``head|alt|...`` lines) is malformed; the message starts with ``file:line:``."""


BYTES_ERROR = (
    "unspin works on str, not bytes. Decode the input first, for example "
    "data.decode('utf-8'); the CLI does this for you and reports undecodable files."
)
