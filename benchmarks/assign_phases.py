"""Phase timers for one ``costplan assign`` run, in process (wall and peak RSS per phase).

Usage: ``PYTHONPATH=src python benchmarks/assign_phases.py QUERIES --prices P --budget B ...``
(the arguments of ``costplan assign``). Each phase's wall time and the process's peak RSS so far
(``VmHWM``, from the OS) go to standard error; run it under ``/usr/bin/time -v`` for the whole
process. Phases: read (``load_queries``), build_arrays, solve (``solve_mckp``), summary+check
(``finish_assignment``, including the independent checker), write rows, write plan.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Any

import costplan.assign
import costplan.planio
import costplan.queries
import costplan.solvers.mckp

T0 = time.perf_counter()


def peak_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return int(line.split()[1]) // 1024
    return -1


def timed(module: Any, name: str, label: str) -> None:
    f = getattr(module, name)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        out = f(*args, **kwargs)
        print(f"PHASE {label:14s} {time.perf_counter() - t:7.2f} s  peak {peak_mib()} MiB",
              file=sys.stderr)  # fmt: skip
        return out

    setattr(module, name, wrapper)


def main() -> None:
    timed(costplan.queries, "load_queries", "read")
    timed(costplan.assign, "build_arrays", "build_arrays")
    timed(costplan.solvers.mckp, "solve_mckp", "solve")
    timed(costplan.assign, "finish_assignment", "summary+check")
    timed(costplan.assign, "verify_assignment", " (checker)")
    timed(costplan.assign, "write_assignments", "write rows")
    timed(costplan.planio, "write_plan", "write plan")
    from costplan.cli.app import main as cli

    sys.argv = ["costplan", "assign", *sys.argv[1:]]
    try:
        cli()
    finally:
        print(f"PHASE {'total':14s} {time.perf_counter() - T0:7.2f} s  peak {peak_mib()} MiB",
              file=sys.stderr)  # fmt: skip


if __name__ == "__main__":
    main()
