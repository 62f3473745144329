"""Smoke tests of the benchmark scripts' metric functions, on small hand-written pairs.

They check that benchmarks/quality.py computes exactly what the official scorer computes, that
the splits, per-family attribution and miss breakdown are right, and that benchmarks/speed.py's
helpers and sections work (with a fake ``unspin`` command where the real one may not exist yet).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from unspin import Repair, apply_repairs

ROOT = Path(__file__).resolve().parents[1]
SCORER = ROOT.parent / "shared" / "tools" / "score.py"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


quality = _load(ROOT / "benchmarks" / "quality.py", "bench_quality")
speed = _load(ROOT / "benchmarks" / "speed.py", "bench_speed")

ORIG = "The minister said on Monday that the war began in May and 6,000 of its people have fled the city."
SPUN = ("The minister stated on Monday that the warfare began in May and six,000 of its individuals "
        "have fled the town.")


def rule(rid: str, spun: str, original: str) -> SimpleNamespace:
    return SimpleNamespace(id=rid, spun=spun, original=original, family=rid.split(".")[0])


# --- quality.py ---


@pytest.mark.skipif(not SCORER.exists(), reason="shared/tools/score.py not present next to the repo")
def test_tokeniser_and_edits_match_the_official_scorer() -> None:
    score = _load(SCORER, "official_score")
    assert quality.TOK.pattern == score.TOK.pattern
    for text in (SPUN, ORIG, "It’s the U.S. team’s 3.5% win - well-known, 1,000's of fans.", "", "¿Qué?"):
        assert quality.toks(text) == score.toks(text)
    a, b = quality.toks(SPUN), quality.toks(ORIG)
    assert quality.edits(a, b) == score.edits(a, b)


def test_tokens_follow_score_py_rules() -> None:
    assert quality.toks("He’s Stated: six,000!") == ["he's", "stated", ":", "six", ",", "000", "!"]


def test_perfect_restoration_scores_one() -> None:
    d = quality.score_pair("x", SPUN, ORIG, ORIG)
    assert d.err_before > 0 and d.err_after == 0
    assert d.gold == d.made == d.correct > 0
    s = quality.summarise([d], [])
    assert s["pairs"]["error_reduction"] == 1.0
    assert s["pairs"]["edit_precision"] == s["pairs"]["edit_recall"] == 1.0


def test_identity_and_false_edit() -> None:
    same = quality.score_pair("x", SPUN, ORIG, SPUN)
    assert same.made == same.correct == 0 and same.err_after == same.err_before
    # one right fix (stated -> said) and one false edit (fled -> escaped)
    rest = SPUN.replace("stated", "said").replace("fled", "escaped")
    d = quality.score_pair("x", SPUN, ORIG, rest)
    assert (d.made, d.correct) == (2, 1)
    assert d.err_after == d.err_before  # one error fixed, one added
    assert any("fled -> escaped" in line for line in d.false_edits)
    s = quality.summarise([d], [])
    assert s["pairs"]["edit_precision"] == 0.5
    assert s["pairs"]["edit_recall"] == round(1 / d.gold, 3)


def _at(word: str, replacement: str, rid: str) -> Repair:
    i = SPUN.index(word)
    return Repair(i, i + len(word), word, replacement, 0.9, rid)


def test_edits_are_attributed_to_the_family_of_the_repair() -> None:
    reps = [
        _at("stated", "said", "saying.stated"),
        _at("warfare", "war", "war.warfare"),
        _at("individuals", "folk", "everyday.individuals"),  # a wrong fix
    ]
    d = quality.score_pair("x", SPUN, ORIG, apply_repairs(SPUN, reps), reps)
    assert d.fam_made == {"saying": 1, "war": 1, "everyday": 1}
    assert d.fam_correct == {"saying": 1, "war": 1}
    s = quality.summarise([d], [])
    assert s["families"]["everyday"]["precision"] == 0.0
    assert s["families"]["saying"]["precision"] == 1.0
    md = quality.markdown(s, "holdout", "test")
    assert "| saying | 1 | 1 | 1.000 |" in md and "| everyday | 1 | 0 | 0.000 |" in md


def test_multiword_and_insertion_edits_are_attributed() -> None:
    spun, orig = "He left for the reason that it was big.", "He left since it was very big."
    reps = [Repair(8, 27, "for the reason that", "since", 0.9, "function.ftrt"),
            Repair(35, 38, "big", "very big", 0.8, "everyday.big")]
    rest = apply_repairs(spun, reps)
    assert rest == orig
    d = quality.score_pair("x", spun, orig, rest, reps)
    assert d.made == d.correct == 2
    assert d.fam_correct == {"function": 1, "everyday": 1}


def test_repair_outcomes_tell_exact_from_closer() -> None:
    spun, orig = "The wholesome younger runners stated it.", "The healthy young runners said it."
    half = Repair(4, 13, "wholesome", "healthy", 0.95, "everyday.wholesome")  # half of a spun block
    said = Repair(30, 36, "stated", "said", 0.9, "saying.stated")  # a whole gold edit
    wrong = Repair(37, 39, "it", "that", 0.4, "x.it")  # an honest word changed
    assert [o[1:] for o in quality.repair_outcomes(spun, orig, [half, said, wrong])] == [
        (False, True), (True, True), (False, False)]
    assert quality.repair_outcomes(spun, orig, [said])[0][0] == 0.9


def test_decision_ceiling_takes_only_proposals_that_bring_the_text_closer() -> None:
    # the bundled table proposes "stated" -> "said" and "warfare" -> "war", the built-ins
    # "six,000" -> "6,000"; "town" -> "city" is the original here, "individuals" -> "people" not
    spun = SPUN.replace("individuals", "people")
    orig = ORIG
    best = quality.decision_ceiling(spun, orig)
    assert "said" in best and "the war began" in best and "6,000" in best
    # nothing is applied that moves away from the original: an honest text is its own ceiling
    assert quality.decision_ceiling(orig, orig) == orig
    scores = quality.score_pair("x", spun, orig, best)
    assert scores.err_after < scores.err_before and scores.made == scores.correct


def test_missed_edits_are_explained_from_the_table() -> None:
    index = quality.TableIndex.from_rules([
        rule("saying.stated", "stated", "said"),
        rule("everyday.individuals.persons", "individuals", "persons"),
        rule("war.warfare", "warfare", "war"),
    ])
    reps = [_at("warfare", "combat", "war.warfare_combat")]  # a wrong fix
    d = quality.score_pair("x", SPUN, ORIG, apply_repairs(SPUN, reps), reps, index)
    kinds: dict[str, str] = {}
    for line in d.missed_edits:
        kind = line.rsplit("(", 1)[1].rstrip(")")
        kinds[kind] = kinds.get(kind, "") + line + "\n"
    assert "stated -> said" in kinds["covered"]
    assert "individuals -> people" in kinds["spun-known"]
    assert "warfare -> war" in kinds["attempted"]
    assert "town -> city" in kinds["not-in-table"] and "000 -> 6,000" in kinds["not-in-table"]
    assert d.miss_kinds == {"covered": 1, "spun-known": 1, "attempted": 1, "not-in-table": 2}
    assert d.fam_missed == {"saying": 1}
    assert sum(d.miss_kinds.values()) == d.gold - d.correct


def test_clean_text_false_edits_per_1k() -> None:
    text = " ".join(["The committee said it would meet again."] * 25)  # 200 words
    d = quality.score_clean("c", text, text.replace("said", "stated", 1))
    assert (d.words, d.made) == (200, 1)
    assert quality.summarise([], [d])["clean"]["false_edits_per_1k_words"] == 5.0


def test_splits() -> None:
    assert [n for n in range(1, 7) if quality.in_split(n, "tune")] == [1, 3, 5]
    assert [n for n in range(1, 7) if quality.in_split(n, "holdout")] == [2, 4, 6]
    assert [n for n in range(1, 10) if quality.in_split(n, "holdout-q")] == [1, 5, 9]
    with pytest.raises(ValueError):
        quality.in_split(1, "train")


def test_each_build_split_leaves_out_exactly_the_splits_it_holds_out(tmp_path: Path) -> None:
    """What ``python -m unspin.learn build --split S`` learns from and what quality.py scores as
    held out for S never overlap, and together they are the whole corpus."""
    from unspin.learn import clean_training_articles, training_pairs

    root = tmp_path / "c"
    for kind, width, count in (("spun", 3, 12), ("large", 4, 30)):
        for n in range(1, count + 1):
            d = root / kind / f"{n:0{width}d}"
            d.mkdir(parents=True)
            (d / "spun.txt").write_text("Officials stated it.", encoding="utf-8")
            (d / "original.txt").write_text("Officials said it.", encoding="utf-8")
    (root / "clean").mkdir()
    for n in range(1, 13):
        (root / "clean" / f"{n:03d}_x.txt").write_text("Officials said it.", encoding="utf-8")
    every = {f"{kind}/{d.name}" for kind in ("spun", "large") for d in (root / kind).iterdir()}
    for build_split, held in quality.HELD_OUT.items():
        learned = {name for name, _, _ in training_pairs(root, build_split)}
        scored = {p.name for split in held for p in quality.find_pairs(root, split)}
        assert learned and scored and not learned & scored, build_split
        assert learned | scored == every, build_split
        clean_learned = {name for name, _ in clean_training_articles(root, build_split)}
        clean_scored = {f"spun/{f.name[:3]}" for split in held if not split.startswith("large-")
                        for f in quality.find_clean(root, split)}
        assert clean_learned.isdisjoint(clean_scored) and len(clean_learned | clean_scored) == 12
    assert {p.name for p in quality.find_pairs(root, "holdout-q")} == {"spun/001", "spun/005", "spun/009"}
    assert {p.name for p in quality.find_pairs(root, "large-holdout-q")} == {
        "large/0005", "large/0015", "large/0025"}


def make_corpus(root: Path) -> Path:
    """A tiny corpus in the shared layout, hand-written."""
    pairs = {
        "spun/001": ("Officials stated it.", "Officials said it."),
        "spun/002": ("The warfare ended and officials stated so.", "The war ended and officials said so."),
        "spun/003": ("Within the city.", "In the city."),
        "large/0010": ("The agency stated the facts.", "The agency said the facts."),
        "large/0011": ("Not in the holdout stated.", "Not in the holdout said."),
    }
    for d, (s, o) in pairs.items():
        (root / d).mkdir(parents=True)
        (root / d / "spun.txt").write_text(s, encoding="utf-8")
        (root / d / "original.txt").write_text(o, encoding="utf-8")
    (root / "clean").mkdir()
    (root / "clean" / "001_a.txt").write_text("Officials said it.", encoding="utf-8")
    (root / "clean" / "002_b.txt").write_text("The war ended and the stated aim was met.", encoding="utf-8")
    (root / "clean" / "INDEX.tsv").write_text("file\n", encoding="utf-8")
    return root


def test_find_pairs_and_clean_follow_the_split(tmp_path: Path) -> None:
    c = make_corpus(tmp_path)
    assert [p.name for p in quality.find_pairs(c, "holdout")] == ["spun/002"]
    assert [p.name for p in quality.find_pairs(c, "tune")] == ["spun/001", "spun/003"]
    assert len(quality.find_pairs(c, "all")) == 3
    assert [p.name for p in quality.find_pairs(c, "large-holdout")] == ["large/0010"]
    assert [f.name for f in quality.find_clean(c, "holdout")] == ["002_b.txt"]
    assert quality.find_clean(c, "large-holdout") == [c / "large" / "0010" / "original.txt"]


def test_mixed_documents_counts_the_repairs_a_paragraph_keeps_inside_honest_text(tmp_path: Path) -> None:
    root = tmp_path / "c"
    para = " ".join(["Officials stated the plan would work."] * 8)  # 48 words
    for name, spun in (("001", "Intro.\n\n" + para + "\n\nEnd."), ("003", para)):
        (root / "spun" / name).mkdir(parents=True)
        (root / "spun" / name / "spun.txt").write_text(spun, encoding="utf-8")
        (root / "spun" / name / "original.txt").write_text(spun.replace("stated", "said"), encoding="utf-8")
    (root / "clean").mkdir()
    for name in ("001_a.txt", "003_b.txt"):
        (root / "clean" / name).write_text("One.\n\nTwo.\n\nThree stated.", encoding="utf-8")
    seen: list[str] = []

    def restorer(text: str) -> tuple[str, tuple[Repair, ...]]:
        # repairs every "stated", except in the fourth text it is given (the second pair's
        # paragraph inside honest text): that paragraph loses its repairs, the first keeps them
        seen.append(text)
        if len(seen) == 4:
            return text, ()
        reps = tuple(Repair(m, m + 6, "stated", "said", 0.9, "saying.stated.said")
                     for m in range(len(text)) if text.startswith("stated", m))
        return apply_repairs(text, reps), reps

    m = quality.mixed_documents(root, "tune", restorer)
    assert m == {"paragraphs": 2, "repairs_in_own_article": 16, "kept_in_honest_text": 8,
                 "kept_share": 0.5}
    # the paragraph went into the middle of the other pair's honest text, whole
    assert seen[1] == "One.\n\n" + para + "\n\nTwo.\n\nThree stated."


SED = "sed -e 's/stated/said/g' -e 's/warfare/war/g'"


def test_cmd_mode_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    c = make_corpus(tmp_path)
    assert quality.main(["--corpus", str(c), "--split", "all", "--cmd", SED, "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["pairs"]["docs"] == 3 and s["pairs"]["edit_precision"] == 1.0
    assert s["pairs"]["edit_recall"] == 0.75  # "within" -> "in" is not fixed by the sed
    assert s["clean"]["false_edits"] == 1  # "the stated aim" -> "the said aim"
    assert s["families"]["n/a"] == {"made": 3, "correct": 3, "precision": 1.0,
                                    "missed_covered": 0, "clean_false_edits": 1}


@pytest.mark.skipif(not SCORER.exists(), reason="shared/tools/score.py not present next to the repo")
def test_vs_score_agrees_with_the_official_scorer(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    c = make_corpus(tmp_path)
    rc = quality.main(["--corpus", str(c), "--split", "all", "--cmd", SED, "--vs-score", str(SCORER)])
    out = capsys.readouterr().out
    assert rc == 0 and "agreement: yes" in out
    assert "err_spun=4 err_restored=1 error_reduction=0.750" in out


def test_in_process_mode_runs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    c = make_corpus(tmp_path)
    assert quality.main(["--corpus", str(c), "--split", "holdout", "--show"]) == 0
    out = capsys.readouterr().out
    assert "spun/002: words=" in out and "| error reduction |" in out


# --- speed.py ---


def test_corpus_builder_reaches_the_size_and_mixes_paragraphs() -> None:
    paras = [f"Paragraph {i} says something about the news of the day." for i in range(30)]
    docs = speed.build_documents(paras, 0.01, seed=3)
    assert speed.mbytes(docs) >= 0.01
    assert docs == speed.build_documents(paras, 0.01, seed=3)  # deterministic
    assert all(4 <= d.count("\n\n") + 1 <= 12 for d in docs)
    assert speed.prefix_mb(docs, 0.005) == docs[: len(speed.prefix_mb(docs, 0.005))]
    assert speed.mbytes(speed.prefix_mb(docs, 0.005)) >= 0.005
    line = speed.take_mb((d.replace("\n", " ") for d in docs), 0.004, " ")
    assert "\n" not in line and len(line.encode()) >= 4000
    assert len(speed.repeat_to("for the reason that ", 0.001).encode()) >= 1000


def test_growth_verdicts() -> None:
    assert speed.growth(1.0, 1.0, 4.2, 4.0)[1] == "linear"
    g, verdict = speed.growth(1.0, 1.0, 16.0, 4.0)  # quadratic
    assert verdict == "SUPER-LINEAR" and g == 4.0
    assert speed.growth(0.001, 1.0, 0.1, 4.0)[1] == "too fast to judge"


def test_candidate_phrases_are_distinct_and_stable() -> None:
    rules = [rule("b.x", "stated", "said"), rule("a.y", "stated", "told"), rule("c.z", "with out", "without")]
    assert speed.candidate_phrases(rules) == ["stated", "with out"]
    assert speed.candidate_phrases([]) == ["stated"]


def test_restore_worker_reports_time_and_memory(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_text("The officials stated that the talks would continue.\n" * 200, encoding="utf-8")
    r = speed.run_worker(["--_worker-restore", str(f)], timeout=60)
    assert "error" not in r, r
    assert r["mb"] == pytest.approx(f.stat().st_size / 1e6) and r["secs"] >= 0 and r["maxrss_mb"] > 1


FAKE_UNSPIN = """#!/bin/sh
if [ "$1" = batch ]; then
  if [ "$2" = --help ]; then echo "usage: unspin batch SRC DEST -j N --quiet"; exit 0; fi
  cp -r "$2" "$3"; echo "$@" >> "{log}"; exit 0
