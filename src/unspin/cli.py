"""The ``unspin`` command line: a Unix filter for one or more files, and ``unspin batch``.

``unspin [OPTIONS] [FILE]...`` repairs each FILE (``-`` or no FILE: standard input) and writes the
text to standard output; ``unspin batch SRC DEST`` repairs a folder tree (see :mod:`unspin.batch`).
Any first argument other than ``batch`` goes to the filter, so a file named ``batch`` is given as
``./batch``.

Exit codes (:class:`ExitCode`)
    ===  ==================================================================================
    0    success
    1    ``--check`` or ``--diff``: at least one repair would be made
    2    usage error (bad option or value, output equal to input, bad ``--table`` file)
    3    at least one input could not be read or is not UTF-8 text; the others were processed
    4    internal error (a bug: please report it)
    5    an output could not be written (disk full, permission, missing directory); the data is
         fine, the environment is not, so a retry may succeed (unlike 3)
    129  hung up (SIGHUP: the terminal closed); no partial output files are left
    130  interrupted (Ctrl-C); no partial output files are left
    141  standard output was closed early (``unspin big.txt | head``); quiet, like ``cat``
    143  terminated by SIGTERM; no partial output files are left
    ===  ==================================================================================

When several happen, the most severe wins: 4, then 5, then 3, then 1.

JSON output (``--format json``): JSON Lines, one object per input, schema ``unspin.cli/1``::

    {"schema": "unspin.cli/1",
     "path": "news.txt",             # as given; "-" for standard input
     "repairs": [                    # in input order
        {"start": 120, "end": 126,   # code-point offsets into the decoded input (after a BOM)
         "line": 3, "col": 14,       # 1-based; lines end at \\n, \\r\\n or \\r; col in code points
         "found": "stated", "replacement": "said", "confidence": 0.93, "rule": "saying.stated"}],
     "spin_score": 0.87,             # null when the input failed
     "error": null}                  # or the reason the input could not be processed

Each repair object is :meth:`unspin.Repair.to_dict` (schema ``unspin.analysis/1``) plus ``line``
and ``col``.

Large inputs
    Inputs over the block size (1 MiB) are streamed in blocks cut at paragraph boundaries (see
    :mod:`unspin.batch`), so memory stays bounded. A large regular FILE whose output goes to a
    stream is first checked to be UTF-8 text in a quick pass, so a bad byte near its end produces
    an error and no output. Standard input cannot be read twice: if it turns out not to be UTF-8
    after some blocks were written, the output stops there and the exit code is 3. ``--diff``
    holds one hunk and one line in memory.

Start-up time matters (``echo x | unspin`` in a shell loop), so this module imports only click at
module level; the engine, json, difflib-like code and multiprocessing are imported when used.
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from typing import IO, Any, NoReturn

import click

from . import __version__

JSON_SCHEMA = "unspin.cli/1"
STDIN_NAME = "-"
#: With --explain, a text of fewer words left unrepaired by the document model gets a note saying
#: what --no-document-model would do (the document model's paragraph windows are 50 words).
SHORT_TEXT_WORDS = 50


class ExitCode(IntEnum):
    """Documented exit statuses of ``unspin`` (see the module docstring)."""

    OK = 0
    REPAIRS_FOUND = 1
    USAGE = 2
    INPUT_ERROR = 3
    INTERNAL_ERROR = 4
    OUTPUT_ERROR = 5
    HANGUP = 129
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


_SEVERITY = (
    ExitCode.INTERNAL_ERROR,
    ExitCode.OUTPUT_ERROR,
    ExitCode.INPUT_ERROR,
    ExitCode.REPAIRS_FOUND,
)


def worst(codes: set[ExitCode]) -> ExitCode:
    """The exit code to report when several outcomes happened in one run."""
    for code in _SEVERITY:
        if code in codes:
            return code
    return ExitCode.OK


def error(message: str) -> None:
    """Print one clean ``unspin: error: ...`` line on stderr."""
    try:
        sys.stderr.write(f"unspin: error: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the final flush cannot fail noisily."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError, click.UnsupportedOperation):
        pass


# --------------------------------------------------------------------------------------------
# Output helpers


def _binary_stream(name: str) -> IO[bytes]:
    """The byte stream under ``sys.stdin`` / ``sys.stdout`` (what ``click.get_binary_stream``
    gave, which Click 8.5 deprecates); ``RuntimeError`` when the stream is closed (``<&-``)."""
    stream = getattr(sys, name)
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        raise RuntimeError(f"{name} is closed")
    return buffer


class _Stream:
    """Standard output as bytes, opened on first use; write errors (other than a closed pipe)
    become OutputError, and a closed descriptor (``>&-``) is an OutputError too."""

    def __init__(self, name: str = "standard output") -> None:
        self._fp: IO[bytes] | None = None
        self.name = name

    @property
    def fp(self) -> IO[bytes]:
        if self._fp is None:
            try:
                self._fp = _binary_stream("stdout")
            except RuntimeError:
                from .batch import OutputError

                raise OutputError("it is closed", self.name) from None
        return self._fp

    def write(self, data: bytes) -> None:
        from .batch import write_all

        try:
            write_all(self.fp, data)
        except BrokenPipeError:
            raise
        except OSError as e:
            from .batch import OutputError, os_error_message

            raise OutputError(os_error_message(e), self.name) from None

    def flush(self) -> None:
        if self._fp is None:
            return
        try:
            self._fp.flush()
        except BrokenPipeError:
            raise
        except OSError as e:
            from .batch import OutputError, os_error_message

            raise OutputError(os_error_message(e), self.name) from None


def _resolve_output(path: str) -> str:
    """Write through a symlink to a regular file; devices (``/dev/stdout``) are used as given."""
    real = os.path.realpath(path)
    return real if os.path.isfile(real) else path


def _names_open_descriptor(path: str) -> bool:
    """Does ``path`` lead, through any symbolic links, to an open descriptor (``/dev/stdout``,
    ``/dev/fd/3``, ``/proc/self/fd/1``)? Such a file belongs to whoever opened the descriptor (the
    shell, for ``>> log``): it must be written through, never replaced by a rename."""
    p = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on symbolic links in a path
        if p.startswith("/dev/fd/") or (p.startswith("/proc/") and "/fd/" in p):
            return True
        if not os.path.islink(p):
            return False
        try:
            p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
        except OSError:
            return False
    return False


def _same_file_as_stdout(path: str) -> bool:
    try:
        a, b = os.stat(path), os.fstat(1)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _output_sink(path: str, stdout: _Stream) -> Any:
    """Where ``-o path`` writes: standard output itself when ``path`` is the file standard output
    is open on (``-o /dev/stdout >> log`` appends to log, as the shell asked), a descriptor's file
    written in place, else an :class:`AtomicWriter` (temp file + rename)."""
    from .batch import AtomicWriter

    if _names_open_descriptor(path):
        if _same_file_as_stdout(path):
            return stdout
        return AtomicWriter(path, append=True)
    return AtomicWriter(_resolve_output(path))


def _note(text: str) -> None:
    """Write a report line to stderr; a closed or broken stderr is not worth dying for."""
    try:
        sys.stderr.write(text)
    except (OSError, ValueError, AttributeError):
        pass


def _split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only (as diff does), keeping the ends."""
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _hunk_range(start: int, length: int) -> str:
    beginning = start + 1
    if length == 1:
        return str(beginning)
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


