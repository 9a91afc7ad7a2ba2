"""The one guard for reading inputs and writing outputs; every command goes through it.

Reading (:func:`read_input`):

* Only regular files are read (symlinks followed): a directory, FIFO, device or
  socket is refused with its kind. The file is opened non-blocking (a FIFO
  swapped in after the check cannot hang the process) and judged again by
  ``fstat`` of the open descriptor.
* The size limit counts the bytes actually read: ``st_size`` is not trusted
  (it is 0 for procfs files and for ``/dev/zero``, and a file may grow while it
  is read); reading stops at the first byte over the limit.
* Every OS problem (not found, permission, name too long, symlink loop, ...) is
  one :class:`UnreadableInput` naming the file; its ``reason`` and ``oserror``
  let callers that locate errors elsewhere (samples) phrase their own message.
* Inside a :func:`session` (each CLI invocation is one) the file is registered
  as an input, and refused (:class:`OutputOverInputError`) if it is the same file
  as one of the session's declared outputs, or as standard output.

Standard output over an input (``costplan report plan.yaml > plan.yaml``, or
``>>``): the session records ``fstat`` of standard output when it starts; an
input that is that same regular file (``st_dev`` + ``st_ino``) is refused when
it is opened, before anything is read from it or written to standard output.
The shell's ``>`` has already emptied the file before costplan runs: that
cannot be undone, and the message says so when the file is empty; what the
refusal prevents is a run on the emptied input, an exit 0, and (with ``>>``)
output appended to an input. Standard output that is a terminal, pipe or
device, or a file that is not an input, is not affected.

Standard input (:data:`STDIN`, what an input ``-`` parses to): read once, into
a private temporary file (the spool) that every later read of ``-`` in the same
session reads again (a loader may read an input twice: to parse it, then to
hash it). Only one input kind may be ``-`` (the workload *and* a price sheet
cannot both be standard input). When standard input is a regular file
(``< plan.yaml``) it is registered like any input by ``st_dev`` + ``st_ino``, so
``costplan report - -o plan.yaml < plan.yaml`` and ``... < plan.yaml > plan.yaml``
are refused before anything is written. The spool is removed when the session
ends.

Standard error over an input (``costplan report plan.yaml 2> plan.yaml``, or
``2>>``) is refused the same way, and earlier: when the session starts, a
standard error that is a regular file named on the command line (by
:func:`check_stderr`) is refused before anything is parsed or read. The refusal
cannot be written to standard error (that would write into the input): the
descriptor is pointed at ``/dev/null`` and the one-line message goes to the
controlling terminal (``/dev/tty``) when there is one; the exit code (2) says
it either way.

Writing (:func:`write_output`):

* :data:`STDOUT` (what ``-o -`` parses to) writes to standard output.
* A symlink is written through: its final target is replaced (never the link
  itself: ``-o /dev/stdout`` must not replace ``/dev``'s link).
* Any other path is checked first (:func:`check_output`): every name within the
  file system's limit, an existing folder, not a folder, not an existing
  non-regular file (``/dev/null``, a FIFO: a rename would replace it), and not
  the same file (resolved path, symlink or hard link: ``st_dev`` + ``st_ino``)
  as any input registered in the session. Then it is written atomically by
  :func:`costplan.atomic.write_atomic` (temporary file + rename).
* :func:`declare_output` (called by the CLI's output options while the command
  line is parsed, see :class:`costplan.cli.common.OutputPath`) runs the same
  checks before the command starts and records the output, so that an output
  naming an input is refused when that input is opened: before anything is
  written. Two outputs naming one file, or two outputs on standard output, are
  refused too.

Signals: inside a session SIGINT (Ctrl-C), SIGTERM and SIGHUP raise
:class:`Interrupted`, so temporary files are removed on the way out, and the CLI
exits 128 + N with one line on stderr. (Not ``KeyboardInterrupt``: Typer turns
that into a silent exit 130.) A signal that is ignored when the session starts
(``nohup``) stays ignored; a second signal during the cleanup is ignored.

Layout: this module holds the session (what one command reads and writes) and everything that
reads or changes it; the parts, which never import it: :mod:`costplan.safeio_paths` (``-`` as a
path, the refusals, names and messages), :mod:`costplan.safeio_files` (one file's checks and raw
reads and writes) and :mod:`costplan.safeio_signals` (termination signals as
:class:`Interrupted`). Their public names are re-exported here.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from costplan.atomic import write_atomic
from costplan.errors import InputError
from costplan.safeio_files import (
    _CHUNK,
    _lexical,
    _read_all,
    _regular_file,
    _through_links,
    _write_stdout,
)
from costplan.safeio_files import check_output as check_output
from costplan.safeio_paths import STDIN as STDIN
from costplan.safeio_paths import STDOUT as STDOUT
from costplan.safeio_paths import OutputOverInputError as OutputOverInputError
from costplan.safeio_paths import StdinPath as StdinPath
from costplan.safeio_paths import StdoutPath as StdoutPath
from costplan.safeio_paths import UnreadableInput as UnreadableInput
from costplan.safeio_paths import _kind, _os_reason, _stat_or_none
from costplan.safeio_paths import is_stdin as is_stdin
from costplan.safeio_paths import is_stdout as is_stdout
from costplan.safeio_paths import name_problem as name_problem
from costplan.safeio_paths import shown as shown
from costplan.safeio_signals import Interrupted as Interrupted
from costplan.safeio_signals import _catch_termination

#: Default size limit of one input file, in bytes actually read.
MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
#: Where a refusal goes when standard error is an input (see :func:`mute_stderr`).
TTY = "/dev/tty"


# --- the session: what this command reads and writes -------------------------------


@dataclass(frozen=True)
class _Input:
    path: str
    what: str
    dev: int
    ino: int


@dataclass(frozen=True)
class _Output:
    path: Path
    option: str


@dataclass
class Session:
    """The inputs read and the outputs declared by one command (one CLI invocation)."""

    inputs: list[_Input] = field(default_factory=list)
    outputs: list[_Output] = field(default_factory=list)
    #: Outputs already written whole: reading one back (a check of what was
    #: written) is not reading an input the output would overwrite.
    written: set[str] = field(default_factory=set)
    #: ``(st_dev, st_ino)`` of standard output when the session started, if it
    #: was a regular file (a shell redirection ``> FILE``); else None.
    stdout: tuple[int, int] | None = None
    #: Standard input, once read: the spool file and the kind of input it was read as.
    stdin: tuple[Path, str] | None = None
    #: The command-line argument that named standard input (``-``) as an input, if any.
    stdin_argument: str | None = None
    #: The same for standard error (``2> FILE``).
    stderr: tuple[int, int] | None = None

    def option_of(self, path: Path) -> str:
        """The option that declared ``path`` ("output" when none did)."""
        for out in self.outputs:
            if str(out.path) == str(path):
                return out.option
        return "output"

    def refuse_input(self, path: Path, st: os.stat_result, option: str) -> None:
        """Raise if the output ``path`` (``st``: its stat) is one of the inputs read."""
        for inp in self.inputs:
            if (inp.dev, inp.ino) == (st.st_dev, st.st_ino):
                raise _over_input(path, option, inp.what, inp.path)

    def refuse_output(self, path: Path, st: os.stat_result, what: str) -> None:
        """Raise if the input ``path`` (``st``: its stat) is a declared output or
        standard output."""
        if self.stderr is not None and self.stderr == (st.st_dev, st.st_ino):
            mute_stderr()
            raise _stream_over_input("error", path, st, what)
        if self.stdout is not None and self.stdout == (st.st_dev, st.st_ino):
            raise _stream_over_input("output", path, st, what)
        for out in self.outputs:
            if is_stdout(out.path) or str(out.path) in self.written:
                continue
            other = _stat_or_none(out.path)
            if other is not None and (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                raise _over_input(out.path, out.option, what, str(path))


_current: Session | None = None


def current() -> Session | None:
    """The active session (None outside the CLI: library calls register nothing)."""
    return _current


def _over_input(out: Path, option: str, what: str, inp: str) -> OutputOverInputError:
    return OutputOverInputError(
        f"{option} is the same file as the {what} {shown(inp)}; refusing to overwrite an input",
        file=shown(out),
    )


def _stream_over_input(
    stream: str, path: Path, st: os.stat_result, what: str
) -> OutputOverInputError:
    """``stream``: "output" (standard output) or "error" (standard error)."""
    sign = ">" if stream == "output" else "2>"
    emptied = (
        f" (it is empty now: the shell's '{sign}' emptied it before costplan started)"
        if st.st_size == 0
        else ""
    )
    return OutputOverInputError(
        f"standard {stream} is redirected to this {what}{emptied}; "
        "refusing to write over an input",
        file=shown(path),
        hint=f"redirect standard {stream} to another file",
    )


def _stream_file(stream: object) -> tuple[int, int] | None:
    """``(st_dev, st_ino)`` of ``stream`` (sys.stdout, sys.stderr) if it is a regular
    file, else None (a terminal, pipe, device, a closed descriptor, or an in-memory
    stream)."""
    try:
        st = os.fstat(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def mute_stderr() -> None:
    """Standard error is an input: point its descriptor at ``/dev/null`` (nothing,
    from costplan or a library, may write into the input) and ``sys.stderr`` at
    the controlling terminal (:data:`TTY`) if there is one, so the refusal is
    still seen."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
    with contextlib.suppress(OSError):  # no terminal: the exit code is the message
        sys.stderr = open(TTY, "w")  # noqa: SIM115 (lives until exit)


