"""Principle 1 on text outside the shared corpus: honest news in many house styles (see
``tests/honest_news/README.md``) comes out byte for byte unchanged, file by file and through
the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import unspin

FILES = sorted((Path(__file__).parent / "honest_news").glob("*.txt"))
assert len(FILES) >= 100, "the honest-news texts are missing"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_honest_news_is_left_alone(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    analysis = unspin.analyze(text)
    assert analysis.repairs == (), [(r.found, r.replacement, r.rule, round(r.confidence, 2))
                                    for r in analysis.repairs]
    assert analysis.text == text


def test_unspin_check_passes_every_honest_file() -> None:
    p = subprocess.run([sys.executable, "-m", "unspin", "--check", *map(str, FILES)],
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
