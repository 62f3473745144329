"""File-level machinery shared by ``unspin`` and ``unspin batch``: safe reading, streaming, writing.

Reading
    Inputs are read as bytes and decoded as strict UTF-8. A leading UTF-8 byte-order mark is set
    aside and written back byte for byte; newlines are never translated (``\\r\\n`` and a lone
    ``\\r`` pass through). Inputs that are not UTF-8 text are refused with a one-line reason:
    UTF-16/UTF-32 (by byte-order mark, or by the NUL pattern of BOM-less UTF-16), binary files
    (more than 10% NUL bytes in the first 8 KiB, or NUL bytes together with invalid UTF-8) and
    invalid UTF-8 (with the byte offset and line of the first bad byte).

Streaming
    An input is cut into blocks of at most ``block_size`` bytes (default 1 MiB). Smaller inputs are
    one block, so they are analysed as one document. A longer input is cut at the last paragraph
    boundary (a blank line) in the second half of the block; failing that at a line break that
    is no soft break of hard-wrapped text (see :mod:`unspin.wrapping`: the next line does not go
    on in a lower-case ASCII letter), then at any line break, then after a sentence end, then at
    whitespace, and only for a run of half a block without any of those at a UTF-8 character
    boundary. Cuts are never placed inside ``\\r\\n`` or inside a character. Each block is analysed
    on its own, so a repair can never straddle a cut, memory stays bounded whatever the input size,
    and the document-level evidence (``spin_score``) of a streamed input is judged per block of
    0.5-1 MiB; the reported ``spin_score`` of such an input is the mean of the block scores
    weighted by block length. (Multi-word phrases are never cut by paragraph, line or sentence
    cuts, unless a hard-wrapped text has no line break in half a block that does not go on in
    lower case; only then, or at the last-resort whitespace cut inside one sentence longer than
    half a block, can a cut split one, in which case that phrase is left unrepaired, never
    damaged.)

Writing
    Every output file is written to a temporary file in the destination directory and renamed over
    the destination with :func:`os.replace`, so an existing output file is always complete and an
    interrupted run leaves no half-written files. Device files such as ``/dev/null`` or
    ``/dev/full`` are written directly (they cannot be renamed over).

Batch mode (:func:`run_batch`)
    Walks ``SRC`` (symlinked directories are not followed), mirrors every matching file to the same
    relative path under ``DEST`` and never writes inside ``SRC`` (an output whose folder leads there
    through a symbolic link in ``DEST`` fails). Files are processed by a pool of
    worker processes (``spawn`` start method, so it behaves the same on every OS); every worker
    builds the options and warms the engine up once, in its initializer. Work is fed through
    ``imap_unordered`` from a lazy walk, with at most a few chunks per worker in flight, so memory
    does not grow with the number of files. Each output gets the source's modification time (set on
    the temporary file before the rename) and, when new, the source's permissions minus the umask
    (as ``cp`` does); ``--resume`` skips a file whose output exists with that
    same modification time: because of the atomic rename such an output is complete, and a source
    edited since the previous run is processed again. (Resume does not know about changed options;
    use a new DEST for that.)

    Ctrl-C: workers ignore SIGINT; the parent terminates the pool, each worker turns SIGTERM into
    ``SystemExit`` so its temporary file is removed, and the rows of finished files are kept in
    the report. A worker killed from outside (OOM killer) would make ``Pool`` wait forever for its
    tasks: the parent notices the missing worker, stops the run, removes that worker's temporary
    files and reports the unfinished files as failed (exit 4; ``--resume`` finishes the job).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

#: Default block size for streaming: inputs up to this size are analysed as one document.
BLOCK_SIZE = 1024 * 1024
#: How much of the start of an input is examined for UTF-16 and binary content.
SNIFF_BYTES = 8192
UTF8_BOM = b"\xef\xbb\xbf"
TMP_SUFFIX = ".unspin-tmp"
VANISHED = "vanished before it could be read"
BROKEN_LINK = "broken symbolic link"
NOT_A_FILE = "not a regular file"


def write_all(fp: IO[bytes], data: bytes) -> None:
    """Write all of ``data``: a buffered stream returns a short count instead of raising when
    the file or pipe took only part of it (a reader that went away, a full disk); writing the
    rest then raises the real error (``BrokenPipeError``, ``ENOSPC``) instead of losing it."""
    view = memoryview(data)
    while view:
        n = fp.write(view)
        if n is None or n >= len(view):
            return
        if n <= 0:
            raise BlockingIOError(0, "the output took no bytes")
        view = view[n:]


class InputError(Exception):
    """An input could not be read or is not UTF-8 text (message without the path)."""


class OutputError(Exception):
    """An output could not be written (message without the path)."""


def os_error_message(err: OSError) -> str:
    """A short human message for an OSError, without Python's ``[Errno N]`` decoration."""
    return err.strerror or str(err)


