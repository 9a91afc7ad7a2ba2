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
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PosixPath
from types import FrameType
from typing import Final

from costplan.atomic import write_atomic
from costplan.errors import InputError

#: Default size limit of one input file, in bytes actually read.
MAX_INPUT_BYTES: Final = 64 * 1024 * 1024
_CHUNK: Final = 1 << 20
_PART_SHOWN: Final = 80  # longer names are shortened in messages (they stay readable)
_PATH_SHOWN: Final = 400  # and so are longer paths
_TERMINATING: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Where a refusal goes when standard error is an input (see :func:`mute_stderr`).
TTY = "/dev/tty"


class StdoutPath(PosixPath):
    """The type of :data:`STDOUT`: ``-`` as an output means standard output.

    Only the value the command line's ``-`` parses to is one; ``./-`` stays a
    file named ``-``.
    """


STDOUT: Final = StdoutPath("-")


class StdinPath(PosixPath):
    """The type of :data:`STDIN`: ``-`` as an input means standard input."""


STDIN: Final = StdinPath("-")


def is_stdout(path: Path | None) -> bool:
    """True when ``path`` is :data:`STDOUT` (``-o -``)."""
    return isinstance(path, StdoutPath) and str(path) == "-"


def is_stdin(path: Path | None) -> bool:
    """True when ``path`` is :data:`STDIN` (an input given as ``-``)."""
    return isinstance(path, StdinPath) and str(path) == "-"


class UnreadableInput(InputError):
    """An input that cannot be read: ``"{what} {reason}"``, located at the file.

    ``oserror`` is the OS error behind it, if any (None for "not a regular file"
    and "too large", which costplan decides).
    """

    def __init__(self, what: str, reason: str, path: Path, oserror: OSError | None = None):
        self.reason = reason
        self.oserror = oserror
        super().__init__(f"{what} {reason}", file=shown(path))


