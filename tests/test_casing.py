"""Letter case carried from the spun text to its replacement."""

from __future__ import annotations

import pytest

from unspin.casing import transfer_case


@pytest.mark.parametrize(
    ("found", "replacement", "start", "expected"),
    [
        ("stated", "said", False, "said"),
        ("STATED", "said", False, "SAID"),
        ("Stated", "said", True, "Said"),
        # a headline in capitals stays in capitals
        ("WARFARE", "war", False, "WAR"),
        ("FOR THE REASON THAT", "since the", False, "SINCE THE"),
        # a lone initialism spells out a name: Title Case, not capitals
        ("US", "united states", False, "United States"),
        ("UK", "united kingdom", False, "United Kingdom"),
        ("VP", "vice president", False, "Vice President"),
        ("US", "the united states", False, "the United States"),
        ("US", "the united states", True, "The United States"),
        # mixed case is never repaired
        ("McStated", "said", False, None),
    ],
)
def test_transfer_case(found: str, replacement: str, start: bool, expected: str | None) -> None:
    assert transfer_case(found, replacement, start) == expected


def test_a_line_ends_the_same_whatever_its_line_ending() -> None:
    """A word at the start of a line is cased the same after LF, CRLF and a lone CR (found by QA:
    after a lone CR "1000's" came out "thousands", after LF "Thousands")."""
    import unspin

    text = "Officers stated{}1000's of folks had been evacuated."
    outs = {sep: unspin.restore(text.format(sep), use_document_model=False) for sep in ("\n", "\r\n", "\r")}
    assert outs["\n"].startswith("Officials said\nThousands")
    assert {o.replace("\r\n", "\n").replace("\r", "\n") for o in outs.values()} == {outs["\n"]}
