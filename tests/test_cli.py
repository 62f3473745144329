"""Tests of the ``unspin`` filter command (in-process with CliRunner, plus a few subprocesses).

Repairs come from a fake engine (``unspin.engine.analyze_text`` monkeypatched) so these tests pin
the CLI's own behaviour: bytes in = bytes out, streams, exit codes, error messages, atomic writes.
"""

from __future__ import annotations

import difflib
import io
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import unspin
import unspin.engine
from unspin.batch import Locator, find_cut, iter_blocks
from unspin.cli import ExitCode, UnifiedDiff, cli
from unspin.repairs import Analysis, Repair, apply_repairs

RULES = {
    "stated": ("said", "saying.stated.said"),
    "Related Press": ("Associated Press", "name.related_press"),
}
_PAT = re.compile("|".join(map(re.escape, RULES)))


class FakeEngine:
    """Repairs 'stated' and 'Related Press'; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def __call__(self, text: str, options: object) -> Analysis:
        self.calls.append((text, options))
        reps = tuple(
            Repair(m.start(), m.end(), m.group(), RULES[m.group()][0], 0.93, RULES[m.group()][1])
            for m in _PAT.finditer(text)
        )
        reps = tuple(r for r in reps if r.rule not in options.disable)  # type: ignore[attr-defined]
        return Analysis(apply_repairs(text, reps), reps, 0.8 if reps else 0.1)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(unspin.engine, "analyze_text", fake)
    return fake


def _bash(command: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run ``command`` in bash (for redirections such as ``<&-`` and ``PIPESTATUS``)."""
    return subprocess.run(command, shell=True, executable="/bin/bash", capture_output=True,
                          timeout=timeout, check=False)


def run(args: list[str], stdin: bytes = b""):
    return CliRunner().invoke(cli, args, input=stdin, catch_exceptions=False)


def fixed(data: bytes) -> bytes:
    return data.replace(b"Related Press", b"Associated Press").replace(b"stated", b"said")


# ------------------------------------------------------------------------------ basic filter


def test_stdin_to_stdout(engine: FakeEngine) -> None:
    r = run([], b"Officials stated on Monday.\n")
    assert r.exit_code == 0
    assert r.stdout_bytes == b"Officials said on Monday.\n"
    assert r.stderr_bytes == b""


def test_dash_means_stdin(engine: FakeEngine) -> None:
    r = run(["-"], b"The Related Press")
    assert (r.exit_code, r.stdout_bytes) == (0, b"The Associated Press")


@pytest.mark.parametrize(
    "data",
    [
        b"He stated it.\r\nThen he stated more.\r\n",  # CRLF
        b"one stated\rtwo\rthree stated",  # lone CR, no final newline
        b"\xef\xbb\xbfThe Related Press stated\n",  # UTF-8 BOM
        b"\xef\xbb\xbf",  # only a BOM
        b"",  # empty
        b"tab\there  \x00 nul \xe2\x80\x8b zwsp \xd8\xa7 \xf0\x9f\x98\x80 stated\n\n\n",
        b"mixed\r\n\n\r endings stated\r\n\r",
        b"no repairs at all\r\n",
    ],
)
def test_bytes_round_trip(engine: FakeEngine, tmp_path: Path, data: bytes) -> None:
    r = run([], data)
    assert r.exit_code == 0
    assert r.stdout_bytes == fixed(data)
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    r = run([str(f)])
    assert r.stdout_bytes == fixed(data)


def test_bom_is_not_given_to_the_engine(engine: FakeEngine) -> None:
    run([], b"\xef\xbb\xbfHello")
    assert engine.calls[0][0] == "Hello"


def test_files_are_concatenated(engine: FakeEngine, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"A stated\n")
    b.write_bytes(b"B clean\n")
    r = run([str(a), str(b)])
    assert (r.exit_code, r.stdout_bytes) == (0, b"A said\nB clean\n")


def test_options_reach_the_engine(engine: FakeEngine, tmp_path: Path) -> None:
    r = run(
        [
            "--min-confidence",
            "0.7",
            "--disable",
            "saying.stated.said",
            "--disable",
            "name",
            "--quotes",
            "protect",
            "--no-document-model",
        ],
        b"He stated it.",
    )
    assert r.stdout_bytes == b"He stated it."  # the disabled rule did not fire
    opts = engine.calls[0][1]
    assert opts.min_confidence == 0.7
    assert opts.disable == frozenset({"saying.stated.said", "name"})
    assert opts.quotes == "protect"
    assert opts.use_document_model is False


def test_min_confidence_out_of_range_is_usage_error(engine: FakeEngine) -> None:
    r = run(["--min-confidence", "1.5"], b"x")
    assert r.exit_code == ExitCode.USAGE


def test_version() -> None:
    r = run(["--version"])
    assert r.exit_code == 0
    assert r.stdout == f"unspin {unspin.__version__}\n"


def test_help_mentions_batch_and_exit_codes() -> None:
    r = run(["--help"])
    assert r.exit_code == 0
    assert r.stdout.startswith("Usage: unspin [OPTIONS] [FILE]...")
    assert "unspin batch SRC DEST" in r.stdout and "./batch" in r.stdout
    assert "141" in r.stdout and "130" in r.stdout


