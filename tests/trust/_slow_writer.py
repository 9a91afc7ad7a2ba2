"""Child process for test_atomic.py: writes slowly so that a test can kill it mid-write.

``python -m tests.trust._slow_writer write TARGET`` writes 4 MB with
:func:`costplan.atomic.write_atomic`; ``... cli TARGET WORKLOAD`` runs
``costplan optimize WORKLOAD --out TARGET``; ``... run ARGS...`` runs
``costplan ARGS...``. Either way every write to the
temporary file goes out in small chunks with a pause after each, and the first
chunk is announced on stdout ("writing <temp path>").
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

CHUNK = 256
PAUSE_S = 0.02


class _SlowFile:
    def __init__(self, raw: Any, path: str) -> None:
        self.raw = raw
        self.path = path

    def write(self, data: bytes) -> int:
        for i in range(0, len(data), CHUNK):
            self.raw.write(data[i : i + CHUNK])
            self.raw.flush()
            if i == 0:
                print(f"writing {self.path}", flush=True)
            time.sleep(PAUSE_S)
        return len(data)

    def flush(self) -> None:
        self.raw.flush()

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def __enter__(self) -> _SlowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.raw.close()


def main() -> None:
    real_fdopen = os.fdopen

    def slow_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        raw = real_fdopen(fd, mode, *args, **kwargs)
        return _SlowFile(raw, os.readlink(f"/proc/self/fd/{fd}"))

    os.fdopen = slow_fdopen  # type: ignore[assignment]
    what, target = sys.argv[1], Path(sys.argv[2])
    if what == "write":
        from costplan.atomic import write_atomic

        write_atomic(target, b"new " * 1_000_000)
    elif what == "run":
        from costplan.cli.app import main as cli

        cli(sys.argv[2:])
    else:
        from costplan.cli.app import main as cli

        cli(["optimize", sys.argv[3], "--out", str(target), "-q"])


if __name__ == "__main__":
    main()
