"""Checks and raw I/O on one file for :mod:`costplan.safeio`, without session state.

Contract: ``_regular_file`` stats an input and refuses (:class:`UnreadableInput`) anything but a
regular file; ``_read_all`` reads a descriptor to the end, refusing past ``limit`` bytes
actually read; :func:`check_output` refuses an output path that cannot be replaced by a new
regular file (names, folder, directory, non-regular file) and returns its stat if it exists;
``_through_links`` is the file a write replaces (a symlink's final target), ``_lexical`` a
path's folder-resolved spelling, ``_write_stdout`` writes text, bytes or byte pieces to
standard output (text made printable on a terminal). Whether a file is also one of the
command's inputs or outputs is :mod:`costplan.safeio`'s question, not this module's.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from costplan.errors import InputError
from costplan.safeio_paths import UnreadableInput, _kind, _os_reason, name_problem, shown

_CHUNK: Final = 1 << 20


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


def _through_links(path: Path) -> Path:
    """The file a write to ``path`` replaces: the final target of a symlink."""
    try:
        return Path(os.path.realpath(path)) if os.path.islink(path) else path
    except (OSError, ValueError):
        return path
