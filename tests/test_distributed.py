"""Tests of the scale-out helpers (unspin.distributed) and of examples/dask_recipe.py.

The helper tests use a small fake engine (monkeypatched ``unspin.analyze``) so that they check
this module's plumbing whatever the real engine decides; the end-to-end tests run the Dask recipe
for real (local processes) and compare every output with ``unspin.restore``.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
from pathlib import Path

import pytest

import unspin
import unspin.engine
from unspin import Analysis, Repair
from unspin import distributed as dist

ROOT = Path(__file__).resolve().parents[1]

# Hand-written texts (never copied from the shared corpus).
SPUN = (
    "The officials stated on Tuesday that the talks had been postponed for the reason that the "
    "delegation from the Related Press could not attend.\n"
)
CLEAN = "The minister said the budget would be presented to parliament next week.\r\nNo change.\r\n"


def fake_analyze(text: str, options: object = None, **kw: object) -> Analysis:
    """A stand-in engine: every 'stated' becomes 'said'; 'BOOM' raises."""
    if "BOOM" in text:
        raise RuntimeError("engine exploded")
    reps, pos = [], 0
    while (i := text.find("stated", pos)) >= 0:
        reps.append(Repair(i, i + 6, "stated", "said", 0.9, "saying.stated.said"))
        pos = i + 6
    return Analysis(unspin.apply_repairs(text, reps), tuple(reps), 0.8 if reps else 0.05)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(text: str, options: object = None, **kw: object) -> Analysis:
        calls.append(text)
        return fake_analyze(text, options, **kw)

    def warming(options: object) -> None:
        calls.append("<warm-up>")

    monkeypatch.setattr(unspin, "analyze", counting)
    monkeypatch.setattr(unspin.engine, "prepare", warming)
    return calls


def test_record_gets_repaired_text_and_report_fields(fake: list[str]) -> None:
    rec = {"id": 7, "text": "He stated it and she stated it too."}
    out = dist.repair_text_record(rec, include_repairs=True)
    assert rec == {"id": 7, "text": "He stated it and she stated it too."}  # input untouched
    assert out["id"] == 7 and out["text"] == rec["text"]
    assert out["unspin_text"] == "He said it and she said it too."
    assert out["unspin_repairs"] == 2
    assert out["unspin_status"] == "repaired"
    assert out["unspin_spin_score"] == 0.8
    assert out["unspin_error"] is None
    assert [r["start"] for r in out["unspin_repair_list"]] == [3, 21]
    assert dist.repair_record is dist.repair_text_record


def test_clean_record_and_custom_fields(fake: list[str]) -> None:
    out = dist.repair_text_record({"body": "Nothing here."}, "body", output_field="fixed")
    assert out["fixed"] == "Nothing here."
    assert out["unspin_status"] == "clean" and out["unspin_repairs"] == 0
    assert "unspin_text" not in out


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": 1}, "field 'text' is missing"),
        ({"text": b"bytes"}, "field 'text' is bytes, not str"),
        ({"text": None}, "field 'text' is NoneType, not str"),
        ({"text": "BOOM"}, "RuntimeError: engine exploded"),
    ],
)
def test_bad_record_is_reported_not_raised(fake: list[str], record: dict, message: str) -> None:
    out = dist.repair_text_record(record)
    assert out["unspin_status"] == "failed"
    assert message in out["unspin_error"]
    assert out["unspin_text"] is None and out["unspin_repairs"] == 0
    with pytest.raises((TypeError, RuntimeError)):
        dist.repair_text_record(record, on_error="raise")


def test_in_place_failure_keeps_the_original_text(fake: list[str]) -> None:
    out = dist.repair_text_record({"text": "BOOM stated"}, output_field="text")
    assert out["text"] == "BOOM stated" and out["unspin_status"] == "failed"
    ok = dist.repair_text_record({"text": "it was stated"}, output_field="text")
    assert ok["text"] == "it was said"


def test_misspelt_option_raises_even_when_reporting_errors() -> None:
    with pytest.raises(TypeError, match="min_confidance"):
        dist.repair_text_record({"text": "x"}, min_confidance=0.9)
    with pytest.raises(TypeError):
        dist.repair_partition([{"text": "x"}], min_confidance=0.9)


def test_partition_warms_up_once_and_keeps_order(fake: list[str]) -> None:
    recs = [{"id": i, "text": f"Doc {i} stated."} for i in range(5)] + [{"id": 5}]
    out = dist.repair_partition(iter(recs), min_confidence=0.7)
    assert [r["id"] for r in out] == list(range(6))
    assert [r["unspin_status"] for r in out] == ["repaired"] * 5 + ["failed"]
    assert fake == ["<warm-up>"] + [f"Doc {i} stated." for i in range(5)]  # one warm-up first
    assert [dist.report_row(r)["id"] for r in out] == list(range(6))
    assert dist.report_row(out[0]) == {"id": 0, "status": "repaired", "spin_score": 0.8,
                                       "repairs": 1, "error": None}


def test_load_json_record() -> None:
    assert dist.load_json_record('{"id": 1, "text": "a"}\n') == {"id": 1, "text": "a"}
    bad = dist.repair_text_record(dist.load_json_record("{not json"))
    assert bad["unspin_status"] == "failed" and "invalid JSON" in bad["unspin_error"]
    arr = dist.load_json_record("[1, 2]")
    assert "not an object" in arr["unspin_error"]


def _corpus(root: Path) -> dict[str, bytes]:
    files = {
        "a.txt": SPUN.encode(),
        "nested/deeper/b.txt": CLEAN.encode(),
        "nested/bom.txt": "\ufeffShe stated it.\n".encode(),
        "empty.txt": b"",
        "bad.txt": b"caf\xe9 latin-1 bytes\n",
        "bin.txt": b"\x00\x00\x00\x01\x02 binary",  # NUL-heavy: binary, as unspin batch sees it
        "skip.md": b"not matched by the glob",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return files


def test_repair_file_mirrors_tree_atomically(fake: list[str], tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    files = _corpus(src)
    rows = dist.repair_files_partition(dist.iter_text_files(src), src, dest)
    by_path = {r["path"]: r for r in rows}
    assert sorted(by_path) == sorted(p for p in files if p.endswith(".txt"))
    assert (dest / "a.txt").read_text() == SPUN.replace("stated", "said")
    assert by_path["a.txt"]["status"] == "repaired" and by_path["a.txt"]["repairs"] == 1
    assert (dest / "nested/deeper/b.txt").read_bytes() == CLEAN.encode()  # \r\n kept
    assert (dest / "nested/bom.txt").read_bytes() == "\ufeffShe said it.\n".encode()
    assert (dest / "empty.txt").read_bytes() == b""
    assert "invalid UTF-8" in by_path["bad.txt"]["error"] and by_path["bad.txt"]["status"] == "failed"
    assert "binary" in by_path["bin.txt"]["error"]
    assert not (dest / "bad.txt").exists() and not (dest / "bin.txt").exists()
    assert not list(dest.rglob("*.tmp"))  # no temporary files left behind
    assert {rel: (src / rel).read_bytes() for rel in files} == files  # source untouched


def _recipe():
    spec = importlib.util.spec_from_file_location("dask_recipe", ROOT / "examples" / "dask_recipe.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _read_jsonl(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("part-*.jsonl"))
            for line in f.read_text(encoding="utf-8").splitlines()]


def test_dask_folder_recipe_with_real_engine(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    src, dest = tmp_path / "src", tmp_path / "out"
    files = _corpus(src)
    rc = _recipe().main(["folder", str(src), str(dest), "--workers", "2",
                         "--scheduler", "processes", "--partition-size", "2"])
    assert rc == 1  # two files failed
    report = _read_jsonl(tmp_path / "out-report")
    assert sorted(r["path"] for r in report) == sorted(p for p in files if p.endswith(".txt"))
    status = {r["path"]: r["status"] for r in report}
    assert status["bad.txt"] == status["bin.txt"] == "failed"
    for rel, data in files.items():
        if rel.endswith(".txt") and status[rel] != "failed":
            expected = unspin.analyze(data.decode())
            assert (dest / rel).read_bytes() == expected.text.encode(), rel
            row = next(r for r in report if r["path"] == rel)
            assert row["repairs"] == len(expected.repairs)
            assert row["status"] == ("repaired" if expected.repairs else "clean")
    assert not (dest / "skip.md").exists()
    assert {rel: (src / rel).read_bytes() for rel in files} == files
    err = capsys.readouterr().err
    assert "6 documents:" in err and "2 failed" in err  # skip.md is not a document
    with pytest.raises(SystemExit, match="must not hold one another"):
        _recipe().main(["folder", str(src), str(src / "out"), "--scheduler", "sync"])


def test_dask_jsonl_recipe_with_real_engine(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    texts = [SPUN, CLEAN, "Ordinary honest copy.", "“Quoted,” she stated."]
    lines = [json.dumps({"url": f"u{i}", "body": t}) for i, t in enumerate(texts)]
    lines.insert(2, "{broken")
    (tmp_path / "a.jsonl").write_text("\n".join(lines[:3]) + "\n\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(lines[3:]) + "\n", encoding="utf-8")
    rc = _recipe().main(["jsonl", str(tmp_path / "*.jsonl"), str(tmp_path / "out"),
                         "--text-field", "body", "--id-field", "url", "--workers", "2"])
    assert rc == 1  # the broken line
    out = [r for r in _read_jsonl(tmp_path / "out") if "url" in r]
    assert [r["url"] for r in out] == ["u0", "u1", "u2", "u3"]
    for r, t in zip(out, texts, strict=True):
        assert r["body"] == t  # the original column is kept
        assert r["unspin_text"] == unspin.restore(t)
    report = _read_jsonl(tmp_path / "out-report")
    assert len(report) == 5
    assert [r["id"] for r in report] == ["u0", "u1", None, "u2", "u3"]
    assert report[2]["status"] == "failed" and "invalid JSON" in report[2]["error"]
    assert "a.jsonl" in report[2]["error"] and "'{broken'" in report[2]["error"]  # where, and which


def test_dask_recipe_carries_repairs_into_outputs(fake: list[str], tmp_path: Path) -> None:
    """With the threads scheduler the fake engine is in effect: repairs reach the output files."""
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    src = tmp_path / "src"
    _corpus(src)
    _recipe().main(["folder", str(src), str(tmp_path / "out"), "--scheduler", "threads"])
    assert (tmp_path / "out" / "a.txt").read_text() == SPUN.replace("stated", "said")
    rows = {r["path"]: r for r in _read_jsonl(tmp_path / "out-report")}
    assert rows["a.txt"]["repairs"] == 1 and rows["nested/deeper/b.txt"]["status"] == "clean"


# --- found by a QA pass (session 12) ---


@pytest.mark.parametrize("where", ["same folder", "DEST contains SRC"])
def test_repair_file_never_writes_over_its_source(fake: list[str], tmp_path: Path, where: str) -> None:
    src = tmp_path / "in"
    files = _corpus(src)
    dest = src if where == "same folder" else tmp_path
    with pytest.raises(ValueError, match="must not be src_root or contain it"):
        dist.repair_file(src / "a.txt", src, dest)
    with pytest.raises(ValueError, match="must not be src_root or contain it"):
        dist.repair_files_partition([src / "a.txt"], src, dest)
    assert {rel: (src / rel).read_bytes() for rel in files} == files


def test_repair_file_output_takes_the_source_mode_minus_the_umask(fake: list[str], tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _corpus(src)
    (src / "a.txt").chmod(0o664)
    old = os.umask(0o022)
    try:
        assert dist.repair_file(src / "a.txt", src, dest)["status"] == "repaired"
    finally:
        os.umask(old)
    assert (dest / "a.txt").stat().st_mode & 0o777 == 0o644  # not 0o600 (a bare temporary file)


def test_a_path_outside_src_root_fails_alone(fake: list[str], tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _corpus(src)
    stray = tmp_path / "stray.txt"
    stray.write_text("He stated it.")
    rows = dist.repair_files_partition([src / "a.txt", stray, src / "empty.txt"], src, dest)
    assert [r["status"] for r in rows] == ["repaired", "failed", "clean"]
    assert "not under src_root" in rows[1]["error"]
    assert not (dest / "stray.txt").exists()


def test_big_file_comes_out_as_unspin_batch_writes_it(tmp_path: Path) -> None:
    """repair_file streams as batch does (blocks of 1 MiB judged on their own): same bytes."""
    from click.testing import CliRunner

    from unspin.cli import cli

    src = tmp_path / "src"
    src.mkdir()
    honest = "Ordinary honest copy about the weather and the markets, written plainly.\n\n"
    # a long honest stretch, then a long spun one: the whole file and its blocks are judged apart
    (src / "big.txt").write_text(honest * 30000 + (SPUN + "\n\n") * 5000, encoding="utf-8")
    assert (src / "big.txt").stat().st_size > 2 * 1024 * 1024
    row = dist.repair_file(src / "big.txt", src, tmp_path / "d1")
    r = CliRunner().invoke(cli, ["batch", str(src), str(tmp_path / "d2"), "-j", "1", "--quiet"])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "d1" / "big.txt").read_bytes() == (tmp_path / "d2" / "big.txt").read_bytes()
    assert row["status"] in ("repaired", "clean")


def test_records_that_are_not_mappings_fail_alone(fake: list[str]) -> None:
    class Row(tuple):  # what Spark hands to mapPartitions: a tuple with asDict()
        def asDict(self) -> dict:  # Spark's name
            return {"id": self[0], "text": self[1]}

    Plain = collections.namedtuple("Plain", "id text")
    out = dist.repair_partition([Row(("r1", "He stated it.")), Plain("p", "He stated it."), None,
                                 "text", {"id": "ok", "text": "He stated it."}])
    assert out[0]["unspin_text"] == "He said it." and out[0]["id"] == "r1"
    assert [o["unspin_status"] for o in out] == ["repaired", "failed", "failed", "failed", "repaired"]
    assert "must be a mapping" in out[1]["unspin_error"] and "asDict" in out[1]["unspin_error"]
    with pytest.raises(TypeError, match="must be a mapping"):
        dist.repair_text_record(None, on_error="raise")
    with pytest.raises(ValueError, match="on_error"):
        dist.repair_text_record({"text": "x"}, on_error="bogus")


def test_dask_jsonl_recipe_survives_a_lone_surrogate_and_refuses_old_parts(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    (tmp_path / "x.jsonl").write_text('{"id": "s", "text": "She stated \\ud800 it."}\n'
                                      '{"id": "ok", "text": "Fine."}\n', encoding="utf-8")
    out = tmp_path / "out"
    args = ["jsonl", str(tmp_path / "x.jsonl"), str(out), "--scheduler", "sync"]
    assert _recipe().main(args) == 0
    rows = {r["id"]: r for r in _read_jsonl(out)}
    assert rows["s"]["unspin_status"] == rows["ok"]["unspin_status"] == "clean"
    assert rows["s"]["text"] == "She stated \ud800 it."
    with pytest.raises(SystemExit, match="earlier run"):
        _recipe().main(args)


def test_dask_jsonl_recipe_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    (tmp_path / "b.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "b", "text": "Fine."}\n')
    out = tmp_path / "out"
    assert _recipe().main(["jsonl", str(tmp_path / "b.jsonl"), str(out), "--scheduler", "sync"]) == 0
    assert [r["id"] for r in _read_jsonl(out)] == ["b"]


# --- found by a QA pass (session 14) ---


def test_iter_text_files_finds_what_batch_finds(tmp_path: Path) -> None:
    """The same --glob rules as ``unspin batch``, and names that are not files are not dropped."""
    src = tmp_path / "src"
    for rel in ("sub/a.txt", "x/sub/a.txt", "b.txt", "c.md"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("He said it.\n")
    (src / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(src / "pipe.txt")

    def rel(paths):
        return sorted(p.relative_to(src).as_posix() for p in paths)

    assert rel(dist.iter_text_files(src, "sub/*.txt")) == ["sub/a.txt"]
    assert rel(dist.iter_text_files(src, "**/sub/*.txt")) == ["sub/a.txt", "x/sub/a.txt"]
    found = rel(dist.iter_text_files(src))
    assert found == ["b.txt", "gone.txt", "pipe.txt", "sub/a.txt", "x/sub/a.txt"]
    rows = {r["path"]: r for r in dist.repair_files_partition(
        [src / "gone.txt", src / "pipe.txt"], src, tmp_path / "dest")}
    assert rows["gone.txt"]["status"] == "failed" and rows["gone.txt"]["error"] == "broken symbolic link"
    assert rows["pipe.txt"]["status"] == "failed" and rows["pipe.txt"]["error"] == "not a regular file"


@pytest.mark.parametrize(
    "args",
    [["--partition-size", "0"], ["--partition-size", "-3"], ["--workers", "0"]],
    ids=lambda a: " ".join(a),
)
def test_dask_recipe_rejects_sizes_below_one(tmp_path: Path, args: list[str],
                                             capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "src"
    _corpus(src)
    with pytest.raises(SystemExit) as exc:
        _recipe().main(["folder", str(src), str(tmp_path / "out"), *args])
    assert exc.value.code == 2 and "at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("size", ["0", "abc", "-5"])
def test_dask_recipe_rejects_a_bad_blocksize(tmp_path: Path, size: str,
                                             capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    with pytest.raises(SystemExit) as exc:
        _recipe().main(["jsonl", str(tmp_path / "*.jsonl"), str(tmp_path / "out"),
                        "--blocksize", size])
    assert exc.value.code == 2 and "64MiB" in capsys.readouterr().err


def test_dask_recipe_keeps_its_report_and_outputs_out_of_the_sources(tmp_path: Path) -> None:
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    src = tmp_path / "par" / "src"
    files = _corpus(src)
    recipe = _recipe()
    with pytest.raises(SystemExit, match="must not hold one another"):
        recipe.main(["folder", str(src), str(tmp_path / "par"), "--scheduler", "sync"])
    for report in (src / "rep", tmp_path / "out" / "rep"):
        with pytest.raises(SystemExit, match="must not be inside"):
            recipe.main(["folder", str(src), str(tmp_path / "out"), "--report", str(report),
                         "--scheduler", "sync"])
    assert {rel: (src / rel).read_bytes() for rel in files} == files
    assert not (src / "rep").exists()


# --- found by a QA pass (session 15) ---


def test_a_deeply_nested_json_line_fails_alone() -> None:
    rec = dist.load_json_record('{"id": 2, "text": ' + "[" * 100_000 + "]" * 100_000 + "}")
    row = dist.repair_text_record(rec)
    assert "nested too deeply" in row[dist.ERROR_FIELD]


def test_dask_jsonl_parts_of_empty_partitions_are_empty_files(tmp_path: Path) -> None:
    """Every part file the recipe writes is valid JSON Lines, also for a partition without
    records (Dask's last_endline wrote a lone newline there, which readers reject)."""
    pytest.importorskip("dask.bag", reason="Dask not installed: pip install 'unspin[dask]'")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": 1, "text": "Fine."}\n', encoding="utf-8")
    (tmp_path / "in" / "b.jsonl").write_text("\n\n", encoding="utf-8")
    out = tmp_path / "out"
    assert _recipe().main(["jsonl", str(tmp_path / "in" / "*.jsonl"), str(out),
                           "--scheduler", "sync"]) == 0
    for folder in (out, tmp_path / "out-report"):
        parts = sorted(folder.glob("part-*.jsonl"))
        assert len(parts) == 2
        texts = [p.read_text(encoding="utf-8") for p in parts]
        assert texts[1] == ""
        for t in texts:  # each line a JSON object, each line ended
            assert all(json.loads(line) for line in t.splitlines())
            assert t == "" or t.endswith("}\n")
