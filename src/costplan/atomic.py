"""Atomic file output: an existing file is never left half-written.

The primitive under :func:`costplan.safeio.write_output`, which checks the
destination first (name, folder, not an input); call that, not this.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from costplan.errors import InputError

#: Temporary files are ``.cp-XXXXXXXX.tmp`` beside the destination: 16 bytes, so
#: any name the file system accepts for the output also works for its temp file.
TEMP_PREFIX = ".cp-"
TEMP_SUFFIX = ".tmp"
_BLOCKED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _restore_python_sigint() -> None:
    """Make Ctrl-C reach Python's handler again (so the temporary file is removed).

    Native code can replace the process's SIGINT handler behind Python's back:
    OR-Tools' CP-SAT does (``catch_sigint_signal``) and leaves the default action
    (kill) after a solve. Re-installing the handler Python believes it has
    (``KeyboardInterrupt``, or :mod:`costplan.safeio`'s) restores it; only
    possible, and only needed, in the main thread.
    """
    if threading.current_thread() is threading.main_thread():
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            signal.signal(signal.SIGINT, handler)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while the temporary file is created and named.

    A signal handled between ``mkstemp`` creating the file and returning its name
    would leave a temporary file nobody knows about; held, the signal is handled
    right after, when the caller already has the name and can remove it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def write_atomic(path: Path, data: str | bytes | Iterable[bytes]) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory + rename.

    ``data`` may be an iterable of byte pieces (a streamed output): each is
    written as it comes, the rename happens after the last one.

    The rename is atomic on POSIX: readers see the old file or the new one,
    never a mix; a crash mid-write leaves the old file intact.

    On an error or an interrupt (``KeyboardInterrupt``; SIGTERM and SIGHUP,
    which :func:`costplan.safeio.session` turns into an exception) the temporary
    file is removed. A process killed outright (SIGKILL, power loss) cannot
    clean up: a stale ``.cp-*.tmp`` may remain beside ``path``; it is never
    removed automatically, because it may belong to another process writing at
    that moment. OS errors while writing (disk full, read-only file system) are
    :class:`InputError`.
    """
    pieces: Iterable[bytes] = (
        [data.encode()] if isinstance(data, str) else [data] if isinstance(data, bytes) else data
    )
    _restore_python_sigint()
    directory = path.parent if str(path.parent) else Path(".")
    tmp: str | None = None
    try:
        with _signals_deferred():
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory)
        with os.fdopen(fd, "wb") as fh:
            for piece in pieces:
                fh.write(piece)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            mode = 0o644
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:  # disk full, I/O error...: a problem of the place, not a bug
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise InputError(f"cannot write output: {exc.strerror or exc}", file=path) from exc
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