class UnifiedDiff:
    """A streaming unified diff (3 lines of context) built from repairs, block by block.

    Only changed lines and their context are materialised, so it is linear in the input; one
    hunk and one partial line are held in memory. Lines end at ``\\n`` (like ``diff``); a
    ``\\r\\n`` ending stays part of the line.
    """

    def __init__(self, out: Any, old_name: str, new_name: str, context: int = 3) -> None:
        from collections import deque

        self.out = out
        self.names = (old_name, new_name)
        self.n = context
        self.before: Any = deque(maxlen=context)
        self.hunk: list[str] | None = None
        self.trail: list[str] = []
        self.old_no = self.new_no = 0
        self.h_old = self.h_new = self.h_oc = self.h_nc = 0
        self.carry = ""
        self.carry_reps: list[tuple[int, int, str]] = []
        self.header_done = False
        self.changed = False

    def feed(self, text: str, repairs: Any) -> None:
        buf = self.carry + text
        shift = len(self.carry)
        reps = self.carry_reps + [
            (r.start + shift, r.end + shift, r.replacement) for r in sorted(repairs)
        ]
        cut = buf.rfind("\n") + 1
        for s, e, _ in reversed(reps):
            if e <= cut:
                break
            if s < cut:
                cut = buf.rfind("\n", 0, s) + 1
        self._lines(buf[:cut], [r for r in reps if r[1] <= cut])
        self.carry = buf[cut:]
        self.carry_reps = [(s - cut, e - cut, x) for s, e, x in reps if s >= cut]

    def close(self) -> None:
        self._lines(self.carry, self.carry_reps)
        self.carry, self.carry_reps = "", []
        if self.hunk is not None:
            self._flush()

    @staticmethod
    def _line_end(chunk: str, pos: int) -> int:
        i = chunk.find("\n", pos)
        return len(chunk) if i < 0 else i + 1

    def _lines(self, chunk: str, reps: list[tuple[int, int, str]]) -> None:
        pos = i = 0
        while i < len(reps):
            s, e, _ = reps[i]
            ls = chunk.rfind("\n", 0, s) + 1
            le = self._line_end(chunk, max(s, e - 1))
            j = i
            while j + 1 < len(reps) and reps[j + 1][0] < le:
                j += 1
                le = max(le, self._line_end(chunk, max(reps[j][0], reps[j][1] - 1)))
            parts, p = [], ls
            for s2, e2, x in reps[i : j + 1]:
                parts += [chunk[p:s2], x]
                p = e2
            parts.append(chunk[p:le])
            self._equal(chunk[pos:ls])
            self._change(chunk[ls:le], "".join(parts))
            pos, i = le, j + 1
        self._equal(chunk[pos:])

    def _equal(self, text: str) -> None:
        if not text:
            return
        lines = _split_lines(text)
        self.old_no += len(lines)
        self.new_no += len(lines)
        if self.hunk is None:
            self.before.extend(lines[-self.n :])
            return
        room = 2 * self.n + 1 - len(self.trail)
        self.trail.extend(lines[:room])
        if len(self.trail) > 2 * self.n:
            tail = (self.trail + lines[room:])[-self.n :] if len(lines) - room < self.n else None
            self._flush()
            self.before.clear()
            self.before.extend(tail if tail is not None else lines[-self.n :])

    def _change(self, old: str, new: str) -> None:
        old_lines, new_lines = _split_lines(old), _split_lines(new)
        if self.hunk is None:
            k = len(self.before)
            self.hunk = [" " + x for x in self.before]
            self.h_old, self.h_new = self.old_no - k, self.new_no - k
            self.h_oc = self.h_nc = k
        else:
            self.hunk += [" " + x for x in self.trail]
            self.h_oc += len(self.trail)
            self.h_nc += len(self.trail)
        self.trail = []
        self.hunk += ["-" + x for x in old_lines]
        self.hunk += ["+" + x for x in new_lines]
        self.h_oc += len(old_lines)
        self.h_nc += len(new_lines)
        self.old_no += len(old_lines)
        self.new_no += len(new_lines)
        self.changed = True

    def _flush(self) -> None:
        assert self.hunk is not None
        ctx = self.trail[: self.n]
        self.hunk += [" " + x for x in ctx]
        self.h_oc += len(ctx)
        self.h_nc += len(ctx)
        out: list[str] = []
        head = b""
        if not self.header_done:  # the names' own bytes, quoted as GNU diff quotes them
            old, new = (_diff_name(os.fsencode(name)) for name in self.names)
            head = b"--- " + old + b"\n+++ " + new + b"\n"
            self.header_done = True
        out.append(
            f"@@ -{_hunk_range(self.h_old, self.h_oc)} +{_hunk_range(self.h_new, self.h_nc)} @@\n"
        )
        for line in self.hunk:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        self.out.write(head + "".join(out).encode("utf-8"))
        self.hunk = None
        self.trail = []


