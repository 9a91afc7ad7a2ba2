"""Termination signals as an exception, for :func:`costplan.safeio.session`.

Contract: :func:`_catch_termination` (main thread only; elsewhere a no-op) makes SIGINT,
SIGTERM and SIGHUP raise :class:`Interrupted` and returns the function that restores the
previous handlers. A signal ignored when it is called (``nohup``) stays ignored, someone else's
SIGINT handler is left alone, and after the first signal the others are ignored so that the
cleanup it started is not cut short.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Final

_TERMINATING: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (a BaseException, like ``KeyboardInterrupt``)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


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
