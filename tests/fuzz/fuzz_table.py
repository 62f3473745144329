"""atheris fuzz target for the table loader: any bytes give rules or a ``path:line:`` TableError.

Run with ``tests/fuzz/run.sh`` (needs ``pip install atheris``); not collected by pytest.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from unspin import TableError
    from unspin.table import COLUMNS, FAMILIES, GUARDS, load_table, parse_table

HEADER = ("\t".join(COLUMNS) + "\n").encode()
_FD, PATH = tempfile.mkstemp(suffix=".tsv")
os.close(_FD)


def _check(rules) -> None:
    for r in rules:
        if r.family not in FAMILIES or r.guard not in GUARDS or not 0.0 < r.prior <= 1.0:
            raise AssertionError(f"invalid rule accepted: {r}")
        if not r.spun or not r.original or len(r.spun) > 80 or len(r.original) > 80:
            raise AssertionError(f"invalid phrase accepted: {r}")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    with_header = fdp.ConsumeBool()
    body = fdp.ConsumeBytes(fdp.remaining_bytes())
    raw = (HEADER if with_header else b"") + body
    # text entry point
    text = raw.decode("utf-8", "replace")
    try:
        _check(parse_table(text, "fuzz.tsv"))
    except TableError as e:
        if not str(e).startswith(f"fuzz.tsv:{e.line}: ") or e.line < 1:
            raise AssertionError(f"badly formed error: {e}") from None
    # file entry point (bytes: BOM, invalid UTF-8, CRLF)
    with open(PATH, "wb") as f:
        f.write(raw)
    try:
        _check(load_table(PATH))
    except TableError as e:
        if not str(e).startswith(f"{PATH}:{e.line}: "):
            raise AssertionError(f"badly formed error: {e}") from None


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