_C_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r",
              34: b'\\"', 92: b"\\\\"}


def _diff_name(name: bytes) -> bytes:
    r"""A file name for a ``---``/``+++`` header as GNU diff 3.8 writes it: as is when it is
    printable ASCII without spaces, quotes or backslashes; else in double quotes with C escapes
    and other bytes in octal, so that a name with a newline cannot break the patch.

    >>> _diff_name(b"a/b.txt"), _diff_name(b"my file.txt"), _diff_name(b"new\nline")
    (b'a/b.txt', b'"my file.txt"', b'"new\\nline"')
    >>> _diff_name("café".encode())
    b'"caf\\303\\251"'
    """
    if all(0x21 <= b <= 0x7E and b not in (34, 92) for b in name):
        return name
    out = bytearray(b'"')
    for b in name:
        if b in _C_ESCAPES:
            out += _C_ESCAPES[b]
        elif 0x20 <= b <= 0x7E:
            out.append(b)
        else:
            out += b"\\%03o" % b
    out += b'"'
    return bytes(out)


# --------------------------------------------------------------------------------------------
# Option plumbing shared by the filter and batch


def _engine_options(f: Any) -> Any:
    f = click.option(
        "--no-document-model",
        is_flag=True,
        help="Judge every repair as if the text were known to be spun (for short snippets).",
    )(f)
    f = click.option(
        "--quotes",
        type=click.Choice(["auto", "repair", "protect"]),
        default="auto",
        show_default=True,
        help="Quoted speech: repair only when the quote itself looks spun (auto), always, "
        "or never.",
    )(f)
    f = click.option(
        "--disable",
        "disable",
        multiple=True,
        metavar="RULE",
        help="Rule id or family name (saying, name, ...) that must not fire. Repeatable.",
    )(f)
    f = click.option(
        "--extra-table",
        "extra_tables",
        multiple=True,
        metavar="PATH",
        help="TSV table whose rows are added to the table. Repeatable.",
    )(f)
    f = click.option(
        "--table", metavar="PATH", default=None, help="TSV table that replaces the bundled one."
    )(f)
    f = click.option(
        "--min-confidence",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        metavar="P",
        help="Apply only repairs at least this confident (0-1; default 0.5).",
    )(f)
    f = click.option("--block-size", type=click.IntRange(min=64), default=None, hidden=True)(
        f
    )  # streaming block size in bytes (tests and experiments)
    return f


