"""Data-driven cases from ``tests/cases/*.json`` (schema in ``tests/cases/README.md``).

One test per case, named ``FILE: LABEL``. Every case, whatever its ``expect``, must satisfy the
library invariants (see ``conftest.check_analysis``); ``pass`` cases must also produce ``expected``,
``fail`` cases are strict xfails and ``pending`` cases skip after the invariants.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import unspin
from unspin.table import FAMILIES

CASES_DIR = Path(__file__).parent / "cases"
KEYS = {"label", "comment", "input", "expected", "expect", "rules", "options"}
REQUIRED = {"label", "input", "expected", "expect"}
EXPECTS = {"pass", "fail", "pending"}
CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, list), f"{path.name}: top level must be a list"
    return data


def _params() -> list[Any]:
    params = []
    for path in CASE_FILES:
        for i, case in enumerate(_load(path)):
            label = case.get("label", f"#{i}") if isinstance(case, dict) else f"#{i}"
            marks = []
            if isinstance(case, dict) and case.get("expect") == "fail":
                marks.append(pytest.mark.xfail(strict=True, reason="known failure"))
            params.append(pytest.param(path.stem, case, id=f"{path.stem}: {label}", marks=marks))
    return params


def _options(case: dict[str, Any]) -> dict[str, Any]:
    opts = dict(case.get("options", {}))
    if isinstance(opts.get("table"), str):
        opts["table"] = str(CASES_DIR / opts["table"])
    if "extra_tables" in opts:
        opts["extra_tables"] = [str(CASES_DIR / p) for p in opts["extra_tables"]]
    return opts


def _rule_fired(wanted: str, fired: set[str]) -> bool:
    return wanted in fired or any(r.split(".", 1)[0] == wanted for r in fired)


@pytest.mark.parametrize(("source", "case"), _params())
def test_case(source: str, case: dict[str, Any], invariants: Callable[..., None]) -> None:
    text, expected = case["input"], case["expected"]
    opts = _options(case)
    analysis = unspin.analyze(text, **opts)
    invariants(text, analysis, opts)
    assert unspin.restore(text, **opts) == analysis.text

    if case["expect"] == "pending":
        pytest.skip("engine under construction: expected output not checked yet")
    assert analysis.text == expected, [(r.found, r.replacement, r.rule) for r in analysis.repairs]
    if case["expect"] == "pass" and "rules" in case:
        fired = {r.rule for r in analysis.repairs}
        missing = [w for w in case["rules"] if not _rule_fired(w, fired)]
        assert not missing, f"rules {missing} did not fire; fired: {sorted(fired)}"


# --- the case files themselves -----------------------------------------------------------------


def test_case_files_exist() -> None:
    names = {p.name for p in CASE_FILES}
    assert {"negative.json", "spun.json", "known-failures.json"} <= names, names


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_file_schema(path: Path) -> None:
    cases = _load(path)
    assert cases, f"{path.name} is empty"
    labels: set[str] = set()
    for i, case in enumerate(cases):
        where = f"{path.name}[{i}]"
        assert isinstance(case, dict), where
        assert REQUIRED <= case.keys(), f"{where}: missing {REQUIRED - case.keys()}"
        assert case.keys() <= KEYS, f"{where}: unknown keys {case.keys() - KEYS}"
        assert case["expect"] in EXPECTS, f"{where}: expect={case['expect']!r}"
        for key in ("label", "input", "expected"):
            assert isinstance(case[key], str), f"{where}: {key} must be a string"
        assert case["label"].strip() and case["label"] not in labels, f"{where}: label not unique"
        labels.add(case["label"])
        if "rules" in case:
            assert isinstance(case["rules"], list) and all(
                isinstance(r, str) and r for r in case["rules"]
            ), f"{where}: rules must be a list of rule ids or family names"
            for r in case["rules"]:
                assert "." in r or r in FAMILIES, f"{where}: unknown family {r!r}"
        if "options" in case:
            assert isinstance(case["options"], dict), f"{where}: options must be an object"
            unspin.Options(**_options(case))  # valid option names and values
        if path.name == "negative.json":
            assert case["input"] == case["expected"], f"{where}: a negative case must not change"
            assert case["expect"] == "pass", f"{where}: negative cases are 'pass'"
        elif path.name == "spun.json":
            assert case["input"] != case["expected"], f"{where}: a positive case must change"
        if path.name == "known-failures.json":
            assert case["expect"] == "fail", f"{where}: known failures are 'fail'"


def test_negative_cases_are_varied() -> None:
    """At least 40 clean paragraphs, plus the whitespace and Unicode oddities."""
    cases = _load(CASES_DIR / "negative.json")
    paragraphs = [c for c in cases if len(c["input"].split()) >= 8]
    assert len(paragraphs) >= 40, len(paragraphs)
    joined = "".join(c["input"] for c in cases)
    for ch in ("\r\n", "\t", "\u00a0", "\ufeff", "\u200b", "\u202b", "\u0301", "\x00", "\u201c"):
        assert ch in joined, f"no negative case contains {ch!r}"
    assert any("\r" in c["input"] and "\r\n" not in c["input"] for c in cases), "no lone CR case"
    assert any(ord(ch) > 0xFFFF for ch in joined), "no astral-plane (emoji) case"


@pytest.mark.parametrize(
    "case",
    [c for p in CASE_FILES if p.name != "negative.json" for c in _load(p) if "rules" in c],
    ids=lambda c: c["label"],
)
def test_case_rules_fire(case: dict[str, Any]) -> None:
    """The families a case names fire on it, even where the case as a whole is a known failure:
    partial restoration must not regress. (Every table row is exercised in test_table_rows.py.)"""
    fired = {r for rep in unspin.analyze(case["input"], **_options(case)).repairs
             for r in rep.rule.split("+")}
    missing = [w for w in case["rules"] if not _rule_fired(w, fired)]
    assert not missing, f"rules {missing} did not fire; fired: {sorted(fired)}"
