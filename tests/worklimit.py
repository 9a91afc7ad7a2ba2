"""Deterministic work limits for CP-SAT in tests, instead of wall-clock ones.

A test that needs CP-SAT to stop before it proves an answer must not depend on how
fast this machine is today: :func:`limit_cpsat` makes every CP-SAT solver costplan
creates (through ``costplan.solvers.cpsat.cp_solver``) stop after a deterministic
amount of work (``max_deterministic_time``, CP-SAT's machine-independent work unit,
or a number of conflicts), and records the solvers so that the test can assert on
their statistics (status, branches, parameters) afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest

import costplan.solvers.constrained as constrained
import costplan.solvers.cpsat as cpsat


def limit_cpsat(
    monkeypatch: pytest.MonkeyPatch,
    *,
    deterministic_time: float | None = None,
    conflicts: int | None = None,
    record: bool = True,
) -> list[Any]:
    """Patch ``cp_solver`` everywhere it is used; return the list the solvers go into
    (kept empty with ``record=False``, for tests that solve thousands of models)."""
    made: list[Any] = []
    real = cpsat.cp_solver

    def limited(*args: Any, **kwargs: Any) -> Any:
        solver = real(*args, **kwargs)
        if deterministic_time is not None:
            solver.parameters.max_deterministic_time = deterministic_time
        if conflicts is not None:
            solver.parameters.max_number_of_conflicts = conflicts
        if record:
            made.append(solver)
        return solver

    monkeypatch.setattr(cpsat, "cp_solver", limited)
    monkeypatch.setattr(constrained, "cp_solver", limited)
    return made


def status(solver: Any) -> str:
    """CP-SAT's status name for a finished solve: 'OPTIMAL', 'FEASIBLE', 'UNKNOWN'..."""
    return str(solver.response_proto.status).rsplit(".", 1)[-1]