def _option_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Library options from the CLI parameters; checks values and tables (exit 2 on problems)."""
    kwargs: dict[str, Any] = {
        "quotes": params["quotes"],
        "disable": frozenset(params["disable"]),
        "extra_tables": tuple(params["extra_tables"]),
        "table": params["table"],
        "use_document_model": not params["no_document_model"],
    }
    if params["min_confidence"] is not None:
        kwargs["min_confidence"] = params["min_confidence"]
    from .errors import TableError
    from .options import make_options

    if params["table"] == "" or "" in params["extra_tables"]:
        raise click.UsageError("--table and --extra-table take a file name, not an empty string")
    try:
        make_options(**kwargs)
    except (TypeError, ValueError) as e:
        raise click.UsageError(str(e)) from None
    tables = ([kwargs["table"]] if kwargs["table"] else []) + list(kwargs["extra_tables"])
    if tables:
        from .table import load_table

        for path in tables:
            try:
                load_table(path)
            except TableError as e:
                error(str(e))
                sys.exit(ExitCode.USAGE)
    return kwargs


# --------------------------------------------------------------------------------------------
# The filter


class _FilterRun:
    """One invocation of the filter over its inputs."""

    def __init__(self, params: dict[str, Any], options: Any, block_size: int) -> None:
        self.p = params
        self.options = options
        self.block_size = block_size
        self.codes: set[ExitCode] = set()
        self.stdout = _Stream()
        self.check = params["check"]
        self.diff = params["diff"]
        self.json = params["fmt"] == "json"
        self.explain = params["explain"]
        self.in_place = params["in_place"]
        self.output = params["output"]
        self.text_to_stdout = not (
            self.check or self.diff or self.json or self.in_place or self.output
        )
        stdout_busy = self.text_to_stdout or self.diff or self.json
        self.explain_to_stderr = stdout_busy

    def run(self, files: tuple[str, ...]) -> ExitCode:
        from .batch import InputError, OutputError, path_line

        for path in files:
            try:
                self.one(path)
            except InputError as e:
                name = "<stdin>" if path == STDIN_NAME else path_line(path)
                error(f"{name}: {e}")
                self.codes.add(ExitCode.INPUT_ERROR)
            except OutputError as e:
                target = path_line(e.args[1]) if len(e.args) > 1 else "output"
                error(f"cannot write {target}: {e.args[0]}")
                self.codes.add(ExitCode.OUTPUT_ERROR)
                if not (self.in_place or self.output):
                    break  # stdout is broken: nothing more can be written
        try:
            self.stdout.flush()
        except OutputError as e:
            error(f"cannot write standard output: {e.args[0]}")
            self.codes.add(ExitCode.OUTPUT_ERROR)
        return worst(self.codes)

    def one(self, path: str) -> None:
        from .batch import (
            AtomicWriter,
            Document,
            InputError,
            OutputError,
            iter_blocks,
            open_input,
            path_line,
            render,
            validate,
        )

        is_stdin = path == STDIN_NAME
        name = STDIN_NAME if is_stdin else path
        shown = path_line(name)  # for line-oriented output: --explain, --check
        fp: IO[bytes] | None = None
        sink: Any = None
        target = ""
        json_open = False
        try:
            if is_stdin:
                try:
                    fp = _binary_stream("stdin")
                except RuntimeError:
                    raise InputError("standard input is closed") from None
            else:
                fp = open_input(path)
                try:
                    st = os.fstat(fp.fileno())
                except OSError as e:
                    raise InputError(str(e.strerror)) from None
                import stat

                streamed_to_stream = not (self.in_place or self.output)
                if stat.S_ISREG(st.st_mode) and st.st_size > self.block_size and streamed_to_stream:
                    try:
                        validate(fp, self.block_size)  # no partial output for a bad big file
                    except OSError as e:
                        raise InputError(str(e.strerror)) from None
            doc = Document(iter_blocks(fp, self.block_size), self.options)
            diff = UnifiedDiff(self.stdout, name, name) if self.diff else None
            locator = None
            if self.explain or self.json:
                from .batch import Locator

                locator = Locator()
            base = 0
            nrepairs = 0
            blocks = 0
            first_text, first_spin = "", 0.0
            try:
                for i, (raw, text, analysis) in enumerate(doc):
                    blocks += 1
                    if i == 0:
                        first_text, first_spin = text, analysis.spin_score
                        if self.output:
                            target = self.output
                            sink = _output_sink(self.output, self.stdout)
                        elif self.in_place:
                            target = os.path.realpath(path)
                            sink = AtomicWriter(target, mode=st.st_mode & 0o7777)
                        elif self.text_to_stdout:
                            target = "standard output"
                            sink = self.stdout
                        if sink is not None:
                            self._write(sink, doc.bom, target)
                        if self.json:
                            self._json_begin(name)
                            json_open = True
                        if diff is not None and doc.bom:
                            diff.carry = "\ufeff"  # the diff shows the file's real first line
                    repairs = sorted(analysis.repairs)
                    nrepairs += len(repairs)
                    if sink is not None:
                        self._write(sink, render(raw, text, analysis), target)
                    if locator is not None:
                        locator.start_block(text)
                        for r in repairs:
                            line, col = locator.locate(r.start)
                            if self.explain:
                                self._explain(shown, line, col, r)
                            if self.json:
                                self._json_repair(json_open, base, line, col, r)
                                json_open = "more"
                        locator.end_block()
                    if diff is not None:
                        diff.feed(text, repairs)
                    base += len(text)
            except OSError as e:
                if isinstance(e, BrokenPipeError):
                    raise
                raise InputError(str(e.strerror or e)) from None
            if sink is None and self.output:  # empty input: the output is an empty file
                target = self.output
                sink = _output_sink(self.output, self.stdout)
            if diff is not None:
                diff.close()
            if self.explain and not nrepairs and blocks == 1:
                self._short_text_note(shown, first_text, first_spin)
            if self.json:
                if not json_open:
                    self._json_begin(name)
                self._json_end(doc.spin_score, None)
                json_open = False
            if isinstance(sink, AtomicWriter):
                if self.in_place and not nrepairs:
                    sink.discard()  # unchanged: leave the file (and its mtime) alone
                else:
                    if self.in_place and self.p["backup"]:
                        self._backup(target, self.p["backup"])
                    try:
                        sink.commit()
                    except OutputError as e:
                        raise OutputError(e.args[0], target) from None
            if nrepairs:
                if self.check or self.diff:
                    self.codes.add(ExitCode.REPAIRS_FOUND)
                if self.check:
                    s = "s" if nrepairs != 1 else ""
                    _note(f"would repair {shown} ({nrepairs} repair{s})\n")
            self.stdout.flush()
        except InputError as e:
            if self.json:
                if not json_open:
                    self._json_begin(name)
                self._json_end(None, str(e))
            raise
        finally:
            if isinstance(sink, AtomicWriter):
                sink.discard()
            if fp is not None and not is_stdin:
                fp.close()

    def _write(self, sink: Any, data: bytes, target: str) -> None:
        from .batch import OutputError

        if not data:
            return
        try:
            sink.write(data)
        except OutputError as e:
            raise OutputError(e.args[0], target) from None

    def _backup(self, path: str, suffix: str) -> None:
        """Keep the original as ``path + suffix`` (a hard link, else a copy; atomic either way)."""
        import tempfile

        from .batch import OutputError, os_error_message

        backup = path + suffix
        directory = os.path.dirname(backup) or "."
        fd, tmp = tempfile.mkstemp(prefix=".unspin-backup.", dir=directory)
        os.close(fd)
        try:
            try:
                os.unlink(tmp)
                os.link(path, tmp)
            except OSError:
                import shutil

                shutil.copy2(path, tmp)
            os.replace(tmp, backup)
        except OSError as e:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise OutputError(os_error_message(e), backup) from None

    def _short_text_note(self, name: str, text: str, spin: float) -> None:
        """With --explain, say so when a short text was left alone because the document model did
        not find it spun, and what --no-document-model would do: a sentence or two is little
        evidence, and one is what a user tries first. Nothing is said for longer texts, where the
        verdict rests on enough words (and the hint would invite repairs of honest copy)."""
        from . import analyze
        from .tokens import word_keys

        if not self.options.use_document_model:
            return
        words = len(word_keys(text))
        if not words or words >= SHORT_TEXT_WORDS:
            return
        forced = analyze(text, self.options, use_document_model=False)
        if forced.repairs:
            n = len(forced.repairs)
            self._note_line(
                f"{name}: note: nothing repaired in a short text ({words} "
                f"word{'s' if words != 1 else ''}): weighed by its spin score ({spin:.2f}), no repair "
                f"reached the threshold ({self.options.min_confidence:g}); --no-document-model "
                f"would make {n} repair{'s' if n != 1 else ''}\n")

    def _note_line(self, text: str) -> None:
        """An --explain line: on stderr when stdout carries text, else on stdout."""
        if self.explain_to_stderr:
            _note(text)
        else:
            self.stdout.write(text.encode("utf-8"))

    def _explain(self, name: str, line: int, col: int, r: Any) -> None:
        where = f"{name}:{line}:{col}"
        self._note_line(f"{where}: {r.rule}: {r.found!r} -> {r.replacement!r} ({r.confidence:.2f})\n")

    def _json_begin(self, name: str) -> None:
        import json

        from .batch import path_text

        path = json.dumps(path_text(name), ensure_ascii=False)
        head = f'{{"schema": "{JSON_SCHEMA}", "path": {path}, "repairs": ['
        self.stdout.write(head.encode("utf-8"))

    def _json_repair(self, state: Any, base: int, line: int, col: int, r: Any) -> None:
        import json

        d = r.to_dict()
        d["start"] += base
        d["end"] += base
        d["line"], d["col"] = line, col
        sep = ", " if state == "more" else ""
        self.stdout.write((sep + json.dumps(d, ensure_ascii=False)).encode("utf-8"))

    def _json_end(self, score: float | None, err: str | None) -> None:
        import json

        tail = {"spin_score": None if score is None else round(score, 4), "error": err}
        body = json.dumps(tail, ensure_ascii=False)[1:]  # '"spin_score": ..., "error": ...}'
        self.stdout.write(f"], {body}\n".encode())


class _Terminated(BaseException):
    """SIGTERM or SIGHUP (the terminal closed), raised as an exception so that temporary files
    are removed and workers stopped on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame: object) -> None:
    raise _Terminated(signum)


