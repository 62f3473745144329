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
