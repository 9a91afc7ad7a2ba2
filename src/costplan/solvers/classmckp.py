"""Class-level allocation with many classes, solved on the per-query MCKP core.

The class-level problem (see :mod:`costplan.solvers.classlevel` for the full formulation) with a
budget and per-task quality floors, and no other side rows::

    maximise    sum_o q_o x_o
    subject to  sum_{o in t} x_o = V_t,   sum_{o in t} (q_o - f_t) x_o >= 0     every task t
                sum_o b_o x_o <= B,       x_o >= 0 integer (x_o in {0, V_t} if not split)

CP-SAT proves it quickly for tens of tasks but stalls near a relative gap of 1e-6 with hundreds
of tasks: the LP optimum is fractional in every task whose floor binds, and closing the last
rounding losses is a knapsack over all of them. This module closes it with the machinery of
:mod:`costplan.solvers.mckp`:

1. *LP bound.* Per task, the (cost, quality) points a task can reach on average form a polygon:
   the hull of its options cut by ``quality >= f_t``; its vertices are the options above the
   floor and the two-option mixes exactly at the floor. :func:`~costplan.solvers.mckp.relax`
   (the same hull + greedy as per-query allocation; a task is a group whose profit and weight
   are scaled by its volume) finds the step that binds the budget; its exact efficiency is the
   budget price ``lam``. Per task, the floor price ``mu_t`` minimises
   ``max_o (q_o - lam b_o + mu_t (q_o - f_t))`` over ``mu_t >= 0`` (a 1-D convex
   piecewise-linear minimum at a crossing of two lines, recomputed exactly).
2. *Exact Lagrangian bound and penalties.* For **any** ``lam, mu >= 0`` and any feasible ``x``::

       Q(x) = D - sum_t P_t(x_t) - lam * (B - b.x),        D = lam B + sum_t V_t A_t,
       P_t(x_t) = sum_{o in t} d_o x_o + mu_t s_t(x_t) >= 0

   with ``a_o = q_o - lam b_o + mu_t (q_o - f_t)``, ``A_t = max a_o``, ``d_o = A_t - a_o >= 0``
   and ``s_t`` the floor slack. ``D`` (computed exactly with fractions) is a valid bound
   whatever float rounding chose ``lam`` and ``mu``; it equals the LP optimum at the LP's
   prices. Each task's *least* integer penalty ``L_t = min P_t`` (a binding floor makes every
   integer configuration pay for rounding its mix up to the floor) tightens it to the
   Lagrangian bound with integer tasks, ``D' = D - sum_t L_t``; a plan with ``Q >= D' - G``
   has every ``P_t <= L_t + G``.
3. *Configurations.* For a margin ``G``, each task's integer configurations with
   ``P_t <= L_t + G`` are enumerated (few: each option's count is bounded by its ``d_o`` and the
   floor slack by ``mu_t``). The exception is a *free* task, whose zero-loss options can trade
   queries at no penalty (the LP's fractional task when its floor does not bind): there the
   trade is limited only by the budget, and it is enumerated over the cost window that the
   budget leaves once the other tasks' configurations are known (the budget slack of such a
   plan is at most ``G / lam``).
4. *Exact core.* Choosing one configuration per task under the budget is an MCKP (group = task,
   option = configuration), solved exactly by :func:`~costplan.solvers.mckp.solve_mckp`. If its
   optimum ``Z >= D' - G`` it is the optimum of the whole problem (every plan of quality
   ``>= D' - G`` was among the configurations). Otherwise the optimum is below ``D' - G``; the
   margin grows to ``D' - Z`` (which makes the next round final) but by at most 4x a round.
5. *Tie-break.* Among plans of the optimal quality the cheapest is chosen by a second, min-cost
   MCKP over the same configurations with the quality floor ``Z`` (every such plan is among
   them); for robust plans, whose budget is on p95-length costs, by CP-SAT over the same
   configurations.

Where each step lives: the prices, ``D`` and the penalties in
:mod:`costplan.solvers.classprices`, the configurations in
:mod:`costplan.solvers.classconfigs`, the margin rounds, the core, the tie-break and the
branching in :mod:`costplan.solvers.classsearch`, ``min_cost`` without side rows in
:mod:`costplan.solvers.classmincost`; this module is the entry point
(:func:`solve_class_mckp`): it drops dominated options, picks the money unit, and turns the
internal result into the user's answer (status on the unscaled problem, certificate).

Options dominated within their task (no better quality, no lower cost or budget cost) are
dropped first: no plan needs them.

Enumeration is capped (``max_work`` candidate configurations per round, and the time limit);
when a cap is hit the function returns ``None`` and the caller uses CP-SAT on the full model.
That happens when the LP is far from the integer optimum in budget terms, e.g. when the
fractional task has ``split: false`` and many queries (measured in ``benchmarks/README.md``).
Deterministic: configurations are enumerated in a fixed order and the MCKP core is
deterministic.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.solvers import classbound
from costplan.solvers.classlevel import ClassProblem, ClassSolution, finish
from costplan.solvers.classmincost import solve_min_cost
from costplan.solvers.classprices import LIMIT, Prices, prices, relaxation_bound
from costplan.solvers.classsearch import branch, infeasible, restrict
from costplan.solvers.protocol import Scaling

# the LP prices and the unscaled bound are used from here by classbound and the tests
__all__ = ["Prices", "prices", "relaxation_bound", "solve_class_mckp"]

I64 = npt.NDArray[np.int64]


def _undominated(p: ClassProblem, bcost: I64) -> npt.NDArray[np.bool_]:
    """Options no other option of the same task beats or equals on quality, cost and budget cost
    (of identical options the first is kept). Dropping the others loses no plan: swapping a
    dominated option for its dominator keeps every floor and the budget, and is no worse in
    quality or cost."""
    keep = np.ones(len(p.cost), np.bool_)
    for t in range(len(p.volume)):
        g = np.flatnonzero(p.task == t)
        q, c, b = p.quality[g], p.cost[g], bcost[g]
        ge = (q[:, None] >= q[None, :]) & (c[:, None] <= c[None, :]) & (b[:, None] <= b[None, :])
        same = (q[:, None] == q[None, :]) & (c[:, None] == c[None, :]) & (b[:, None] == b[None, :])
        earlier = np.arange(g.size)[:, None] < np.arange(g.size)[None, :]
        beaten = (ge & ~same) | (same & earlier)  # [i, j]: option i makes option j redundant
        keep[g] = ~beaten.any(axis=0)
    return keep


def solve_class_mckp(
    p: ClassProblem,
    *,
    time_limit_s: float = 60.0,
    max_work: int = 1_000_000,
) -> ClassSolution | None:
    """Solve ``p`` exactly on the MCKP core, or ``None`` when this method does not apply.

    Applies without extra rows to ``max_quality`` with a budget (the budget row uses
    ``budget_cost`` when given, for robust plans; the tie-break minimises ``cost``) and to
    ``min_cost`` (see :func:`solve_min_cost`). ``None`` also
    when the enumeration limit or the time limit is hit, or when the exact core does not close
    in time: the caller then solves with CP-SAT. Like the CP-SAT path, money is solved at a
    power-of-ten ``scale`` (costs rounded up, the budget down) when totals pass ~$1M per period;
    the scaled optimum is then repaired by exact moves and its status decided on the exact
    Lagrangian bound of the unscaled problem (``optimal`` only when that proves it).
    """
    if p.extra or (p.objective == "max_quality" and p.budget is None):
        return None
    start = time.perf_counter()
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    keep = _undominated(p, bcost)
    # A task with split: false sends all its queries to one option, so an option below its
    # floor can never serve it; dropping those keeps the LP from mixing across its floor.
    t_of = p.task
    below = ~p.split[t_of] & (p.floor[t_of] >= 0) & (p.quality < p.floor[t_of])
    keep &= ~(below & (p.volume[t_of] > 0))
    if np.any(np.bincount(p.task[keep], minlength=len(p.volume)) == 0):
        return infeasible(len(p.cost), start)
    if p.objective == "min_cost":
        if p.budget is not None and p.budget_cost is not None:
            return None  # a p95 budget couples the tasks: CP-SAT
        low = solve_min_cost(restrict(p, keep), keep, start + time_limit_s, max_work)
        if low is None or low.status != "optimal":
            return low
        return finish(p, low.counts, low.objective, "mckp", start, (), dict(low.stats))
    # Money scale as in classlevel: costs rounded up and the budget down to a power-of-ten unit
    # so that every total fits the core's exact int64 sums (1 for plans up to ~$1M per period).
    assert p.budget is not None
    # Exact money first: the core sees configuration costs shifted by each task's cheapest one,
    # so only one task's total must fit int64 (and the shifted sums the core's 2**61 limit).
    # Only past that is money divided by a power of ten (costs up, the budget down).
    sol: ClassSolution | None = None
    scale = 1
    per_task = np.maximum(p.cost, bcost).astype(object) * p.volume[p.task].astype(object)
    if int(per_task.max(initial=0)) < LIMIT:
        try:
            sol = branch(restrict(p, keep), start + time_limit_s, max_work, 0)
        except InputError:  # shifted totals still past 2**61: solve at a coarser unit
            sol = None
            scale = 10
    else:
        scale = 10
    if scale > 1:
        top = int(np.sum(per_task))
        while max(top, p.budget) // scale >= LIMIT:
            scale *= 10
        sol = branch(restrict(p, keep, scale), start + time_limit_s, max_work, 0)
    if sol is None or (scale > 1 and sol.status != "optimal"):
        return None  # gave up, or infeasible only at the stricter scale: CP-SAT decides
    if sol.status == "infeasible":
        return infeasible(len(p.cost), start)
    counts = np.zeros(len(p.cost), np.int64)
    counts[keep] = sol.counts
    if scale > 1:
        # the search proved optimality of the stricter scaled model only
        counts = classbound.repair(p, counts)
        scaling = (Scaling("money", scale),)
        out = finish(p, counts, None, "mckp", start, scaling, dict(sol.stats))
        if out.status == "optimal":
            return out
        # the looser twin (costs down, budget up) is a relaxation: its proven optimum bounds
        # p's quality, and its plan, when exactly feasible, is p's optimum
        twin = branch(restrict(p, keep, scale, up=False), start + time_limit_s, max_work, 0)
        if twin is None or twin.status != "optimal":
            return out
        cand = np.zeros(len(p.cost), np.int64)
        cand[keep] = twin.counts
        prices = None if out.certificate is None else dict(out.certificate.prices)
        if classbound.feasible(p, cand) and classbound.objective_of(p, cand) > out.objective:
            counts = classbound.repair(p, cand)
        return finish(p, counts, twin.objective, "mckp", start, scaling, dict(sol.stats), prices)
    objective = classbound.objective_of(p, counts)
    return finish(p, counts, objective, "mckp", start, (), dict(sol.stats))
