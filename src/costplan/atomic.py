"""Atomic file output: an existing file is never left half-written."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path

from costplan.errors import InputError


def _restore_python_sigint() -> None:
    """Make Ctrl-C raise KeyboardInterrupt again (so the temporary file is removed).

    Native code can replace the process's SIGINT handler behind Python's back:
    OR-Tools' CP-SAT does (``catch_sigint_signal``) and leaves the default action
    (kill) after a solve. Re-installing the handler Python believes it has restores
    Python's own; only possible, and only needed, in the main thread.
    """
    if threading.current_thread() is threading.main_thread():
        handler = signal.getsignal(signal.SIGINT)
        if handler is signal.default_int_handler:
            signal.signal(signal.SIGINT, handler)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory + rename.

    The rename is atomic on POSIX: readers see the old file or the new one,
    never a mix; a crash mid-write leaves the old file intact.

    On an error or an interrupt (``KeyboardInterrupt``, SIGTERM turned into an
    exception) the temporary file is removed. A process killed outright
    (SIGKILL, power loss) cannot clean up: a stale ``.NAME.*.tmp`` may remain
    beside ``path``; it is never removed automatically, because it may belong to
    another process writing the same file at that moment. OS errors while
    writing (disk full, read-only file system) are :class:`InputError`.
    """
    raw = data.encode() if isinstance(data, str) else data
    _restore_python_sigint()
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError("output directory does not exist", file=directory)
    if path.is_dir():
        raise InputError("output path is a directory", file=path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", file=path) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:  # disk full, I/O error...: a problem of the place, not a bug
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise InputError(f"cannot write output: {exc.strerror or exc}", file=path) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
