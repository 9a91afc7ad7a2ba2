"""Brute-force oracle for the multiple-choice knapsack: enumerate every plan (tiny instances).

Reusable by any solver test. ``brute_force_mckp`` returns the optimal objective (or ``None`` when
no plan satisfies the constraints); ``all_plans`` gives every plan's choice and (cost, value)
totals so tests can check bounds and feasibility directly. Totals are exact Python integers
(object arrays), so the oracle is also valid for values near the int64 limits.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

MAX_GROUPS = 6
MAX_OPTIONS = 4


def all_plans(
    cost: npt.NDArray[np.int64], value: npt.NDArray[np.int64], feasible: npt.NDArray[np.bool_]
) -> tuple[list[tuple[int, ...]], list[int], list[int]]:
    """Every plan (one feasible option per group) with its exact total cost and total value."""
    g, k = cost.shape
    if g > MAX_GROUPS or k > MAX_OPTIONS:
        raise ValueError(f"brute force is for <= {MAX_GROUPS} groups x {MAX_OPTIONS} options")
    per_group = [[int(j) for j in np.flatnonzero(feasible[i])] for i in range(g)]
    plans = list(itertools.product(*per_group))
    costs = [sum(int(cost[i, j]) for i, j in enumerate(plan)) for plan in plans]
    values = [sum(int(value[i, j]) for i, j in enumerate(plan)) for plan in plans]
    return plans, costs, values


def brute_force_mckp(
    cost: npt.NDArray[np.int64],
    value: npt.NDArray[np.int64],
    feasible: npt.NDArray[np.bool_],
    objective: str,
    budget: int | None = None,
    min_value: int | None = None,
) -> int | None:
    """Optimal total value (max_value) or total cost (min_cost); None when infeasible.

    A plan must satisfy ``sum cost <= budget`` and ``sum value >= min_value`` when given,
    whichever the objective.
    """
    if objective not in ("max_value", "min_cost"):
        raise ValueError(objective)
    _, costs, values = all_plans(cost, value, feasible)
    ok = [
        (budget is None or c <= budget) and (min_value is None or v >= min_value)
        for c, v in zip(costs, values, strict=True)
    ]
    if not any(ok):
        return None
    if objective == "max_value":
        return max(v for v, good in zip(values, ok, strict=True) if good)
    return min(c for c, good in zip(costs, ok, strict=True) if good)