class OutputOverInputError(InputError):
    """An output that is the same file as one of the command's inputs (exit 2)."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (a BaseException, like ``KeyboardInterrupt``)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def shown(path: Path | str) -> str:
    """``path`` for a message: a name over 80 characters as its first 40 and last 20
    (``nnnn...nnnn.yaml``), a path still over 400 as its first 200 and last 100."""
    parts = str(path).split("/")
    text = "/".join(p if len(p) <= _PART_SHOWN else f"{p[:40]}...{p[-20:]}" for p in parts)
    if len(text) <= _PATH_SHOWN:
        return text
    return f"{text[:200]}...{text[-100:]}"


# --- names ------------------------------------------------------------------------


def _limit(path: Path, name: str, default: int) -> int:
    """``os.pathconf`` of the nearest existing folder of ``path`` (``default`` if none)."""
    folder = path.parent
    for candidate in (folder, *folder.parents):
        try:
            return int(os.pathconf(candidate if str(candidate) else ".", name))
        except (OSError, ValueError):
            continue
    return default


def name_problem(path: Path) -> str | None:
    """Why the OS would reject ``path``'s name as too long (ENAMETOOLONG), or None."""
    name_max = _limit(path, "PC_NAME_MAX", 255)
    for part in path.parts:
        size = len(os.fsencode(part))
        if part != "/" and size > name_max:
            return f"file name too long ({size} bytes; the file system allows {name_max})"
    size = len(os.fsencode(str(path)))
    path_max = _limit(path, "PC_PATH_MAX", 4096)
    if size >= path_max:
        return f"path too long ({size} bytes; the file system allows {path_max - 1})"
    return None


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _os_reason(exc: OSError, path: Path) -> str:
    if exc.errno in (errno.ENOENT,):
        return "not found"
    if exc.errno == errno.ENOTDIR:
        return "not found (a part of its path is not a folder)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "is not readable: permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "has a " + (name_problem(path) or "file name too long")
    if exc.errno == errno.ELOOP:
        return "is a symlink loop (too many levels of symbolic links)"
    if exc.errno == errno.ENXIO:  # a socket, or a FIFO without a writer on some systems
        return "is not a regular file"
    return f"could not be read: {exc.strerror or exc}"


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


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    # Later termination signals must not abort the cleanup the first one started.
    for sig in _TERMINATING:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def _catch_termination() -> Callable[[], None]:
    """Turn SIGINT, SIGTERM and SIGHUP into :class:`Interrupted`; return the restorer."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, object] = {}
    for sig in _TERMINATING:
        old = signal.getsignal(sig)
        if old is signal.SIG_IGN:  # nohup: keep ignoring
            continue
        if sig == signal.SIGINT and old is not signal.default_int_handler:
            continue  # someone else's Ctrl-C handler: leave it
        previous[sig] = old
        signal.signal(sig, _raise_interrupted)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)  # type: ignore[arg-type]

    return restore


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


# --- reading -----------------------------------------------------------------------


def _read_all(fd: int, limit: int, path: Path, what: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        except OSError as exc:
            raise UnreadableInput(what, _os_reason(exc, path), path, exc) from None
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise UnreadableInput(what, f"is too large (more than {limit:,} bytes)", path)


def _regular_file(path: Path, what: str) -> os.stat_result:
    """``os.stat(path)``, or :class:`UnreadableInput` unless it is a regular file."""
    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        err = exc if isinstance(exc, OSError) else OSError(errno.EINVAL, str(exc))
        raise UnreadableInput(what, _os_reason(err, path), path, err) from None
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableInput(what, "is a directory, expected a file", path)
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableInput(what, f"is {_kind(st.st_mode)}, expected a regular file", path)
    return st


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


# --- writing -----------------------------------------------------------------------


def _output_error(exc: OSError, path: Path, option: str) -> InputError:
    if exc.errno == errno.ENAMETOOLONG:
        reason = name_problem(path) or "file name too long"
        return InputError(f"{option} {reason}", file=shown(path))
    if exc.errno == errno.ELOOP:
        return InputError(f"{option} is a symlink loop", file=shown(path))
    return InputError(f"cannot write output: {exc.strerror or exc}", file=shown(path))


def check_output(path: Path, option: str = "output") -> os.stat_result | None:
    """Raise unless ``path`` can be replaced by a new regular file; its stat if it exists.

    Not checked against inputs (see :func:`write_output` and :func:`declare_output`).
    """
    problem = name_problem(path)
    if problem is not None:
        raise InputError(f"{option} {problem}", file=shown(path))
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder_st = os.stat(folder)
    except FileNotFoundError:
        raise InputError("output directory does not exist", file=shown(folder)) from None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            raise InputError("output directory does not exist", file=shown(folder)) from None
        raise _output_error(exc, path, option) from None
    if not stat.S_ISDIR(folder_st.st_mode):
        raise InputError("output directory does not exist", file=shown(folder))
    try:
        st = os.stat(path)
    except FileNotFoundError:  # a new file, or a dangling symlink (replaced by the file)
        return None
    except OSError as exc:
        raise _output_error(exc, path, option) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("output path is a directory", file=shown(path))
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            f"{option} is {_kind(st.st_mode)}; outputs are replaced whole, so only regular "
            "files can be written",
            file=shown(path),
            hint="write to a file, or use - for standard output",
        )
    return st


def _lexical(path: Path) -> str:
    folder = path.parent if str(path.parent) else Path(".")
    return os.path.join(os.path.realpath(folder), path.name)


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


def _write_stdout(data: str | bytes | Iterable[bytes]) -> None:
    if not isinstance(data, str | bytes):
        sys.stdout.flush()
        for piece in data:
            sys.stdout.buffer.write(piece)
        sys.stdout.buffer.flush()
    elif isinstance(data, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        if sys.stdout.isatty():  # a terminal would obey escapes in data; a pipe gets exact text
            from costplan.textsafe import printable_lines

            data = printable_lines(data)
        sys.stdout.write(data)
        sys.stdout.flush()


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


def _through_links(path: Path) -> Path:
    """The file a write to ``path`` replaces: the final target of a symlink."""
    try:
        return Path(os.path.realpath(path)) if os.path.islink(path) else path
    except (OSError, ValueError):
        return path