def test_file_named_batch_via_dot_slash(engine: FakeEngine, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("batch").write_bytes(b"He stated it.")
    r = run(["./batch"])
    assert (r.exit_code, r.stdout_bytes) == (0, b"He said it.")
    r = run(["batch"])  # the subcommand wins: usage error (SRC DEST missing)
    assert r.exit_code == ExitCode.USAGE
    assert "unspin batch" in r.stderr


# ------------------------------------------------------------------ check / diff / explain / json


def test_check_exit_codes(engine: FakeEngine, tmp_path: Path) -> None:
    clean, spun = tmp_path / "clean.txt", tmp_path / "spun.txt"
    clean.write_bytes(b"All good.\n")
    spun.write_bytes(b"He stated. She stated.\n")
    r = run(["--check", str(clean)])
    assert (r.exit_code, r.stdout_bytes, r.stderr_bytes) == (0, b"", b"")
    r = run(["--check", str(clean), str(spun)])
    assert r.exit_code == ExitCode.REPAIRS_FOUND
    assert r.stdout_bytes == b""
    assert r.stderr == f"would repair {spun} (2 repairs)\n"
    assert spun.read_bytes() == b"He stated. She stated.\n"  # nothing written


def test_explain_goes_to_stderr_with_line_and_col(engine: FakeEngine) -> None:
    data = "\ufeffFirst line\r\nx stated\rThe Related Press \u00e9 stated\n".encode()
    r = run(["--explain"], data)
    assert r.exit_code == 0
    assert r.stdout_bytes == fixed(data)
    assert r.stderr.splitlines() == [
        "-:2:3: saying.stated.said: 'stated' -> 'said' (0.93)",
        "-:3:5: name.related_press: 'Related Press' -> 'Associated Press' (0.93)",
        "-:3:21: saying.stated.said: 'stated' -> 'said' (0.93)",
    ]


def test_explain_notes_a_short_text_left_alone_by_the_document_model() -> None:
    """Real engine: one spun sentence is too little evidence to repair, and --explain says what
    --no-document-model would do; an honest sentence, or a repaired one, gets no note."""
    spun = b"The officials stated that the warfare continued for the reason that talks failed.\n"
    r = run(["--explain"], spun)
    assert r.exit_code == 0 and r.stdout_bytes == spun
    assert r.stderr.startswith("-: note: nothing repaired in a short text (13 words): weighed by "
                               "its spin score (0.")
    forced = run(["--explain", "--no-document-model"], spun)
    made = len(forced.stderr.splitlines())
    assert "note" not in forced.stderr and made >= 2
    assert r.stderr.rstrip().endswith("no repair reached the threshold (0.5); --no-document-model "
                                      f"would make {made} repairs")
    honest = b"The officials said that the war continued since the talks failed.\n"
    assert run(["--explain"], honest).stderr == ""
    assert run([], spun).stderr == ""  # only with --explain
    long_text = b" ".join([honest.strip()] * 6) + b" " + spun  # 75 words: no note
    assert "note" not in run(["--explain"], long_text).stderr


def test_explain_goes_to_stdout_with_check(engine: FakeEngine, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"ok\nHe stated\n")
    r = run(["--check", "--explain", str(f)])
    assert r.exit_code == 1
    assert r.stdout == f"{f}:2:4: saying.stated.said: 'stated' -> 'said' (0.93)\n"


def test_json_format(engine: FakeEngine, tmp_path: Path) -> None:
    a, bad = tmp_path / "a.txt", tmp_path / "bad.txt"
    text = "\ufeffZ\r\nThe Related Press stated \u00e9\n"
    a.write_bytes(text.encode())
    bad.write_bytes(b"caf\xe9\n")
    r = run(["--format", "json", str(a), str(bad)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    good, failed = map(json.loads, lines)
    assert set(good) == {"schema", "path", "repairs", "spin_score", "error"}
    assert good["schema"] == "unspin.cli/1" and good["path"] == str(a)
    assert good["error"] is None and good["spin_score"] == 0.8
    decoded = text[1:]  # offsets are into the text after the BOM
    assert [(d["rule"], d["line"], d["col"]) for d in good["repairs"]] == [
        ("name.related_press", 2, 5),
        ("saying.stated.said", 2, 19),
    ]
    for d in good["repairs"]:
        assert decoded[d["start"] : d["end"]] == d["found"]
        assert set(d) == {
            "start",
            "end",
            "found",
            "replacement",
            "confidence",
            "rule",
            "line",
            "col",
        }
    assert failed["path"] == str(bad) and failed["repairs"] == []
    assert failed["spin_score"] is None and "invalid UTF-8" in failed["error"]


def test_json_stdin_path_is_dash(engine: FakeEngine) -> None:
    r = run(["--format", "json"], b"clean")
    assert json.loads(r.stdout) == {
        "schema": "unspin.cli/1",
        "path": "-",
        "repairs": [],
        "spin_score": 0.1,
        "error": None,
    }


def _spread_text() -> str:
    lines = [f"line {i} plain\n" for i in range(40)]
    for i in (2, 5, 20, 39):  # 2 and 5 share a hunk, 20 alone, 39 at the end
        lines[i] = f"line {i} stated\n"
    lines[39] = "last Related Press stated"  # no final newline
    return "".join(lines)


def test_diff_matches_difflib(engine: FakeEngine) -> None:
    text = _spread_text() + "\n"
    new = fixed(text.encode()).decode()
    r = run(["--diff"], text.encode())
    assert r.exit_code == ExitCode.REPAIRS_FOUND
    expected = "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), "-", "-"))
    assert expected.count("@@ -") == 3
    assert r.stdout == expected


def test_diff_marks_missing_final_newline(engine: FakeEngine) -> None:
    r = run(["--diff"], b"a\nb stated")
    assert r.stdout == (
        "--- -\n+++ -\n@@ -1,2 +1,2 @@\n a\n-b stated\n\\ No newline at end of file\n"
        "+b said\n\\ No newline at end of file\n"
    )


@pytest.mark.parametrize("step", [5, 37, 64, 150])
def test_diff_is_the_same_in_any_block_split(step: int) -> None:
    text = _spread_text() * 3
    reps = [Repair(m.start(), m.end(), m.group(), "X\nY", 1.0, "r") for m in _PAT.finditer(text)]

    def render(cuts: list[int]) -> bytes:
        out = io.BytesIO()
        d = UnifiedDiff(out, "a", "b")
        prev = 0
        for end in [*cuts, len(text)]:
            d.feed(
                text[prev:end],
                [
                    Repair(r.start - prev, r.end - prev, r.found, r.replacement, 1.0, r.rule)
                    for r in reps
                    if prev <= r.start and r.end <= end
                ],
            )
            prev = end
        d.close()
        return out.getvalue()

    whole = render([])
    assert whole.count(b"@@ -") == 7
    # cuts at whitespace after every ``step`` characters, never inside a repair (like the streamer)
    cuts, pos = [], 0
    while True:
        pos = text.find(" ", pos + step)
        if pos < 0:
            break
        if not any(r.start < pos + 1 < r.end for r in reps):
            cuts.append(pos + 1)
    assert len(cuts) >= 5
    assert render(cuts) == whole


def test_diff_clean_is_empty_exit_0(engine: FakeEngine) -> None:
    r = run(["--diff"], b"nothing to see\r\n")
    assert (r.exit_code, r.stdout_bytes) == (0, b"")


def test_diff_keeps_crlf_and_bom(engine: FakeEngine) -> None:
    r = run(["--diff"], b"\xef\xbb\xbfHe stated\r\nok\r\n")
    assert r.stdout_bytes == (
        b"--- -\n+++ -\n@@ -1,2 +1,2 @@\n-\xef\xbb\xbfHe stated\r\n+\xef\xbb\xbfHe said\r\n ok\r\n"
    )


# ------------------------------------------------------------------------------ errors


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("unspin: error: ")
    assert "Traceback" not in stderr
    return lines[0]


def test_bad_table_is_exit_2_with_file_line(engine: FakeEngine, tmp_path: Path) -> None:
    t = tmp_path / "bad.tsv"
    t.write_text("id\tspun\toriginal\n")
    r = run(["--table", str(t)], b"x")
    assert r.exit_code == ExitCode.USAGE
    assert _one_error_line(r.stderr).startswith(f"unspin: error: {t}:1: ")
    assert r.stdout_bytes == b""
    r = run(["--extra-table", str(tmp_path / "missing.tsv")], b"x")
    assert r.exit_code == ExitCode.USAGE
    assert "missing.tsv: cannot read table" in _one_error_line(r.stderr)


@pytest.mark.parametrize("flag", ["--table", "--extra-table"])
def test_empty_table_name_is_a_usage_error(engine: FakeEngine, flag: str) -> None:
    r = run([flag, ""], b"He stated\n")
    assert r.exit_code == ExitCode.USAGE
    assert "take a file name, not an empty string" in r.stderr
    assert r.stdout_bytes == b"" and engine.calls == []


def test_table_with_a_superscript_count_is_exit_2(engine: FakeEngine, tmp_path: Path) -> None:
    t = tmp_path / "t.tsv"
    t.write_text("id\tspun\toriginal\tfamily\tguard\tprotect\tprior\tcount\tnote\n"
                 "everyday.auto.car\tauto\tcar\teveryday\t\t\t0.9\t\u00b2\tx\n", encoding="utf-8")
    r = run(["--table", str(t)], b"x")
    assert r.exit_code == ExitCode.USAGE
    assert _one_error_line(r.stderr) == f"unspin: error: {t}:2: count '\u00b2' must be a whole number >= 0"


def test_missing_file_is_exit_3_and_others_still_run(engine: FakeEngine, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_bytes(b"He stated\n")
    r = run([str(tmp_path / "nope.txt"), str(good)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert r.stdout_bytes == b"He said\n"
    assert "nope.txt: No such file or directory" in _one_error_line(r.stderr)


def test_directory_is_exit_3(engine: FakeEngine, tmp_path: Path) -> None:
    r = run([str(tmp_path)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert "is a directory" in _one_error_line(r.stderr)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"caf\xe9 ok\nline two \xff\n", "invalid UTF-8 at byte 3 (line 1)"),
        ("hello stated".encode("utf-16"), "looks like UTF-16"),
        ("hello stated world".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        ("hi".encode("utf-32"), "looks like UTF-32"),
        (bytes(range(256)) * 8, "binary file"),
        (b"\x00" * 200 + b"text", "binary file"),
    ],
)
def test_undecodable_input(engine: FakeEngine, tmp_path: Path, data: bytes, message: str) -> None:
    f = tmp_path / "f.txt"
    f.write_bytes(data)
    r = run([str(f)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert r.stdout_bytes == b""
    assert message in _one_error_line(r.stderr)
    r = run([], data)  # the same on stdin
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert message in _one_error_line(r.stderr)
    assert engine.calls == []


def test_invalid_utf8_late_in_big_file_writes_nothing(engine: FakeEngine, tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_bytes(b"para stated\n\n" * 2000 + b"\xff\n")
    r = run(["--block-size", "1024", str(f)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert r.stdout_bytes == b""  # validated before anything went to stdout
    assert "invalid UTF-8 at byte 26000 (line 4001)" in r.stderr


def test_output_equal_to_input_is_refused(engine: FakeEngine, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"He stated")
    link = tmp_path / "link.txt"
    link.symlink_to(f)
    for out in (str(f), str(link), str(tmp_path / "." / "a.txt")):
        r = run(["-o", out, str(f)])
        assert r.exit_code == ExitCode.USAGE
        assert "is the input file" in _one_error_line(r.stderr)
    assert f.read_bytes() == b"He stated"


def test_output_file_written_atomically(engine: FakeEngine, tmp_path: Path) -> None:
    f, out = tmp_path / "a.txt", tmp_path / "out.txt"
    f.write_bytes(b"He stated\r\n")
    r = run(["-o", str(out), "--explain", str(f)])
    assert r.exit_code == 0
    assert out.read_bytes() == b"He said\r\n"
    assert r.stdout.startswith(f"{f}:1:4: saying.stated.said")  # stdout is free: explain goes there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "out.txt"]


def test_empty_input_gives_empty_output_file(engine: FakeEngine, tmp_path: Path) -> None:
    f, out = tmp_path / "empty.txt", tmp_path / "out.txt"
    f.write_bytes(b"")
    r = run(["-o", str(out), str(f)])
    assert r.exit_code == 0
    assert out.read_bytes() == b""


def test_output_keeps_mode_and_writes_through_symlink(engine: FakeEngine, tmp_path: Path) -> None:
    f, real, link = tmp_path / "a.txt", tmp_path / "real.txt", tmp_path / "link.txt"
    f.write_bytes(b"He stated")
    real.write_bytes(b"old")
    real.chmod(0o600)
    link.symlink_to(real)
    assert run(["-o", str(link), str(f)]).exit_code == 0
    assert link.is_symlink() and real.read_bytes() == b"He said"
    assert (real.stat().st_mode & 0o777) == 0o600


def test_unwritable_output_is_exit_5(engine: FakeEngine, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"He stated")
    r = run(["-o", str(tmp_path / "no" / "such" / "dir.txt"), str(f)])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert "No such file or directory" in _one_error_line(r.stderr)
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = run(["-o", str(blocker / "x.txt"), str(f)])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert "Not a directory" in _one_error_line(r.stderr)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_dev_full_as_output_is_exit_5(engine: FakeEngine, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"He stated\n" * 1000)
    r = run(["-o", "/dev/full", str(f)])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert "/dev/full: No space left on device" in _one_error_line(r.stderr)
    assert os.path.exists("/dev/full") and not os.path.isfile("/dev/full")


def test_in_place(engine: FakeEngine, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"\xef\xbb\xbfHe stated\r\n")
    b.write_bytes(b"clean\n")
    a.chmod(0o640)
    os.utime(b, ns=(1_000_000_000, 1_000_000_000))
    r = run(["-i", "--backup", ".orig", str(a), str(b)])
    assert r.exit_code == 0 and r.stdout_bytes == b""
    assert a.read_bytes() == b"\xef\xbb\xbfHe said\r\n"
    assert (a.stat().st_mode & 0o777) == 0o640
    assert (tmp_path / "a.txt.orig").read_bytes() == b"\xef\xbb\xbfHe stated\r\n"
    assert b.stat().st_mtime_ns == 1_000_000_000  # unchanged files are not rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "a.txt.orig", "b.txt"]


def test_in_place_without_backup_keeps_none(engine: FakeEngine, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_bytes(b"He stated")
    assert run(["--in-place", str(a)]).exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_in_place_refuses_what_is_not_a_regular_file(engine: FakeEngine, tmp_path: Path) -> None:
    # "-i /dev/stdin" read the pipe and then failed to rename over /proc/.../fd (session 17's QA)
    fifo, a = tmp_path / "pipe", tmp_path / "a.txt"
    os.mkfifo(fifo)
    a.write_bytes(b"He stated")
    for target in (fifo, tmp_path):
        r = run(["-i", str(a), str(target)])
        assert r.exit_code == ExitCode.USAGE
        assert r.stderr == f"unspin: error: --in-place rewrites regular files only; {target} is not one\n"
    assert a.read_bytes() == b"He stated"  # refused before anything was written
    assert engine.calls == []


def test_in_place_failure_leaves_file_and_no_temp(engine: FakeEngine, tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    data = b"para stated\n\n" * 500 + b"\xff"
    a.write_bytes(data)
    r = run(["-i", "--block-size", "512", str(a)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert len(engine.calls) > 3  # it was streaming when the bad byte came
    assert a.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_interrupt_is_130_and_leaves_no_temp(monkeypatch, tmp_path: Path) -> None:
    def boom(text, options):
        raise KeyboardInterrupt

    monkeypatch.setattr(unspin.engine, "analyze_text", boom)
    a, out = tmp_path / "a.txt", tmp_path / "out.txt"
    a.write_bytes(b"text")
    r = run(["-o", str(out), str(a)])
    assert r.exit_code == ExitCode.INTERRUPTED
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert "Traceback" not in r.stderr


def test_engine_bug_is_exit_4_one_line(monkeypatch) -> None:
    def bug(text, options):
        raise RuntimeError("kaput")

    monkeypatch.setattr(unspin.engine, "analyze_text", bug)
    r = run([], b"text")
    assert r.exit_code == ExitCode.INTERNAL_ERROR
    assert "internal error: RuntimeError: kaput" in _one_error_line(r.stderr)


@pytest.mark.parametrize(
    "args",
    [
        ["-i", "-o", "x", "f"],
        ["-o", "x", "f", "g"],
        ["--backup", ".b", "f"],
        ["-i", "--backup", "/x", "f"],
        ["-i", "--backup", "old/.b", "f"],
        ["-i"],
        ["--check", "-o", "x", "f"],
        ["--diff", "--format", "json"],
        ["--no-such-option"],
        ["--quotes", "sometimes"],
    ],
)
def test_usage_errors(engine: FakeEngine, args: list[str]) -> None:
    r = run(args)
    assert r.exit_code == ExitCode.USAGE
    # one line, like every other error (QA, session 13: click printed four)
    assert _one_error_line(r.stderr).endswith("(see 'unspin --help')")
    assert engine.calls == []


def test_batch_usage_errors_are_one_line_too(tmp_path: Path) -> None:
    for args in (["batch"], ["batch", str(tmp_path / "missing"), str(tmp_path / "out")]):
        r = run(args)
        assert r.exit_code == ExitCode.USAGE
        assert _one_error_line(r.stderr).endswith("(see 'unspin batch --help')")


def _odd_file(directory: Path, name: str, data: bytes) -> Path:
    """A file whose name holds bytes that are not UTF-8 or control characters (skip if the file
    system refuses it)."""
    f = directory / name
    try:
        f.write_bytes(data)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses this file name")
    return f


def test_non_utf8_file_name(engine: FakeEngine, tmp_path: Path) -> None:
    f = _odd_file(tmp_path, "bad\udcffname.txt", b"He stated it.\n")
    shown = str(tmp_path) + "/bad\\xffname.txt"  # the byte, written as \xff
    r = run(["--format", "json", str(f)])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout_bytes.decode("utf-8"))["path"] == shown
    r = run(["--diff", str(f)])
    assert r.exit_code == ExitCode.REPAIRS_FOUND, r.stderr
    name = b'"' + os.fsencode(tmp_path) + b'/bad\\377name.txt"'  # quoted, as GNU diff 3.8 writes it
    assert r.stdout_bytes.startswith(b"--- " + name + b"\n+++ " + name + b"\n@@ -1 +1 @@\n")
    out = tmp_path / "o.txt"
    r = run(["--explain", "-o", str(out), str(f)])
    assert r.exit_code == 0, r.stderr
    explained = f"{shown}:1:4: saying.stated.said: 'stated' -> 'said' (0.93)\n"
    assert r.stdout_bytes.decode("utf-8") == explained
    assert out.read_bytes() == b"He said it.\n"
    r = run(["--check", str(f), str(tmp_path / "gone\udcff.txt")])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert r.stderr_bytes.decode("utf-8").splitlines() == [
        f"would repair {shown} (1 repair)",
        f"unspin: error: {tmp_path}/gone\\xff.txt: No such file or directory",
    ]


def test_control_characters_in_a_file_name_stay_on_one_line(
    engine: FakeEngine, tmp_path: Path
) -> None:
    f = _odd_file(tmp_path, "two\nlines\x1b[2J.txt", b"caf\xe9\n")
    r = run([str(f)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    line = _one_error_line(r.stderr)
    assert line.startswith(f"unspin: error: {tmp_path}/two\\nlines\\x1b[2J.txt: invalid UTF-8")
    r = run(["--explain", str(_odd_file(tmp_path, "x\ny.txt", b"He stated"))])
    assert r.stderr == f"{tmp_path}/x\\ny.txt:1:4: saying.stated.said: 'stated' -> 'said' (0.93)\n"


def test_unknown_disable_value_is_an_error(engine: FakeEngine, tmp_path: Path) -> None:
    r = run(["--disable", "saying", "--disable", "sayng"], b"He stated it.")
    assert r.exit_code == ExitCode.USAGE
    assert "'sayng' (did you mean 'saying'?)" in r.stderr and "family name" in r.stderr
    assert engine.calls == []
    with pytest.raises(ValueError, match=r"'sayng'.*rule id of the table\(s\) in use"):
        unspin.restore("He stated it.", disable="sayng")
    with pytest.raises(ValueError, match="'number.percnt'"):
        unspin.Options(disable=["number", "number.percnt"])
    with pytest.raises(TypeError, match="disable must be a rule id, a family name or a collection"):
        unspin.Options(disable=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="disable takes strings"):
        unspin.Options(disable=[1])  # type: ignore[list-item]
    # accepted: families, built-in ids, ids of the table(s) in use
    unspin.Options(disable=["saying", "number.percent_sign", "name.entity", "war.warfare.war"])
    extra = tmp_path / "extra.tsv"
    extra.write_text(
        "id\tspun\toriginal\tfamily\tguard\tprotect\tprior\tcount\tnote\n"
        "everyday.zorbly.quickly\tzorbly\tquickly\teveryday\t\t\t0.9\t0\ttest\n"
    )
    assert unspin.Options(extra_tables=[extra], disable="everyday.zorbly.quickly").disable
    with pytest.raises(ValueError, match="everyday.zorbly.quickly"):
        unspin.Options(disable="everyday.zorbly.quickly")  # not in the bundled table
    with pytest.raises(ValueError, match="war.warfare.war"):
        unspin.Options(table=extra, disable="war.warfare.war")  # the table replaces the bundled one


def test_builtin_rule_ids_are_the_ones_disable_accepts() -> None:
    from unspin.options import BUILTIN_RULES

    source = Path(unspin.__file__).with_name("builtin.py").read_text()
    assert set(re.findall(r'[ (]"((?:number|function|name)\.[a-z_]+)"', source)) == BUILTIN_RULES


def test_disable_loads_the_table_only_for_rule_ids() -> None:
    code = (
        "import unspin, unspin.table as t; n = lambda: t.default_table.cache_info().currsize; "
        "unspin.Options(disable=['saying', 'number.unit']); a = n(); "
        "unspin.Options(disable=['saying.stated.said']); print(a, n())"
    )
    assert _py("-c", code).stdout.split() == [b"0", b"1"]


def test_json_has_a_record_for_inputs_that_cannot_be_opened(
    engine: FakeEngine, tmp_path: Path
) -> None:
    honest = tmp_path / "honest.txt"
    honest.write_bytes(b"clean\n")
    missing, folder = tmp_path / "missing.txt", tmp_path / "adir"
    folder.mkdir()
    r = run(["--format", "json", str(missing), str(folder), str(honest)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    records = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["path"] for d in records] == [str(missing), str(folder), str(honest)]
    assert records[0]["error"] == "No such file or directory"
    assert records[1]["error"].startswith("is a directory")
    assert records[2]["error"] is None and records[2]["spin_score"] == 0.1
    assert all(d["repairs"] == [] for d in records)
    assert [d["spin_score"] for d in records[:2]] == [None, None]
    assert len(r.stderr.splitlines()) == 2  # the error lines are still written
    p = _bash(f"'{sys.executable}' -m unspin --format json <&-")
    assert p.returncode == ExitCode.INPUT_ERROR
    assert json.loads(p.stdout)["error"] == "standard input is closed"


# ------------------------------------------------------------------------------ streaming


def test_huge_single_line_streams(engine: FakeEngine, tmp_path: Path) -> None:
    words = "alpha beta stated gamma Related Press \u00e9t\u00e9 delta. "
    data = (words * 60_000).encode()  # ~3.2 MB, one line
    f = tmp_path / "big.txt"
    f.write_bytes(data)
    r = run(["--block-size", "65536", str(f)])
    assert r.exit_code == 0
    assert len(engine.calls) > 40
    assert max(len(t.encode()) for t, _ in engine.calls) <= 65536
    assert r.stdout_bytes == fixed(data)  # cuts never split a phrase here (sentence cuts)


def test_clean_big_file_round_trips(engine: FakeEngine, tmp_path: Path) -> None:
    para = "Clean copy with \u00fcml\u00e4uts and emoji \U0001f600.\r\nSecond line.\r\n\r\n"
    data = (para * 40_000).encode()
    f = tmp_path / "big.txt"
    f.write_bytes(data)
    r = run(["--block-size", "100000", str(f)])
    assert r.exit_code == 0 and r.stdout_bytes == data
    r = run(["--block-size", "100000"], data)  # stdin streams too
    assert r.exit_code == 0 and r.stdout_bytes == data
    assert all(t.endswith("\r\n\r\n") for t, _ in engine.calls[:-1])  # paragraph cuts


@pytest.mark.parametrize(
    "data",
    [
        b"para one\n\npara two\n\n" * 300,
        b"line\r\n" * 900,
        b"x\r" * 2000,
        b"Sentence one. Sentence two! " * 300,
        b"word " * 1500,
        "\u00e9\u4e2d\U0001f600".encode() * 800,  # no boundary at all: character cuts
    ],
)
def test_blocks_are_exact_and_clean(data: bytes) -> None:
    blocks = list(iter_blocks(io.BytesIO(data), 1000))
    assert b"".join(blocks) == data
    for a, b in itertools.pairwise(blocks):
        assert 500 <= len(a) <= 1001
        a.decode()
        assert not (a.endswith(b"\r") and b.startswith(b"\n"))
    if b"\n\n" in data:
        assert all(bl.endswith(b"\n\n") for bl in blocks[:-1])


def test_find_cut_prefers_paragraphs() -> None:
    buf = bytearray(b"a" * 100 + b"\n\n" + b"b" * 50 + b"\n" + b"c. d" + b"e" * 50)
    assert find_cut(buf, 50, 200) == 102
    buf = bytearray(b"a" * 100 + b"\r\n" + b"b" * 100)
    assert find_cut(buf, 50, 101) == 102  # never between \r and \n


def test_find_cut_prefers_a_line_that_is_no_soft_break() -> None:
    # hard-wrapped text without blank lines: a line going on in lower case may hold the rest of
    # a phrase ("for the reason\nthat"), so a line starting otherwise is the better cut
    buf = bytearray(b"x" * 60 + b"\nHeadline\n" + b"y" * 40 + b" for the reason\n  that " + b"z" * 40)
    assert find_cut(buf, 50, len(buf) - 1) == 61
    buf = bytearray(b"x" * 60 + b" a\nb " + b"y" * 40 + b" for the reason\nthat " + b"z" * 40)
    assert find_cut(buf, 50, len(buf) - 1) == buf.index(b"that")  # only soft breaks: any line


def test_locator_across_blocks() -> None:
    import random

    rng = random.Random(7)
    text = "".join(rng.choice(["a", "b", " ", "\n", "\r", "\r\n", "\u00e9"]) for _ in range(3000))
    offsets = sorted(rng.sample(range(len(text)), 200))

    def brute(off: int) -> tuple[int, int]:
        head = text[:off]
        line = head.count("\n") + head.count("\r") - head.count("\r\n") + 1
        last = max(head.rfind("\n"), head.rfind("\r"))
        return line, off - last

    cuts = sorted(rng.sample(range(1, len(text)), 20))
    cuts = [c for c in cuts if not (text[c - 1] == "\r" and text[c] == "\n")]
    loc, got, prev = Locator(), [], 0
    for end in [*cuts, len(text)]:
        block = text[prev:end]
        loc.start_block(block)
        got += [loc.locate(o - prev) for o in offsets if prev <= o < end]
        loc.end_block()
        prev = end
    assert got == [brute(o) for o in offsets]


# ------------------------------------------------------------------------------ subprocess


def _py(*args: str, **kw) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, timeout=60, check=False, **kw
    )


def test_import_is_lazy() -> None:
    code = (
        "import sys, unspin.cli; "
        "print([m for m in ('unspin.engine', 'unspin.table', 'regex', 'rapidfuzz', 'json', "
        "'multiprocessing', 'csv') if m in sys.modules])"
    )
    assert _py("-c", code).stdout.strip() == b"[]"


def test_python_m_unspin_round_trips_clean_stdin() -> None:
    data = b"\xef\xbb\xbfA clean line.\r\nAnother one.\rEnd"
    p = _py("-m", "unspin", input=data)
    assert p.returncode == 0, p.stderr
    assert p.stdout == data


def test_python_m_unspin_dev_full() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full", "wb") as full:
        p = subprocess.run(
            [sys.executable, "-m", "unspin"],
            input=b"x" * 100_000,
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert p.returncode == ExitCode.OUTPUT_ERROR
    assert p.stderr == b"unspin: error: cannot write standard output: No space left on device\n"


def test_python_m_unspin_broken_pipe(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"Plain words on a line.\n\n" * 80_000)  # ~2 MB
    p = _bash(f"'{sys.executable}' -m unspin --block-size 65536 '{big}' | head -c 1 >/dev/null; "
              'echo "rc=${PIPESTATUS[0]}"', timeout=120)
    assert p.stdout.strip() == b"rc=141"
    assert p.stderr == b""  # no traceback, no "Exception ignored"


SLOW_RUNNER = """
import sys, time
import unspin.engine
from unspin.repairs import Analysis

def slow(text, options):
    time.sleep(0.05)
    return Analysis(text, (), 0.0)

unspin.engine.analyze_text = slow

if __name__ == "__main__":
    from unspin.cli import main
    main(sys.argv[1:])
"""


@pytest.mark.parametrize(
    ("signame", "code", "message"),
    [("SIGTERM", ExitCode.TERMINATED, b"terminated"), ("SIGHUP", ExitCode.HANGUP, b"hung up")],
)
def test_a_signal_leaves_no_partial_output(tmp_path: Path, signame: str, code: int,
                                           message: bytes) -> None:
    """SIGTERM, and SIGHUP (the terminal closed; found by session 14's QA: it left the
    temporary file), remove the temporary output and exit with their own status."""
    import signal
    import time

    script = tmp_path / "runner.py"
    script.write_text(SLOW_RUNNER)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(b"A paragraph of clean text.\n\n" * 2000)
    p = subprocess.Popen(
        [sys.executable, str(script), "--block-size", "1024", "-o", str(out), str(src)],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".out.txt.*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp_path.glob(".out.txt.*")), "the temporary output never appeared"
    p.send_signal(getattr(signal, signame))
    _, err = p.communicate(timeout=30)
    assert p.returncode == code
    assert err == b"unspin: error: " + message + b"\n"
    assert sorted(q.name for q in tmp_path.iterdir()) == ["in.txt", "runner.py"]


def test_output_is_rebuilt_from_the_reported_repairs(monkeypatch) -> None:
    """An engine whose .text disagrees with its repairs cannot change unreported bytes."""

    def sloppy(text, options):
        return Analysis(text.upper(), (Repair(0, 1, text[0], "Z", 0.9, "r.z"),), 0.5)

    monkeypatch.setattr(unspin.engine, "analyze_text", sloppy)
    r = run([], b"abc\r\n")
    assert (r.exit_code, r.stdout_bytes) == (0, b"Zbc\r\n")

    def inconsistent(text, options):
        return Analysis(text, (Repair(0, 2, "no", "x", 0.9, "r.x"),), 0.5)

    monkeypatch.setattr(unspin.engine, "analyze_text", inconsistent)
    r = run([], b"abc")
    assert r.exit_code == ExitCode.INTERNAL_ERROR
    assert r.stdout_bytes == b""


@pytest.mark.parametrize(
    ("redirect", "code", "message"),
    [
        ("<&-", ExitCode.INPUT_ERROR, b"unspin: error: <stdin>: standard input is closed\n"),
        (
            ">&-",
            ExitCode.OUTPUT_ERROR,
            b"unspin: error: cannot write standard output: it is closed\n",
        ),
    ],
)
def test_closed_standard_streams(redirect: str, code: int, message: bytes) -> None:
    p = _bash(f"echo hi | '{sys.executable}' -m unspin {redirect}; echo \"rc=$?\" >&2")
    assert p.stderr == message + f"rc={int(code)}\n".encode()


@pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs /proc/self/fd")
def test_output_to_an_open_descriptor_is_written_through_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/stdout >> log`` appends to log (the shell's descriptor), and ``-o`` through a
    link to a descriptor never renames over anything: the file, or the link, stays what it was."""
    src = tmp_path / "in.txt"
    src.write_bytes(b"The officials stated that the warfare continued for the reason that talks failed, "
                    b"and the Related Press stated the White Home declined to remark.\n")
    exe = f"'{sys.executable}' -m unspin"
    restored = _bash(f"{exe} '{src}'").stdout
    assert restored != src.read_bytes()
    log = tmp_path / "log.txt"
    log.write_bytes(b"before\n")
    p = _bash(f"{exe} -o /dev/stdout '{src}' >> '{log}'")
    assert p.returncode == 0, p.stderr
    assert log.read_bytes() == b"before\n" + restored
    fd3 = tmp_path / "fd3.txt"
    fd3.write_bytes(b"kept\n")
    p = _bash(f"{exe} -o /dev/fd/3 '{src}' 3>> '{fd3}'")
    assert p.returncode == 0, p.stderr
    assert fd3.read_bytes() == b"kept\n" + restored
    link = tmp_path / "mystdout"
    link.symlink_to("/proc/self/fd/1")
    gone = tmp_path / "gone.txt"
    p = _bash(f"( exec > '{gone}'; rm '{gone}'; {exe} -o '{link}' '{src}' )")
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert not gone.exists()


def test_learn_propose_reports_a_bad_input_in_one_line(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"caf\xe9\n")
    for args, fragment in (([str(tmp_path / "missing.txt"), str(latin1)], "No such file"),
                           ([str(latin1), str(latin1)], "not UTF-8")):
        p = subprocess.run([sys.executable, "-m", "unspin.learn", "propose", *args],
                           capture_output=True, text=True, check=False)
        assert p.returncode == 2
        assert p.stderr.count("\n") == 1 and fragment in p.stderr and "Traceback" not in p.stderr


# --- found by a QA pass (session 14) ---


def test_write_all_finishes_short_writes_and_surfaces_the_error() -> None:
    from unspin.batch import write_all

    class Trickle(io.BytesIO):
        def write(self, data):  # a pipe that takes 3 bytes at a time
            return super().write(bytes(data[:3]))

    fp = Trickle()
    write_all(fp, b"He said it, twice.")
    assert fp.getvalue() == b"He said it, twice."

    class Closing:
        calls = 0

        def write(self, data):  # a reader that takes one part, then goes away
            self.calls += 1
            if self.calls > 1:
                raise BrokenPipeError
            return 4

    with pytest.raises(BrokenPipeError):
        write_all(Closing(), b"more than four bytes")


def test_diff_into_a_closed_pipe_is_141(tmp_path: Path) -> None:
    """A short write to a pipe whose reader left was taken as done: exit 1, output cut."""
    src = tmp_path / "big.txt"
    src.write_bytes(b"Officers stated the warfare ended. " * 60000 + b"\n")
    pipeline = (f"{sys.executable} -m unspin --diff --no-document-model {src} | head -c 10 "
                ">/dev/null; echo ${PIPESTATUS[0]}")
    q = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, check=False)
    assert q.stdout.strip() == "141", q.stderr


@pytest.mark.parametrize(
    ("name", "header"),
    [("plain.txt", b"plain.txt"), ("my file.txt", b'"my file.txt"'),
     ("new\nline.txt", b'"new\\nline.txt"'), ("tab\tname.txt", b'"tab\\tname.txt"'),
     ("caf\u00e9.txt", b'"caf\\303\\251.txt"')],
    ids=["plain", "space", "newline", "tab", "non-ascii"],
)
def test_diff_headers_quote_names_as_gnu_diff_does(tmp_path: Path, name: str, header: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(b"Officers stated the warfare ended.\n")
    p = subprocess.run([sys.executable, "-m", "unspin", "--diff", "--no-document-model", name],
                       cwd=tmp_path, capture_output=True, check=False)
    assert p.returncode == 1, p.stderr
    first, second = p.stdout.split(b"\n")[:2]
    assert (first, second) == (b"--- " + header, b"+++ " + header)


def test_a_backup_that_would_overwrite_another_input_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_bytes(b"He stated it.\n")
    (tmp_path / "v.txt.b").write_bytes(b"marker\n")
    p = subprocess.run([sys.executable, "-m", "unspin", "-i", "--backup", ".b", "v.txt", "v.txt.b"],
                       cwd=tmp_path, capture_output=True, check=False)
    assert p.returncode == ExitCode.USAGE and b"would overwrite the input" in p.stderr
    assert (tmp_path / "v.txt.b").read_bytes() == b"marker\n"
    assert (tmp_path / "v.txt").read_bytes() == b"He stated it.\n"
