"""Class-level allocation: integer query counts per (task, option), solved with CP-SAT.

Formulation (all data integers: cost ``c_o`` in the solver's money unit, quality
``q_o`` in micro-units, volumes ``V_t``)::

    variables   x_o in {0..V_t(o)}          queries of task t(o) sent to option o
                y_o in {0, 1}               only for tasks with split = false
    volume      sum_{o in t} x_o = V_t                          for every task t
    no split    x_o = V_t * y_o,  sum_{o in t} y_o = 1          split = false tasks
    floor       sum_{o in t} (q_o - f_t) x_o >= 0               tasks with a floor f_t
    budget      sum_o b_o x_o <= B                              when a budget is given
                (b = c, or the p95-length cost for robust plans)
    side rows   sum_o a_ro x_o <= b_r                           capacities, share caps
    max_quality maximise sum_o q_o x_o      (then, at that optimum, minimise cost)
    min_cost    minimise sum_o c_o x_o      (then, at that optimum, maximise quality)

The second, lexicographic phase makes the answer unique in what matters to a
user: among plans of equal quality the cheaper one is returned.

Two methods, one answer. CP-SAT (below) solves every variant and proves small
models in well under a second, but with hundreds of tasks it stalls near a gap of
1e-6. Without side rows (``max_quality`` with a budget, or ``min_cost``), a
model with ``MANY_TASKS`` or more tasks goes first to
:mod:`costplan.solvers.classmckp`, which proves it on the per-query MCKP core (LP
prices, exact Lagrangian bound, per-task configurations, exact DP; ``min_cost``
splits into exact per-task solves); if that method gives up (enumeration or time
limit) CP-SAT gets the remaining time. ``ClassSolution.method`` says which one
answered.

Money scale: costs arrive in pico-dollars. CP-SAT needs every linear expression
to fit in int64, so costs are divided by ``scale`` (a power of ten) rounded
**up**, and the budget rounded **down**: a plan feasible at the solver's scale
is feasible exactly. ``scale`` is 1 up to ~$1M of spend per period with every task
at its dearest option. ``optimal`` at a scale above 1 means optimal for the scaled
model; an unproven plan then reports the exact relaxation's bound
(:func:`costplan.solvers.classmckp.relaxation_bound`), since CP-SAT's bound only
holds for the scaled model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
Method = Literal["auto", "cp-sat", "mckp"]
_INT64_SAFE = 2**62
MANY_TASKS = 32  # from here on "auto" tries the MCKP core first


@dataclass(frozen=True)
class LinearRow:
    """A side constraint ``sum_o coef[o] * x_o <= rhs`` with a label for reports."""

    coef: npt.NDArray[np.int64]  # (O,)
    rhs: int
    label: str


@dataclass(frozen=True)
class ClassProblem:
    """Arrays over options ``o`` (grouped by task index ``task[o]``) and tasks ``t``."""

    task: npt.NDArray[np.int64]  # (O,) task index of each option
    cost: npt.NDArray[np.int64]  # (O,) cost per query, pico-dollars
    quality: npt.NDArray[np.int64]  # (O,) quality per query, micro-units
    volume: npt.NDArray[np.int64]  # (T,)
    floor: npt.NDArray[np.int64]  # (T,) min quality in micro-units, -1 = none
    split: npt.NDArray[np.bool_]  # (T,)
    objective: Literal["max_quality", "min_cost"]
    budget: int | None = None  # pico-dollars
    extra: tuple[LinearRow, ...] = ()
    budget_cost: npt.NDArray[np.int64] | None = None  # (O,) cost the budget row uses


@dataclass(frozen=True)
class ClassSolution:
    status: Status
    counts: npt.NDArray[np.int64]  # (O,)
    objective: int  # exact objective of counts (pico-dollars or quality micro-units)
    bound: float  # solver's proven bound on the objective, in the same unit
    gap: float  # relative gap |bound - objective| / max(1, |objective|)
    scale: int  # solver money unit in pico-dollars
    wall_s: float
    stats: dict[str, float] = field(default_factory=dict)
    method: str = "cp-sat"  # which solver answered: "cp-sat" or "mckp"


def _money_scale(p: ClassProblem) -> int:
    costs = p.cost if p.budget_cost is None else np.maximum(p.cost, p.budget_cost)
    worst = int(np.sum(costs.astype(object) * p.volume[p.task].astype(object)))
    if p.budget is not None:
        worst = max(worst, p.budget)
    scale = 1
    while worst // scale >= _INT64_SAFE // 4:
        scale *= 10
    return scale


def _row_in_range(row: LinearRow, p: ClassProblem) -> tuple[list[int], int]:
    """The row's integers, scaled down conservatively if they could overflow int64.

    Coefficients are rounded up (ceil) and the right-hand side down (floor), so a
    plan that satisfies the scaled row satisfies the exact one.
    """
    worst = sum(abs(int(c)) * int(p.volume[p.task[o]]) for o, c in enumerate(row.coef))
    worst = max(worst, abs(row.rhs))
    scale = 1
    while worst // scale >= _INT64_SAFE // 4:
        scale *= 10
    if scale == 1:
        return [int(c) for c in row.coef], int(row.rhs)
    return [-(-int(c) // scale) for c in row.coef], int(row.rhs) // scale


def solve_class(
    p: ClassProblem,
    *,
    time_limit_s: float = 60.0,
    num_workers: int = 1,
    seed: int = 0,
    relative_gap: float = 0.0,
    method: Method = "auto",
) -> ClassSolution:
    """Solve the class-level allocation exactly (or to the time limit).

    ``relative_gap`` > 0 lets the search stop once the plan is proven within that
    relative gap of the optimum (CP-SAT's ``relative_gap_limit``); the status is then
    ``feasible`` with the measured gap: ``optimal`` always means bound == objective.
    ``method``: ``"auto"`` (see the module docstring), or force ``"cp-sat"``, or
    ``"mckp"`` (which still falls back to CP-SAT where it does not apply).
    """
    import time

    start = time.perf_counter()
    if method == "mckp" or (method == "auto" and len(p.volume) >= MANY_TASKS):
        from costplan.solvers.classmckp import solve_class_mckp

        # at most half the time: if it gives up, CP-SAT still gets a real chance
        fast = solve_class_mckp(p, time_limit_s=time_limit_s / 2)
        if fast is not None:
            return fast
        time_limit_s = max(1.0, time_limit_s - (time.perf_counter() - start))
    return _solve_cpsat(p, time_limit_s, num_workers, seed, relative_gap, start)


def _solve_cpsat(
    p: ClassProblem,
    time_limit_s: float,
    num_workers: int,
    seed: int,
    relative_gap: float,
    start: float,
) -> ClassSolution:
    import time

    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    n_opt = len(p.cost)
    scale = _money_scale(p)
    cost_s = [-(-int(c) // scale) for c in p.cost]
    budget_s = None if p.budget is None else p.budget // scale
    quality = [int(q) for q in p.quality]

    model = cp_model.CpModel()
    x = [model.new_int_var(0, int(p.volume[p.task[o]]), f"x{o}") for o in range(n_opt)]
    for t in range(len(p.volume)):
        opts = [o for o in range(n_opt) if p.task[o] == t]
        vol = int(p.volume[t])
        model.add(sum(x[o] for o in opts) == vol)
        if not p.split[t] and vol > 0:
            y = [model.new_bool_var(f"y{o}") for o in opts]
            model.add_exactly_one(y)
            for o, yo in zip(opts, y, strict=True):
                model.add(x[o] == vol * yo)
        if p.floor[t] >= 0:
            f = int(p.floor[t])
            model.add(sum((quality[o] - f) * x[o] for o in opts) >= 0)
    cost_expr = sum(cost_s[o] * x[o] for o in range(n_opt))
    quality_expr = sum(quality[o] * x[o] for o in range(n_opt))
    if budget_s is not None:
        if p.budget_cost is None:
            model.add(cost_expr <= budget_s)
        else:
            b = [-(-int(c) // scale) for c in p.budget_cost]
            model.add(sum(b[o] * x[o] for o in range(n_opt)) <= budget_s)
    for row in p.extra:
        coef, rhs = _row_in_range(row, p)
        model.add(sum(int(coef[o]) * x[o] for o in range(n_opt) if coef[o] != 0) <= rhs)

    primary, secondary = (
        (quality_expr, cost_expr) if p.objective == "max_quality" else (cost_expr, quality_expr)
    )
    maximize_primary = p.objective == "max_quality"
    if maximize_primary:
        model.maximize(primary)
    else:
        model.minimize(primary)

    solver = cp_solver(time_limit_s, num_workers=num_workers, seed=seed, relative_gap=relative_gap)
    code = solver.solve(model)
    if code == cp_model.INFEASIBLE:
        return ClassSolution(
            "infeasible",
            np.zeros(n_opt, np.int64),
            0,
            float("nan"),
            float("nan"),
            scale,
            time.perf_counter() - start,
        )
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ClassSolution(
            "unknown",
            np.zeros(n_opt, np.int64),
            0,
            float("nan"),
            float("nan"),
            scale,
            time.perf_counter() - start,
        )
    bound = float(solver.best_objective_bound)
    values = [solver.value(v) for v in x]
    # CP-SAT also says OPTIMAL when it stops at relative_gap_limit: only bound ==
    # objective is a proof.
    stopped = code == cp_model.OPTIMAL
    proven = stopped and solver.best_objective_bound == solver.objective_value
    if stopped:
        # Phase 2: hold the primary optimum, improve the secondary objective.
        best = int(solver.objective_value)
        model.clear_hints()  # type: ignore[no-untyped-call]
        for v, val in zip(x, values, strict=True):
            model.add_hint(v, val)
        if maximize_primary:
            model.add(primary >= best)
            model.minimize(secondary)
        else:
            model.add(primary <= best)
            model.maximize(secondary)
        remaining = time_limit_s - (time.perf_counter() - start)
        solver2 = cp_solver(max(0.5, remaining), num_workers=num_workers, seed=seed)
        code2 = solver2.solve(model)
        if code2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = [solver2.value(v) for v in x]
    counts = np.asarray(values, dtype=np.int64)
    if p.objective == "max_quality":
        objective = int(sum(q * int(c) for q, c in zip(quality, counts, strict=True)))
    else:
        objective = int(sum(int(c) * int(n) for c, n in zip(p.cost, counts, strict=True)))
        bound *= scale  # bound was in solver units
    if scale > 1 and not proven:
        # CP-SAT's bound holds for the scaled model (costs up, budget down), not for the
        # exact one: report the exact relaxation's bound instead
        from costplan.solvers.classmckp import relaxation_bound

        exact = relaxation_bound(p)
        bound = float(
            max(exact, objective) if p.objective == "max_quality" else min(exact, objective)
        )
    gap = 0.0 if proven else abs(bound - objective) / max(1.0, abs(objective))
    return ClassSolution(
        "optimal" if proven else "feasible",
        counts,
        objective,
        float(objective) if proven else bound,
        gap,
        scale,
        time.perf_counter() - start,
        {"branches": float(solver.num_branches)},
    )
