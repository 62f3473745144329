#!/usr/bin/env python3
"""Which cases changed status since they were written: known failures that now pass, and passing
cases that now fail. ``--update`` flips known failures that pass to ``"pass"`` (moving those of known-failures.json
to spun.json or negative.json) and rewrites the
"Still wrong in the output" note of those that still fail; regressions are only listed (they need
a person to decide).

    python tests/cases/status.py [--update]
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import unicodedata
from pathlib import Path

import unspin

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from test_cases import _options as case_options  # noqa: E402  (options as the tests pass them)

NOTE = re.compile(r"\s*Still wrong in the output[^.]*\):.*$", re.S)
WORD = re.compile(r"\w[\w'’]*|[^\w\s]")


_SHORT = {"n": "\\u000a", "r": "\\u000d", "t": "\\u0009", "b": "\\u0008", "f": "\\u000c"}
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}


def dump(cases: list[dict]) -> str:
    """JSON as the case files are written: 2-space indent, UTF-8, invisible characters as \\uXXXX."""
    text = json.dumps(cases, indent=2, ensure_ascii=False)
    # json writes \n, \t ... as short escapes; an odd run of backslashes before the letter is one
    text = re.sub(r"(\\+)([nrtbf])",
                  lambda m: m[0] if len(m[1]) % 2 == 0 else m[1][:-1] + _SHORT[m[2]], text)
    return "".join(f"\\u{ord(c):04x}" if c not in " \n" and unicodedata.category(c) in _INVISIBLE else c
                   for c in text) + "\n"


def still_wrong(output: str, expected: str) -> str:
    a, b = WORD.findall(output.lower()), WORD.findall(expected.lower())
    parts = [f"'{' '.join(a[i1:i2])}' should be '{' '.join(b[j1:j2])}'"
             for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
             if op != "equal"]
    return f"Still wrong in the output ({unspin.__version__}): " + "; ".join(parts) + "."


def main() -> int:
    update = "--update" in sys.argv[1:]
    regressions = 0
    moved: list[dict] = []
    for path in sorted(HERE.glob("*.json")):
        cases = json.loads(path.read_text(encoding="utf-8"))
        changed = False
        for case in cases:
            out = unspin.analyze(case["input"], **case_options(case)).text
            ok = out == case["expected"]
            label = f"{path.stem}: {case['label']}"
            if case["expect"] == "pass" and not ok:
                regressions += 1
                print(f"REGRESSION {label}\n    {still_wrong(out, case['expected'])}")
            elif case["expect"] == "fail" and ok:
                print(f"now passes {label}")
                if update:
                    case["expect"] = "pass"
                    case["comment"] = NOTE.sub("", case.get("comment", "")).strip()
                    if not case["comment"]:
                        del case["comment"]
                    changed = True
                    if path.stem == "known-failures":  # that file holds failures only
                        moved.append(case)
            elif case["expect"] == "fail" and update and NOTE.search(case.get("comment", "")):
                new = (NOTE.sub("", case["comment"]) + " " + still_wrong(out, case["expected"])).strip()
                if new != case["comment"]:
                    case["comment"], changed = new, True
        if moved and path.stem == "known-failures":
            cases = [c for c in cases if c not in moved]
        if changed:
            path.write_text(dump(cases), encoding="utf-8")
    for case in moved:  # a spun case restores to something else; an honest one stays as it is
        target = HERE / ("negative.json" if case["expected"] == case["input"] else "spun.json")
        cases = json.loads(target.read_text(encoding="utf-8"))
        target.write_text(dump([*cases, case]), encoding="utf-8")
        print(f"    moved to {target.name}")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