fi
if [ "$1" = --help ]; then echo usage; exit 0; fi
cat
"""


def test_cli_and_batch_sections_with_a_fake_command(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    exe = tmp_path / "unspin"
    exe.write_text(FAKE_UNSPIN.format(log=log))
    exe.chmod(0o755)
    cli = speed.cli_startup(2, str(exe))
    assert cli["help_secs"] is not None and cli["echo_secs"] is not None and not cli["help_error"]
    assert cli["echo_spun_secs"] is not None and not cli["echo_spun_error"]
    docs = speed.build_documents([f"Paragraph {i} of a story." for i in range(50)], 0.02)
    b = speed.batch_scaling(tmp_path, docs, 0.02, 60, str(exe))
    assert [r["run"] for r in b["runs"]][:2] == ["-j1", f"-j{b['cores']}"]
    assert all("error" not in r and r["mb_s"] > 0 for r in b["runs"]), b
    assert all(r["user_s"] >= 0 and r["sys_s"] >= 0 for r in b["runs"]), b
    assert b["runs"][0]["files"] == len(speed.prefix_mb(docs, 0.02))
    assert b["runs"][2]["files"] == b["runs"][0]["files"] // 4
    calls = log.read_text().splitlines()
    assert len(calls) == 3 and calls[0].endswith("-j 1 --quiet")
    md = speed.markdown({"rules": 1, "cli": cli, "batch": b})
    assert "| -j1 |" in md and "speedup" in md and "user / system" in md


def test_batch_is_skipped_when_the_subcommand_is_missing(tmp_path: Path) -> None:
    exe = tmp_path / "unspin"
    exe.write_text("#!/bin/sh\nexit 2\n")
    exe.chmod(0o755)
    assert speed.batch_scaling(tmp_path, ["x"], 0.001, 10, str(exe)) == {
        "skipped": "`unspin batch` is not available yet"}
    cli = speed.cli_startup(1, str(exe))
    assert cli["help_secs"] is None and cli["help_error"].startswith("exit 2")


def test_speed_script_quick_end_to_end(tmp_path: Path) -> None:
    c = make_corpus(tmp_path)
    cmd = [sys.executable, str(ROOT / "benchmarks" / "speed.py"), "--corpus", str(c), "--json",
           "--only", "throughput", "--size-mb", "0.02", "--quick", "--scan-budget", "0.3"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    t = res["throughput"]
    assert t["corpus_mb"] >= 0.02 and t["restore"]["mb_s"] > 0 and t["tokenise"]["mb_s"] > 0
    for key in ("flashtext", "torture_own", "torture_table"):  # optional baselines (bench extra)
        b = t[key]
        assert ("pip install" in b["error"]) if "error" in b else (b["mb_s"] > 0 and b["secs"] < 2)


coverage = _load(ROOT / "benchmarks" / "coverage.py", "bench_coverage")


def test_coverage_sorts_observed_substitutions_by_what_the_table_knows(tmp_path: Path) -> None:
    pairs = {(("stated",), ("said",)), (("males",), ("men",)), (("communicate",), ("speak",)),
             (("nation",), ("country",))}
    observed = tmp_path / "observed.tsv"
    observed.write_text("original\tspun\tcount\n"
                        "said\tStated\t4\n"            # exact, letter case folded
                        "men speak\tmales communicate\t2\n"  # word by word
                        "the men\tthe males\t1\n"       # word by word, an unchanged word inside
                        "state\tnation\t1\n"            # the spun form has rows, not this one
                        "bird\tfowl\t2\n",              # unknown
                        encoding="utf-8")
    rows = coverage.read_observed(observed)
    assert [coverage.classify(o, s, pairs, {s for s, _ in pairs}) for o, s, _ in rows] == [
        "exact", "word by word", "word by word", "spun form known", "unknown"]
    res = coverage.coverage(rows, pairs)
    assert res["occurrences"] == 10 and res["types"] == 5
    assert res["kinds"]["exact"]["occurrences"] == 4
    assert res["covered_share"] == 0.7
    assert {m["spun"] for m in res["missed"]} == {"nation", "fowl"}


def test_coverage_reads_the_bundled_table() -> None:
    pairs = coverage.table_pairs(coverage.DEFAULT_TABLE)
    assert (("stated",), ("said",)) in pairs and len(pairs) > 2000


@pytest.mark.parametrize(("built", "split", "warned"), [
    ("train", "holdout", False), ("train", "large-holdout", False), ("train", "holdout-q", True),
    ("train-q", "large-holdout-q", False), ("train-q", "holdout", True), ("all", "holdout", True),
    ("all", "tune", False), (None, "holdout", False),
])
def test_warns_when_the_model_learned_from_the_scored_split(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], built: str | None,
    split: str, warned: bool,
) -> None:
    monkeypatch.setattr(quality, "model_split", lambda: built)
    quality.use_build(None, split)
    assert ("not held-out" in capsys.readouterr().err) is warned


def test_hard_wrap_fills_each_line_and_keeps_the_words() -> None:
    text = "Headline of the story\n\n" + " ".join(["word"] * 40) + " well-known end.\nShort line."
    wrapped = quality.hard_wrap(text, 30)
    assert quality.toks(wrapped) == quality.toks(text)  # word-level scores do not see the wrap
    lines = wrapped.split("\n")
    assert lines[:2] == ["Headline of the story", ""] and lines[-1] == "Short line."
    assert all(len(line) <= 30 for line in lines)
    assert "well-known" in wrapped  # no break inside a hyphenated word
    for args in (["--wrap", "72", "--vs-score"], ["--wrap", "0"]):
        with pytest.raises(SystemExit):
            quality.main(args)