def path_text(path: str) -> str:
    """A file name as valid UTF-8 text, for JSON, CSV and messages.

    Bytes of the name that are not UTF-8 (held as lone surrogates, see :func:`os.fsdecode`) are
    shown as ``\\xNN``; other names are returned unchanged.
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")


def path_line(path: str) -> str:
    """A file name for one-line messages: :func:`path_text` with control characters escaped
    (``\\n``, ``\\t``, ``\\x1b``), so a name cannot break or forge a line of output."""
    text = path_text(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


# --------------------------------------------------------------------------------------------
# Reading: sniffing, decoding, cutting into blocks


def sniff(head: bytes) -> str | None:
    """Why ``head`` (the first bytes of an input) is not UTF-8 text, or None if it may be."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "looks like UTF-32; convert it to UTF-8 (for example: iconv -f UTF-32 -t UTF-8)"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "looks like UTF-16; convert it to UTF-8 (for example: iconv -f UTF-16 -t UTF-8)"
    nul = head.count(0)
    if not nul:
        return None
    half = len(head) // 2
    if half >= 2:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) > 0.4 * half and min(even, odd) < 0.05 * half:
            return (
                "looks like UTF-16 without a byte-order mark; convert it to UTF-8 "
                "(for example: iconv -f UTF-16LE -t UTF-8)"
            )
    if nul * 10 > len(head):  # a stray NUL in text is kept; NUL-heavy content is not text
        return "binary file (NUL bytes); not text"
    return None


def decode_block(raw: bytes, byte_offset: int = 0, lines_before: int = 0) -> str:
    """Strictly decode one block; the error names the global byte offset and line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        if b"\x00" in raw:
            raise InputError("binary file (NUL bytes and invalid UTF-8); not text") from None
        line = lines_before + raw.count(b"\n", 0, e.start) + 1
        bad = raw[e.start : min(e.end, e.start + 4)]
        raise InputError(
            f"invalid UTF-8 at byte {byte_offset + e.start} (line {line}): {bad!r}; "
            "if it is Latin-1 or Windows-1252, convert it to UTF-8 "
            "(for example: iconv -f WINDOWS-1252 -t UTF-8)"
        ) from None


# Boundaries to cut at, best first. Each pattern's match end is the cut.
_NL = rb"(?:\r\n|\r(?!\n)|\n)"  # a lone \r is a line break, but never the \r of \r\n
_CUTS = (
    re.compile(_NL + rb"[ \t\f\v]*" + _NL),  # paragraph: a blank line
    re.compile(_NL + rb"(?![ \t]*[a-z])"),  # line, not a soft break of hard-wrapped text
    re.compile(_NL),  # line
    re.compile(rb"[.!?](?:[\"')\]]|\xe2\x80[\x99\x9d])*[ \t]+"),  # sentence end
    re.compile(rb"[ \t\f\v]+"),  # whitespace
)
_WINDOW = 1 << 16


def _last_cut(pattern: re.Pattern[bytes], buf: bytearray, lo: int, hi: int) -> int:
    """End of the last match of ``pattern`` ending in ``(lo, hi]``, or 0; scans from the end."""
    top = hi
    while top > lo:
        start = max(lo, top - _WINDOW)
        best = 0
        for m in pattern.finditer(buf, start, min(len(buf), top + 2)):
            if lo < m.end() <= hi:
                best = m.end()
        if best:
            return best
        top = start
    return 0


def find_cut(buf: bytearray, lo: int, hi: int) -> int:
    """Where to cut ``buf`` (a cut in ``(lo, hi]``; ``buf[hi]`` exists), best boundary first."""
    cut = 0
    has_break = buf.find(b"\n", lo, hi + 1) >= 0 or buf.find(b"\r", lo, hi + 1) >= 0
    for pattern in _CUTS if has_break else _CUTS[3:]:  # memchr first: skip hopeless scans
        cut = _last_cut(pattern, buf, lo, hi)
        if cut:
            break
    else:
        cut = hi
        while cut > lo and 0x80 <= buf[cut] < 0xC0:  # never inside a UTF-8 sequence
            cut -= 1
        if cut == lo:
            cut = hi  # not UTF-8 anyway: decoding will report it
    if buf[cut - 1] == 0x0D and cut < len(buf) and buf[cut] == 0x0A:
        cut += 1  # never between \r and \n
    return cut


def iter_blocks(fp: IO[bytes], block_size: int = BLOCK_SIZE) -> Iterator[bytes]:
    """Yield the bytes of ``fp`` in blocks of at most about ``block_size`` cut at clean boundaries.

    The concatenation of the blocks is exactly the input. Memory use is about two blocks.
    """
    buf = bytearray()
    eof = False
    while True:
        while not eof and len(buf) <= block_size:
            chunk = fp.read(block_size + 1 - len(buf))
            if chunk:
                buf += chunk
            else:
                eof = True
        if len(buf) <= block_size:
            if buf:
                yield bytes(buf)
            return
        cut = find_cut(buf, block_size // 2, block_size)
        yield bytes(buf[:cut])
        del buf[:cut]


# --------------------------------------------------------------------------------------------
# Analysing a document block by block


class Locator:
    """1-based line and column (in code points) of offsets, across blocks, in increasing order.

    Line breaks are ``\\n``, ``\\r\\n`` and a lone ``\\r`` (the same as universal newlines).
    """

    def __init__(self) -> None:
        self.line = 1  # line at the start of the current block
        self.col0 = 0  # code points between the last line break and the start of the block
        self._text = ""

    def start_block(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._cur = self.line
        self._last_break = -1

    def locate(self, offset: int) -> tuple[int, int]:
        """(line, column) of ``offset`` in the current block; offsets must not decrease."""
        text, pos = self._text, self._pos
        if offset > pos:
            n = text.count("\n", pos, offset) + text.count("\r", pos, offset)
            if n:
                n -= text.count("\r\n", pos, offset)
                if pos and text[pos] == "\n" and text[pos - 1] == "\r":
                    n -= 1  # the \r of this \r\n was counted already
                self._cur += n
                self._last_break = max(text.rfind("\n", pos, offset), text.rfind("\r", pos, offset))
            self._pos = offset
        if self._last_break >= 0:
            return self._cur, offset - self._last_break
        return self._cur, self.col0 + offset + 1

    def end_block(self) -> None:
        self.locate(len(self._text))
        self.line = self._cur
        if self._last_break >= 0:
            self.col0 = len(self._text) - self._last_break - 1
        else:
            self.col0 += len(self._text)


class Document:
    """One input: iterate to get ``(raw, text, analysis)`` per block (``raw`` without the BOM).

    Raises :class:`InputError` for input that is not UTF-8 text. With ``options=None`` the blocks
    are only decoded (a validation pass) and ``analysis`` is None. After iteration ``bom``,
    ``nbytes``, ``nchars``, ``nrepairs`` and ``spin_score`` describe the whole input.
    """

    def __init__(self, blocks: Iterable[bytes], options: Any = None) -> None:
        self._blocks = blocks
        self.options = options
        self.bom = b""
        self.nbytes = 0
        self.nchars = 0
        self.nrepairs = 0
        self._score = 0.0
        self._last_score = 0.0
        self._lines = 0

    @property
    def spin_score(self) -> float:
        return self._score / self.nchars if self.nchars else self._last_score

    def __iter__(self) -> Iterator[tuple[bytes, str, Any]]:
        analyze = None
        if self.options is not None:
            from unspin import analyze
        first = True
        for raw in self._blocks:
            offset = self.nbytes
            self.nbytes += len(raw)
            if first:
                first = False
                problem = sniff(raw[:SNIFF_BYTES])
                if problem:
                    raise InputError(problem)
                if raw.startswith(UTF8_BOM):
                    self.bom, raw, offset = UTF8_BOM, raw[3:], 3
            text = decode_block(raw, offset, self._lines)
            self._lines += raw.count(b"\n")
            if analyze is None:
                yield raw, text, None
                continue
            analysis = analyze(text, self.options)
            self.nchars += len(text)
            self._score += analysis.spin_score * len(text)
            self._last_score = analysis.spin_score
            self.nrepairs += len(analysis.repairs)
            yield raw, text, analysis


def render(raw: bytes, text: str, analysis: Any) -> bytes:
    """The output bytes of one block: ``raw`` itself unless there are repairs.

    The output is rebuilt from the reported repairs (not taken from ``analysis.text``), so every
    byte outside a repair span is the input's byte and the report always matches the output;
    an engine that reported inconsistent repairs raises ``ValueError`` (an internal error).
    """
    if not analysis.repairs:
        return raw
    from unspin.repairs import apply_repairs

    return apply_repairs(text, analysis.repairs).encode("utf-8")


def validate(fp: IO[bytes], block_size: int = BLOCK_SIZE) -> None:
    """Check that all of ``fp`` is UTF-8 text (raises :class:`InputError`), then rewind it."""
    for _ in Document(iter_blocks(fp, block_size)):
        pass
    fp.seek(0)


def open_input(path: str) -> IO[bytes]:
    """Open a file for reading; problems raise :class:`InputError` with a short reason."""
    if os.path.isdir(path):
        raise InputError("is a directory (to repair a folder tree, use: unspin batch SRC DEST)")
    try:
        return open(path, "rb")
    except OSError as e:
        raise InputError(os_error_message(e)) from None


# --------------------------------------------------------------------------------------------
# Writing

_UMASK: int | None = None


def _default_mode(bits: int = 0o666) -> int:
    """The permissions ``open()`` gives a new file created with ``bits``: minus the umask."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return bits & ~_UMASK