def check_stderr(args: Iterable[str]) -> None:
    """Refuse (exit 2) a standard error that is a regular file named in ``args``
    (the command line: ``costplan report plan.yaml 2> plan.yaml``), before anything
    is parsed or read. ``--option=FILE`` counts too."""
    if _current is None or _current.stderr is None:
        return
    for arg in args:
        for text in {arg, arg.partition("=")[2]} - {""}:
            st = _stat_or_none(Path(text))
            if st is not None and (st.st_dev, st.st_ino) == _current.stderr:
                mute_stderr()
                emptied = (
                    " (it is empty now: the shell's '2>' emptied it before costplan started)"
                    if st.st_size == 0
                    else ""
                )
                raise OutputOverInputError(
                    "standard error is redirected to this file, which is named on the "
                    f"command line{emptied}; refusing to write over it",
                    file=shown(text),
                    hint="redirect standard error to another file",
                )


@contextlib.contextmanager
def session() -> Iterator[Session]:
    """A fresh registry of inputs and outputs; SIGINT/SIGTERM/SIGHUP as :class:`Interrupted`."""
    global _current
    outer = _current
    fresh = Session(stdout=_stream_file(sys.stdout), stderr=_stream_file(sys.stderr))
    _current = fresh
    restore = _catch_termination()
    try:
        yield fresh
    finally:
        _current = outer
        restore()
        if fresh.stdin is not None:
            _remove_spool(fresh.stdin[0])


