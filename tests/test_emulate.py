"""The spinner emulator (``unspin.emulate``) and the thesaurus builders (``benchmarks/thesaurus.py``).

Texts and thesauri are written here; nothing comes from the corpus. Besides the behaviours one by
one, a slow reference spinner (one regex scan per group, in search order, as a WordPress plugin
does it) is compared with the one-pass implementation on random texts.
"""

from __future__ import annotations

import importlib.util
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from unspin.emulate import (
    Thesaurus,
    ThesaurusError,
    load_thesaurus,
    parse_thesaurus,
    quoted_spans,
    spin,
    spin_detailed,
)

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

GROUPS = """\
# a small thesaurus in the spinner's format
war|warfare|conflict
said|stated|mentioned
would|could
could|might
the war|the warfare
since the|because the|for the reason that
according to|based on|in line with
press|media
Associated Press|Related Press
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


thes = _load(ROOT / "benchmarks" / "thesaurus.py", "bench_thesaurus")


@pytest.fixture(scope="module")
def th() -> Thesaurus:
    return parse_thesaurus(GROUPS, "groups.txt")


def outcomes(text: str, t: Thesaurus, n: int = 60, **kw: object) -> Counter[str]:
    return Counter(spin(text, t, seed=s, **kw) for s in range(n))


# --- order and protection ---


def test_search_order_is_multiword_first_then_file_order(th: Thesaurus) -> None:
    heads = [th.groups[i][0] for i in th.search_order]
    assert heads[:4] == ["the war", "since the", "according to", "Associated Press"]
    assert heads[4:] == ["war", "said", "would", "could", "press"]


def test_multiword_group_wins_over_a_single_word_group_listed_before_it(th: Thesaurus) -> None:
    # "war" is the first group of the file, but "the war" is multi-word, so it is searched first
    # and protects its span: "the conflict" (war -> conflict inside "the war") never happens.
    seen = outcomes("After the war ended.", th)
    assert set(seen) == {"After the war ended.", "After the warfare ended."}
    assert all(s.substitutions[0].group == 4 for s in
               (spin_detailed("After the war ended.", th, seed=k) for k in range(10)))
    # a lone "war" is the single-word group's
    assert set(outcomes("A war ended.", th)) == {"A war ended.", "A warfare ended.", "A conflict ended."}


@pytest.mark.parametrize("order, expected", [
    ("new york|big apple\nyork times|york paper", {"in new york times", "in big apple times"}),
    ("york times|york paper\nnew york|big apple", {"in new york times", "in new york paper"}),
])
def test_overlapping_groups_of_one_kind_go_in_file_order(order: str, expected: set[str]) -> None:
    t = parse_thesaurus(order)
    assert set(outcomes("in new york times", t)) == expected


def test_head_is_a_member_and_choices_are_uniform(th: Thesaurus) -> None:
    res = spin_detailed(" ".join(["said"] * 300), th, seed=7)
    counts = Counter(s.replacement for s in res.substitutions)
    assert set(counts) == {"said", "stated", "mentioned"}
    assert all(60 <= c <= 140 for c in counts.values()), counts  # expected 100 each
    assert res.changed == 300 - counts["said"]


def test_replaced_spans_are_protected_no_chains(th: Thesaurus) -> None:
    # would -> could happens before the "could" group runs; a chain would give "might"
    seen = outcomes("It would rain and it could snow.", th, n=80)
    assert all("might rain" not in s for s in seen)
    assert any("could rain" in s for s in seen) and any("might snow" in s for s in seen)


def test_no_chain_within_one_group() -> None:
    t = parse_thesaurus("big|big big")  # a member containing the head is not searched again
    for s in range(20):
        assert spin("a big dog", t, seed=s) in ("a big dog", "a big big dog")


# --- word boundaries and letter case ---


def test_word_boundaries(th: Thesaurus) -> None:
    text = "unsaid saidx said_x said2 said, (said) said-so warfare"
    res = spin_detailed(text, th, seed=0)
    assert [s.start for s in res.substitutions] == [
        text.index("said,"), text.index("said)"), text.index("said-so")]
    assert {s.found for s in res.substitutions} == {"said"}
    # a head that starts with punctuation needs a non-word character before it too
    t = parse_thesaurus("$5|five dollars")
    text = "US$5 or $5 or $50 or ($5)"
    assert [s.start for s in spin_detailed(text, t).substitutions] == [8, 22]


def test_capitalised_heads_carry_the_case(th: Thesaurus) -> None:
    seen = set(outcomes("Said the man. According To them. According to him.", th, n=80))
    firsts = {s.split(" ")[0] for s in seen}
    assert firsts == {"Said", "Stated", "Mentioned"}
    assert any("Based On them. In line with him." in s for s in seen)
    assert all("based On" not in s and "Based on them" not in s for s in seen)
    assert all(s.endswith(("According to him.", "Based on him.", "In line with him.")) for s in seen)


def test_upper_case_and_mixed_case_are_not_matched(th: Thesaurus) -> None:
    assert spin_detailed("SAID sAid ACCORDING TO", th, seed=0).substitutions == ()


def test_head_with_capitals_matches_only_as_written(th: Thesaurus) -> None:
    res = spin_detailed("the Associated Press and the associated press", th, seed=0)
    spans = [(s.found, s.group) for s in res.substitutions]
    assert ("Associated Press", 8) in spans
    assert ("press", 7) in spans and len(spans) == 2  # lower case: only the "press" group


def test_title_case_heads_spin_names(th: Thesaurus) -> None:
    seen = outcomes("The Press Office", th)
    assert set(seen) == {"The Press Office", "The Media Office"}


# --- quotes ---


def test_quoted_spans() -> None:
    text = 'a "b c" d “e f” g "open quote\nnext line'
    spans = [text[s:e] for s, e in quoted_spans(text)]
    assert spans == ['"b c"', "“e f”", '"open quote']


@pytest.mark.parametrize("protect", [True, False])
def test_quote_protection_on_and_off(th: Thesaurus, protect: bool) -> None:
    text = 'He said "we said it" and “they said so”, and "said on\nsaid again.'
    res = spin_detailed(text, th, seed=0, protect_quotes=protect)
    starts = [s.start for s in res.substitutions]
    inside = [m.start() for m in re.finditer("said", text) if any(a <= m.start() < b for a, b in quoted_spans(text))]
    outside = [m.start() for m in re.finditer("said", text) if m.start() not in inside]
    assert len(inside) == 3 and len(outside) == 2
    assert starts == (outside if protect else sorted(inside + outside))


# --- determinism and passthrough ---


def test_same_seed_same_output_and_seeds_differ(th: Thesaurus) -> None:
    text = "Since the war, officials said the press would report it. " * 5
    assert spin(text, th, seed=42) == spin(text, th, seed=42)
    assert spin(text, th, seed=random.Random(3)) == spin(text, th, seed=3)
    assert len({spin(text, th, seed=s) for s in range(10)}) > 5


def test_untouched_text_passes_byte_for_byte(th: Thesaurus) -> None:
    text = "\ufeffLine one\r\nthe war\u200b said\x00 \tand\u202e since the  end\rwith out\n\n"
    res = spin_detailed(text, th, seed=1)
    assert res.substitutions, "the text has heads to spin"
    pos, rebuilt = 0, []
    for s in res.substitutions:
        assert text[s.start:s.end] == s.found
        rebuilt += [text[pos:s.start], s.replacement]
        pos = s.end
    rebuilt.append(text[pos:])
    assert "".join(rebuilt) == res.text
    # undoing the replacements gives the input back exactly
    undone, shift = res.text, 0
    for s in res.substitutions:
        a = s.start + shift
        undone = undone[:a] + s.found + undone[a + len(s.replacement):]
        shift += len(s.replacement) - len(s.found)
    assert undone == text
    honest = "Nothing here\r\nmatches\u00a0any head.\n"
    assert spin(honest, th, seed=0) == honest


def test_bytes_input_is_refused(th: Thesaurus) -> None:
    with pytest.raises(TypeError):
        spin(b"said", th)  # type: ignore[arg-type]


# --- the one-pass implementation equals a sequential spinner ---


def reference_spin(text: str, t: Thesaurus, seed: int, protect_quotes: bool = False) -> str:
    """A spinner as a plugin writes it: one regex scan per group, in search order."""
    rng = random.Random(seed)
    taken = [False] * len(text)
    if protect_quotes:
        for a, b in quoted_spans(text):
            taken[a:b] = [True] * (b - a)
    reps: list[tuple[int, int, str]] = []
    for gi in t.search_order:
        group = t.groups[gi]
        head = group[0]
        forms = {head: 0}
        forms.setdefault(head[:1].upper() + head[1:], 1)
        forms.setdefault(" ".join(w[:1].upper() + w[1:] for w in head.split(" ")), 2)
        pat = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(f) for f in forms) + r")(?!\w)")
        pos = 0
        while (m := pat.search(text, pos)) is not None:
            if any(taken[m.start():m.end()]):
                pos = m.start() + 1
                continue
            taken[m.start():m.end()] = [True] * (m.end() - m.start())
            member = rng.choice(group)
            kind = forms[m.group()]
            if kind == 1:
                member = member[:1].upper() + member[1:]
            elif kind == 2:
                member = " ".join(w[:1].upper() + w[1:] for w in member.split(" "))
            reps.append((m.start(), m.end(), member))
            pos = m.end()
    out, pos = [], 0
    for a, b, r in sorted(reps):
        out += [text[pos:a], r]
        pos = b
    return "".join(out) + text[pos:]


def test_one_pass_equals_sequential_reference() -> None:
    t = parse_thesaurus(GROUPS + "that that|this that\nnew york|big apple\nyork times|york paper\n"
                        "e-mail|email\n1000's|thousands\n$5|five dollars\n")
    vocab = ["said", "Said", "the war", "The War", "war", "since the", "Since the", "according to",
             "According To", "would", "could", "press", "Associated Press", "that", "that that",
             "new york", "york times", "e-mail", "1000's", "x", "unsaid", "said_", "-", ",", '"',
             "“", "”", "\n", "the", "warfare", "York Times", "New York", "$5", "US$5", "$50"]
    rnd = random.Random(123)
    for i in range(300):
        seps = [" ", " ", "", "\n", ", "]
        text = "".join(rnd.choice(vocab) + rnd.choice(seps) for _ in range(rnd.randint(0, 25)))
        for protect in (False, True):
            assert spin(text, t, seed=i, protect_quotes=protect) == reference_spin(text, t, i, protect), text


def test_a_megabyte_is_handled(th: Thesaurus) -> None:
    text = "Since the war began, officials said the press would say more. " * 16000  # ~1 MB
    res = spin_detailed(text, th, seed=0)
    assert len(res.substitutions) == 16000 * 4
    assert res.text.count("\n") == 0 and len(res.text) > 900_000


# --- loader ---


@pytest.mark.parametrize("content, line, message", [
    ("said|stated\nwar\n", 2, "needs a head and at least one alternative"),
    ("said|stated\n\n# c\nwar||conflict\n", 4, "member 2 is empty"),
    ("|stated\n", 1, "head is empty"),
    ("said| stated\n", 1, "single spaces"),
    ("according  to|based on\n", 1, "single spaces"),
    ("said|stated|said\n", 1, "'said' repeats member 1"),
    ("said|sta\tted\n", 1, "tab or control"),
    ("said|--\n", 1, "no word character"),
])
def test_loader_errors_name_file_and_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    p = tmp_path / "bad.groups"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(ThesaurusError) as e:
        load_thesaurus(p)
    assert str(e.value).startswith(f"{p}:{line}: ")
    assert message in str(e.value)
    assert (e.value.path, e.value.line) == (str(p), line)


def test_loader_reports_invalid_utf8_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.groups"
    p.write_bytes(b"said|stated\nwar|warf\xe4re\n")
    with pytest.raises(ThesaurusError, match=r":2: not valid UTF-8"):
        load_thesaurus(p)


def test_loader_accepts_comments_blank_lines_crlf_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "ok.groups"
    p.write_bytes("\ufeff# comment\r\nsaid|stated\r\n\r\nthe war|the warfare\r\n".encode())
    t = load_thesaurus(p)
    assert t.groups == (("said", "stated"), ("the war", "the warfare"))
    assert (len(t), t.multiword) == (2, 1)
    assert Thesaurus.from_groups([["said", "stated"], ["the war", "the warfare"]]).groups == t.groups


# --- command line ---


def _cli(args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "unspin.emulate", *args], input=data,
                          capture_output=True, env=env, timeout=60, check=False)


def test_cli_round_trip(tmp_path: Path, th: Thesaurus) -> None:
    groups = tmp_path / "t.groups"
    groups.write_text(GROUPS, encoding="utf-8")
    text = 'Since the war, he said "the press would know".\r\nAccording To the Associated Press.\r\n'
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode())
    for seed in (0, 5):
        p = _cli(["--thesaurus", str(groups), "--seed", str(seed)], text.encode())
        assert p.returncode == 0, p.stderr
        assert p.stdout.decode() == spin(text, th, seed=seed)
    p = _cli(["--thesaurus", str(groups), "--seed", "5", "--protect-quotes", str(src)], b"")
    assert p.returncode == 0
    assert p.stdout.decode() == spin(text, th, seed=5, protect_quotes=True)
    assert '"the press would know"' in p.stdout.decode() and b"\r\n" in p.stdout


def test_cli_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.groups"
    bad.write_text("said|stated\nwar\n", encoding="utf-8")
    p = _cli(["--thesaurus", str(bad)], b"said")
    assert p.returncode == 2 and f"{bad}:2:".encode() in p.stderr and p.stdout == b""
    good = tmp_path / "good.groups"
    good.write_text("said|stated\n", encoding="utf-8")
    p = _cli(["--thesaurus", str(good)], b"\xff\xfe said")
    assert p.returncode == 2 and b"not valid UTF-8" in p.stderr


# --- thesaurus builders ---

FAKE_LICENCE = "  1 This software and database is being provided to you, the LICENSEE, by\n"
# synset lines in WordNet's data-file format: offset lex_filenum ss_type w_cnt (word lex_id)* p_cnt ...
FAKE_VERB = FAKE_LICENCE + "\n".join([
    "00000001 32 v 03 say 0 state 0 tell 0 000 | express in words",
    "00000002 32 v 02 give_up 0 abandon 0 000 | stop maintaining",
    "00000003 32 v 02 be 0 exist 0 000 | have an existence",
    "00000004 32 v 02 carry 0 bear 0 000 | move while supporting",
]) + "\n"
FAKE_NOUN = FAKE_LICENCE + "\n".join([
    "00000010 05 n 02 child 0 kid 0 000 | a young person",
    "00000011 05 n 02 city 0 metropolis 0 000 | a large town",
    "00000012 05 n 03 current_of_air 0 wind 0 Boreas 0 000 | air moving",
    "00000013 05 n 02 in 0 inch 0 000 | a unit of length",
]) + "\n"
FAKE_ADJ = FAKE_LICENCE + "00000020 00 s 02 big(a) 0 large 0 000 | above average in size\n"


@pytest.fixture()
def fake_wordnet(tmp_path: Path) -> Path:
    d = tmp_path / "wordnet"
    d.mkdir()
    (d / "data.verb").write_text(FAKE_VERB, encoding="utf-8")
    (d / "data.noun").write_text(FAKE_NOUN, encoding="utf-8")
    (d / "data.adj").write_text(FAKE_ADJ, encoding="utf-8")
    (d / "verb.exc").write_text("said say\ntold tell\ngave_up give_up\ngiven_up give_up\n"
                                "bore bear\nborne bear\n", encoding="utf-8")
    (d / "noun.exc").write_text("children child\n", encoding="utf-8")
    return d


def test_wordnet_groups_from_data_files(fake_wordnet: Path) -> None:
    groups = {g[0]: g for g in thes.wordnet_groups(thes.read_wordnet(fake_wordnet))}
    assert groups["say"] == ["say", "state", "tell"]
    assert groups["state"] == ["state", "say", "tell"]
    assert groups["said"] == ["said", "stated", "told"]  # irregular head and member, from verb.exc
    assert groups["says"] == ["says", "states", "tells"]
    assert groups["saying"] == ["saying", "stating", "telling"]
    assert groups["give up"] == ["give up", "abandon"]  # multi-word lemma, '_' -> ' '
    assert groups["gave up"] == ["gave up", "abandoned"]
    assert groups["given up"] == ["given up", "abandoned"]
    assert groups["bore"] == ["bore", "carried"] and groups["borne"] == ["borne", "carried"]
    assert groups["carried"] == ["carried", "bore"]  # the past form before the participle
    assert groups["children"] == ["children", "kids"] and groups["kids"] == ["kids", "children"]
    assert groups["cities"] == ["cities", "metropolises"]
    assert groups["currents of air"] == ["currents of air", "winds"]
    assert groups["big"] == ["big", "large"]  # adjective marker "(a)" stripped
    assert "Boreas" not in groups and all("Boreas" not in g for g in groups.values())
    assert "be" not in groups and "in" not in groups and "inch" not in groups  # function words
    assert "exist" not in groups  # its only synonym is a function word
    # the file round trip is a valid thesaurus
    out = fake_wordnet / "out.groups"
    n = thes.write_groups(groups.values(), out)
    assert len(load_thesaurus(out)) == n == len(groups)


def test_wordnet_max_alts_and_no_inflection(fake_wordnet: Path) -> None:
    wn = thes.read_wordnet(fake_wordnet)
    groups = {g[0]: g for g in thes.wordnet_groups(wn, max_alts=1, inflect=False)}
    assert groups["say"] == ["say", "state"]
    assert "said" not in groups and "children" not in groups


def test_inflection_rules() -> None:
    assert [thes._third(w) for w in ("say", "carry", "push", "go")] == ["says", "carries", "pushes", "goes"]
    assert [thes._ing(w) for w in ("make", "die", "see", "say")] == ["making", "dying", "seeing", "saying"]
    assert [thes._past(w) for w in ("state", "carry", "play", "jump")] == ["stated", "carried", "played", "jumped"]
    assert thes._plural("city") == "cities" and thes._plural("box") == "boxes" and thes._plural("day") == "days"


def test_table_groups_are_the_table_run_forward() -> None:
    from unspin.table import default_table

    rules = default_table()
    groups = thes.table_groups()
    pairs = {(g[0], s) for g in groups for s in g[1:]}
    assert pairs == {(r.original, r.spun) for r in rules if r.original != r.spun}
    assert len({g[0] for g in groups}) == len(groups)  # one group per original
    heads = [g[0] for g in groups]
    assert "said" in heads and "stated" in {g[0]: g for g in groups}["said"]


# --- synthetic.py on a tiny corpus ---


def test_synthetic_benchmark_on_a_tiny_corpus(tmp_path: Path) -> None:
    syn = _load(ROOT / "benchmarks" / "synthetic.py", "bench_synthetic")
    corpus = tmp_path / "corpus"
    (corpus / "clean").mkdir(parents=True)
    (corpus / "clean" / "002_a.txt").write_text("Officials said the war would end.\n", encoding="utf-8")
    (corpus / "clean" / "004_b.txt").write_text('He said "the war" was over.\n', encoding="utf-8")
    t = parse_thesaurus("said|stated|mentioned\nwar|warfare\n")
    articles = syn.quality.find_clean(corpus, "holdout")
    index = syn.quality.TableIndex()

    def identity(text: str) -> tuple[str, tuple[()]]:  # restores nothing
        return text, ()

    s = syn.run(t, articles, corpus, [0, 1, 2, 3], "protect", identity, index, [])
    p = s["pairs"]
    assert p["docs"] == 8 and p["gold_edits"] > 0
    assert p["error_reduction"] == 0.0 and p["sys_edits"] == 0
    assert s["coverage"]["gold_edits"] == p["gold_edits"] and s["coverage"]["spun_form_has_row"] == 0
    assert set(s["per_seed"]) == {"0", "1", "2", "3"}
    assert syn.protect_for("clean/002_a.txt", "alternate") and not syn.protect_for("clean/003_a.txt", "alternate")