class AtomicWriter:
    """Write ``path`` through a temporary file in the same directory, renamed on :meth:`commit`.

    Non-regular existing targets (``/dev/null``, ``/dev/full``, a FIFO) are written directly, and
    with ``append`` any target is (opened for appending: a descriptor's file, which the shell has
    opened and may have truncated already). :meth:`discard` (or leaving a ``with`` block with an
    exception) removes the temporary file.
    Write errors raise :class:`OutputError`. ``mode``: the permissions, else an existing file's;
    a new file gets ``new_mode`` (default 0o666) minus the umask, as ``open()`` would.
    """

    def __init__(
        self,
        path: str,
        *,
        mode: int | None = None,
        new_mode: int = 0o666,
        times_ns: tuple[int, int] | None = None,
        append: bool = False,
    ) -> None:
        self.path = path
        self.tmp: str | None = None
        self._times = times_ns
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as e:
            raise OutputError(os_error_message(e), self.path) from None
        try:
            if append:  # an open descriptor's file (``/dev/fd/3``): write through it, in place
                self._fp = open(path, "ab")  # noqa: SIM115
                return
            if st is not None and not _is_regular(st.st_mode):
                self._fp = open(path, "wb")  # noqa: SIM115
                return
            import tempfile

            directory, name = os.path.split(os.path.abspath(path))
            fd, self.tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=TMP_SUFFIX, dir=directory)
            self._fp = os.fdopen(fd, "wb")
            if mode is None:  # like ``> file``: an existing file keeps its permissions
                mode = st.st_mode & 0o7777 if st is not None else _default_mode(new_mode)
            os.chmod(fd, mode)
        except OSError as e:
            self.discard()
            raise OutputError(os_error_message(e), self.path) from None
        except BaseException:  # Ctrl-C, or SIGTERM in a worker, before ``with`` takes over
            self.discard()
            raise

    def write(self, data: bytes) -> None:
        try:
            write_all(self._fp, data)
        except OSError as e:
            self.discard()
            raise OutputError(os_error_message(e), self.path) from None

    def commit(self) -> None:
        try:
            self._fp.flush()
            if self.tmp is not None and self._times is not None:
                os.utime(self._fp.fileno(), ns=self._times)
            self._fp.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.path)
                self.tmp = None
        except OSError as e:
            self.discard()
            raise OutputError(os_error_message(e), self.path) from None

    def discard(self) -> None:
        fp = getattr(self, "_fp", None)
        if fp is not None:
            try:
                fp.close()
            except OSError:
                pass
        if self.tmp is not None:
            try:
                os.unlink(self.tmp)
            except OSError:
                pass
            self.tmp = None

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)