# --- standard input ------------------------------------------------------------------

_spools: dict[int, tuple[Path, str]] = {}  # outside a session: one spool per process


def _remove_spool(spool: Path) -> None:
    import shutil

    shutil.rmtree(spool.parent, ignore_errors=True)


def _stdin_spool(what: str) -> Path:
    """The spool file holding standard input (see the module docs), made on first use.

    Raises InputError when standard input was already read as another kind of input,
    and :class:`OutputOverInputError` when it is the same file as an output.
    """
    held = _current.stdin if _current is not None else _spools.get(0)
    if held is not None:
        spool, first = held
        if first != what:
            raise InputError(
                f"standard input (-) is already the {first}; only one input can be -",
                hint=f"give the {what} as a file",
            )
        return spool
    import atexit
    import tempfile

    try:
        st = os.fstat(0)
    except OSError:
        raise UnreadableInput(what, "is not open (standard input is closed)", STDIN) from None
    if _current is not None:
        _current.refuse_output(STDIN, st, what)
        _current.inputs.append(_Input("-", what, st.st_dev, st.st_ino))
    # .jsonl: query files from standard input are JSON Lines (YAML readers ignore it)
    spool = Path(tempfile.mkdtemp(prefix="costplan-stdin-")) / "stdin.jsonl"
    try:
        with open(spool, "wb") as f:
            while chunk := os.read(0, _CHUNK):
                f.write(chunk)
    except OSError as exc:
        _remove_spool(spool)
        raise UnreadableInput(what, _os_reason(exc, STDIN), STDIN, exc) from None
    except BaseException:
        _remove_spool(spool)
        raise
    if _current is not None:
        _current.stdin = (spool, what)
    else:
        _spools[0] = (spool, what)
        atexit.register(_remove_spool, spool)
    return spool


