"""Fast paths agree with the reference code: the engine's tokens (:class:`unspin.tokens.Tokens`)
with :func:`unspin.tokens.tokenize_slow` and :func:`unspin.tokens.word_keys`, and the built-ins' fast
regexes with the patterns they replace."""

from __future__ import annotations

import random
import re
import sys

import pytest

from unspin.tokens import Tokens, tokenize, tokenize_slow, word_keys, word_keys_of

ALPHABET = "aAbZ ΣσςİıKkſ’'.,\n\"“”:;019-_éÉßẞǅ\t"


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(n)]


def test_tokens_match_reference() -> None:
    texts = _random_texts(3000) + ['He said: "We won’t stop." US troops', "ΟΔΟΣ.Β ΑΣ’Β İstanbul", ""]
    for text in texts:
        assert tokenize(text) == tokenize_slow(text), repr(text)
        toks = Tokens(text)
        assert "".join(g + w for g, w in zip(toks.gaps, [*toks.words, ""], strict=True)) == text
        assert Tokens.from_tokens(text, tokenize_slow(text)).gaps == toks.gaps
        assert word_keys_of(toks) == word_keys(text), repr(text)


def test_split_pattern_matches_word_pattern() -> None:
    """The tokens' split pattern (rewritten to start with a character class) finds exactly the
    words of WORD_RE."""
    from unspin.tokens import _SPLIT_RE, WORD_RE

    rng = random.Random(4)
    pieces = ["1", "23", ",", ".", "4,5", "6.7.8", "a", "Bc", "’", "'", " ", "_", "é", "٣", "²",
              "x1", "1x"]
    texts = _random_texts(2000, seed=5) + [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(5000)]
    for t in texts:
        spans = [m.span() for m in WORD_RE.finditer(t)]
        assert [m.span() for m in _SPLIT_RE.finditer(t)] == spans, t


def test_lower_case_assumption() -> None:
    """word_keys_of reuses the tokens' keys unless the text has "İ" or "Σ": every other code point
    whose lower case differs lowers to one code point of the same word/digit/punctuation class."""
    classes = [re.compile(r"[^\W_]"), re.compile(r"\d"), re.compile(r"[.,'’]")]
    odd = []
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        low = c.lower()
        if low == c:
            continue
        if len(low) != 1 or any(bool(p.match(c)) != bool(p.match(low)) for p in classes):
            odd.append(c)
    assert odd == ["\u0130"]