def _guard(run: Any) -> ExitCode:
    """Run ``run()`` turning closed pipes, Ctrl-C, SIGTERM, SIGHUP and bugs into clean exits."""
    import signal
    import threading

    from .batch import hold_stop_signals

    old: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        old[signal.SIGINT] = signal.getsignal(signal.SIGINT)  # restored after a Ctrl-C, too
        for signum in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is not None:
                old[signum] = signal.signal(signum, _on_signal)
    try:
        return run()
    except _Terminated as e:
        hold_stop_signals()  # stopping already: a later signal would only interrupt the way out
        hangup = e.signum == getattr(signal, "SIGHUP", None)
        error("hung up" if hangup else "terminated")
        return ExitCode.HANGUP if hangup else ExitCode.TERMINATED
    except BrokenPipeError:
        _silence_stdout()
        return ExitCode.BROKEN_PIPE
    except KeyboardInterrupt:
        hold_stop_signals()  # a second Ctrl-C on the way out would print click's "Aborted!"
        error("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as e:  # a bug: one line, not a traceback (UNSPIN_DEBUG=1 shows it)
        if os.environ.get("UNSPIN_DEBUG"):
            raise
        error(
            f"internal error: {type(e).__name__}: {e} "
            "(please report this; UNSPIN_DEBUG=1 for details)"
        )
        return ExitCode.INTERNAL_ERROR
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)


