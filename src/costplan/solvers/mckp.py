"""Exact multiple-choice knapsack (MCKP) for per-query allocation, on plain integer arrays.

Formulation (``G`` groups = queries, ``K`` options = models, all data integers)::

    variables   x[g, k] in {0, 1}                   group g uses option k
    choice      sum_k x[g, k] = 1                    for every group g
                x[g, k] = 0                          where not feasible[g, k]
    max_value   maximise  sum value[g, k] x[g, k]    s.t.  sum cost[g, k] x[g, k] <= budget
    min_cost    minimise  sum cost[g, k] x[g, k]     s.t.  sum value[g, k] x[g, k] >= min_value

Both objectives become one canonical problem, *maximise profit s.t. weight <= capacity*, with
every weight >= 0 and a weight-0 option in every group:

    max_value   profit = value,  weight = cost - min_k cost,   capacity = budget - sum_g min_k cost
    min_cost    profit = -cost,  weight = max_k value - value, capacity = sum_g max_k value - floor

(``min_k``/``max_k`` over feasible options.) The problem is infeasible exactly when the capacity
is negative. A budget given with ``min_cost``, or a floor given with ``max_value``, is checked on
the optimum (a secondary constraint never changes which plan is optimal, only whether one exists).

Method (numpy arrays throughout; the only Python loops run over option ranks, hull steps or
the few core groups of the DP, never over all groups):

1. *Dominance and hull.* Per group, options are sorted by (weight asc, profit desc, index asc).
   An option is *undominated* when its profit beats every cheaper option (a cumulative max);
   a dominated option can be swapped for its dominator without loss, so only undominated
   options are ever chosen (ties go to the lower weight, then the lower index). The upper
   convex hull of the undominated options (a vectorised monotone chain: one pass per column,
   pops vectorised over the groups that need them) gives the LP-undominated options. All
   slope comparisons are exact (128-bit products, see ``_prod_sign``).
2. *LP relaxation.* Every group starts at its weight-0 hull point; the hull steps
   ``(dprofit, dweight)`` are sorted by efficiency ``dprofit/dweight`` (decreasing; stable, so a
   group's steps stay in order) and taken greedily while the capacity allows. The LP optimum has
   at most one fractional group; its step's efficiency ``lam`` is the LP dual. The *bound* is the
   Lagrangian value ``L(lam) = lam * capacity + sum_g max_k (profit[g, k] - lam * weight[g, k])``,
   computed exactly as a ``Fraction`` (valid for *any* ``lam >= 0``, equal to the LP optimum at
   the critical ``lam``; so float rounding in the sort can never make the bound invalid).
3. *Incumbent.* The greedy plan rounds the fractional group down, then a short best-improvement
   fill spends the leftover capacity on any undominated option (not only hull points).
4. *Reduced-profit fixing.* For any plan ``x``:
   ``profit(x) <= L(lam) - sum_g (r*_g - r[g, x_g])`` with reduced profits
   ``r[g, k] = profit - lam * weight`` and ``r*_g = max_k r[g, k]`` (the *loss* of option k is
   ``r*_g - r[g, k] >= 0``). So a plan of profit >= T only uses options of loss <= L - T. With
   ``T = z + 1`` (integers; ``z`` the incumbent) the other options are eliminated (float64 with
   a rigorous error margin: an uncertain option is kept, never dropped). Groups left with one
   option are fixed at their reduced-profit argmax; the rest is the *core*.
5. *Exact core, by bound-driven deepening.* Targets ``T`` decrease from ``floor(L)`` towards
   ``z + 1`` (geometrically growing steps). Each asks "is there a plan of profit >= T?", which
   only involves options of loss <= L - T, so the early questions are tiny. A dynamic program
   over the involved groups (Pareto states of (weight, profit) change from the argmax plan,
   pruned by the LP bound of the remaining groups, exact int64 arithmetic, groups nearest to
   ``lam`` first) answers it exactly: *found* -> that plan is optimal (it is the best plan with
   profit >= T, hence the best plan overall); *none* -> the bound drops to ``T - 1`` and the
   next target is tried. If the DP exceeds its state limit (near-degenerate data, e.g.
   strongly correlated costs and values) the same restricted question goes to CP-SAT: one
   boolean per (group, surviving option), exactly one per group, the residual capacity, the
   exact integer objective, the incumbent as a hint, fixed seed. Its proof answers the
   question the same way; a time-out ends the search with CP-SAT's bound. A restricted
   question with more than ``core_limit`` groups is not sent to CP-SAT: the plan is returned
   as ``feasible`` with its gap. (Measured on 100k x 20 cores of 600-2,200 groups: CP-SAT
   needs 0.3-43 s to prove them, the DP 0.005-0.3 s.)

Status ``optimal`` is reported only with a proof (``bound == objective`` at the integer scale).
Deterministic: stable sorts, ties to the lower option index, CP-SAT with a fixed seed and one
worker (or ``interleave_search`` with several); only a time limit that cuts a search short can
make two runs differ.

Side constraints (later) reuse the same machinery: a Lagrangian multiplier ``mu`` on
``sum coef[g, x_g] <= rhs`` only changes the profit array (``profit - mu * coef``), and
``relax(profit, weight, feasible, capacity)`` solves the hull/greedy relaxation for any profit
array, returning the exact ``L(lam)`` (add ``mu * rhs`` for the relaxed constraint's term).

Integers: costs and values are int64; the totals ``sum_g max_k |cost|`` and ``sum_g max_k |value|``
must stay below 2**61 (checked) so that every sum in the solver and in CP-SAT is exact.

Layout: this module is the entry (:func:`solve_mckp`: the order of the steps, the secondary
constraint, the answer) and re-exports the names other modules use. The parts, which never
import this module: :mod:`~costplan.solvers.mckp_problem` (types, validation, canonical form),
:mod:`~costplan.solvers.mckp_relax` (steps 1-2: dominance, hull, LP), :mod:`~costplan.solvers.
mckp_core` (steps 3-5: fill, fixing, DP, :func:`exact_core`), :mod:`~costplan.solvers.mckp_cpsat`
(the CP-SAT fallback) and :mod:`~costplan.solvers.mckp_cert` (certificate and slacks).
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.errors import SolverLimitError
from costplan.solvers.mckp_cert import _certificate as _certificate
from costplan.solvers.mckp_cert import _slack
from costplan.solvers.mckp_core import CoreInput as CoreInput
from costplan.solvers.mckp_core import CoreOutcome as CoreOutcome
from costplan.solvers.mckp_core import _Core as _Core
from costplan.solvers.mckp_core import _fill as _fill
from costplan.solvers.mckp_core import _fix as _fix
from costplan.solvers.mckp_core import _floor as _floor
from costplan.solvers.mckp_core import exact_core as exact_core
from costplan.solvers.mckp_problem import (
    MckpProblem,
    MckpResult,
    Objective,
    Status,
    _profit,
    _start_plan,
    _validate,
)
from costplan.solvers.mckp_problem import _canonical as _canonical
from costplan.solvers.mckp_relax import _SENTINEL as _SENTINEL
from costplan.solvers.mckp_relax import Relaxation, _relax, relax
from costplan.solvers.mckp_relax import _build_hull as _build_hull
from costplan.solvers.mckp_relax import _Hull as _Hull
from costplan.solvers.mckp_relax import _mul128 as _mul128
from costplan.solvers.mckp_relax import _prod_sign as _prod_sign
from costplan.solvers.mckp_relax import _select as _select
from costplan.solvers.mckp_relax import hull_steps as hull_steps
from costplan.solvers.mckp_relax import more_efficient as more_efficient
from costplan.solvers.protocol import Solution, settle

__all__ = [
    "MckpProblem",
    "MckpResult",
    "Objective",
    "Relaxation",
    "Status",
    "relax",
    "solve_mckp",
]

I64 = npt.NDArray[np.int64]


def solve_mckp(
    problem: MckpProblem,
    *,
    time_limit_s: float | None = None,
    core_limit: int = 100_000,
    num_workers: int = 1,
) -> MckpResult:
    """Solve ``problem`` exactly (see the module docstring for the method and the proof).

    ``core_limit`` caps the number of core groups handed to CP-SAT when the exact DP exceeds its
    state limit; above it (or at the time limit) the plan is returned as ``feasible`` with its
    proven gap. ``time_limit_s`` bounds the exact phase (the DP checks it after every group,
    CP-SAT gets what is left after building its model); the numpy phases before it always run
    to completion (about 5 s for 1M x 20 on two cores). ``num_workers`` is passed to CP-SAT
    (with ``interleave_search`` when > 1, which keeps it deterministic). Raises ``InputError``
    for malformed arrays and ``SolverLimitError`` when a secondary constraint (a budget with
    min_cost, a floor with max_value) cannot be decided within the limits.
    """
    t0 = time.perf_counter()
    cost, value, feas = _validate(problem)
    g, k = cost.shape
    maximize = problem.objective == "max_value"
    stats: dict[str, float | int] = {"groups": g, "options": k}

    # canonical form: maximise p s.t. sum w <= cap, w >= 0 with a weight-0 option per group
    p, w, offset = _canonical(cost, value, feas, maximize)
    if maximize:
        cap = None if problem.budget is None else int(problem.budget) - int(offset.sum())
    else:
        cap = None if problem.min_value is None else int(offset.sum()) - int(problem.min_value)
    stats["t_prepare"] = time.perf_counter() - t0

    lam_box: list[Fraction] = [Fraction(0)]  # the LP's price, once known
    core_box: list[_Core | None] = [None]

    def finish(plan: I64, status: Status, ub: int | None, lp: Fraction | None) -> MckpResult:
        obj_p = _profit(p, plan) if g else 0
        objective = obj_p if maximize else -obj_p
        bound_exact = None if ub is None else (ub if maximize else -ub)
        lp_out = None if lp is None else (lp if maximize else -lp)
        # secondary constraint: checked on the (proven) optimum
        if status != "infeasible":
            if maximize and problem.min_value is not None and objective < problem.min_value:
                if status != "optimal" and ub is not None and ub >= problem.min_value:
                    raise SolverLimitError(
                        "no plan meeting the value floor found within the limits",
                        key="min_value",
                        value=problem.min_value,
                    )
                status, bound_exact = "infeasible", None
            if not maximize and problem.budget is not None and objective > problem.budget:
                if status != "optimal" and ub is not None and -ub <= problem.budget:
                    raise SolverLimitError(
                        "no plan within the budget found within the limits",
                        key="budget",
                        value=problem.budget,
                    )
                status, bound_exact = "infeasible", None
        stats["wall_s"] = time.perf_counter() - t0
        if status == "infeasible" or bound_exact is None:
            return Solution(status, plan, objective, None, None, method="mckp",
                            wall_s=stats["wall_s"], stats=stats, lp_bound=lp_out)  # fmt: skip
        t_cert = time.perf_counter()
        cert = _certificate(maximize, lam_box[0], lp_out, core_box[0], lp, obj_p, status)
        status2, bound2, gap = settle("max" if maximize else "min", objective, bound_exact, cert)
        assert status2 == status or status != "optimal"
        slack = _slack(problem, cost, value, plan, objective)
        stats["t_certificate"] = time.perf_counter() - t_cert
        return Solution(
            status=status2,
            x=plan,
            objective=objective,
            bound=bound2,
            gap=gap,
            certificate=cert,
            slack=slack,
            method="mckp",
            wall_s=stats["wall_s"],
            stats=stats,
            lp_bound=lp_out,
        )

    if g == 0:
        empty = np.zeros(0, dtype=np.int64)
        if cap is not None and cap < 0:
            return finish(empty, "infeasible", None, None)
        return finish(empty, "optimal", 0, Fraction(0))
    if cap is not None and cap < 0:
        return finish(_start_plan(p, w, feas), "infeasible", None, None)

    t = time.perf_counter()
    hull = _build_hull(p, w, feas)
    stats["t_hull"] = time.perf_counter() - t
    stats["undominated"] = int(hull.undominated.sum())
    stats["hull_points"] = int(hull.length.sum())
    t = time.perf_counter()
    rel = _relax(hull, cap)
    stats["t_lp"] = time.perf_counter() - t
    stats["lp_steps"] = rel.n_steps
    stats["lp_bound"] = float(rel.bound)
    lp = rel.bound
    lam_box[0] = rel.lam
    ub = _floor(lp)
    if not rel.binding:
        return finish(rel.greedy, "optimal", ub, lp)
    assert cap is not None  # a binding relaxation has a capacity

    t = time.perf_counter()
    stats["greedy"] = _profit(p, rel.greedy) if maximize else -_profit(p, rel.greedy)
    plan, _, moves = _fill(p, w, hull.undominated, rel.greedy, rel.residual)
    z = _profit(p, plan)
    stats["t_fill"] = time.perf_counter() - t
    stats["fill_moves"] = moves
    stats["incumbent_initial"] = z if maximize else -z

    # Exact phase (:func:`exact_core`) on the core groups' rows only.
    deadline = None if time_limit_s is None else t0 + time_limit_s
    argmax = rel.argmax
    rows = np.arange(g)
    t = time.perf_counter()
    core = _fix(p, w, hull.undominated, argmax, rel.lam, lp - (z + 1)) if z < ub else None
    core_box[0] = core
    stats["t_fix"] = time.perf_counter() - t
    stats["core_groups"] = 0 if core is None else int(core.groups.size)
    stats["core_options"] = 0 if core is None else int(np.isfinite(core.loss).sum())
    sel = np.zeros(0, np.int64) if core is None else core.groups
    p0, c0 = int(p[rows, argmax].sum()), cap - int(w[rows, argmax].sum())
    loss = None if core is None else core.loss
    question = CoreInput(p[sel], w[sel], argmax[sel], plan[sel], loss, rel.lam, lp, p0, c0, z, ub)
    out = exact_core(question, deadline=deadline, core_limit=core_limit,
                     num_workers=num_workers, stats=stats)  # fmt: skip
    if out.switch is not None:
        plan = argmax.copy()
        plan[sel] = out.switch
    return finish(plan, out.status, out.ub, lp)