def test_builtin_regexes_match_reference() -> None:
    from unspin import builtin

    name_ref = re.compile(r"\b(?:The )?[A-Z][a-z]+(?:[ ](?:of |for |and |the |on )?[A-Z][a-z]+){1,5}\b")
    digit_ref = re.compile(r"[eorxntydEORXNTYD][.,:][zotfsenaZOTFSENA\d]|\d[.,:][zotfsenaZOTFSENA]")
    rng = random.Random(1)
    grouped = 0
    pieces = ["The ", "the ", "Th", "he ", "T", "A", "a", "b", " ", "of ", "for ", "é", "É", "_", "1",
              "Bank", "Of", "’", ".", ",", "TheThe ", "x,0", "six.7", "7.eight", "seven hundred", "three", "forty six", "U.S.", "a.m.", ":", "a hundred", "seven-hundred"]
    for _ in range(20000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        assert [m.span() for m in builtin._NAME_SPAN.finditer(t)] == [m.span() for m in name_ref.finditer(t)], t
        assert (builtin._DIGIT_GROUP.search(t) is None) == (digit_ref.search(t) is None), t
        # the cheap test never hides a garbled number
        if builtin._compiled(builtin._GROUPED).search(t):
            grouped += 1
            assert builtin._DIGIT_GROUP.search(t), t
    assert grouped > 100  # the generator does produce garbled numbers


def _quote_membership(toks, spans: list[tuple[int, int]]) -> list[bool]:
    """Reference for the engine's quote mask: is each token inside one of the quoted ``spans``?"""
    out = []
    k = 0
    for t in toks:
        while k < len(spans) and spans[k][1] <= t.start:
            k += 1
        out.append(k < len(spans) and spans[k][0] < t.start < spans[k][1])
    return out


def test_quote_mask_matches_membership() -> None:
    from unspin.engine import _quote_mask, _quoted_spans

    rng = random.Random(2)
    pieces = ['"', "“", "”", "a", "bc", " ", "\n", "d’e", ".", "9"]
    for _ in range(5000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        toks = tokenize(t)
        spans = _quoted_spans(t)
        assert list(_quote_mask([x.start for x in toks], spans)) == [int(q) for q in _quote_membership(toks, spans)], t


def test_narrative_and_quoted_keys_from_tokens() -> None:
    """The engine takes the words outside and inside quotes from the tokens (by the quote mask)
    instead of tokenising the text again: the same lists, whenever ``word_keys_of`` reuses the
    tokens' keys."""
    from itertools import compress

    from unspin.engine import _FLIP, _quote_mask, _quoted_spans, narrative_keys

    rng = random.Random(3)
    pieces = ['"', "“", "”", "a", "Bc", " ", "\n", "d’e", "'", ".", ",", "9", "1,5", "Σ", "İ", "ß", "_", "-"]
    for _ in range(5000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        toks = Tokens(t)
        keys = word_keys_of(toks)
        spans = _quoted_spans(t)
        if not spans or keys is not toks.keys:
            continue
        mask = _quote_mask(toks.starts, spans)
        assert list(compress(keys, mask.translate(_FLIP))) == narrative_keys(t, spans), t
        assert list(compress(keys, mask)) == word_keys(" ".join(t[a:b] for a, b in spans)), t


def test_tens_word_pretest_hides_no_compound() -> None:
    """number_fixes skips the compound-number pattern when ``_has_tens_word`` says no tens word
    occurs; on ASCII text that must never hide a match."""
    from unspin import builtin

    rng = random.Random(3)
    pieces = ["forty", "Forty", "FORTY", "twenty", "ninety", "six", "first", "second", " ",
              "one hundred ", "and ", "city ", "ty ", "TY ", "x", ".", "sixty-six", "\n"]
    hits = 0
    for _ in range(30000):
        t = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        if builtin._compiled(builtin._COMPOUND).search(t):
            hits += 1
            assert builtin._has_tens_word(t), t
    assert hits > 100  # the generator does produce compounds


# --- the compiled table's disk cache (engine.pack_compiled / unpack_compiled) -------------------


def test_packed_table_unpacks_to_the_compiled_one() -> None:
    """Every phrase of the packed table unpacks to the same entries and scoring numbers as the
    table compiled in memory, with its neighbour counts shared the same way."""
    from unspin import engine
    from unspin.model import load_model
    from unspin.table import default_table

    compiled = engine.compile_rules(default_table(), load_model())
    unpacked = engine.unpack_compiled(engine.pack_compiled(compiled))
    assert dict(unpacked.scoring) == {}, "nothing is unpacked before it is looked up"
    assert set(unpacked.entries) == set(compiled.entries)
    for key, per_case in compiled.scoring.items():
        assert unpacked.scoring[key] == per_case, key
        assert unpacked.entries[key] == compiled.entries[key], key
    assert unpacked.by_index == compiled.by_index
    assert (unpacked.starts, unpacked.first_words, unpacked.pairs, unpacked.siblings) == (
        compiled.starts, compiled.first_words, compiled.pairs, compiled.siblings)
    # a count dict used by several phrases is one object once unpacked, as in memory
    shared = {}
    for per_case in unpacked.scoring.values():
        for firing in per_case:
            for t in firing:
                for const in t[6:8]:
                    for k in engine._COUNT_SLOTS:
                        shared.setdefault(id(const[k]), const[k])
    assert len(shared) == len(unpacked.scoring.counts)


def test_a_short_text_unpacks_few_phrases() -> None:
    from unspin import engine

    engine._default_compiled.cache_clear()
    try:
        text = ("The officials stated the warfare within the region had ended, the officers "
                "mentioned on Tuesday.")
        assert engine.analyze_text(text, engine.Options()).repairs
        store = engine._default_compiled().scoring
        assert 0 < len(store) <= 20, len(store)
        assert len(store) < len(store.index) / 100
    finally:
        engine._default_compiled.cache_clear()


def test_unusable_cache_entry_is_rebuilt(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A cache file that cannot be read, or whose content ``load`` refuses, is built again and
    rewritten; a good one is used as it is."""
    import pickle

    from unspin import model

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    path = tmp_path / "unspin" / "thing.pickle"
    builds = []

    def build() -> dict[str, int]:
        builds.append(1)
        return {"good": 1}

    def check(value: object) -> object:
        if value != {"good": 1}:
            raise KeyError("stale")
        return value

    assert model.cached("thing", build, check) == {"good": 1} and len(builds) == 1
    assert model.cached("thing", build, check) == {"good": 1} and len(builds) == 1  # read back
    path.write_bytes(b"not a cache file")
    assert model.cached("thing", build, check) == {"good": 1} and len(builds) == 2
    model._write_cache(path, {"stale": 0})
    assert model.cached("thing", build, check) == {"good": 1} and len(builds) == 3
    assert model._read_cache(path) == {"good": 1}
    good = path.read_bytes()
    for broken in (b"", good[:-1], good + b"x", pickle.dumps({"good": 1})):
        path.write_bytes(broken)
        assert model.cached("thing", build, check) == {"good": 1}, broken[:20]
    assert len(builds) == 7


def test_fingerprint_follows_names_sizes_and_contents(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The cache key of the model files changes with any file's name, size or content, also for
    a gzip file, whose content is read from its trailer (CRC-32 and length of what it holds)."""
    import gzip

    from unspin import model

    gz, plain = tmp_path / "counts.tsv.gz", tmp_path / "weights.json"
    gz.write_bytes(gzip.compress(b"said\t10\nstated\t3\n", mtime=0))
    plain.write_text('{"bias": 0.5}')
    files = [gz, plain]
    seen = {model.fingerprint(files)}
    assert model.fingerprint(files) in seen and len(next(iter(seen))) == 16
    gz.write_bytes(gzip.compress(b"said\t10\nstated\t4\n", mtime=0))  # same size, other counts
    seen.add(model.fingerprint(files))
    plain.write_text('{"bias": 0.6}')
    seen.add(model.fingerprint(files))
    plain.write_text('{"bias": 0.66}')
    seen.add(model.fingerprint(files))
    renamed = tmp_path / "weights2.json"
    plain.rename(renamed)
    seen.add(model.fingerprint([gz, renamed]))
    seen.add(model.fingerprint([gz]))
    assert len(seen) == 6


def test_new_cache_entry_prunes_the_least_recently_used(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Writing a cache entry deletes the least recently used entries beyond the size budget and
    temporary files of dead writers; a read counts as a use; other files are never touched."""
    import os
    import time

    from unspin import model

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "unspin"
    folder.mkdir()
    now = time.time()

    def old_file(name: str, size: int, age_days: float) -> None:
        (folder / name).write_bytes(b"x" * size)
        t = now - age_days * 86400
        os.utime(folder / name, (t, t))

    old_file("table-aaaa-v1-py311.pickle", 450, 9)
    old_file("model-aaaa-v1-py311.pickle", 450, 8)
    old_file("table-bbbb-v2-py311.pickle", 450, 3)
    old_file("model-bbbb-v2-py311.pickle", 450, 2)
    old_file("table-cccc-v3-py311.4242.tmp", 10, 1)  # a writer died a day ago
    old_file("notes.txt", 5000, 30)  # not ours
    model._write_cache(folder / "model-cccc-v3-py311.pickle", {"kept": True})
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "model-aaaa-v1-py311.pickle", "model-bbbb-v2-py311.pickle", "model-cccc-v3-py311.pickle",
        "notes.txt", "table-aaaa-v1-py311.pickle", "table-bbbb-v2-py311.pickle",
    ])  # 2 KB in all: under the budget, only the dead writer's file went

    # a small real entry under an old name, nine days old, then read: it becomes the most
    # recently used one
    model._write_cache(folder / "table-aaaa-v1-py311.pickle", {"read": 1})
    os.utime(folder / "table-aaaa-v1-py311.pickle", (now - 9 * 86400, now - 9 * 86400))
    assert model.cached("table-aaaa-v1-py311", lambda: {"built": 1}) == {"read": 1}
    fresh_tmp = folder / "table-dddd-v4-py311.777.tmp"
    fresh_tmp.write_bytes(b"being written")
    monkeypatch.setattr(model, "CACHE_KEEP_BYTES", 1000)
    # newest first: table-dddd, table-aaaa, model-cccc (about 60 bytes each), model-bbbb (450,
    # two days), table-bbbb (450, three days: over 1,000 in all), model-aaaa (450, eight days)
    new = folder / "table-dddd-v4-py311.pickle"
    model._write_cache(new, {"new": 1})
    left = sorted(p.name for p in folder.iterdir())
    kept = [n for n in left if n.endswith(".pickle")]
    assert kept == ["model-bbbb-v2-py311.pickle", "model-cccc-v3-py311.pickle",
                    "table-aaaa-v1-py311.pickle", "table-dddd-v4-py311.pickle"], left
    assert sum((folder / n).stat().st_size for n in kept) <= 1000
    assert "notes.txt" in left and fresh_tmp.name in left  # not ours / a live writer's
    assert model._read_cache(new) == {"new": 1}

def test_cache_stores_pickle_buffers_out_of_band(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Byte strings wrapped in PickleBuffer come back as views of the mapped file, equal to what
    was written; everything else round-trips as pickle does."""
    import pickle

    from unspin import model

    path = tmp_path / "x.pickle"
    big, small = bytes(range(256)) * 1000, b"abc"
    model._write_cache(path, {"big": pickle.PickleBuffer(big), "small": small, "n": [1, 2.5]})
    back = model._read_cache(path)
    assert isinstance(back["big"], memoryview) and back["big"].readonly
    assert bytes(back["big"]) == big and back["small"] == small and back["n"] == [1, 2.5]


def test_prepare_loads_the_table_that_an_honest_line_does_not() -> None:
    from unspin import engine

    engine._default_compiled.cache_clear()
    try:
        engine.analyze_text("Officials said on Monday that the plan would go ahead.", engine.Options())
        assert engine._default_compiled.cache_info().currsize == 0  # honest: no table needed
        engine.prepare(engine.Options())
        assert engine._default_compiled.cache_info().currsize == 1
    finally:
        engine._default_compiled.cache_clear()


def test_cache_is_read_where_files_cannot_be_mapped(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import mmap
    import pickle

    from unspin import model

    path = tmp_path / "x.pickle"
    model._write_cache(path, {"big": pickle.PickleBuffer(b"0123456789" * 100), "n": 3})

    def no_mapping(*args: object, **kwargs: object) -> None:
        raise OSError("mmap not supported here")

    monkeypatch.setattr(mmap, "mmap", no_mapping)
    back = model._read_cache(path)
    assert bytes(back["big"]) == b"0123456789" * 100 and back["n"] == 3


def test_damage_inside_a_cache_entry_is_found_when_it_is_read(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Parts of a cached table are unpacked only when a text needs them, so a cache file damaged
    in the middle (QA: zeroed bytes gave an UnpicklingError on every later run, or silently other
    repairs) is caught by its checksum and built again."""
    import pickle

    from unspin import model

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    builds = []

    def build() -> dict[str, object]:
        builds.append(1)
        return {"blob": pickle.PickleBuffer(bytes(range(256)) * 400)}

    first = model.cached("thing", build)
    path = tmp_path / "unspin" / "thing.pickle"
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 100] = bytes(100)  # inside the out-of-band bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged"):
        model._read_cache(path)
    again = model.cached("thing", build)
    assert len(builds) == 2 and bytes(again["blob"]) == bytes(first["blob"])
    assert model._read_cache(path) is not None  # rewritten whole


def test_a_failed_cache_write_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from unspin import model

    target = tmp_path / "unspin" / "thing.pickle"
    target.mkdir(parents=True)  # os.replace onto a folder fails, as on a full disk the write does
    model._write_cache(target, {"n": 1})
    assert [p.name for p in target.parent.iterdir()] == ["thing.pickle"]


def test_no_home_directory_means_no_cache_not_an_error(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from unspin import model

    monkeypatch.setenv("UNSPIN_CACHE_DIR", "~no_such_user_for_unspin/cache")
    assert model._cache_dir() is None
    assert model.cached("thing", lambda: {"n": 1}) == {"n": 1}


def test_threads_build_a_missing_cache_entry_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading
    import time

    from unspin import model

    monkeypatch.setenv("UNSPIN_CACHE_DIR", str(tmp_path))
    builds = []

    def build() -> dict[str, int]:
        builds.append(1)
        time.sleep(0.05)
        return {"n": 1}

    results = []
    threads = [threading.Thread(target=lambda: results.append(model.cached("thing", build)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"n": 1}] * 8 and len(builds) == 1


def test_number_garbles_are_ascii_digits_only() -> None:
    """QA (session 13): a digit group in another script ("six,٠٠٠", fullwidth "six,０００") is not
    the spinner's garble; repairing its words gave a number in two scripts ("6,٠٠٠")."""
    from unspin.builtin import number_fixes

    assert [f.replacement for f in number_fixes("about six,000 people")] == ["6,000"]
    for text in ("about six,\u0660\u0660\u0660 people", "about six,\uff10\uff10\uff10 people",
                 "\u0662\u0660\u0661\u0665-sixteen", "\u0663.four"):
        assert list(number_fixes(text)) == [], text


def test_a_number_in_words_is_repaired_whole_or_not_at_all() -> None:
    """QA (session 13): "$four" + NBSP + "hundred,000" became "$4" + NBSP + "hundred,000"."""
    from unspin.builtin import number_fixes

    assert list(number_fixes("$four\u00a0hundred,000")) == []
    assert [f.replacement for f in number_fixes("$four hundred,000")] == ["400,000"]
    assert [f.replacement for f in number_fixes("$three million")] == ["3"]


def test_quotation_spans_tried_from_opening_marks_match_finditer() -> None:
    from unspin.engine import _SPEECH, _SPEECH_WRAPPED, _spans_from_marks

    rng = random.Random(5)
    alphabet = "ab sS\n\r\t.,'’‘‚“”„\"«»‹›「」『』`90"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(4000)]
    texts += ["He said ‘the players’ union can’t’ and ''no'' in the '90s, 'til “x\ny” «z»."]
    for pattern in (_SPEECH, _SPEECH_WRAPPED):
        for text in texts:
            assert _spans_from_marks(pattern, text) == [m.span() for m in pattern.finditer(text)], (
                repr(text))