FILTER_HELP = """Repair spun news copy: read each FILE (or standard input) and write the text back
with spinner artifacts ("Related Press", "stated") restored.

\b
  unspin article.txt > fixed.txt        repair one file
  cat article.txt | unspin              standard input to standard output
  unspin --explain article.txt          ... and list every repair on stderr
  unspin --check *.txt                  write nothing; exit 1 if anything would change
  unspin -i --backup .orig *.txt        rewrite files in place, keeping backups
  unspin batch SRC DEST                 repair a whole folder tree (see: unspin batch --help)

Untouched text passes through byte for byte (line endings, BOM). A file literally named
"batch" must be given as ./batch.

\b
Exit codes: 0 ok; 1 --check/--diff found repairs; 2 usage error or bad table;
3 an input could not be read or is not UTF-8 (the others were processed);
4 internal error; 5 an output could not be written; 129 hung up (SIGHUP);
130 interrupted; 141 standard output closed early; 143 terminated (SIGTERM).
"""


class _AliasRootContext(click.Context):
    """The default command's context presents itself as ``unspin`` (not ``unspin <cmd>``)."""

    @property
    def command_path(self) -> str:  # type: ignore[override]
        return self.parent.command_path if self.parent is not None else (self.info_name or "")


class _FilterCommand(click.Command):
    context_class = _AliasRootContext


