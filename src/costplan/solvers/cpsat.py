"""One place that configures CP-SAT the way every costplan model needs it."""

from __future__ import annotations

from typing import Any


def cp_solver(
    time_limit_s: float | None, *, num_workers: int = 1, seed: int = 0, relative_gap: float = 0.0
) -> Any:
    """A ``CpSolver`` that is deterministic and leaves Ctrl-C to Python.

    * fixed ``random_seed``; with several workers ``interleave_search`` keeps the
      search deterministic;
    * ``catch_sigint_signal = False``: CP-SAT's own SIGINT handler would outlive the
      solve and kill the process on a later Ctrl-C, skipping atomic-write cleanup;
    * ``relative_gap`` > 0 stops once proven within that gap (callers must not read
      CP-SAT's OPTIMAL status as a proof then: compare bound and objective).
    """
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    prm = solver.parameters
    if time_limit_s is not None:
        prm.max_time_in_seconds = max(0.01, time_limit_s)
    if relative_gap > 0:
        prm.relative_gap_limit = relative_gap
    prm.num_workers = num_workers
    prm.random_seed = seed
    prm.catch_sigint_signal = False
    if num_workers > 1:
        prm.interleave_search = True
    return solver
