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
**up**, and the budget rounded **down** (side rows likewise): a plan feasible at
the solver's scale is feasible exactly. ``scale`` is 1 up to ~$1M of spend per
period with every task at its dearest option. Each scaling is recorded on the
:class:`~costplan.solvers.protocol.Solution` (``scaling``, direction ``stricter``).
A scaled model's optimum and bound prove nothing about the exact problem, so the
plan is then repaired by exact moves (:func:`costplan.solvers.classbound.repair`)
and its status decided by :func:`costplan.solvers.protocol.settle` on the exact
Lagrangian bound ``D`` of the unscaled problem: ``optimal`` only when ``D`` proves
it, else ``feasible`` with the exact gap.

Every answer carries a certificate: Lagrangian prices by row label
(:func:`costplan.solvers.classbound.find_prices`) and the exact ``D`` they prove.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from costplan.solvers import classbound
from costplan.solvers.protocol import Scaling, Solution, Status, settle

__all__ = ["ClassProblem", "ClassSolution", "LinearRow", "Status", "solve_class"]
Method = Literal["auto", "cp-sat", "mckp"]
_INT64_SAFE = 2**62
MANY_TASKS = 32  # from here on "auto" tries the MCKP core first


@dataclass(frozen=True)
class LinearRow:
    """A side constraint ``sum_o coef[o] * x_o <= rhs`` on exact integers, with a label for
    reports and a stable ``name`` (``capacity:<model>:requests``, ``share:<provider>``...) for
    slack and prices; ``key`` is the name, or the label when no name is given."""

    coef: npt.NDArray[Any]  # (O,) int64, or Python ints (dtype object) beyond int64
    rhs: int
    label: str
    name: str = ""
    unit: int = 1  # this row is the documented (rational) row times ``unit``

    @property
    def key(self) -> str:
        return self.name or self.label


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
    names: tuple[str, ...] = ()  # task names, for row labels (floor:<name>); index if absent


# One Solution type for every back end (``x`` = counts per option here).
ClassSolution = Solution


def _money_scale(p: ClassProblem) -> int:
    costs = p.cost if p.budget_cost is None else np.maximum(p.cost, p.budget_cost)
    worst = int(np.sum(costs.astype(object) * p.volume[p.task].astype(object)))
    if p.budget is not None:
        worst = max(worst, p.budget)
    scale = 1
    while worst // scale >= _INT64_SAFE // 4:
        scale *= 10
    return scale


