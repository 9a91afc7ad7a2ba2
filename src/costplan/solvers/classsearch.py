"""The class-level MCKP core's exact search: margin rounds, the MCKP over configurations, the
tie-break, and branching on a ``split: false`` fractional task.

:func:`solve` (problem with a budget, ``max_quality``, no side rows, money already at the unit
the caller chose):

1. Prices and the exact LP bound ``D`` (:func:`~costplan.solvers.classprices.prices`); each
   task's least integer penalty ``L_t`` tightens it to ``D' = D - sum_t L_t``.
2. For a margin ``G``, every task's configurations of penalty ``<= L_t + G``
   (:func:`~costplan.solvers.classconfigs.build`) form an MCKP (group = task, option =
   configuration) solved exactly by :func:`~costplan.solvers.mckp.solve_mckp`. If its optimum
   ``Z >= D' - G``, ``Z`` is the optimum of the whole problem (every plan of quality ``>= D' -
   G`` was among the configurations). Otherwise the optimum is below ``D' - G``; the margin
   grows to ``D' - Z`` (which makes the next round final) but by at most 4x a round. A margin
   of ``D' - q_min`` covers every plan, so that round also decides infeasibility.
3. Tie-break: among plans of the optimal quality the cheapest, by a second, min-cost MCKP over
   the same configurations with the quality floor ``Z`` (every such plan is among them); for
   robust plans, whose budget is on p95-length costs, by CP-SAT over the same configurations.

:func:`branch`: when :func:`solve` gives up and the LP's fractional task has ``split: false``,
one solve per option of that task; the branches partition the plans, so the best branch
optimum is the optimum.

Contract: an ``optimal`` result here is proven for the problem this module was given (after
:func:`restrict`'s scaling); the caller decides what that proves about the user's problem and
adds the certificate. ``None``: this method gave up (limits, or the core did not close in time).
"""

from __future__ import annotations

import dataclasses
import math
import time
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.solvers.classconfigs import Task, Work, build, least_penalties
from costplan.solvers.classlevel import ClassProblem, ClassSolution
from costplan.solvers.classprices import Prices, prices
from costplan.solvers.mckp import MckpProblem, solve_mckp
from costplan.solvers.protocol import Solution

I64 = npt.NDArray[np.int64]


