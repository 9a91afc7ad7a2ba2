"""CP-SAT on a restricted MCKP question (the exact core's fallback when the DP aborts).

Contract: ``_solve_sub`` maximises ``sum p[g, x_g]`` over the given groups, each restricted to
its ``keep`` options, subject to ``sum w[g, x_g] <= capacity``, exactly (integer model, fixed
seed, the caller's plan as a hint, the time left before ``deadline``). Its ``_SubResult`` says
whether the answer is proven (optimal, or infeasible with ``plan`` and ``bound`` ``None``), and
otherwise gives CP-SAT's best plan (if any) and a conservative integer upper bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _SubResult:
    plan: I64 | None  # option per sub-problem group (None: no solution found)
    proven: bool  # the sub-problem was solved to optimality or proven infeasible
    bound: int | None  # upper bound on the sub-problem's profit (None: proven infeasible)
    wall: float


def _solve_sub(
    p: I64,
    w: I64,
    groups: I64,
    keep: Bool,
    capacity: int,
    hint: I64,
    deadline: float | None,
    num_workers: int,
) -> _SubResult:
    """Exact: maximise sum p[g, x_g] over ``groups`` (options where ``keep``), sum w <= capacity.

    One boolean per (group, kept option), exactly one per group, one knapsack row. Coefficients
    are shifted by per-group minima (same optimum, smaller numbers for CP-SAT's LP).
    """
    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    start = time.perf_counter()
    n = groups.size
    gi, ki = np.nonzero(keep)  # row-major: options of a group are contiguous, ascending
    gg = groups[gi]
    pv, wv = p[gg, ki], w[gg, ki]
    big = np.iinfo(np.int64).max
    pmin = np.full(n, big, dtype=np.int64)
    wmin = np.full(n, big, dtype=np.int64)
    np.minimum.at(pmin, gi, pv)
    np.minimum.at(wmin, gi, wv)
    cap = capacity - int(wmin.sum())
    offset = int(pmin.sum())
    if cap < 0:
        return _SubResult(None, True, None, time.perf_counter() - start)
    pc = (pv - pmin[gi]).tolist()
    wc = (wv - wmin[gi]).tolist()
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(gi.size)]
    starts = np.searchsorted(gi, np.arange(n + 1)).tolist()
    for j in range(n):
        model.add_exactly_one(xs[starts[j] : starts[j + 1]])
    hinted = (ki == hint[gi]).tolist()
    for x, hv in zip(xs, hinted, strict=True):
        model.add_hint(x, hv)
    model.add(cp_model.LinearExpr.weighted_sum(xs, wc) <= cap)
    model.maximize(cp_model.LinearExpr.weighted_sum(xs, pc))
    solver = cp_solver(None, num_workers=num_workers)
    prm = solver.parameters
    if deadline is not None:
        left = deadline - time.perf_counter()  # building the model counts against the limit
        if left <= 0:
            return _SubResult(None, False, None, time.perf_counter() - start)
        prm.max_time_in_seconds = left
    code = solver.solve(model)
    wall = time.perf_counter() - start
    if code == cp_model.INFEASIBLE:
        return _SubResult(None, True, None, wall)
    raw = float(solver.best_objective_bound)
    bound = offset + int(np.floor(raw + abs(raw) * 2.0**-50)) + 1  # conservative (float bound)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _SubResult(None, False, bound, wall)
    vals = np.fromiter((solver.boolean_value(x) for x in xs), dtype=np.bool_, count=len(xs))
    plan = np.empty(n, dtype=np.int64)
    plan[gi[vals]] = ki[vals]
    if code == cp_model.OPTIMAL:
        bound = offset + int(np.sum(np.asarray(pc, dtype=np.int64)[vals]))
    return _SubResult(plan, code == cp_model.OPTIMAL, bound, wall)
