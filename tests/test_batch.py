"""Tests of ``unspin batch`` (in-process with CliRunner; -j 2 and Ctrl-C with real processes)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import unspin.engine
from unspin.batch import FileResult, Progress, _Throttle, read_journal
from unspin.cli import ExitCode, cli
from unspin.repairs import Analysis, Repair, apply_repairs

_PAT = re.compile(r"stated|Related Press")
_REPL = {"stated": "said", "Related Press": "Associated Press"}


def fake_analyze(text: str, options: object) -> Analysis:
    reps = tuple(
        Repair(m.start(), m.end(), m.group(), _REPL[m.group()], 0.9, "fake." + m.group()[:3])
        for m in _PAT.finditer(text)
    )
    return Analysis(apply_repairs(text, reps), reps, 0.9 if reps else 0.05)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def fake(text: str, options: object) -> Analysis:
        seen.append(text)
        return fake_analyze(text, options)

    monkeypatch.setattr(unspin.engine, "analyze_text", fake)
    return seen


def run(args: list[str]):
    return CliRunner().invoke(cli, ["batch", *args], catch_exceptions=False)


def tree_hash(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    (root / "2024" / "jan").mkdir(parents=True)
    (root / "2024" / "feb").mkdir(parents=True)
    (root / "2024" / "jan" / "a.txt").write_bytes(b"The Related Press stated.\r\n")
    (root / "2024" / "jan" / "b.txt").write_bytes(b"\xef\xbb\xbfclean copy\rwith CR\n")
    (root / "2024" / "feb" / "c.txt").write_bytes(b"He stated it.\n\nTwice stated.")
    (root / "top.txt").write_bytes(b"")
    (root / "notes.md").write_bytes(b"stated but not matched by the glob")
    return root


def test_mirrors_tree_and_never_touches_src(engine, src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "deep"
    before = tree_hash(src)
    r = run([str(src), str(dest), "-j", "1"])
    assert r.exit_code == 0, r.stderr
    assert tree_hash(src) == before
    got = {str(p.relative_to(dest)): p.read_bytes() for p in dest.rglob("*") if p.is_file()}
    assert got == {
        "2024/jan/a.txt": b"The Associated Press said.\r\n",
        "2024/jan/b.txt": b"\xef\xbb\xbfclean copy\rwith CR\n",
        "2024/feb/c.txt": b"He said it.\n\nTwice said.",
        "top.txt": b"",
    }
    assert r.stderr.splitlines()[-1] == "4 files: 2 repaired, 2 clean, 0 failed (0 skipped)"
    assert "\r" not in r.stderr  # no progress bar when stderr is not a terminal
    # outputs carry the source's modification time (the --resume marker)
    assert (dest / "top.txt").stat().st_mtime_ns == (src / "top.txt").stat().st_mtime_ns


def test_glob_patterns(engine, src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    r = run([str(src), str(dest), "-j", "1", "--glob", "*.md", "--glob", "2024/feb/*.txt"])
    assert r.exit_code == 0
    files = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert files == ["2024/feb/c.txt", "notes.md"]


def test_report_jsonl_and_bad_files_do_not_stop_the_run(engine, src: Path, tmp_path: Path) -> None:
    (src / "bad").mkdir()
    (src / "bad" / "latin1.txt").write_bytes(b"caf\xe9 stated")
    (src / "bad" / "utf16.txt").write_bytes("stated".encode("utf-16"))
    (src / "bad" / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    before = tree_hash(src)
    dest, report = tmp_path / "dest", tmp_path / "report.jsonl"
    r = run([str(src), str(dest), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    assert tree_hash(src) == before
    rows = {row["path"]: row for row in map(json.loads, report.read_text().splitlines())}
    assert len(rows) == 7
    assert rows["2024/jan/a.txt"] == {
        "path": "2024/jan/a.txt",
        "status": "repaired",
        "spin_score": 0.9,
        "repairs": 2,
        "bytes": 27,
        "error": None,
    }
    assert rows["2024/jan/b.txt"]["status"] == "clean"
    assert rows["2024/jan/b.txt"]["spin_score"] == 0.05
    assert "invalid UTF-8" in rows["bad/latin1.txt"]["error"]
    assert "UTF-16" in rows["bad/utf16.txt"]["error"]
    assert "binary" in rows["bad/binary.txt"]["error"]
    assert all(rows[p]["status"] == "failed" for p in rows if p.startswith("bad/"))
    assert not (dest / "bad" / "latin1.txt").exists()
    assert (dest / "2024" / "feb" / "c.txt").read_bytes() == b"He said it.\n\nTwice said."
    assert r.stderr.splitlines()[-1] == "7 files: 2 repaired, 2 clean, 3 failed (0 skipped)"
    errors = [line for line in r.stderr.splitlines() if line.startswith("unspin: error: ")]
    assert len(errors) == 3 and "Traceback" not in r.stderr
    assert not list(dest.rglob("*.unspin-tmp"))


def test_report_csv(engine, src: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.csv"
    r = run([str(src), str(tmp_path / "d"), "-j", "1", "--report", str(report)])
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    assert list(rows[0]) == ["path", "status", "spin_score", "repairs", "bytes", "error"]
    by_path = {row["path"]: row for row in rows}
    assert by_path["2024/feb/c.txt"]["status"] == "repaired"
    assert by_path["2024/feb/c.txt"]["repairs"] == "2"
    assert by_path["top.txt"]["error"] == ""


def test_resume_skips_complete_outputs(engine, src: Path, tmp_path: Path) -> None:
    dest, report = tmp_path / "dest", tmp_path / "r.jsonl"
    assert run([str(src), str(dest), "-j", "1"]).exit_code == 0
    engine.clear()
    c = src / "2024" / "feb" / "c.txt"
    c.write_bytes(b"Edited: the Related Press.")
    os.utime(c, ns=(5_000_000_000, 5_000_000_000))  # the source changed since the last run
    (dest / "top.txt").unlink()  # an output that is missing
    r = run([str(src), str(dest), "-j", "1", "--resume", "--report", str(report)])
    assert r.exit_code == 0
    status = {
        row["path"]: row["status"] for row in map(json.loads, report.read_text().splitlines())
    }
    assert status == {
        "2024/feb/c.txt": "repaired",
        "2024/jan/a.txt": "skipped",
        "2024/jan/b.txt": "skipped",
        "top.txt": "clean",
    }
    assert (dest / "2024" / "feb" / "c.txt").read_bytes() == b"Edited: the Associated Press."
    assert engine == ["Edited: the Related Press."]  # an empty file needs no analysis
    assert r.stderr.splitlines()[-1] == "4 files: 1 repaired, 1 clean, 0 failed (2 skipped)"


def test_vanished_file_is_reported(monkeypatch, src: Path, tmp_path: Path) -> None:
    pair = src / "pair"
    pair.mkdir()
    (pair / "a.txt").write_bytes(b"AAA stated")
    (pair / "b.txt").write_bytes(b"BBB stated")
    gone = []

    def fake(text, options):  # the first of the pair to be processed deletes the other one
        if text.startswith(("AAA", "BBB")) and not gone:
            other = pair / ("b.txt" if text.startswith("AAA") else "a.txt")
            other.unlink()
            gone.append(f"pair/{other.name}")
        return fake_analyze(text, options)

    monkeypatch.setattr(unspin.engine, "analyze_text", fake)
    report = tmp_path / "r.jsonl"
    r = run([str(src), str(tmp_path / "d"), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    rows = {row["path"]: row for row in map(json.loads, report.read_text().splitlines())}
    assert rows[gone[0]]["status"] == "failed"
    assert rows[gone[0]]["error"] == "vanished before it could be read"
    assert rows["2024/jan/a.txt"]["status"] == "repaired"  # the run went on
    assert r.stderr.splitlines()[-1] == "6 files: 3 repaired, 2 clean, 1 failed (0 skipped)"


def test_dest_inside_src_is_not_walked(engine, src: Path) -> None:
    dest = src / "fixed"
    assert run([str(src), str(dest), "-j", "1"]).exit_code == 0
    before = tree_hash(src)
    r = run([str(src), str(dest), "-j", "1"])  # a second run must not pick up its own outputs
    assert r.exit_code == 0
    assert r.stderr.splitlines()[-1].startswith("4 files:")
    assert tree_hash(src) == before
    assert not (dest / "fixed").exists()


@pytest.mark.parametrize("relation", ["same", "src_in_dest", "dest_is_root"])
def test_refuses_overlapping_trees(engine, src: Path, relation: str) -> None:
    dest = {"same": src, "src_in_dest": src.parent, "dest_is_root": Path("/")}[relation]
    # a glob that matches nothing: were the check to fail, nothing would be written into DEST
    r = run([str(src), str(dest), "--glob", "*.matches-nothing"])
    assert r.exit_code == ExitCode.USAGE
    assert engine == []


@pytest.mark.parametrize("where", ["a source", "an output", "a folder of DEST"])
def test_report_inside_src_or_dest_is_refused(engine, src: Path, tmp_path: Path, where) -> None:
    dest = tmp_path / "dest"
    assert run([str(src), str(dest), "-j", "1"]).exit_code == 0
    report = {
        "a source": src / "2024" / "jan" / "a.txt",
        "an output": dest / "2024" / "jan" / "a.txt",
        "a folder of DEST": dest / "new" / "r.jsonl",
    }[where]
    before, outputs, seen = tree_hash(src), tree_hash(dest), len(engine)
    r = run([str(src), str(dest), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.USAGE
    label = "SRC" if where == "a source" else "DEST"
    assert r.stderr == (
        f"unspin: error: --report {report} is inside {label} "
        f"(it could replace {'a source' if label == 'SRC' else 'an output'}); put it elsewhere\n"
    )
    assert (tree_hash(src), tree_hash(dest), len(engine)) == (before, outputs, seen)


def test_symlink_in_dest_into_src_is_never_written_through(
    engine, src: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "2024").symlink_to(src / "2024", target_is_directory=True)
    before = tree_hash(src)
    r = run([str(src), str(dest), "-j", "1"])
    assert tree_hash(src) == before
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    errors = [x for x in r.stderr.splitlines() if x.startswith("unspin: error: ")]
    assert len(errors) == 3
    assert all("is inside SRC (through a symbolic link in DEST)" in x for x in errors)
    assert r.stderr.splitlines()[-1] == "4 files: 0 repaired, 1 clean, 3 failed (0 skipped)"
    assert (dest / "top.txt").exists()  # the run went on


def test_new_outputs_get_the_source_permissions(engine, src: Path, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    modes = {"2024/jan/a.txt": 0o600, "2024/jan/b.txt": 0o640, "2024/feb/c.txt": 0o755}
    for rel, mode in modes.items():
        (src / rel).chmod(mode)
    dest = tmp_path / "dest"
    assert run([str(src), str(dest), "-j", "1"]).exit_code == 0
    for rel, mode in modes.items():
        assert (dest / rel).stat().st_mode & 0o7777 == mode & ~umask, rel
    (dest / "2024/jan/a.txt").chmod(0o644)  # an existing output keeps its own mode (like cp)
    (src / "2024/jan/a.txt").touch()
    assert run([str(src), str(dest), "-j", "1"]).exit_code == 0
    assert (dest / "2024/jan/a.txt").stat().st_mode & 0o7777 == 0o644


def test_summary_says_1_file(engine, tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    (root / "a.txt").write_bytes(b"He stated it.")
    r = run([str(root), str(tmp_path / "d"), "-j", "1"])
    assert r.stderr.splitlines()[-1] == "1 file: 1 repaired, 0 clean, 0 failed (0 skipped)"


def _odd_name(directory: Path, name: str, data: bytes) -> None:
    try:
        (directory / name).write_bytes(data)
    except (OSError, UnicodeError):
        pytest.skip("the file system refuses this file name")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_file_names_that_are_not_utf8(engine, src: Path, tmp_path: Path, suffix: str) -> None:
    _odd_name(src, "\udcff.txt", b"He stated it.\n")
    _odd_name(src, "bad\udcfe\nname.txt", b"caf\xe9\n")
    dest, report = tmp_path / "dest", tmp_path / f"r{suffix}"
    r = run([str(src), str(dest), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.INPUT_ERROR, r.stderr
    assert (dest / "\udcff.txt").read_bytes() == b"He said it.\n"
    assert r.stderr.splitlines()[-1] == "6 files: 3 repaired, 2 clean, 1 failed (0 skipped)"
    errors = [x for x in r.stderr.splitlines() if x.startswith("unspin: error: ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"unspin: error: {src}/bad\\xfe\\nname.txt: invalid UTF-8")
    text = report.read_bytes().decode("utf-8")  # valid UTF-8
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        rows = [json.loads(x) for x in text.splitlines()]
    by_path = {row["path"]: row for row in rows}
    assert len(rows) == 6
    assert by_path["\\xff.txt"]["status"] == "repaired"
    assert by_path["bad\\xfe\nname.txt"]["status"] == "failed"


def test_a_report_row_that_cannot_be_written_does_not_stop_the_run(
    engine, src: Path, tmp_path: Path, monkeypatch
) -> None:
    from unspin import batch

    report = tmp_path / "r.jsonl"
    real_write = batch.AtomicWriter.write
    rows = []

    def full_disk(self, data: bytes) -> None:
        if self.path == str(report):
            rows.append(data)
            if len(rows) == 2:
                raise batch.OutputError("No space left on device", self.path)
        real_write(self, data)

    monkeypatch.setattr(batch.AtomicWriter, "write", full_disk)
    dest = tmp_path / "dest"
    r = run([str(src), str(dest), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert r.stderr.splitlines() == [
        f"unspin: error: cannot write {report}: No space left on device",
        "4 files: 2 repaired, 2 clean, 0 failed (0 skipped)",
    ]
    assert len(list(dest.rglob("*.txt"))) == 4  # every file was still done
    assert not report.exists() and not list(tmp_path.glob("*.unspin-tmp"))


def test_missing_src_is_usage_error(tmp_path: Path) -> None:
    r = run([str(tmp_path / "nope"), str(tmp_path / "d")])
    assert r.exit_code == ExitCode.USAGE


def test_unwritable_dest_is_exit_5(engine, src: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = run([str(src), str(blocker / "dest"), "-j", "1"])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert r.stderr.startswith("unspin: error: cannot create")


def test_huge_single_line_file_streams(engine, tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    data = ("one line of clean words, no breaks at all; " * 80_000).encode()  # ~3.5 MB
    (root / "big.txt").write_bytes(data)
    r = run([str(root), str(tmp_path / "d"), "-j", "1", "--block-size", "262144"])
    assert r.exit_code == 0
    assert (tmp_path / "d" / "big.txt").read_bytes() == data
    assert len(engine) >= 13 and max(len(t) for t in engine) <= 262144


def test_interrupt_leaves_no_temp_files(monkeypatch, src: Path, tmp_path: Path) -> None:
    calls = []

    def fake(text, options):
        calls.append(text)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return fake_analyze(text, options)

    monkeypatch.setattr(unspin.engine, "analyze_text", fake)
    dest, report = tmp_path / "d", tmp_path / "r.jsonl"
    r = run([str(src), str(dest), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.INTERRUPTED
    assert "Traceback" not in r.stderr and "interrupted" in r.stderr
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".unspin-tmp")]
    assert leftovers == []
    # the rows of the files finished before Ctrl-C are kept, and each has its complete output
    rows = [json.loads(x)["path"] for x in report.read_text().splitlines()]
    outputs = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert sorted(rows) == outputs
    assert 1 <= len(rows) < 4


def test_engine_bug_fails_the_file_exit_4(monkeypatch, src: Path, tmp_path: Path) -> None:
    def bug(text, options):
        raise RuntimeError("kaput")

    monkeypatch.setattr(unspin.engine, "analyze_text", bug)
    r = run([str(src), str(tmp_path / "d"), "-j", "1"])
    assert r.exit_code == ExitCode.INTERNAL_ERROR
    assert "internal error: RuntimeError: kaput" in r.stderr
    # the empty file needs no analysis: clean
    assert r.stderr.splitlines()[-1] == "4 files: 0 repaired, 1 clean, 3 failed (0 skipped)"


def test_bad_table_is_usage_error(engine, src: Path, tmp_path: Path) -> None:
    t = tmp_path / "t.tsv"
    t.write_bytes(b"\xff")
    r = run([str(src), str(tmp_path / "d"), "--table", str(t)])
    assert r.exit_code == ExitCode.USAGE
    assert r.stderr == f"unspin: error: {t}:1: invalid UTF-8 at byte 0\n"


def test_throttle_bounds_tasks_in_flight() -> None:
    pulled = []

    def source():
        for i in range(1000):
            pulled.append(i)
            yield i

    feed = _Throttle(source(), limit=3)
    it = iter(feed)
    assert [next(it), next(it), next(it)] == [0, 1, 2]
    threading.Timer(0.3, feed.stopped.set).start()
    with pytest.raises(StopIteration):
        next(it)  # blocks (nothing released) until stopped
    assert len(pulled) <= 4
    feed2 = _Throttle(range(5), limit=1)
    out = []
    for x in feed2:
        out.append(x)
        feed2.release()
    assert out == [0, 1, 2, 3, 4]


def test_journal_read_keeps_only_the_files_in_flight(tmp_path: Path) -> None:
    # after an interruption only the unreturned chunks are looked up: memory must not grow
    # with the number of files the run finished
    rows = [FileResult(f"f{i}.txt", "repaired", 0.9, 2, 100) for i in range(50)]
    (tmp_path / "1.jsonl").write_text(
        "".join(json.dumps(dataclasses.astuple(r)) + "\n" for r in rows[:30])
        + '["f99.txt", "repai',  # a line cut short by a stopped worker
        encoding="utf-8",
    )
    (tmp_path / "2.jsonl").write_text(
        "".join(json.dumps(dataclasses.astuple(r)) + "\n" for r in rows[30:]),
        encoding="utf-8",
    )
    done = read_journal(str(tmp_path), {"f3.txt", "f42.txt", "f99.txt", "missing.txt"})
    assert done == {"f3.txt": rows[3], "f42.txt": rows[42]}
    assert read_journal(str(tmp_path / "gone"), {"f3.txt"}) == {}


def test_progress_line() -> None:
    buf = io.StringIO()
    p = Progress(buf, True, total_files=10, total_bytes=10_000_000)
    p.start -= 1.0
    p.update(5, 5_000_000, force=True)
    line = buf.getvalue()
    assert line.startswith("\r\x1b[K") and "5/10 files" in line and "MB/s" in line
    assert re.search(r"ETA 0:00:0[01]", line)
    p.clear()
    assert buf.getvalue().endswith("\r\x1b[K")
    quiet = io.StringIO()
    Progress(quiet, False, 1, 1).update(1, 1, force=True)
    assert quiet.getvalue() == ""


# ------------------------------------------------------------------------------ real processes


def test_two_jobs_process_clean_tree(tmp_path: Path) -> None:
    """-j 2 with real spawned workers and the real engine: clean text comes back unchanged."""
    root = tmp_path / "s"
    expected = {}
    for i in range(12):
        d = root / f"d{i % 3}"
        d.mkdir(parents=True, exist_ok=True)
        data = f"Plain copy number {i}.\r\nNothing to repair here.\n".encode()
        (d / f"f{i}.txt").write_bytes(data)
        expected[f"d{i % 3}/f{i}.txt"] = data
    before = tree_hash(root)
    report = tmp_path / "r.jsonl"
    r = run([str(root), str(tmp_path / "d"), "-j", "2", "--report", str(report)])
    assert r.exit_code == 0, r.stderr
    dest = tmp_path / "d"
    assert {str(p.relative_to(dest)): p.read_bytes() for p in dest.rglob("*.txt")} == expected
    assert tree_hash(root) == before
    assert len(report.read_text().splitlines()) == 12
    assert r.stderr.splitlines()[-1] == "12 files: 0 repaired, 12 clean, 0 failed (0 skipped)"


RUNNER = """
import re, sys, time
import unspin.engine
from unspin.repairs import Analysis, Repair, apply_repairs

