"""The class-level MCKP core's ``min_cost`` path without side rows: tasks solved one by one.

Without a budget on another cost there is no coupling row: the optimum is each task's cheapest
integer configuration meeting its floor. With the prices ``lam = 0`` and ``mu_t``
(:func:`~costplan.solvers.classprices.task_prices` on the profit ``-cost``), ``-cost(x) = V_t
A_t - P_t(x)`` for every configuration ``x`` of task ``t``, so the cheapest one is the least
penalty one, found by enumerating with a growing cap
(:func:`~costplan.solvers.classconfigs.least_configs`); the tie-break takes the best quality,
then the first in enumeration order. Exact integers throughout: no money scale is needed, and
the result is proven optimal for the unscaled problem.
"""

from __future__ import annotations

import time
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.solvers.classconfigs import TooMany, Work, is_free, least_configs
from costplan.solvers.classprices import Prices, task_prices
from costplan.solvers.classsearch import infeasible, optimal

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem, ClassSolution


def solve_min_cost(
    p: ClassProblem, keep: npt.NDArray[np.bool_], deadline: float, max_work: int
) -> ClassSolution | None:
    """``min_cost`` without side rows: the tasks are independent, and each one's cheapest
    configuration is its least-penalty one under the prices ``lam = 0`` and ``mu_t`` (profit
    ``-cost``: ``-cost(x) = V_t A_t - P_t(x)``), found by enumerating with a growing cap; the
    tie-break takes the best quality among those. A budget on the same cost is then only a
    check (a robust budget, on other costs, couples the tasks: the caller does not come here).
    ``None`` (CP-SAT decides) when a task is free (zero-penalty trades) or a limit is hit.
    Exact integers throughout, so no money scale is needed. ``keep`` maps back to the caller's
    options.
    """
    start = time.perf_counter()
    groups = [np.flatnonzero(p.task == t) for t in range(len(p.volume))]
    floor = [int(f) if int(n) > 0 else -1 for f, n in zip(p.floor, p.volume, strict=True)]
    alphas = [[Fraction(-int(p.cost[o])) for o in g] for g in groups]
    mus, loss, _ = task_prices(p, groups, floor, alphas)
    pr = Prices(Fraction(0), tuple(mus), Fraction(0), tuple(loss), None)
    work = Work(max_work, deadline)
    counts = np.zeros(len(p.cost), np.int64)
    for t, g in enumerate(groups):
        if is_free(p, t, g, pr):
            return None
        try:
            configs = least_configs(p, p.cost, t, g, pr, work)
        except TooMany:
            return None
        if not configs:
            return infeasible(keep.size, start)
        x = np.asarray(configs, np.int64)
        cost = [int(v) for v in x @ p.cost[g]]
        quality = [int(v) for v in x @ p.quality[g]]
        best = min(range(len(configs)), key=lambda k: (cost[k], -quality[k], k))
        counts[g] = x[best]
    if p.budget is not None and int(np.sum(p.cost.astype(object) * counts)) > p.budget:
        return infeasible(keep.size, start)
    objective = int(np.sum(p.cost.astype(object) * counts))
    full = np.zeros(keep.size, np.int64)
    full[keep] = counts
    # exact integers throughout: the per-task search proves the optimum of the unscaled problem
    return optimal(full, objective, start, {})