def restrict(
    p: ClassProblem, keep: npt.NDArray[np.bool_], scale: int = 1, up: bool = True
) -> ClassProblem:
    """``p`` with only the options in ``keep``, money in units of ``scale`` pico-dollars (costs
    rounded up, the budget down: a plan feasible here is feasible exactly; ``up=False``: the
    other way round, a relaxation whose optimum bounds ``p``'s)."""

    def down(c: I64) -> I64:
        return -(-c[keep] // scale) if up else c[keep] // scale

    return ClassProblem(
        task=p.task[keep],
        cost=down(p.cost),
        quality=p.quality[keep],
        volume=p.volume,
        floor=p.floor,
        split=p.split,
        objective=p.objective,
        budget=None if p.budget is None else (p.budget // scale if up else -(-p.budget // scale)),
        budget_cost=None if p.budget_cost is None else down(p.budget_cost),
    )


_MAX_DEPTH = 2  # nested branchings on split: false tasks


def branch(p: ClassProblem, deadline: float, max_work: int, depth: int) -> ClassSolution | None:
    """:func:`solve`, or, when it gives up and the LP's fractional task has ``split: false``,
    one solve per option of that task (the task sends all its queries to that option): the
    branches partition the plans, so the best branch optimum (quality, then cost) is the
    optimum. Such a task leaves a budget gap of up to its whole volume that no margin covers
    cheaply; fixing it restores a near-integral LP."""
    sol, pr = solve(p, deadline, max_work)
    critical = None if pr is None else pr.critical
    if sol is not None or critical is None or p.split[critical] or depth >= _MAX_DEPTH:
        return sol
    best: ClassSolution | None = None
    best_key = (0, 0)
    for o in np.flatnonzero(p.task == critical):
        keep = (p.task != critical) | (np.arange(len(p.task)) == o)
        part = branch(restrict(p, keep), deadline, max_work, depth + 1)
        if part is None:
            return None
        if part.status != "optimal":
            continue
        counts = np.zeros(len(p.cost), np.int64)
        counts[keep] = part.counts
        key = (int(np.sum(p.quality * counts)), -int(np.sum(p.cost * counts)))
        if best is None or key > best_key:
            best, best_key = dataclasses.replace(part, x=counts), key
    return best if best is not None else infeasible(len(p.cost), time.perf_counter())


def solve(
    p: ClassProblem, deadline: float, max_work: int
) -> tuple[ClassSolution | None, Prices | None]:
    """(solution or ``None`` if this method gave up, the prices it used)."""
    assert p.budget is not None
    start = time.perf_counter()
    n_task = len(p.volume)
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    groups = [np.flatnonzero(p.task == t) for t in range(n_task)]
    pr = prices(p, bcost)
    if pr is None:
        return infeasible(len(p.cost), start), None
    work = Work(max_work, deadline)
    least = least_penalties(p, bcost, groups, pr, work)
    if least is None:
        return None, pr
    # D' = D - sum of the tasks' least penalties: the Lagrangian bound with integer tasks
    bound = pr.bound - sum(least, Fraction(0))
    floor_pen = [float(x) for x in least]
    stats: dict[str, float] = {"lp_bound": float(pr.bound), "lagrangian_bound": float(bound)}
    # every plan has quality >= q_min, so a margin of D' - q_min covers all of them: the last
    # round then decides feasibility too
    q_min = sum(int(p.volume[t]) * int(p.quality[g].min()) for t, g in enumerate(groups))
    full = max(Fraction(0), bound - q_min)
    margin = min(full, Fraction(max(1, n_task)))  # first guess; grows below
    best_counts: I64 | None = None
    best_q = -1
    rounds = 0
    while True:
        rounds += 1
        built = build(p, bcost, groups, pr, floor_pen, float(margin), Work(max_work, deadline))
        if built is None:
            return None, pr
        tasks, cost, value, feas = built
        if feas.size == 0:  # some task has no configuration within the margin
            if margin >= full:
                return infeasible(len(p.cost), start), pr
            margin = min(full, margin * 4)
            continue
        res = solve_mckp(
            _shifted(cost, value, feas, p.budget, "max_value", None),
            time_limit_s=max(0.1, deadline - time.perf_counter()),
        )
        if res.status == "feasible":
            return None, pr  # the core did not close in time: let CP-SAT try with its own proof
        if res.status == "optimal":
            if res.objective > best_q:
                best_q = res.objective
                best_counts = _counts(p, tasks, res.choice)
            if res.objective >= math.ceil(bound - margin):
                break
            # the optimum is below D - margin; D - Z covers it (a final round), but a poor Z
            # would make that round huge, so grow by at most 4x per round
            margin = min(bound - res.objective, 4 * margin)
        else:
            if margin >= full:
                return infeasible(len(p.cost), start), pr
            margin = min(full, margin * 4)
        if time.perf_counter() >= deadline:
            return None, pr
    assert best_counts is not None
    # Tie-break: the cheapest plan of the optimal quality (all such plans are configuration
    # plans of this round). With one cost it is a min-cost MCKP; a robust plan's budget is on
    # another cost, so a small CP-SAT model over the configurations decides it.
    if p.budget_cost is None:
        tie = solve_mckp(
            _shifted(cost, value, feas, p.budget, "min_cost", best_q),
            time_limit_s=max(0.1, deadline - time.perf_counter()),
        )
        if tie.status == "optimal":
            best_counts = _counts(p, tasks, tie.choice)
    else:
        choice = _cheapest(p, tasks, cost, value, best_q, deadline)
        if choice is not None:
            best_counts = _counts(p, tasks, choice)
    objective = int(np.sum(p.quality * best_counts))
    stats.update({"rounds": float(rounds), "configs": float(feas.sum()), "margin": float(margin)})
    return optimal(best_counts, objective, start, stats), pr


def _cheapest(
    p: ClassProblem,
    tasks: list[Task],
    bcost: I64,
    value: I64,
    quality: int,
    deadline: float,
) -> I64 | None:
    """Configuration choice of least ``cost`` with quality >= ``quality`` and budget cost <=
    the budget (CP-SAT, exact), or ``None`` if not proven in time."""
    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    model = cp_model.CpModel()
    pick: list[list[Any]] = []
    cost_terms = []
    budget_terms = []
    value_terms = []
    for t, task in enumerate(tasks):
        real = np.asarray(task.configs, np.int64) @ p.cost[task.options]
        row = []
        for k in range(len(task.configs)):
            v = model.new_bool_var(f"c{t}_{k}")
            row.append(v)
            cost_terms.append(int(real[k]) * v)
            budget_terms.append(int(bcost[t, k]) * v)
            value_terms.append(int(value[t, k]) * v)
        model.add_exactly_one(row)
        pick.append(row)
    model.add(sum(value_terms) >= quality)
    assert p.budget is not None
    model.add(sum(budget_terms) <= p.budget)
    model.minimize(sum(cost_terms))
    solver = cp_solver(max(0.1, deadline - time.perf_counter()))
    if solver.solve(model) != cp_model.OPTIMAL:
        return None
    return np.asarray(
        [next(k for k, v in enumerate(row) if solver.value(v)) for row in pick], np.int64
    )


def _shifted(
    cost: I64, value: I64, feas: npt.NDArray[np.bool_], budget: int, objective: Any, floor: Any
) -> MckpProblem:
    """The core MCKP with every task's configuration costs shifted by its cheapest one (and
    the budget by their sum): the same plans and optimum, smaller exact sums. A budget below
    the shift is kept negative, which the core reports as infeasible."""
    big = np.iinfo(np.int64).max
    low = np.where(feas, cost, big).min(axis=1)
    shifted = np.where(feas, cost - low[:, None], 0)
    return MckpProblem(shifted, value, feas, budget - int(low.astype(object).sum()), objective,
                       min_value=floor)  # fmt: skip


def infeasible(n_options: int, start: float) -> ClassSolution:
    zeros = np.zeros(n_options, np.int64)
    wall = time.perf_counter() - start
    return Solution("infeasible", zeros, 0, None, None, method="mckp", wall_s=wall)


def optimal(counts: I64, objective: int, start: float, stats: dict[str, float]) -> Solution:
    """An internal result: ``counts`` proven optimal for the problem this module was given
    (the caller decides what that proves about the user's problem and adds the certificate)."""
    wall = time.perf_counter() - start
    return Solution("optimal", counts, objective, objective, Fraction(0), method="mckp",
                    wall_s=wall, stats=stats)  # fmt: skip


def _counts(p: ClassProblem, tasks: list[Task], choice: I64) -> I64:
    counts = np.zeros(len(p.cost), np.int64)
    for task, k in zip(tasks, choice, strict=True):
        counts[task.options] = task.configs[int(k)]
    return counts