@click.command(
    cls=_FilterCommand, help=FILTER_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.argument("files", nargs=-1, metavar="[FILE]...")
@click.option(
    "-o", "--output", metavar="FILE", help="Write to FILE (one input only; never the input)."
)
@click.option(
    "-i", "--in-place", is_flag=True, help="Rewrite each FILE atomically (temp file + rename)."
)
@click.option("--backup", metavar="SUFFIX", help="With -i: keep the original as FILE+SUFFIX.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any repair would be made.")
@click.option(
    "--diff", is_flag=True, help="Print a unified diff instead of the text; exit 1 if non-empty."
)
@click.option(
    "--explain",
    is_flag=True,
    help="List each repair as path:line:col: rule: 'found' -> 'replacement' (confidence), on "
    "stderr when stdout carries text.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one JSON object per input on stdout (schema unspin.cli/1), no text.",
)
@_engine_options
@click.version_option(__version__, "--version", prog_name="unspin", message="%(prog)s %(version)s")
@click.pass_context
def fix(ctx: click.Context, files: tuple[str, ...], **params: Any) -> NoReturn:
    """The default command: the filter."""
    if params["output"] == STDIN_NAME:
        params["output"] = None
    output, in_place = params["output"], params["in_place"]
    if in_place and output:
        raise click.UsageError("--in-place and --output cannot be combined")
    if (params["check"] or params["diff"]) and (in_place or output):
        raise click.UsageError("--check and --diff write nothing; drop --in-place/--output")
    if params["fmt"] == "json" and params["diff"]:
        raise click.UsageError("--diff and --format json both use standard output; pick one")
    if params["backup"] and not in_place:
        raise click.UsageError("--backup only makes sense with --in-place")
    if params["backup"] is not None and not params["backup"]:
        raise click.UsageError("--backup needs a non-empty suffix")
    if params["backup"] and ("/" in params["backup"] or "\0" in params["backup"]):
        raise click.UsageError("--backup takes a suffix for the file name (such as .orig), not a path")
    files = files or (STDIN_NAME,)
    if in_place and STDIN_NAME in files:
        raise click.UsageError("--in-place needs FILE arguments, not standard input")
    if in_place:
        import stat

        for f in files:
            try:
                mode = os.stat(f).st_mode
            except OSError:
                continue  # reported when the file is read
            if not stat.S_ISREG(mode):
                # a pipe or device ("/dev/stdin") cannot be replaced by a file: its text would be
                # read and the rename would fail or replace a name the user never meant
                from .batch import path_line

                error(f"--in-place rewrites regular files only; {path_line(f)} is not one")
                ctx.exit(ExitCode.USAGE)
    if in_place and params["backup"]:
        # a backup written over another input would lose that input before it is read
        inputs = {os.path.realpath(f) for f in files}
        for f in files:
            if os.path.realpath(f + params["backup"]) in inputs:
                from .batch import path_line

                error(f"the backup of {path_line(f)} would overwrite the input "
                      f"{path_line(f + params['backup'])}; choose another --backup suffix")
                ctx.exit(ExitCode.USAGE)
    if output and len(files) > 1:
        raise click.UsageError("--output takes exactly one input")
    if output and files[0] != STDIN_NAME and os.path.exists(output):
        same = os.path.realpath(output) == os.path.realpath(files[0])
        try:
            same = same or os.path.samefile(output, files[0])
        except OSError:
            pass
        if same:
            from .batch import path_line

            error(f"output {path_line(output)} is the input file; use --in-place to rewrite it")
            ctx.exit(ExitCode.USAGE)
    kwargs = _option_kwargs(params)
    from .batch import BLOCK_SIZE
    from .options import make_options

    run = _FilterRun(params, make_options(**kwargs), params["block_size"] or BLOCK_SIZE)
    ctx.exit(_guard(lambda: run.run(files)))


# --------------------------------------------------------------------------------------------
# Batch

BATCH_HELP = """Repair every file under SRC matching --glob into the same relative path under DEST.

SRC is never modified. Every output is written to a temporary file and renamed, so an interrupted
run leaves no half-written files, and --resume skips files already done. Bad files (not UTF-8,
binary, unreadable, vanished) are reported and skipped; the run goes on and exits 3 at the end.
Files larger than 1 MiB are streamed in blocks cut at paragraph boundaries (bounded memory).

\b
Exit codes: 0 ok; 2 usage error; 3 some files failed; 4 internal error;
5 some outputs could not be written; 129 hung up; 130 interrupted; 143 terminated.
"""


@click.command(help=BATCH_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("src", type=click.Path(file_okay=False, exists=True))
@click.argument("dest", type=click.Path(file_okay=False))
@click.option(
    "--glob",
    "globs",
    multiple=True,
    metavar="PATTERN",
    help="File name pattern (default *.txt); with a '/' it matches the path relative to SRC, "
    "and '**/' matches in any folder, the top one included. Repeatable.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: the cores available to unspin).",
)
@click.option(
    "--report", metavar="FILE", help="Per-file report: JSON Lines, or CSV if FILE ends in .csv."
)
@click.option("--resume", is_flag=True, help="Skip files whose output is already complete.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@_engine_options
@click.pass_context
def batch(ctx: click.Context, src: str, dest: str, **params: Any) -> NoReturn:
    """Repair a folder tree."""
    from .batch import path_line, within

    src_real, dest_real = os.path.realpath(src), os.path.realpath(dest)
    if src_real == dest_real:
        raise click.UsageError("DEST must differ from SRC (SRC is never modified)")
    if within(src_real, dest_real):  # also for DEST "/", where a prefix test of "//" fails
        raise click.UsageError("SRC must not be inside DEST (outputs could land in SRC)")
    if params["report"]:
        report_real = os.path.realpath(params["report"])
        for root, label, what in ((src_real, "SRC", "a source"), (dest_real, "DEST", "an output")):
            if within(report_real, root):
                name = path_line(params["report"])
                error(
                    f"--report {name} is inside {label} (it could replace {what}); "
                    "put it elsewhere"
                )
                ctx.exit(ExitCode.USAGE)
    if any(not g for g in params["globs"]):
        raise click.UsageError("--glob needs a pattern, such as '*.txt'")
    kwargs = _option_kwargs(params)
    ctx.exit(_guard(lambda: _run_batch(src, dest, kwargs, params)))


def _cpu_count() -> int:
    """Cores this process may run on (a container or taskset may allow fewer than exist)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _run_batch(src: str, dest: str, kwargs: dict[str, Any], params: dict[str, Any]) -> ExitCode:
    from .batch import (
        BLOCK_SIZE,
        OutputError,
        Progress,
        Report,
        count_files,
        os_error_message,
        path_line,
        run_batch,
        stderr_is_tty,
    )

    patterns = tuple(params["globs"]) or ("*.txt",)
    report = None
    if params["report"]:  # before DEST exists: a report that cannot be made leaves nothing behind
        try:
            report = Report(params["report"])
        except OutputError as e:
            error(f"cannot write {path_line(params['report'])}: {e.args[0]}")
            return ExitCode.OUTPUT_ERROR
    try:
        os.makedirs(dest, exist_ok=True)
    except OSError as e:
        error(f"cannot create {path_line(dest)}: {os_error_message(e)}")
        if report is not None:
            report.discard()
        return ExitCode.OUTPUT_ERROR
    show = stderr_is_tty() and not params["quiet"]
    total_files = total_bytes = 0
    if show:
        total_files, total_bytes = count_files(src, dest, patterns)
    progress = Progress(sys.stderr, show, total_files, total_bytes)

    def on_error(result: Any) -> None:
        error(f"{path_line(os.path.join(src, result.path))}: {result.error}")

    jobs = params["jobs"] or _cpu_count()
    try:
        summary = run_batch(
            src,
            dest,
            option_kwargs=kwargs,
            patterns=patterns,
            jobs=jobs,
            resume=params["resume"],
            report=report,
            progress=progress,
            on_error=on_error,
            block_size=params["block_size"] or BLOCK_SIZE,
        )
    except BaseException:
        progress.clear()
        if report is not None:
            try:
                report.close()  # keep the rows of the files that were done
            except OutputError:
                report.discard()
        raise
    codes: set[ExitCode] = set()
    if report is not None:
        try:
            report.close()
        except OutputError as e:
            error(f"cannot write {path_line(params['report'])}: {e.args[0]}")
            codes.add(ExitCode.OUTPUT_ERROR)
    if summary.fatal:
        error(summary.fatal)
    _note(summary.line() + "\n")
    if summary.total == 0 and not summary.fatal:
        _note(f"unspin: warning: no file under {path_line(src)} matches "
              f"{' or '.join(map(repr, patterns))}\n")
    kind_codes = {
        "input": ExitCode.INPUT_ERROR,
        "output": ExitCode.OUTPUT_ERROR,
        "internal": ExitCode.INTERNAL_ERROR,
    }
    codes |= {kind_codes[k] for k in summary.kinds if k in kind_codes}
    return worst(codes)


# --------------------------------------------------------------------------------------------
# The group that makes ``unspin FILE`` and ``unspin batch`` coexist

_DEFAULT = "\0default"  # argv strings cannot contain NUL, so no file name can collide


class DefaultGroup(click.Group):
    """Dispatch to the filter unless the first argument names a subcommand (``batch``).

    ``unspin --help`` therefore shows the filter's help (which points to ``unspin batch``), and a
    file named like a subcommand is given with a path (``./batch``).
    """

    def __init__(self, *args: Any, default: click.Command, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default = default

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in self.commands:
            args = [_DEFAULT, *args]
        return super().parse_args(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == _DEFAULT:
            return self.default
        return super().get_command(ctx, cmd_name)

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """Click's main, with a usage error on one line like every other error of unspin
        (``unspin: error: ... (see 'unspin --help')``) instead of click's four."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "unspin"
            click.echo(f"unspin: error: {e.format_message()} (see '{where} --help')", err=True)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(ExitCode.INTERRUPTED)
        sys.exit(code if isinstance(code, int) else 0)


cli = DefaultGroup(name="unspin", default=fix, commands={"batch": batch}, add_help_option=False)


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``unspin``)."""
    from .process import tune_gc

    tune_gc()
    cli.main(args=argv, prog_name="unspin")
