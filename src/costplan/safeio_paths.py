"""Names, kinds and messages of :mod:`costplan.safeio`: no session state, no I/O but ``stat``.

Contract: :data:`STDOUT` / :data:`STDIN` are the values ``-`` parses to as an output / input
(``is_stdout`` / ``is_stdin`` recognise only them); :class:`UnreadableInput` and
:class:`OutputOverInputError` are the two refusals (both ``InputError``, exit 2); ``shown``
shortens a path for a message; ``name_problem`` says why the OS would reject a name as too long;
``_kind`` names a non-regular file's type and ``_os_reason`` turns an ``OSError`` on a read into
the phrase of the message; ``_stat_or_none`` is ``os.stat`` that never raises.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PosixPath
from typing import Final

from costplan.errors import InputError

_PART_SHOWN: Final = 80  # longer names are shortened in messages (they stay readable)
_PATH_SHOWN: Final = 400  # and so are longer paths


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


def _stat_or_none(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (OSError, ValueError):
        return None
