"""atheris fuzz target for the engine: any text, any options, the invariants must hold.

Run with ``tests/fuzz/run.sh`` (needs ``pip install atheris``); not collected by pytest.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import unspin
    from unspin import apply_repairs

OPTIONS = [
    {},
    {"use_document_model": False, "min_confidence": 0.0},
    {"quotes": "protect"},
    {"quotes": "repair", "min_confidence": 0.9},
]


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    opts = OPTIONS[fdp.ConsumeIntInRange(0, len(OPTIONS) - 1)]
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    a = unspin.analyze(text, **opts)
    end = 0
    for r in a.repairs:
        if not (end <= r.start < r.end <= len(text)):
            raise AssertionError(f"bad or overlapping span {r}")
        if text[r.start : r.end] != r.found or r.found == r.replacement:
            raise AssertionError(f"repair does not match the input: {r}")
        if not 0.0 <= r.confidence <= 1.0 or not r.rule:
            raise AssertionError(f"bad confidence or rule: {r}")
        end = r.end
    if apply_repairs(text, a.repairs) != a.text:
        raise AssertionError("repairs do not replay to the output")
    if not 0.0 <= a.spin_score <= 1.0:
        raise AssertionError(f"spin_score {a.spin_score}")
    # idempotence is promised for min_confidence > 0 (see tests/conftest.py)
    if opts.get("min_confidence", unspin.DEFAULT_MIN_CONFIDENCE) > 0:
        if unspin.restore(a.text, **opts) != a.text:
            raise AssertionError("second run changed the output")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