def _div(v: int, unit: int, up: bool) -> int:
    return -(-v // unit) if up else v // unit


def _row_in_range(
    row: LinearRow, p: ClassProblem, stricter: bool = True
) -> tuple[list[int], int, int]:
    """The row's integers and the unit they are in, scaled down if they could overflow int64.

    ``stricter``: coefficients rounded up (ceil) and the right-hand side down (floor), so a
    plan that satisfies the scaled row satisfies the exact one; else the other way round (a
    relaxation: every exact plan satisfies the scaled row).
    """
    worst = sum(abs(int(c)) * int(p.volume[p.task[o]]) for o, c in enumerate(row.coef))
    worst = max(worst, abs(row.rhs))
    scale = 1
    while worst // scale >= _INT64_SAFE // 4:
        scale *= 10
    if scale == 1:
        return [int(c) for c in row.coef], int(row.rhs), 1
    coef = [_div(int(c), scale, stricter) for c in row.coef]
    return coef, _div(int(row.rhs), scale, not stricter), scale


@dataclass
class _Model:
    model: Any
    x: list[Any]
    primary: Any
    secondary: Any
    scaling: list[Scaling]


def _build(p: ClassProblem, stricter: bool) -> _Model:
    """The CP-SAT model of ``p``. At a money scale above 1 (or a scaled side row) it is either
    *stricter* than ``p`` (costs up, budget and right-hand sides down: its plans are feasible
    exactly) or *looser* (the other way round: a relaxation, whose optimum bounds ``p``'s)."""
    from ortools.sat.python import cp_model

    n_opt = len(p.cost)
    scale = _money_scale(p)
    cost_s = [_div(int(c), scale, stricter) for c in p.cost]
    budget_s = None if p.budget is None else _div(p.budget, scale, not stricter)
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
            b = [_div(int(c), scale, stricter) for c in p.budget_cost]
            model.add(sum(b[o] * x[o] for o in range(n_opt)) <= budget_s)
    scaling = [Scaling("money", scale)] if scale > 1 else []
    for row in p.extra:
        coef, rhs, unit = _row_in_range(row, p, stricter)
        if unit > 1:
            scaling.append(Scaling(row.key, unit))
        model.add(sum(int(coef[o]) * x[o] for o in range(n_opt) if coef[o] != 0) <= rhs)
    if p.objective == "max_quality":
        model.maximize(quality_expr)
        return _Model(model, x, quality_expr, cost_expr, scaling)
    model.minimize(cost_expr)
    return _Model(model, x, cost_expr, quality_expr, scaling)


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
    # many tasks, or money past CP-SAT's int64 range (the MCKP core works on exact money there)
    many = len(p.volume) >= MANY_TASKS or _money_scale(p) > 1
    if method == "mckp" or (method == "auto" and many):
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
    m = _build(p, stricter=True)
    model, x, primary, secondary = m.model, m.x, m.primary, m.secondary
    maximize_primary = p.objective == "max_quality"
    solver = cp_solver(time_limit_s, num_workers=num_workers, seed=seed, relative_gap=relative_gap)
    code = solver.solve(model)
    if code == cp_model.INFEASIBLE and not m.scaling:
        return _empty("infeasible", n_opt, start)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # a scaled model may be infeasible where the exact one is not: its looser twin decides
        if m.scaling:
            return _close_scaled(p, None, time_limit_s, num_workers, seed, start, m.scaling)
        return _empty("unknown", n_opt, start)
    values = [solver.value(v) for v in x]
    # CP-SAT's bound (also when it stops at relative_gap_limit) holds for the model it solved:
    # for the exact problem only when nothing was scaled.
    stopped = code == cp_model.OPTIMAL
    search_bound = _cpsat_bound(solver, p, not m.scaling)
    if stopped:
        # Phase 2: hold the primary optimum, improve the secondary objective.
        best = int(solver.objective_value)
        model.clear_hints()
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
    stats = {"branches": float(solver.num_branches)}
    if m.scaling:
        counts = classbound.repair(p, counts)  # exact moves the stricter model could not make
        sol = finish(p, counts, None, "cp-sat", start, tuple(m.scaling), stats)
        if sol.status == "optimal":
            return sol
        return _close_scaled(p, sol, time_limit_s, num_workers, seed, start, m.scaling)
    return finish(p, counts, search_bound, "cp-sat", start, (), stats)


def _close_scaled(
    p: ClassProblem,
    sol: Solution | None,
    time_limit_s: float,
    num_workers: int,
    seed: int,
    start: float,
    scaling: list[Scaling],
) -> Solution:
    """Close a scaled solve exactly with the *looser* twin (a relaxation of ``p``): its proven
    optimum bounds ``p``'s (for ``max_quality`` in exact quality; for ``min_cost`` times the
    money unit), and its plan, when exactly feasible, is a candidate (then the exact optimum).
    ``sol``: the stricter model's repaired answer, or ``None`` if it found none."""
    import time

    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    twin = _build(p, stricter=False)
    left = max(0.5, time_limit_s - (time.perf_counter() - start))
    solver = cp_solver(left, num_workers=num_workers, seed=seed)
    code = solver.solve(twin.model)
    stats = dict(sol.stats) if sol is not None else {}
    if code == cp_model.INFEASIBLE:  # the relaxation has no plan, so neither has p
        return _empty("infeasible", len(p.cost), start)
    bound: int | None = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raw = _cpsat_bound(solver, p, True)
        unit = _money_scale(p)
        if raw is not None:
            bound = raw if p.objective == "max_quality" else raw * unit
        cand = np.asarray([solver.value(v) for v in twin.x], dtype=np.int64)
        if classbound.feasible(p, cand):
            cand = classbound.repair(p, cand)
            better = sol is None or (
                classbound.objective_of(p, cand) > sol.objective
                if p.objective == "max_quality"
                else classbound.objective_of(p, cand) < sol.objective
            )
            if better:
                prices = (
                    None if sol is None or sol.certificate is None else dict(sol.certificate.prices)
                )
                return finish(p, cand, bound, "cp-sat", start, tuple(scaling), stats, prices)
    if sol is None:
        return _empty("unknown", len(p.cost), start)
    prices = None if sol.certificate is None else dict(sol.certificate.prices)
    return finish(p, sol.counts, bound, "cp-sat", start, tuple(scaling), stats, prices)


def _cpsat_bound(solver: Any, p: ClassProblem, exact: bool) -> int | None:
    """CP-SAT's bound as an exact integer on the unscaled problem, or ``None``.

    Only an unscaled model's bound holds for the exact problem (``exact``); CP-SAT reports it
    as a float, so it is widened by a relative margin and rounded away from the objective."""
    if not exact:
        return None
    raw = float(solver.best_objective_bound)
    if not math.isfinite(raw):
        return None
    margin = abs(raw) * 2.0**-50 + 1e-6
    return math.floor(raw + margin) if p.objective == "max_quality" else math.ceil(raw - margin)


def finish(
    p: ClassProblem,
    counts: npt.NDArray[np.int64],
    search_bound: int | Fraction | None,
    method: str,
    start: float,
    scaling: tuple[Scaling, ...] = (),
    stats: dict[str, float] | None = None,
    prices: dict[str, Fraction] | None = None,
) -> Solution:
    """The Solution of an exactly feasible plan ``counts``: exact objective, certificate
    (prices found here unless given), slack, and the status by :func:`settle` from the exact
    bound: ``search_bound`` (proven on the unscaled problem, or ``None``) and ``D``."""
    import time

    objective = classbound.objective_of(p, counts)
    if prices is None:
        prices = classbound.find_prices(p)
    cert = classbound.certificate(p, prices)
    status, bound, gap = settle(classbound.sense_of(p), objective, search_bound, cert)
    proof = (
        classbound.proof_for(p, prices, objective)
        if status == "optimal"
        else ("search" if search_bound is not None else "lagrangian")
    )
    import dataclasses

    cert = dataclasses.replace(cert, proof=proof)
    return Solution(
        status, counts, objective, bound, gap, cert, classbound.slack(p, counts), scaling,
        method, time.perf_counter() - start, stats or {},
    )  # fmt: skip


def _empty(status: Status, n_opt: int, start: float) -> Solution:
    import time

    return Solution(status, np.zeros(n_opt, np.int64), 0, None, None, method="cp-sat",
                    wall_s=time.perf_counter() - start)  # fmt: skip