# Runs in the parent and, as __mp_main__, in every spawned worker: the fake engine is everywhere.
def fake(text, options):
    if "KILLME" in text:
        import os, signal
        os.kill(os.getpid(), signal.SIGKILL)  # like the OOM killer
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1][0].isdigit() else 0.05)
    reps = tuple(Repair(m.start(), m.end(), m.group(), "said", 0.9, "fake.said")
                 for m in re.finditer("stated", text))
    return Analysis(apply_repairs(text, reps), reps, 0.9 if reps else 0.05)

unspin.engine.analyze_text = fake

if __name__ == "__main__":
    from unspin.cli import main
    main(sys.argv[2:])
"""


def _runner(tmp_path: Path) -> Path:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    return script


def _run_fake_batch(tmp_path: Path, src: Path, dest: Path, *args: str) -> subprocess.CompletedProcess:
    """``unspin batch SRC DEST ARGS`` with the fake engine of :data:`RUNNER` (no delay)."""
    cmd = [sys.executable, str(_runner(tmp_path)), "0", "batch", str(src), str(dest), *args]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False)


def test_workers_repair_with_two_jobs(tmp_path: Path) -> None:
    root = tmp_path / "s"
    for i in range(20):
        (root / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        (root / f"d{i % 4}" / f"f{i}.txt").write_bytes(f"Doc {i} stated\r\n".encode())
    dest, report = tmp_path / "d", tmp_path / "r.csv"
    p = _run_fake_batch(tmp_path, root, dest, "-j", "2", "--report", str(report))
    assert p.returncode == 0, p.stderr
    for i in range(20):
        assert (dest / f"d{i % 4}" / f"f{i}.txt").read_bytes() == f"Doc {i} said\r\n".encode()
    rows = list(csv.DictReader(io.StringIO(report.read_text())))
    assert len(rows) == 20 and {r["status"] for r in rows} == {"repaired"}
    assert (
        p.stderr.decode().splitlines()[-1] == "20 files: 20 repaired, 0 clean, 0 failed (0 skipped)"
    )


def test_workers_and_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    for i in range(20):
        (root / f"f{i}.txt").write_bytes(b"He stated it.\n")
    _odd_name(root, "\udcff.txt", b"He stated it.\n")
    dest, report = tmp_path / "d", tmp_path / "r.jsonl"
    p = _run_fake_batch(tmp_path, root, dest, "-j", "2", "--report", str(report))
    assert p.returncode == 0, p.stderr
    rows = [json.loads(x) for x in report.read_bytes().decode("utf-8").splitlines()]
    assert len(rows) == 21 and "\\xff.txt" in {row["path"] for row in rows}
    assert (dest / "\udcff.txt").read_bytes() == b"He said it.\n"


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_with_workers(tmp_path: Path, presses: int) -> None:
    """Ctrl-C pressed once, or twice at once (found by session 14's QA: a second one while the
    workers were being stopped left the pool half stopped, and the run hung or exited 4). The
    report has a row for every output written, also those of chunks that never came back."""
    root = tmp_path / "s"
    root.mkdir()
    for i in range(200):
        (root / f"f{i:03d}.txt").write_bytes(b"He stated it.\n" * 50)
    dest, report = tmp_path / "d", tmp_path / "r.jsonl"
    p = subprocess.Popen(
        [sys.executable, str(_runner(tmp_path)), "0.05", "batch", str(root), str(dest), "-j", "2",
         "--report", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not list(dest.rglob("f*.txt")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)
    for _ in range(presses):
        os.killpg(p.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole process group
    _, err = p.communicate(timeout=60)
    assert p.returncode == ExitCode.INTERRUPTED, err
    assert b"Traceback" not in err
    assert err.strip().splitlines()[-1] == b"unspin: error: interrupted"
    assert [q.name for q in dest.rglob("*") if q.name.endswith(".unspin-tmp")] == []
    outputs = list(dest.rglob("*.txt"))
    assert 0 < len(outputs) < 200
    for out in outputs:
        assert out.read_bytes() == b"He said it.\n" * 50  # every output present is complete
    rows = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["path"] for r in rows) == sorted(o.name for o in outputs)
    assert all(r["status"] == "repaired" and r["repairs"] == 50 for r in rows)


def test_killed_worker_stops_the_run_instead_of_hanging(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    for i in range(10):
        (root / f"f{i}.txt").write_bytes(b"KILLME" if i == 3 else b"fine stated")
    p = _run_fake_batch(tmp_path, root, tmp_path / "d", "-j", "2")
    assert p.returncode == ExitCode.INTERNAL_ERROR
    assert b"unspin: error: a worker process died" in p.stderr
    summary = p.stderr.decode().splitlines()[-1]
    assert re.fullmatch(r"10 files: \d+ repaired, 0 clean, [1-9]\d* failed \(0 skipped\)", summary)
    assert b"Traceback" not in p.stderr
    assert not list((tmp_path / "d").rglob("*.unspin-tmp"))


def test_pool_tasks_group_small_files_and_end_a_group_at_a_large_one() -> None:
    from unspin.batch import CHUNK_BYTES, CHUNK_FILES, _chunks

    small = [(f"s{i}", 1_000) for i in range(CHUNK_FILES + 3)]
    assert [len(c) for c in _chunks(small)] == [CHUNK_FILES, 3]
    mixed = [("a", 10), ("big", CHUNK_BYTES), ("b", 10), ("huge", 10 * CHUNK_BYTES), ("c", 10)]
    assert list(_chunks(mixed)) == [["a", "big"], ["b", "huge"], ["c"]]
    assert list(_chunks([])) == []


def test_interrupt_while_the_temporary_file_is_made_leaves_none(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (or a worker's SIGTERM) can arrive after the temporary file exists but before any
    code owns it: inside ``mkstemp``, or before ``with`` takes over. Nothing may be left."""
    import tempfile

    from unspin import batch

    real_mkstemp = tempfile.mkstemp

    def mkstemp_then_interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_mkstemp(*args, **kwargs)  # the file exists, its name never reaches the caller
        raise KeyboardInterrupt

    root = tmp_path / "s"
    root.mkdir()
    (root / "a.txt").write_text("He stated it.\n")
    dest = tmp_path / "d"
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        batch.run_batch(str(root), str(dest), option_kwargs={}, jobs=1)
    assert list(dest.iterdir()) == []
    monkeypatch.setattr(tempfile, "mkstemp", real_mkstemp)

    def chmod_interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(batch.os, "chmod", chmod_interrupted)
    with pytest.raises(KeyboardInterrupt):
        batch.AtomicWriter(str(dest / "b.txt"))
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize(
    ("globs", "expected"),
    [
        (["**/*.txt"], ["2024/feb/c.txt", "2024/jan/a.txt", "2024/jan/b.txt", "top.txt"]),
        (["**/jan/*.txt"], ["2024/jan/a.txt", "2024/jan/b.txt"]),
        (["**/notes.md"], ["notes.md"]),
    ],
)
def test_double_star_globs_match_in_every_folder(engine, src: Path, tmp_path: Path, globs, expected) -> None:
    dest = tmp_path / "dest"
    r = run([str(src), str(dest), "-j", "1", *[a for g in globs for a in ("--glob", g)]])
    assert r.exit_code == 0, r.stderr
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file()) == expected