# --------------------------------------------------------------------------------------------
# Batch mode

STATUSES = ("repaired", "clean", "failed", "skipped")
REPORT_FIELDS = ("path", "status", "spin_score", "repairs", "bytes", "error")


@dataclass(slots=True)
class FileResult:
    """One row of the batch report."""

    path: str
    status: str
    spin_score: float | None = None
    repairs: int = 0
    bytes: int = 0
    error: str | None = None
    kind: str = ""  # for failures: "input", "output" or "internal"

    def record(self) -> dict[str, Any]:
        """The report row; the path and error are valid UTF-8 text (see :func:`path_text`)."""
        return {
            "path": path_text(self.path),
            "status": self.status,
            "spin_score": None if self.spin_score is None else round(self.spin_score, 4),
            "repairs": self.repairs,
            "bytes": self.bytes,
            "error": None if self.error is None else path_text(self.error),
        }


def within(path: str, root: str) -> bool:
    """True if ``path`` is ``root`` or inside it (both absolute real paths)."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive (Windows)
        return False


def repair_file(
    src: str,
    dest: str,
    rel: str,
    options: Any,
    block_size: int,
    roots: tuple[str, str] | None = None,
) -> FileResult:
    """Repair ``src`` into ``dest`` (atomically, with the source's times and, for a new output,
    its permissions minus the umask, as ``cp`` does); never raises OSError.

    ``roots``: the real paths of SRC and DEST. Nothing is written in SRC outside DEST: a ``dest``
    whose folder leads there (through a symbolic link in DEST) fails.
    """
    try:
        try:
            st = os.stat(src)
            fp = open(src, "rb")  # noqa: SIM115
        except FileNotFoundError:
            raise InputError(VANISHED) from None
        except OSError as e:
            raise InputError(os_error_message(e)) from None
        with fp:
            folder = os.path.dirname(dest)
            if roots is not None and _leads_into_src(folder, *roots):
                raise OutputError(
                    "its folder is inside SRC (through a symbolic link in DEST); "
                    "SRC is never modified"
                )
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as e:
                raise OutputError(os_error_message(e), dest) from None
            doc = Document(iter_blocks(fp, block_size), options)
            times = (st.st_atime_ns, st.st_mtime_ns)
            with AtomicWriter(dest, new_mode=st.st_mode & 0o777, times_ns=times) as out:
                try:
                    for i, (raw, _text, analysis) in enumerate(doc):
                        if i == 0:
                            out.write(doc.bom)
                        out.write(render(raw, _text, analysis))
                except OSError as e:  # read error mid-file
                    raise InputError(os_error_message(e)) from None
        status = "repaired" if doc.nrepairs else "clean"
        return FileResult(rel, status, doc.spin_score, doc.nrepairs, doc.nbytes)
    except InputError as e:
        return FileResult(rel, "failed", error=str(e), kind="input", bytes=_size(src))
    except OutputError as e:
        return FileResult(
            rel,
            "failed",
            error=f"cannot write {path_line(dest)}: {e.args[0]}",
            kind="output",
            bytes=_size(src),
        )
    except Exception as e:  # an engine bug must not stop a batch of a million files
        return FileResult(
            rel, "failed", error=f"internal error: {type(e).__name__}: {e}", kind="internal"
        )


def _leads_into_src(folder: str, src_root: str, dest_root: str) -> bool:
    """True if ``folder`` (of an output) really lies in SRC, outside DEST (DEST may be in SRC)."""
    real = os.path.realpath(folder)
    return within(real, src_root) and not within(real, dest_root)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


# Worker-process state, set once per worker by the initializer.
_WORKER: dict[str, Any] = {}


def _exit_on_sigterm(signum: int, frame: object) -> None:
    if _WORKER.get("busy"):
        raise SystemExit(128 + signum)  # unwinds ``finally``/``with``: temporary files are removed
    # Between tasks, or while the interpreter shuts down, there is nothing to clean up, and an
    # exception raised there would be printed as "Exception ignored ... Traceback" on stderr.
    os._exit(128 + signum)


def init_worker(
    option_kwargs: dict[str, Any], block_size: int, roots: tuple[str, str] | None = None,
    journal: str | None = None,
) -> None:
    """Pool initializer: build the options and load the tables once per worker. ``journal``: a
    folder where the worker notes each file it finishes (see :func:`work_chunk`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if hasattr(signal, "SIGHUP"):  # the terminal closed: as SIGTERM, remove temporary files
        signal.signal(signal.SIGHUP, _exit_on_sigterm)
    if hasattr(signal, "pthread_sigmask"):  # blocked while the pool started us (run_batch)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    from unspin.engine import prepare
    from unspin.options import make_options

    options = make_options(**option_kwargs)
    try:
        prepare(options)  # load the table(s) and model once per worker, not per file
    except Exception:
        pass  # a real problem resurfaces, per file, in the report
    _WORKER.update(options=options, block_size=block_size, roots=roots, journal=journal)
    from unspin.process import tune_gc

    tune_gc()


def work(task: tuple[str, str, str]) -> FileResult:
    """Pool task: repair one file with the worker's options."""
    src, dest, rel = task
    return repair_file(
        src, dest, rel, _WORKER["options"], _WORKER["block_size"], _WORKER.get("roots")
    )


def work_chunk(tasks: list[tuple[str, str, str]]) -> list[FileResult]:
    """Pool task: repair a few files (one round trip for several small files). Each result is
    also noted in the worker's journal as soon as its file is done, so that a run stopped before
    the chunk comes back still reports the files it finished (see :func:`read_journal`)."""
    _WORKER["busy"] = True
    try:
        results = []
        for task in tasks:
            result = work(task)
            _note_done(result)
            results.append(result)
        return results
    finally:
        _WORKER["busy"] = False


def _note_done(result: FileResult) -> None:
    folder = _WORKER.get("journal")
    if not folder:
        return
    import dataclasses
    import json

    try:
        fp = _WORKER.get("journal_fp")
        if fp is None:  # kept open for the worker's life
            fp = _WORKER["journal_fp"] = open(  # noqa: SIM115
                os.path.join(folder, f"{os.getpid()}.jsonl"), "a", encoding="utf-8")
        fp.write(json.dumps(dataclasses.astuple(result)) + "\n")
        fp.flush()
    except OSError:
        _WORKER["journal"] = None  # only the report after an interruption is at stake


def read_journal(folder: str, wanted: Container[str]) -> dict[str, FileResult]:
    """The results the workers noted in ``folder`` (see :func:`work_chunk`) for the paths in
    ``wanted``, by path; a line cut short by a stopped worker is left out. The journal holds a line
    per finished file; only the files still in flight are kept, so memory does not grow with the
    number of files."""
    import json

    done: dict[str, FileResult] = {}
    try:
        names = os.listdir(folder)
    except OSError:
        return done
    for name in names:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as fp:
                for line in fp:
                    try:
                        result = FileResult(*json.loads(line))
                    except (ValueError, TypeError):
                        continue
                    if result.path in wanted:
                        done[result.path] = result
        except OSError:
            continue
    return done


#: A pool task takes up to this many files, and stops adding files once it holds this many bytes:
#: small files travel in groups (one round trip for many files), and a large file ends its group,
#: so no worker is handed several large files while the others run out of work.
CHUNK_FILES = 16
CHUNK_BYTES = 256 * 1024


def _chunks(items: Iterable[tuple[Any, int]], max_files: int = CHUNK_FILES,
            max_bytes: int = CHUNK_BYTES) -> Iterator[list[Any]]:
    """Group (item, size) pairs into lists of items, by count and by total size."""
    batch: list[Any] = []
    total = 0
    for item, size in items:
        batch.append(item)
        total += size
        if len(batch) >= max_files or total >= max_bytes:
            yield batch
            batch = []
            total = 0
    if batch:
        yield batch


def _matches(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    """Does the file at ``rel`` (relative to SRC, ``/``-separated) match one of ``patterns``?

    As in ``.gitignore``: a pattern with a ``/`` at its start or in its middle matches the path
    relative to SRC, where ``*``, ``?`` and ``[...]`` stay within one folder name, ``**/``
    matches any folders (none included), ``/**`` everything below, and a trailing ``/`` every
    file below that folder; any other pattern matches the file name, or the name of a folder the
    file is in, at any depth (``y/`` only folders).

    >>> [_matches(r, r.rsplit("/", 1)[-1], ("x/*.txt",)) for r in ("x/b.txt", "x/y/c.txt")]
    [True, False]
    >>> [_matches(r, r.rsplit("/", 1)[-1], ("x/**/*.txt",)) for r in ("x/b.txt", "x/y/c.txt")]
    [True, True]
    >>> [_matches(r, r.rsplit("/", 1)[-1], ("y/",)) for r in ("y", "x/y/c.txt", "y/d.txt")]
    [False, True, True]
    """
    for p in patterns:
        core = p.rstrip("/")
        if "/" in core:  # anchored at SRC
            if _glob_regex(p).match(rel):
                return True
            continue
        pattern = _glob_regex(core)
        if p == core and pattern.match(name):
            return True
        if "/" in rel and any(pattern.match(folder) for folder in rel.split("/")[:-1]):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` (see :func:`_matches`) as a regular expression over a relative path."""
    p = pattern.lstrip("/")
    if p.endswith("/"):
        p += "**"
    parts = p.split("/")
    out = []
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
        else:
            out.append(_glob_segment(part) + ("" if last else "/"))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _glob_segment(part: str) -> str:
    """One folder or file name of a glob as a regular expression that does not cross ``/``."""
    out, i, n = [], 0, len(part)
    while i < n:
        c = part[i]
        i += 1
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = i + 1 if i < n and part[i] in "!^" else i
            j = j + 1 if j < n and part[j] == "]" else j  # "]" first in a class is a member
            j = part.find("]", j)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = part[i:j].replace("\\", "\\\\")
                if body and body[0] in "!^":
                    body = "^" + body[1:]
                out.append(f"(?!/)[{body}]")
                i = j + 1
        else:
            out.append(re.escape(c))
    return "".join(out)


def walk(root: str, patterns: tuple[str, ...], skip: frozenset[str] = frozenset()):
    """Yield ``(rel, size, error)`` for matching files under ``root``, lazily.

    Files come in directory order (not sorted: a flat folder of a million files must not be
    held in memory); subdirectories are visited in name order, depth first. ``rel`` uses ``/``;
    unreadable directories come out as ``(rel, 0, message)``, and so do matching names that are
    not regular files (a broken symbolic link, a FIFO): reported, not silently left out.
    Directories whose real path is in ``skip`` (DEST inside SRC) and symlinked directories are not
    entered.
    """
    stack = [""]
    while stack:
        reldir = stack.pop()
        directory = os.path.join(root, reldir) if reldir else root
        subdirs = []
        try:
            it = os.scandir(directory)
        except OSError as e:
            yield reldir or ".", 0, f"cannot list directory: {os_error_message(e)}"
            continue
        with it:
            for entry in it:
                rel = f"{reldir}/{entry.name}" if reldir else entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if os.path.realpath(entry.path) not in skip:
                            subdirs.append(rel)
                    elif not _matches(rel, entry.name, patterns) or entry.is_dir():
                        continue  # not asked for, or a symlinked directory (not entered)
                    elif entry.is_file():
                        yield rel, entry.stat().st_size, None
                    elif entry.is_symlink() and not os.path.exists(entry.path):
                        yield rel, 0, BROKEN_LINK
                    else:  # a FIFO, a socket or a device: reading it could block or never end
                        yield rel, 0, NOT_A_FILE
                except FileNotFoundError:
                    yield rel, 0, VANISHED
                except OSError as e:
                    yield rel, 0, os_error_message(e)
        stack.extend(sorted(subdirs, reverse=True))


class Progress:
    """A one-line progress display on a terminal: files done/total, MB/s, ETA."""

    def __init__(self, stream: IO[str], enabled: bool, total_files: int = 0, total_bytes: int = 0):
        self.stream = stream
        self.enabled = enabled
        self.total_files = total_files
        self.total_bytes = total_bytes
        self.start = time.monotonic()
        self._last = 0.0
        self._shown = False

    def update(self, files: int, nbytes: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        elapsed = max(now - self.start, 1e-6)
        rate = nbytes / elapsed
        line = f"unspin: {files}/{self.total_files} files, {rate / 1e6:.1f} MB/s"
        if rate > 0 and self.total_bytes >= nbytes:
            eta = int((self.total_bytes - nbytes) / rate)
            line += f", ETA {eta // 3600}:{eta // 60 % 60:02d}:{eta % 60:02d}"
        self.stream.write("\r\x1b[K" + line)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


class Report:
    """``--report FILE``: JSON Lines, or CSV if the name ends with ``.csv``; written atomically.

    A row that cannot be written never stops the run: the report stops there and :meth:`close`
    raises :class:`OutputError`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._failed: str | None = None
        self._writer = AtomicWriter(path)
        self._csv = path.lower().endswith(".csv")
        if self._csv:
            import csv
            import io

            self._buf = io.StringIO()
            self._rows = csv.DictWriter(self._buf, fieldnames=REPORT_FIELDS, lineterminator="\n")
            self._rows.writeheader()
            self._flush_csv()

    def _flush_csv(self) -> None:
        self._writer.write(self._buf.getvalue().encode("utf-8", "backslashreplace"))
        self._buf.seek(0)
        self._buf.truncate()

    def add(self, result: FileResult) -> None:
        if self._failed is not None:
            return
        try:
            rec = result.record()
            if self._csv:
                self._rows.writerow({k: "" if v is None else v for k, v in rec.items()})
                self._flush_csv()
            else:
                import json

                line = json.dumps(rec, ensure_ascii=False) + "\n"
                self._writer.write(line.encode("utf-8", "backslashreplace"))
        except (OutputError, ValueError) as e:  # disk full; a closed file; a bug in a row
            self._failed = e.args[0] if isinstance(e, OutputError) else f"{type(e).__name__}: {e}"
            self._writer.discard()

    def close(self) -> None:
        if self._failed is not None:
            raise OutputError(self._failed, self.path)
        self._writer.commit()

    def discard(self) -> None:
        self._writer.discard()


class _Throttle:
    """Feeds tasks to the pool with at most ``limit`` in flight (imap would read them all)."""

    def __init__(self, tasks: Iterable[Any], limit: int) -> None:
        import threading

        self._tasks = tasks
        self._sem = threading.Semaphore(limit)
        self.stopped = threading.Event()

    def __iter__(self) -> Iterator[Any]:
        for task in self._tasks:
            while not self._sem.acquire(timeout=0.1):
                if self.stopped.is_set():
                    return
            if self.stopped.is_set():
                return
            yield task

    def release(self) -> None:
        self._sem.release()


@dataclass
class BatchSummary:
    counts: dict[str, int]
    kinds: set[str]
    fatal: str | None = None  # why the run stopped early (a worker process died)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self) -> str:
        c = self.counts
        files = "file" if self.total == 1 else "files"
        return (
            f"{self.total} {files}: {c['repaired']} repaired, {c['clean']} clean, "
            f"{c['failed']} failed ({c['skipped']} skipped)"
        )


def run_batch(
    src: str,
    dest: str,
    *,
    option_kwargs: dict[str, Any],
    patterns: tuple[str, ...] = ("*.txt",),
    jobs: int = 1,
    resume: bool = False,
    report: Report | None = None,
    progress: Progress | None = None,
    on_error: Callable[[FileResult], None] = lambda r: None,
    block_size: int = BLOCK_SIZE,
) -> BatchSummary:
    """Repair every file under ``src`` matching ``patterns`` into the same path under ``dest``.

    ``KeyboardInterrupt`` propagates after the workers are stopped (their temporary files are
    removed). The caller owns ``report`` and ``progress``.
    """
    import queue

    src_real, dest_real = os.path.realpath(src), os.path.realpath(dest)
    roots = (src_real, dest_real)
    side: queue.SimpleQueue[FileResult] = queue.SimpleQueue()  # results decided by the walk
    counts = dict.fromkeys(STATUSES, 0)
    kinds: set[str] = set()
    fatal: str | None = None
    done_files = 0
    done_bytes = 0

    def tasks() -> Iterator[tuple[tuple[str, str, str], int]]:  # (src, dest, rel), bytes
        for rel, size, error in walk(src_real, patterns, frozenset({dest_real})):
            if error is not None:
                side.put(FileResult(rel, "failed", error=error, kind="input"))
                continue
            s_path = os.path.join(src_real, rel)
            d_path = os.path.join(dest_real, rel)
            if resume and _complete(s_path, d_path):
                side.put(FileResult(rel, "skipped", bytes=size))
                continue
            yield (s_path, d_path, rel), size

    def record(result: FileResult) -> None:
        nonlocal done_files, done_bytes
        counts[result.status] += 1
        done_files += 1
        done_bytes += result.bytes
        if result.status == "failed":
            kinds.add(result.kind)
            if progress:
                progress.clear()
            on_error(result)
        if report is not None:
            report.add(result)
        if progress:
            progress.update(done_files, done_bytes)

    def drain() -> None:
        while True:
            try:
                record(side.get_nowait())
            except queue.Empty:
                return

    if jobs <= 1:
        from unspin.options import make_options

        options = make_options(**option_kwargs)
        for (s_path, d_path, rel), _size in tasks():
            drain()
            try:
                result = repair_file(s_path, d_path, rel, options, block_size, roots)
            except BaseException:
                # Ctrl-C just as the temporary file was created, before anything owned it
                _remove_temps(d_path)
                raise
            record(result)
        drain()
    else:
        import multiprocessing

        from unspin.engine import prepare
        from unspin.options import make_options

        try:
            # a first run builds the table's disk cache here, once, not in every worker at once
            prepare(make_options(**option_kwargs))
        except Exception:
            pass  # a real problem resurfaces, per file, in the report
        inflight: dict[str, list[tuple[str, str, str]]] = {}  # chunks handed to the pool
        work = _chunks(tasks())
        first = list(itertools.islice(work, min(jobs, sys.maxsize)))
        jobs = max(1, len(first))  # no more workers than chunks of work (-j 1000 on 3 files)

        def chunks() -> Iterator[list[tuple[str, str, str]]]:
            for c in itertools.chain(first, work):
                inflight[c[0][2]] = c
                yield c

        feed = _Throttle(chunks(), limit=jobs * 4)
        interrupted = False
        held: dict[int, Any] = {}  # signal handlers set aside while the workers are stopped
        import shutil
        import tempfile

        journal = tempfile.mkdtemp(prefix="unspin-batch-")  # see work_chunk
        # Workers and multiprocessing's resource tracker start with SIGTERM and SIGHUP blocked
        # and Ctrl-C ignored: a signal while they start up printed their tracebacks, and
        # SIGHUP killed the tracker (which ignores only the other two); each worker unblocks
        # them once its handlers are set (init_worker), this process at once.
        mask = _block_signals()
        try:
            pool = multiprocessing.get_context("spawn").Pool(
                jobs, initializer=init_worker, initargs=(option_kwargs, block_size, roots, journal)
            )
        except BaseException:
            shutil.rmtree(journal, ignore_errors=True)
            raise
        finally:
            _unblock_signals(mask)
        pids = _worker_pids(pool)
        pending: list[int] = []
        deferred = defer_stop_signals(pending)
        try:
            results = pool.imap_unordered(work_chunk, feed)
            while True:
                if pending:
                    resignal(deferred, pending)  # here no lock of the pool is held
                try:
                    chunk_results = results.next(timeout=0.5)
                except StopIteration:
                    break
                except multiprocessing.TimeoutError:
                    # A worker killed from outside (OOM killer, segfault) takes its tasks with
                    # it and Pool would wait for them forever: stop instead of hanging.
                    if _worker_pids(pool) != pids:
                        fatal = (
                            "a worker process died (killed, or out of memory?); the run was "
                            "stopped; rerun with --resume to finish"
                        )
                        break
                    drain()
                    continue
                feed.release()
                inflight.pop(chunk_results[0].path, None)
                drain()
                for result in chunk_results:
                    record(result)
            drain()
            if fatal is None:
                pool.close()
            resignal(deferred, pending)  # a signal after the last look
        except BaseException:
            release_signals(deferred)
            interrupted = True
            held = hold_stop_signals()  # a second Ctrl-C must not break off the clean-up
            feed.stopped.set()
            _terminate(pool, multiprocessing)
            raise
        finally:
            if fatal is not None:
                feed.stopped.set()
                _terminate(pool, multiprocessing)
            pool.join()
            _reap_children(multiprocessing)
            if interrupted or fatal is not None:
                # The workers are gone. The chunks that never came back may have left temporary
                # files: a worker killed, or stopped between creating one and the code that
                # removes it. The files they finished are in the journal: reported as done.
                done = read_journal(journal, {task[2] for c in inflight.values() for task in c})
                for key, c in list(inflight.items()):
                    left = []
                    for task in c:
                        _remove_temps(task[1])
                        if task[2] in done:
                            record(done[task[2]])
                        else:
                            left.append(task)
                    inflight[key] = left
            shutil.rmtree(journal, ignore_errors=True)
            release_signals(held)
        if fatal is not None:
            # the chunks that never came back: not done
            for c in list(inflight.values()):
                for _s_path, _d_path, rel in c:
                    record(
                        FileResult(
                            rel,
                            "failed",
                            error="not processed: a worker process died",
                            kind="internal",
                        )
                    )
    if progress:
        progress.update(done_files, done_bytes, force=True)
        progress.clear()
    return BatchSummary(counts, kinds, fatal)


_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


def _block_signals() -> tuple[set[int], Any] | None:
    """Block :data:`_STOP_SIGNALS` in this thread (where the platform can), and ignore Ctrl-C:
    a child started now inherits the blocked signals (until its handlers are set) and the
    ignored Ctrl-C (an interpreter started with SIGINT ignored keeps it so). A signal that
    arrives meanwhile stays pending for :func:`_unblock_signals`. Returns what to restore."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    return mask, signal.signal(signal.SIGINT, signal.SIG_IGN)


def _unblock_signals(saved: tuple[set[int], Any] | None) -> None:
    """Undo :func:`_block_signals`: the handler first, so a pending Ctrl-C reaches it."""
    if saved is not None:
        mask, int_handler = saved
        signal.signal(signal.SIGINT, int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def hold_stop_signals() -> dict[int, Any]:
    """Ignore :data:`_STOP_SIGNALS` (Ctrl-C, SIGTERM, SIGHUP) while stopping: a second Ctrl-C in
    ``pool.terminate`` left the pool half stopped (``join`` hung or failed), and one on the way
    out of the CLI printed click's "Aborted!". Returns what :func:`release_signals` restores
    (nothing outside the main thread, where handlers cannot be set)."""
    return _replace_stop_handlers(signal.SIG_IGN)


def _replace_stop_handlers(handler: Any) -> dict[int, Any]:
    """Set ``handler`` for :data:`_STOP_SIGNALS` in the main thread; returns the handlers before."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, handler) for signum in _STOP_SIGNALS}


def release_signals(held: dict[int, Any]) -> None:
    """Restore the handlers ``held`` (see :func:`hold_stop_signals`); releasing twice is harmless."""
    for signum, handler in held.items():
        signal.signal(signum, handler)
    held.clear()


def defer_stop_signals(pending: list[int]) -> dict[int, Any]:
    """Note :data:`_STOP_SIGNALS` in ``pending`` instead of acting on them, until
    :func:`resignal`; returns what it restores (nothing outside the main thread). For waiting on
    the pool: a Ctrl-C raised in the middle of ``IMapIterator.next`` could leave the iterator's
    lock taken, and ``pool.terminate`` then waited for it forever (or a chunk was taken from the
    pool and its report rows lost)."""

    def note(signum: int, frame: object) -> None:
        pending.append(signum)

    return _replace_stop_handlers(note)


def resignal(deferred: dict[int, Any], pending: list[int]) -> None:
    """Restore the handlers :func:`defer_stop_signals` set aside and act on the first signal it
    noted, as it would have been acted on when it came (Ctrl-C: ``KeyboardInterrupt``)."""
    release_signals(deferred)
    if pending:
        signum = pending[0]
        pending.clear()
        signal.raise_signal(signum)


def _terminate(pool: Any, multiprocessing: Any, grace: float = 3.0) -> None:
    """``pool.terminate()`` that cannot hang.

    Pool sends SIGTERM (workers then remove their temporary files) and joins the workers without
    a timeout; a worker that was being started at that moment can miss the signal and wait
    forever. After ``grace`` seconds, remaining workers are killed.
    """
    import threading

    done = threading.Event()

    def watchdog() -> None:
        while not done.wait(grace):
            for child in multiprocessing.active_children():
                child.kill()

    threading.Thread(target=watchdog, name="unspin-terminate", daemon=True).start()
    try:
        pool.terminate()
    finally:
        done.set()


def _reap_children(multiprocessing: Any) -> None:
    """Stop workers that Pool started while it was being terminated (a replacement for a dead
    worker can slip past ``terminate``, and it would hold our pipes open forever)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join(5)


def _remove_temps(dest: str) -> None:
    """Remove temporary files of ``dest`` left by a worker that was killed (SIGKILL)."""
    import glob

    directory, name = os.path.split(dest)
    pattern = os.path.join(glob.escape(directory), f".{glob.escape(name)}.*{TMP_SUFFIX}")
    for tmp in glob.glob(pattern):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _worker_pids(pool: Any) -> frozenset[int | None]:
    """The live worker processes of a Pool (it replaces dead workers with new ones)."""
    return frozenset(p.pid for p in getattr(pool, "_pool", ()) if p.exitcode is None)


def _complete(src: str, dest: str) -> bool:
    """True if ``dest`` is a finished output of the current ``src`` (see the module docstring)."""
    try:
        s, d = os.stat(src), os.stat(dest)
    except OSError:
        return False
    return _is_regular(d.st_mode) and d.st_mtime_ns == s.st_mtime_ns


def count_files(src: str, dest: str, patterns: tuple[str, ...]) -> tuple[int, int]:
    """Number and total size of the files a batch run will visit (for the progress display)."""
    files = total = 0
    skip = frozenset({os.path.realpath(dest)})
    for _rel, size, _error in walk(os.path.realpath(src), patterns, skip):
        files += 1  # what cannot be read (a FIFO, a broken link) is reported, and counts as done
        total += size
    return files, total


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
