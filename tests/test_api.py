"""The library contract: input types, options, result objects, JSON schema, apply_repairs."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import sys
import textwrap
from collections.abc import Iterator

import pytest

import unspin
from unspin import Analysis, Options, Repair, apply_repairs

# --- public surface ------------------------------------------------------------------------------


def test_public_names() -> None:
    for name in (
        "analyze",
        "restore",
        "apply_repairs",
        "Analysis",
        "Repair",
        "Options",
        "TableError",
        "UnspinError",
        "SCHEMA",
        "DEFAULT_MIN_CONFIDENCE",
    ):
        assert hasattr(unspin, name), name
        assert name in unspin.__all__, name
    assert isinstance(unspin.__version__, str) and unspin.__version__


def test_table_module_surface() -> None:
    from unspin import table

    for name in (
        "parse_table",
        "load_table",
        "default_table",
        "COLUMNS",
        "FAMILIES",
        "GUARDS",
        "Rule",
    ):
        assert hasattr(table, name), name
    assert table.COLUMNS[:3] == ("id", "spun", "original")


def test_table_error_is_a_value_error() -> None:
    assert issubclass(unspin.TableError, unspin.UnspinError)
    assert issubclass(unspin.TableError, ValueError)
    err = unspin.TableError("t.tsv", 7, "boom")
    assert str(err) == "t.tsv:7: boom"
    assert (err.path, err.line, err.message) == ("t.tsv", 7, "boom")


# --- input types ----------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [unspin.analyze, unspin.restore], ids=["analyze", "restore"])
@pytest.mark.parametrize(
    "data",
    [b"He stated it.", bytearray(b"He stated it."), memoryview(b"He stated it.")],
    ids=["bytes", "bytearray", "memoryview"],
)
def test_bytes_input_is_a_helpful_type_error(func, data) -> None:
    with pytest.raises(TypeError) as exc:
        func(data)
    msg = str(exc.value)
    assert "bytes" in msg and "decode" in msg, msg


@pytest.mark.parametrize("func", [unspin.analyze, unspin.restore], ids=["analyze", "restore"])
@pytest.mark.parametrize(
    "value",
    [None, 42, 3.5, ["a list"], ("a",), object()],
    ids=["None", "int", "float", "list", "tuple", "object"],
)
def test_non_str_input_is_a_type_error(func, value) -> None:
    with pytest.raises(TypeError, match="str"):
        func(value)


def test_str_subclass_is_accepted() -> None:
    class Text(str):
        pass

    out = unspin.restore(Text("Plain words."))
    assert out == "Plain words."


@pytest.mark.parametrize("func", [unspin.analyze, unspin.restore], ids=["analyze", "restore"])
def test_empty_string(func) -> None:
    result = func("")
    if func is unspin.analyze:
        assert result.text == "" and result.repairs == ()
        assert 0.0 <= result.spin_score <= 1.0
    else:
        assert result == ""


def test_clean_text_is_returned_unchanged() -> None:
    text = "The council met on Monday and voted 7-2 to approve the budget, the mayor said."
    assert unspin.restore(text) == text
    assert unspin.analyze(text).repairs == ()


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [unspin.analyze, unspin.restore], ids=["analyze", "restore"])
@pytest.mark.parametrize("kw", ["min_confidance", "tables", "disabled", "quote", "mode"])
def test_misspelt_option_is_a_type_error(func, kw) -> None:
    with pytest.raises(TypeError) as exc:
        func("text", **{kw: 1})
    msg = str(exc.value)
    assert kw in msg, msg
    assert "min_confidence" in msg, "the message should list the valid options"


@pytest.mark.parametrize(
    ("kw", "value"),
    [
        ("min_confidence", 2),
        ("min_confidence", -0.1),
        ("min_confidence", 1.0001),
        ("min_confidence", float("nan")),
        ("min_confidence", "0.5"),
        ("min_confidence", True),
        ("min_confidence", None),
        ("quotes", "x"),
        ("quotes", "PROTECT"),
        ("quotes", None),
        ("use_document_model", "no"),
        ("use_document_model", 0),
        ("use_document_model", None),
    ],
    ids=lambda v: repr(v),
)
def test_bad_option_value_is_a_value_error(kw, value) -> None:
    with pytest.raises(ValueError, match=kw):
        unspin.analyze("text", **{kw: value})
    with pytest.raises(ValueError, match=kw):
        Options(**{kw: value})


@pytest.mark.parametrize(
    ("kw", "value", "error"),
    [
        ("table", "", ValueError),
        ("table", 5, TypeError),
        ("table", b"t.tsv", TypeError),
        ("extra_tables", [""], ValueError),
        ("extra_tables", 5, TypeError),
        ("extra_tables", [None], TypeError),
        ("extra_tables", b"t.tsv", TypeError),
    ],
    ids=lambda v: repr(v),
)
def test_bad_table_option_is_refused_up_front(kw, value, error) -> None:
    with pytest.raises(error, match=kw):
        Options(**{kw: value})
    with pytest.raises(error, match=kw):
        unspin.analyze("He stated it.", **{kw: value})


@pytest.mark.parametrize("options", [0.7, {"min_confidence": 0.7}, "protect"], ids=repr)
def test_options_given_positionally_but_not_as_options_is_a_type_error(options) -> None:
    with pytest.raises(TypeError, match="min_confidence=0.7"):
        unspin.restore("He stated it.", options)


def test_apply_repairs_to_bytes_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str"):
        unspin.apply_repairs(b"He stated it.", [])


@pytest.mark.parametrize("value", [0, 0.0, 0.5, 1, 1.0])
def test_min_confidence_bounds_are_accepted(value) -> None:
    assert Options(min_confidence=value).min_confidence == value
    unspin.analyze("text", min_confidence=value)


@pytest.mark.parametrize("quotes", ["auto", "repair", "protect"])
def test_quote_policies_are_accepted(quotes) -> None:
    assert unspin.restore('He said: "fine."', quotes=quotes) == 'He said: "fine."'


def test_options_defaults() -> None:
    o = Options()
    assert o.min_confidence == unspin.DEFAULT_MIN_CONFIDENCE
    assert 0.0 < unspin.DEFAULT_MIN_CONFIDENCE < 1.0
    assert o.table is None and o.extra_tables == () and o.disable == frozenset()
    assert o.quotes == "auto" and o.use_document_model is True


def test_options_are_immutable_and_hashable() -> None:
    o = Options(min_confidence=0.7, disable=["saying", "war.warfare.war"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.min_confidence = 0.1  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        o.new_attribute = 1  # type: ignore[attr-defined]
    assert isinstance(o.disable, frozenset)
    assert hash(o) == hash(Options(min_confidence=0.7, disable=("war.warfare.war", "saying")))


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Options(0.7)  # type: ignore[misc]


def test_options_normalise_single_values() -> None:
    assert Options(disable="saying").disable == frozenset({"saying"})
    assert Options(extra_tables="extra.tsv").extra_tables == ("extra.tsv",)
    assert Options(extra_tables=["a.tsv", "b.tsv"]).extra_tables == ("a.tsv", "b.tsv")


def test_options_object_and_overrides_combine() -> None:
    base = Options(min_confidence=0.9, quotes="protect")
    from unspin.options import make_options

    merged = make_options(base, min_confidence=0.6)
    assert merged.min_confidence == 0.6 and merged.quotes == "protect"
    assert base.min_confidence == 0.9, "the base options must not be mutated"
    assert make_options(base) is base
    # analyze accepts both forms
    unspin.analyze("text", base, min_confidence=0.6)
    with pytest.raises(TypeError):
        unspin.analyze("text", base, min_confidance=0.6)


def test_missing_table_file_is_a_table_error(tmp_path, require_engine) -> None:
    missing = tmp_path / "nope.tsv"
    with pytest.raises(unspin.TableError) as exc:
        unspin.analyze("He stated it.", table=missing)
    assert str(exc.value).startswith(f"{missing}:")


# --- results and JSON -----------------------------------------------------------------------------

REPAIR_KEYS = {"start", "end", "found", "replacement", "confidence", "rule"}


def test_repair_to_dict_keys_and_types() -> None:
    r = Repair(3, 9, "stated", "said", 0.912345678, "saying.stated.said")
    d = r.to_dict()
    assert set(d) == REPAIR_KEYS
    assert d == {
        "start": 3,
        "end": 9,
        "found": "stated",
        "replacement": "said",
        "confidence": 0.9123,
        "rule": "saying.stated.said",
    }
    assert json.loads(json.dumps(d)) == d


def test_analysis_to_dict_round_trips_through_json() -> None:
    repairs = (
        Repair(0, 7, "Related", "Associated", 0.99, "name.related_press"),
        Repair(18, 24, "stated", "said", 0.8, "saying.stated.said"),
    )
    text = "Related Press has stated: “fine” — 😀\r\n"
    a = Analysis(apply_repairs(text, repairs), repairs, 0.87654321)
    d = a.to_dict()
    assert set(d) == {"schema", "spin_score", "repairs"}
    assert d["schema"] == unspin.SCHEMA == "unspin.analysis/1"
    assert d["spin_score"] == 0.8765
    assert [set(r) for r in d["repairs"]] == [REPAIR_KEYS, REPAIR_KEYS]
    full = a.to_dict(include_text=True)
    assert set(full) == {"schema", "spin_score", "repairs", "text"}
    back = json.loads(json.dumps(full, ensure_ascii=False))
    assert back == full
    assert json.loads(json.dumps(full)) == full  # ASCII-escaped JSON too
    # The JSON is enough to replay the repairs.
    replay = [Repair(**r) for r in back["repairs"]]
    assert apply_repairs(text, replay) == back["text"]


def test_analyze_result_serialises() -> None:
    text = "Officers stated the preventing continued for the reason that ceasefire collapsed."
    a = unspin.analyze(text, use_document_model=False, min_confidence=0.0)
    d = json.loads(json.dumps(a.to_dict(include_text=True)))
    assert d["text"] == a.text
    assert [Repair(**r).found for r in d["repairs"]] == [r.found for r in a.repairs]


def test_repairs_are_frozen_hashable_and_ordered_by_span() -> None:
    a = Repair(10, 12, "x", "y", 0.5, "r.a")
    b = Repair(2, 5, "x", "y", 0.5, "r.b")
    c = Repair(2, 4, "x", "y", 0.5, "r.c")
    assert sorted([a, b, c]) == [c, b, a]
    assert len({a, b, c}) == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.start = 0  # type: ignore[misc]


def test_analysis_is_frozen() -> None:
    a = unspin.analyze("Plain.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.text = "x"  # type: ignore[misc]


# --- apply_repairs --------------------------------------------------------------------------------


def test_apply_repairs_replays_in_any_order() -> None:
    text = "He stated the warfare continued."
    r1 = Repair(3, 9, "stated", "said", 0.9, "saying.stated.said")
    r2 = Repair(14, 21, "warfare", "war", 0.9, "war.warfare.war")
    expected = "He said the war continued."
    assert apply_repairs(text, [r1, r2]) == expected
    assert apply_repairs(text, [r2, r1]) == expected
    assert apply_repairs(text, iter([r2, r1])) == expected
    assert apply_repairs(text, []) == text


def test_apply_repairs_subset() -> None:
    text = "He stated the warfare continued."
    r2 = Repair(14, 21, "warfare", "war", 0.9, "war.warfare.war")
    assert apply_repairs(text, [r2]) == "He stated the war continued."


def test_apply_repairs_keeps_astral_and_crlf_offsets() -> None:
    text = "😀 he stated\r\nit"
    start = text.index("stated")
    assert start == 5  # code points, not UTF-16 units or bytes
    r = Repair(start, start + 6, "stated", "said", 0.9, "saying.x")
    assert apply_repairs(text, [r]) == "😀 he said\r\nit"


def test_apply_repairs_rejects_mismatch() -> None:
    with pytest.raises(ValueError, match="stated"):
        apply_repairs("He said it.", [Repair(3, 9, "stated", "said", 0.9, "saying.x")])


def test_apply_repairs_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        apply_repairs("short", [Repair(3, 9, "stated", "said", 0.9, "saying.x")])


@pytest.mark.parametrize(
    "repair",
    [Repair(2, 1, "", "X", 0.9, "t.reversed"), Repair(5, 7, "", "c", 0.9, "t.past_end"),
     Repair(-2, -1, "b", "c", 0.9, "t.negative"), Repair(3, 4, "", "d", 0.9, "t.after_end")],
    ids=lambda r: r.rule,
)
def test_apply_repairs_rejects_spans_outside_the_text(repair) -> None:
    # an empty slice matches an empty ``found``: the span itself must be checked
    with pytest.raises(ValueError, match="span"):
        apply_repairs("abc", [repair])


def test_repairs_are_equal_only_when_every_field_is() -> None:
    a = Repair(0, 6, "stated", "said", 0.9, "saying.stated.said")
    assert a == Repair(0, 6, "stated", "said", 0.9, "saying.stated.said")
    for other in (dataclasses.replace(a, replacement="declared"), dataclasses.replace(a, rule="x.y"),
                  dataclasses.replace(a, confidence=0.1), dataclasses.replace(a, found="Stated")):
        assert a != other and len({a, other}) == 2
    assert sorted([Repair(7, 9, "b", "c", 0.5, "t.b"), a]) == [a, Repair(7, 9, "b", "c", 0.5, "t.b")]


def test_min_confidence_takes_any_real_number_as_a_float() -> None:
    from decimal import Decimal
    from fractions import Fraction

    for value in (Fraction(1, 2), Decimal("0.5"), 0.5):
        o = Options(min_confidence=value)
        assert o.min_confidence == 0.5 and type(o.min_confidence) is float
    assert Options(min_confidence=1).min_confidence == 1.0


def test_candidates_of_bytes_is_a_type_error() -> None:
    import unspin.engine

    with pytest.raises(TypeError, match="decode"):
        unspin.engine.candidates(b"He stated it.", Options())


def test_apply_repairs_rejects_overlap() -> None:
    text = "for the reason that war"
    a = Repair(0, 19, "for the reason that", "since the", 0.9, "function.a")
    b = Repair(8, 14, "reason", "cause", 0.9, "everyday.b")
    with pytest.raises(ValueError, match="overlap"):
        apply_repairs(text, [a, b])
    with pytest.raises(ValueError, match="overlap"):
        apply_repairs(text, [b, a])


def test_apply_repairs_adjacent_spans_are_fine() -> None:
    text = "abcdef"
    a = Repair(0, 3, "abc", "X", 0.5, "t.a")
    b = Repair(3, 6, "def", "Y", 0.5, "t.b")
    assert apply_repairs(text, [b, a]) == "XY"


def test_scores_do_not_depend_on_the_hash_seed() -> None:
    """QA round 3: the document score summed a set's weights in the set's order, which changes
    with PYTHONHASHSEED, so two processes could differ in the last bits and Analysis objects from
    worker processes did not compare equal."""
    import os
    import subprocess
    from pathlib import Path

    src = str(Path(unspin.__file__).resolve().parents[1])
    code = ("import unspin; t = 'Officials stated the warfare, within the town, had been brief. ' * 3 + "
            "'The council met and the mayor said the budget was approved.'; "
            "print(repr(unspin.analyze(t).spin_score))")
    outs = set()
    for seed in ("1", "3", "4", "7"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        outs.add(p.stdout)
    assert len(outs) == 1, outs


_SPUN_LEDE = ("Officers stated the preventing continued for the reason that ceasefire collapsed, the "
              "Related Press reported. 1000's of individuals had been evacuated with out warning.")


def test_a_word_that_goes_on_past_the_match_is_not_repaired(require_engine) -> None:
    """QA (session 13): a combining mark, a joiner or "_" carries a word on, so "resume" + U+0301
    is "resumé" (NFD), not the word "resume"; NFD and NFC input now get the same repairs."""
    import unicodedata

    text = _SPUN_LEDE + " She sent her resumé to the agency and the officers_stated log."
    nfd = unicodedata.normalize("NFD", text)
    assert "resume\u0301" in nfd
    out = unspin.restore(nfd)
    assert unicodedata.normalize("NFC", out) == unspin.restore(text)
    assert "resume\u0301" in out and "officers_stated" in out
    assert out.startswith("Officials said the fighting continued")  # the lede is still repaired
    for mark in ("\u0301", "\u00ad", "\u200d", "\u2060"):
        glued = _SPUN_LEDE.replace("Related", "Related" + mark)
        assert "Related" + mark in unspin.restore(glued), repr(mark)


def test_links_in_spun_text_are_repaired_like_the_rest(require_engine) -> None:
    """The spinner rewrites links blindly ("trafficking-in-individuals-report"), so in spun text
    a link is repaired like any other words (held-out spun corpus: two of three such repairs
    restored the real link); in text that looks honest nothing is repaired."""
    link = "https://example.org/reports/the-preventing-continued"
    out = unspin.restore(_SPUN_LEDE + " Details: " + link + ".")
    assert "https://example.org/reports/the-fighting-continued" in out
    honest = "Police said the road reopened on Monday. Details: " + link + "."
    assert unspin.restore(honest) == honest


def test_lowering_min_confidence_keeps_the_sure_repairs() -> None:
    """Session 14 QA: at min_confidence 0 every faint repair of the repaired text chained onto a
    sure one ("Related" -> "Associated" -> "Related") and had it left as found."""
    text = ("Officers stated on Monday that the Related Press reported six,000 individuals had been "
            "evacuated for the reason that the storm would begin in a single day. The company "
            "mentioned the particulars of the plan can be launched quickly, and native faculties "
            "will stay closed, in accordance with the mayor.")
    sure = {(r.start, r.end, r.replacement) for r in unspin.analyze(text).repairs}
    assert len(sure) >= 10 and any(r[2] == "Associated" for r in sure)
    for low in (0.0, 0.001, 0.1, 0.3):
        made = {(r.start, r.end, r.replacement) for r in unspin.analyze(text, min_confidence=low).repairs}
        assert sure <= made, (low, sure - made)


# --- found by a QA pass (session 15) ---


def test_stored_repairs_replay_from_their_json() -> None:
    text = _SPUN_LEDE
    a = unspin.analyze(text)
    assert a.repairs
    stored = json.loads(json.dumps(a.to_dict()))["repairs"]
    assert apply_repairs(text, stored) == a.text
    assert [Repair.from_dict(d) for d in stored] == [
        dataclasses.replace(r, confidence=round(r.confidence, 4)) for r in a.repairs]
    with pytest.raises(TypeError, match="Repair objects or their dicts"):
        apply_repairs(text, [(0, 1)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="needs the field 'found'"):
        apply_repairs(text, [{"start": 0, "end": 1}])
    good = stored[0]
    for field, bad in (("start", 3.9), ("start", "3"), ("end", None), ("found", 1),
                       ("confidence", "high"), ("start", True)):
        with pytest.raises(TypeError, match=f"'{field}' must be"):
            apply_repairs(text, [{**good, field: bad}])


@pytest.mark.parametrize("opening, closing", [
    ("‹", "›"), ("»", "«"), ("»", "»"), ("«", "»"), ("「", "」"), ("『", "』"), ("”", "”"),
    ("''", "''"), ("``", "''"), ("'", "'"), ("‘", "’"), ("„", "“"), ("‚", "‘"), ("“", "”"),
])
def test_contractions_in_any_quotation_marks_are_left_alone(opening: str, closing: str,
                                                            require_engine) -> None:
    text = _SPUN_LEDE + f" The minister stated: {opening}It isn't clear.{closing} It wasn't."
    out = unspin.restore(text, use_document_model=False)
    assert f"{opening}It isn't clear.{closing}" in out
    assert out.endswith("It was not.")  # narrative after the quote is repaired


def test_apostrophes_in_narrative_open_no_quotation(require_engine) -> None:
    for narrative in ("The players' union wasn't sure.", "In the '90s it wasn't clear.",
                      "They waited 'til dawn and it wasn't over.", "Grab 'em, it wasn't over.",
                      "He left 'cause it wasn't over.", "A 12'' record played and it wasn't over.",
                      "Rock 'n' roll wasn't dead."):
        out = unspin.restore(_SPUN_LEDE + " " + narrative, use_document_model=False)
        tail = narrative.split("wasn't")[1]
        assert out.endswith("was not" + tail) and "wasn't" not in out, out  # narrative: repaired


@contextlib.contextmanager
def _switching_often(interval: float) -> Iterator[None]:
    """Threads switch every ``interval`` seconds meanwhile, so that races show."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_threads_get_the_results_of_one_thread() -> None:
    """The first use of a phrase unpacks it; other threads must never see it half unpacked (a QA
    pass saw TypeErrors with a short switch interval: 8 threads meeting each phrase at once)."""
    import threading

    from unspin import engine
    from unspin.table import default_table

    originals = collections.Counter(r.spun for r in default_table())
    phrases = sorted(p for p, n in originals.items() if n > 1)[:250]
    texts = [f"The officers stated that the {p} was over." for p in phrases]
    engine._default_compiled.cache_clear()  # a fresh table: no phrase unpacked yet
    errors: list[BaseException] = []
    results: dict[tuple[int, int], unspin.Analysis] = {}
    with _switching_often(1e-5):
        for i, text in enumerate(texts):
            barrier = threading.Barrier(8)

            def run(k: int, i: int = i, text: str = text, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                try:
                    results[k, i] = unspin.analyze(text, use_document_model=False)
                except BaseException as e:  # noqa: BLE001 - collected for the assertion
                    errors.append(e)

            threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    assert not errors, errors[:1]
    for i, text in enumerate(texts):
        expected = unspin.analyze(text, use_document_model=False)
        assert all(results[k, i] == expected for k in range(8)), text


def test_a_table_of_your_own_compiles_once_per_process(monkeypatch, tmp_path) -> None:
    import threading

    from unspin import engine

    calls = []
    real = engine.compile_rules
    monkeypatch.setattr(engine, "compile_rules", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(engine, "_COMPILED_FOR", {})
    opts = Options(disable=["war"], use_document_model=False)
    threads = [threading.Thread(target=unspin.analyze, args=(_SPUN_LEDE, opts)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1  # six threads, one compile
    # past the limit the least recently used configuration goes, not all of them
    monkeypatch.setattr(engine, "_COMPILED_LIMIT", 3)
    engine._COMPILED_FOR.clear()
    sets = [["economy"], ["health"], ["name"], ["number"]]
    for d in sets[:3]:
        unspin.analyze(_SPUN_LEDE, disable=d, use_document_model=False)
    calls.clear()
    for d in (sets[1], sets[0], sets[2]):  # all still there; "health" is now the oldest
        unspin.analyze(_SPUN_LEDE, disable=d, use_document_model=False)
    assert not calls
    unspin.analyze(_SPUN_LEDE, disable=sets[3], use_document_model=False)
    assert len(calls) == 1
    assert [k[2] for k in engine._COMPILED_FOR] == [frozenset(d) for d in (sets[0], sets[2], sets[3])]


def test_the_cache_of_compiled_tables_holds_under_threads(monkeypatch) -> None:
    """Lookups, moves to most recent and evictions from many threads at once (a reviewer saw
    RuntimeError and KeyError, and tables compiled again, when the lookup ran outside the lock)."""
    import threading

    from unspin import engine
    from unspin.table import default_table

    compiled: list[object] = []

    def fake_compile(found, disable):  # stand-in for the 1-2.5 s compile
        compiled.append(disable)
        return object()

    monkeypatch.setattr(engine, "_compile_own", fake_compile)
    monkeypatch.setattr(engine, "_COMPILED_FOR", {})
    ids = [r.id for r in default_table()][:24]
    opts = [Options(disable=[i]) for i in ids]
    errors: list[BaseException] = []
    stop = threading.Event()

    def hitter(o: Options) -> None:
        while not stop.is_set():
            try:
                engine._compiled_for(o)
            except BaseException as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

    def misser(k: int) -> None:
        for i in range(3000):
            try:
                engine._compiled_for(opts[(i + k) % len(opts)])
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    with _switching_often(1e-6):
        hitters = [threading.Thread(target=hitter, args=(opts[k],)) for k in range(4)]
        missers = [threading.Thread(target=misser, args=(k,)) for k in range(4)]
        for t in hitters + missers:
            t.start()
        for t in missers:
            t.join()
        stop.set()
        for t in hitters:
            t.join()
    assert not errors, errors[:3]
    assert len(engine._COMPILED_FOR) == engine._COMPILED_LIMIT
    # one hitter alone on a cached configuration compiles nothing
    compiled.clear()
    for _ in range(100):
        engine._compiled_for(opts[-1])
    assert len(compiled) <= 1


# --- found by a QA pass on quoted speech (session 15) ---

_PRE = ("Officers stated the warfare had ended for the reason that troops left the nation, and "
        "individuals within the city mentioned 1000's had fled with out warning final week. The "
        "preventing continued close to the border, officers advised reporters.")


_WRAPPED_PRE = textwrap.fill(_PRE, 72)  # hard-wrapped text is wrapped throughout


def _after_pre(text: str, **opts) -> list[tuple[str, str]]:
    return [(r.found, r.replacement) for r in unspin.analyze(text, **opts).repairs
            if r.start > len(_PRE) + 5]


def test_a_stray_closing_quote_costs_no_exponential_time(require_engine) -> None:
    import time

    text = ("Officers stated the warfare had ended for the reason that troops left the nation.\n"
            "It isn’t over,” he said.  \n" + "".join(f"Line {i} of the statement.  \n" for i in range(40)))
    t0 = time.perf_counter()
    unspin.analyze(text, quotes="protect")
    assert time.perf_counter() - t0 < 5  # it took minutes at 16 lines (backtracking)


@pytest.mark.parametrize("text, kept, repaired", [
    # a plural possessive inside British single quotes closes no quotation
    (_PRE + "\n\n‘We’re the nation’s best and the players’ union can’t lose,’ the coach said. "
     "The ministry wasn’t available.", ["can’t"], ["wasn’t"]),
    # an elision at the start of a wrapped line inside a quotation ends no quotation
    (_WRAPPED_PRE + "\n\n\"Prices were higher in the\n'90s, but now it isn't over and we can't leave,\" "
     "the general said. The ministry wasn't available and the report doesn't say more.\n",
     ["isn't", "can't"], ["wasn't", "doesn't"]),
    # TeX quotes go on over a line break, and their closing marks open no quotation
    (_WRAPPED_PRE + "\n\n``We have to stay until the job is done, and we can't walk away from\n"
     "Washington's allies now, because it isn't over and the troops won't leave,'' the\n"
     "general said. The ministry wasn't available and the report doesn't say more.\n",
     ["can't", "isn't", "won't"], ["wasn't", "doesn't"]),
    # a quotation left open in text with a paragraph a line stops at its line end
    (_PRE + "\n\"We can't stop now, the general said, because the people of this country have "
     "waited long enough for the troops to come home and they will not wait any longer.\n"
     "The ministry wasn't available and the report doesn't say more about what comes next in "
     "the negotiations, which resume on Monday in the capital of the neighbouring country.\n",
     ["can't"], ["wasn't", "doesn't"]),
    # more elisions open no quotation
    (_PRE + " Voters in the 'burbs weren't convinced and the ministry wasn't available.", [],
     ["weren't", "wasn't"]),
    # contractions of learned rows of another family are kept in quotes too
    (_PRE + " ‘I’ll stay here and I’ve told them so,’ she said. The mayor wasn't available.",
     ["I’ll", "I’ve"], ["wasn't"]),
])
def test_contractions_in_quoted_speech_layouts(text: str, kept: list[str], repaired: list[str],
                                               require_engine) -> None:
    found = [f for f, _ in _after_pre(text, min_confidence=0.2)]
    for word in kept:
        assert word not in found, (word, found)
    for word in repaired:
        assert word in found, (word, found)
