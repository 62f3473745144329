"""The examples in the library's docstrings are run, so they cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["casing", "tokens", "engine", "builtin", "repairs", "families"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"unspin.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"unspin.{name} has no examples to run"
    assert result.failed == 0