def test_empty_glob_is_a_usage_error(engine, src: Path, tmp_path: Path) -> None:
    r = run([str(src), str(tmp_path / "dest"), "--glob", ""])
    assert r.exit_code == ExitCode.USAGE
    assert not (tmp_path / "dest").exists() and engine == []


def test_a_report_that_cannot_be_created_stops_before_anything_is_written(
    engine, src: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    r = run([str(src), str(dest), "--report", str(tmp_path / "no" / "such" / "dir" / "r.jsonl")])
    assert r.exit_code == ExitCode.OUTPUT_ERROR
    assert "cannot write" in r.stderr
    assert not dest.exists() and engine == []


def test_progress_total_counts_what_will_be_reported(src: Path, tmp_path: Path) -> None:
    from unspin.batch import count_files

    (src / "gone.txt").symlink_to(src / "nowhere.txt")
    os.mkfifo(src / "pipe.txt")
    files, _ = count_files(str(src), str(tmp_path / "dest"), ("*.txt",))
    assert files == 6  # four text files, and the broken link and the FIFO, reported as failed


def test_matching_names_that_are_not_regular_files_are_reported(engine, src: Path, tmp_path: Path) -> None:
    """A broken symbolic link or a FIFO that matches the glob is a failed file in the report
    (reading a FIFO could block the run), not silently left out; the run goes on."""
    (src / "gone.txt").symlink_to(src / "nowhere.txt")
    os.mkfifo(src / "pipe.txt")
    (src / "linked_dir.txt").symlink_to(src / "2024", target_is_directory=True)  # not entered
    report = tmp_path / "r.jsonl"
    r = run([str(src), str(tmp_path / "d"), "-j", "1", "--report", str(report)])
    assert r.exit_code == ExitCode.INPUT_ERROR
    rows = {row["path"]: row for row in map(json.loads, report.read_text().splitlines())}
    assert rows["gone.txt"]["status"] == rows["pipe.txt"]["status"] == "failed"
    assert rows["gone.txt"]["error"] == "broken symbolic link"
    assert rows["pipe.txt"]["error"] == "not a regular file"
    assert "linked_dir.txt" not in rows
    assert rows["2024/jan/a.txt"]["status"] == "repaired"


# --- found by a QA pass (session 14) ---


@pytest.mark.parametrize(
    ("globs", "expected"),
    [
        (["2024/*.txt"], []),  # "*" stays within one folder name
        (["2024/*/*.txt"], ["2024/feb/c.txt", "2024/jan/a.txt", "2024/jan/b.txt"]),
        (["2024/**/*.txt"], ["2024/feb/c.txt", "2024/jan/a.txt", "2024/jan/b.txt"]),
        (["/top.txt"], ["top.txt"]),  # a leading "/" anchors at SRC, as a "/" inside does
        (["2024/jan/"], ["2024/jan/a.txt", "2024/jan/b.txt"]),  # every file below the folder
        (["2024/jan/[a]*.txt"], ["2024/jan/a.txt"]),
    ],
)
def test_globs_follow_gitignore_rules(engine, src: Path, tmp_path: Path, globs, expected) -> None:
    dest = tmp_path / "dest"
    r = run([str(src), str(dest), "-j", "1", *[a for g in globs for a in ("--glob", g)]])
    assert r.exit_code == 0, r.stderr
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == expected
    assert ("warning: no file" in r.stderr) == (not expected)