def read_input(path: Path, *, what: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of the regular file ``path``; ``what`` names it in errors ("workload").

    Raises :class:`UnreadableInput` (see the module docs) and, inside a session,
    :class:`OutputOverInputError` when ``path`` is a declared output.
    """
    fd = open_input(path, what=what)
    try:
        data = _read_all(fd, limit, path, what)
    finally:
        os.close(fd)
    return data


def open_input(path: Path, *, what: str) -> int:
    """A read-only descriptor on the regular file ``path``, for readers that stream
    it (query files have no size cap): the same checks and registration as
    :func:`read_input`, without reading. The caller closes it. :data:`STDIN` is
    read from its spool."""
    if is_stdin(path):
        return os.open(_stdin_spool(what), os.O_RDONLY | os.O_CLOEXEC)
    _regular_file(path, what)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableInput(what, _os_reason(exc, path), path, exc) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped after the check
            raise UnreadableInput(what, f"is {_kind(st.st_mode)}, expected a regular file", path)
        if _current is not None:
            _current.refuse_output(path, st, what)
            _current.inputs.append(_Input(str(path), what, st.st_dev, st.st_ino))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def claim_input(path: Path, *, what: str) -> Path:
    """For a reader that must hand ``path`` to a library (DuckDB, zipfile) instead
    of reading its bytes here: the same checks as :func:`read_input` (a regular
    file, not a declared output) and the same registration; returns ``path``.
    The library then reads it; the size limit is the library's. For :data:`STDIN`
    the path returned is the spool's: the library reads that file."""
    if is_stdin(path):
        return _stdin_spool(what)
    st = _regular_file(path, what)
    if _current is not None:
        _current.refuse_output(path, st, what)
        _current.inputs.append(_Input(str(path), what, st.st_dev, st.st_ino))
    return path


def library_path(path: Path) -> Path:
    """The file a library (DuckDB, zipfile) should open for the input ``path``: the
    spool for :data:`STDIN` (claimed first with :func:`claim_input`), else ``path``."""
    if not is_stdin(path):
        return path
    held = _current.stdin if _current is not None else _spools.get(0)
    return held[0] if held is not None else path


def exists(path: Path) -> bool:
    """``path.exists()`` that is False (not an OSError) for names the OS rejects."""
    return _stat_or_none(path) is not None


def declare_output(path: Path, option: str) -> None:
    """Check ``path`` now (the command line is being parsed) and record it in the session."""
    if is_stdout(path):
        if _current is not None:
            for other in _current.outputs:
                if is_stdout(other.path):
                    raise InputError(
                        f"{other.option} and {option} both write to standard output (-)"
                    )
            _current.outputs.append(_Output(path, option))
        return
    st = check_output(_through_links(path), option)
    if _current is None:
        return
    if st is not None:
        _current.refuse_input(path, st, option)
    for other in _current.outputs:
        if is_stdout(other.path):
            continue
        other_st = _stat_or_none(other.path)
        same = (
            (st.st_dev, st.st_ino) == (other_st.st_dev, other_st.st_ino)
            if st is not None and other_st is not None
            else _lexical(path) == _lexical(other.path)
        )
        if same:
            raise InputError(f"{other.option} and {option} name the same file", file=shown(path))
    _current.outputs.append(_Output(path, option))


def write_output(path: Path, data: str | bytes | Iterable[bytes]) -> None:
    """Write ``data`` to the output ``path`` (see the module docs): stdout for
    :data:`STDOUT`, else checked, then atomically replaced. ``data`` may be an
    iterable of byte pieces, written as they come (streamed outputs)."""
    if is_stdout(path):
        _write_stdout(data)
        return
    option = _current.option_of(path) if _current is not None else "output"
    target = _through_links(path)
    st = check_output(target, option)
    if _current is not None and st is not None:
        _current.refuse_input(path, st, option)
    write_atomic(target, data)
    if _current is not None:
        _current.written.add(str(path))
