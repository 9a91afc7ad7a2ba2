"""Medium MCKP instances against independent solvers.

* an exact dynamic programme written here (:func:`dp_optimum`) over the instance's narrow
  dimension (costs below 100 for ``max_value``, values below 100 for ``min_cost``; the other
  dimension is wide), sharing no code with the solver: the reference optimum;
* the exact CP-SAT model over all (group, option) booleans (the naive formulation),
* the LP relaxation solved by GLOP (``pywraplp``), for the reported exact LP bound,
* the solver's own CP-SAT core path (DP disabled) must reach the same optimum.
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pytest

from costplan.solvers import mckp, mckp_core
from costplan.solvers.mckp import MckpProblem, MckpResult, solve_mckp

Family = Literal["uncorrelated", "weakly", "ties"]


def make_problem(
    g: int, k: int, family: Family, objective: str, seed: int, fraction: float = 0.3
) -> MckpProblem:
    """``g`` groups x ``k`` options. The constrained dimension (cost for max_value, value
    for min_cost) is narrow, below 100, so that :func:`dp_optimum` is cheap; the objective's
    dimension is wide (below 100,000, or ~1,000x the narrow one when weakly correlated)."""
    rng = np.random.default_rng(seed)
    narrow = rng.integers(0, 100, size=(g, k), dtype=np.int64)
    if family == "uncorrelated":
        wide = rng.integers(0, 100_000, size=(g, k), dtype=np.int64)
    elif family == "weakly":
        noise = rng.integers(-10_000, 10_000, size=(g, k), dtype=np.int64)
        wide = np.maximum(0, narrow * 1_000 + noise)
    else:  # tiny ranges: many exact ties and duplicate options
        narrow = rng.integers(0, 6, size=(g, k), dtype=np.int64)
        wide = rng.integers(0, 6, size=(g, k), dtype=np.int64)
    feas = rng.random((g, k)) < 0.85
    feas[np.arange(g), rng.integers(0, k, size=g)] = True
    big = np.iinfo(np.int64).max
    if objective == "max_value":
        cost, value = narrow, wide
        lo = int(np.where(feas, cost, big).min(axis=1).sum())
        hi = int(np.where(feas, cost, -1).max(axis=1).sum())
        return MckpProblem(cost, value, feas, lo + int(fraction * (hi - lo)), "max_value")
    cost, value = wide, narrow
    lo = int(np.where(feas, value, big).min(axis=1).sum())
    hi = int(np.where(feas, value, -big).max(axis=1).sum())
    return MckpProblem(cost, value, feas, None, "min_cost", lo + int((1 - fraction) * (hi - lo)))


def dp_optimum(problem: MckpProblem) -> int | None:
    """The exact optimum by dynamic programming over the narrow dimension (None: infeasible).

    max_value, budget B: best[b] = the most value of the groups so far with an extra cost
    (over each group's cheapest feasible option) of at most b, b = 0..B - sum of minima.
    min_cost, floor F: best[s] = the least cost with a value shortfall (below each group's
    best feasible value) of at most s, s = 0..sum of maxima - F. One numpy pass per option.
    """
    feas = problem.feasible
    if problem.objective == "max_value":
        assert problem.budget is not None
        assert problem.min_value is None
        weight, gain, sign = problem.cost, problem.value, 1
        base = np.where(feas, weight, np.iinfo(np.int64).max).min(axis=1)
        extra = weight - base[:, None]
        room = problem.budget - int(base.sum())
    else:
        assert problem.min_value is not None
        assert problem.budget is None
        gain, sign = problem.cost, -1  # maximise -cost
        top = np.where(feas, problem.value, np.iinfo(np.int64).min).max(axis=1)
        extra = top[:, None] - problem.value
        room = int(top.sum()) - problem.min_value
    if room < 0:
        return None
    best = np.zeros(room + 1, dtype=np.int64)  # no group yet: 0 at every allowance
    for i in range(feas.shape[0]):
        new = np.full(room + 1, np.iinfo(np.int64).min // 2, dtype=np.int64)
        for j in np.flatnonzero(feas[i]):
            w = int(extra[i, j])
            if w <= room:
                np.maximum(new[w:], best[: room + 1 - w] + sign * int(gain[i, j]), out=new[w:])
        best = new
    return sign * int(best[room])


def totals(problem: MckpProblem, result: MckpResult) -> tuple[int, int]:
    rows = np.arange(problem.cost.shape[0])
    assert problem.feasible[rows, result.choice].all()
    return (
        int(problem.cost[rows, result.choice].sum()),
        int(problem.value[rows, result.choice].sum()),
    )


def check_plan(problem: MckpProblem, result: MckpResult) -> None:
    cost, value = totals(problem, result)
    if problem.budget is not None:
        assert cost <= problem.budget
    if problem.min_value is not None:
        assert value >= problem.min_value
    assert result.objective == (value if problem.objective == "max_value" else cost)


def full_cpsat(problem: MckpProblem, work: float) -> tuple[bool, int, float]:
    """The naive model: one boolean per feasible (group, option). (proven, objective, bound).

    Stopped after ``work`` units of CP-SAT's deterministic time, so that what it proves does
    not depend on this machine's speed or load."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    gi, ki = np.nonzero(problem.feasible)
    xs = [model.new_bool_var(f"x{g}_{k}") for g, k in zip(gi, ki, strict=True)]
    starts = np.searchsorted(gi, np.arange(problem.cost.shape[0] + 1))
    for a, b in itertools.pairwise(starts):
        model.add_exactly_one(xs[a:b])
    cost = cp_model.LinearExpr.weighted_sum(xs, problem.cost[gi, ki].tolist())
    value = cp_model.LinearExpr.weighted_sum(xs, problem.value[gi, ki].tolist())
    if problem.budget is not None:
        model.add(cost <= problem.budget)
    if problem.min_value is not None:
        model.add(value >= problem.min_value)
    if problem.objective == "max_value":
        model.maximize(value)
    else:
        model.minimize(cost)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = work
    code = solver.solve(model)
    assert code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return code == cp_model.OPTIMAL, round(solver.objective_value), solver.best_objective_bound


def glop_lp(problem: MckpProblem) -> float:
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver("GLOP")
    g, _k = problem.cost.shape
    x = {}
    for i in range(g):
        row = [(j, solver.NumVar(0.0, 1.0, "")) for j in np.flatnonzero(problem.feasible[i])]
        solver.Add(sum(v for _, v in row) == 1)
        for j, v in row:
            x[i, int(j)] = v
    cost = sum(float(problem.cost[i, j]) * v for (i, j), v in x.items())
    value = sum(float(problem.value[i, j]) * v for (i, j), v in x.items())
    if problem.objective == "max_value":
        solver.Add(cost <= float(problem.budget or 0))
        solver.Maximize(value)
    else:
        solver.Add(value >= float(problem.min_value or 0))
        solver.Minimize(cost)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return float(solver.Objective().Value())


CASES = [
    ("uncorrelated", "max_value", 1),
    ("weakly", "max_value", 2),
    ("ties", "max_value", 3),
    ("uncorrelated", "min_cost", 4),
    ("weakly", "min_cost", 5),
    ("ties", "min_cost", 6),
]


@pytest.mark.parametrize(("family", "objective", "seed"), CASES)
def test_medium_dp_and_cpsat_core_agree_and_lp_matches_glop(
    family: Family, objective: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = make_problem(2000, 10, family, objective, seed)
    result = solve_mckp(problem)
    assert result.status == "optimal"
    assert result.gap == 0.0
    check_plan(problem, result)
    assert result.objective == dp_optimum(problem)  # the reference: the test's own DP
    # the solver's other exact path: its reduced core solved by CP-SAT instead of its DP
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    via_cpsat = solve_mckp(problem, time_limit_s=30)
    assert via_cpsat.status == "optimal"
    check_plan(problem, via_cpsat)
    assert via_cpsat.objective == result.objective
    # the exact LP bound equals GLOP's LP optimum (to GLOP's tolerance)
    lp = glop_lp(problem)
    assert result.lp_bound is not None
    assert abs(float(result.lp_bound) - lp) <= 1e-7 * max(1.0, abs(lp))
    if objective == "max_value":
        assert result.lp_bound >= result.objective
    else:
        assert result.lp_bound <= result.objective


WORK = 2.0


def test_medium_against_the_full_cpsat_model() -> None:
    # The naive model, with a deterministic work limit, proves these (all five with this
    # CP-SAT): whenever it proves, the numbers must be equal; it must never beat us or bound
    # below us. (Each instance's optimum is also the test's own DP's.)
    proven = 0
    cases = [(300, 10, "weakly", "max_value", 2), (300, 8, "uncorrelated", "max_value", 3)]
    cases += [(400, 6, "uncorrelated", "min_cost", 4), (300, 8, "ties", "max_value", 5)]
    cases += [(300, 8, "weakly", "min_cost", 6)]
    for g, k, family, objective, seed in cases:
        problem = make_problem(g, k, family, objective, seed)  # type: ignore[arg-type]
        ours = solve_mckp(problem)
        assert ours.status == "optimal"
        check_plan(problem, ours)
        assert ours.objective == dp_optimum(problem)
        done, objective_value, bound = full_cpsat(problem, work=WORK)
        if objective == "max_value":
            assert objective_value <= ours.objective <= bound + 1e-6
        else:
            assert objective_value >= ours.objective >= bound - 1e-6
        if done:
            proven += 1
            assert objective_value == ours.objective
    assert proven >= 4


@pytest.mark.parametrize("dp_enabled", [True, False])
def test_deterministic(dp_enabled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not dp_enabled:
        monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    problem = make_problem(3000, 12, "weakly", "max_value", 9)
    first = solve_mckp(problem)
    second = solve_mckp(problem)
    assert first.status == "optimal"
    assert first.choice.tobytes() == second.choice.tobytes()
    assert (first.objective, first.bound_exact, first.lp_bound) == (
        second.objective,
        second.bound_exact,
        second.lp_bound,
    )
    untimed = {k: v for k, v in first.stats.items() if not k.startswith(("t_", "wall"))}
    assert untimed == {k: v for k, v in second.stats.items() if not k.startswith(("t_", "wall"))}


def test_time_limit_reports_a_valid_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    # No DP and (almost) no time: whatever comes back must be a feasible plan with a valid bound.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    problem = make_problem(3000, 10, "weakly", "max_value", 12)
    exact = dp_optimum(problem)
    assert exact is not None
    limited = solve_mckp(problem, time_limit_s=1e-9)
    check_plan(problem, limited)
    assert limited.bound_exact is not None
    assert limited.objective <= exact <= limited.bound_exact
    if limited.status == "feasible":
        assert limited.gap > 0
    else:
        assert limited.objective == exact


def test_relax_matches_glop_on_general_arrays() -> None:
    # negative profits and no weight-0 option: relax() shifts weights itself
    rng = np.random.default_rng(21)
    g, k = 1500, 7
    weight = rng.integers(50, 5_000, size=(g, k), dtype=np.int64)
    profit = rng.integers(-3_000, 3_000, size=(g, k), dtype=np.int64)
    feas = rng.random((g, k)) < 0.8
    feas[:, 3] = True
    lo = int(np.where(feas, weight, 10**9).min(axis=1).sum())
    capacity = lo + 400_000
    rel = mckp.relax(profit, weight, feas, capacity)
    assert rel is not None
    assert rel.binding
    lp = glop_lp(MckpProblem(weight, profit, feas, capacity, "max_value"))
    assert abs(float(rel.bound) - lp) <= 1e-7 * max(1.0, abs(lp))
    rows = np.arange(g)
    assert int(weight[rows, rel.greedy].sum()) <= capacity
    assert mckp.relax(profit, weight, feas, lo - 1) is None


def test_dp_oracle_on_a_hand_example() -> None:
    # The oracle itself, on numbers small enough to check by hand. Two groups:
    #   g0: (cost 1, value 5), (cost 3, value 9); g1: (cost 0, value 1), (cost 2, value 6).
    # Budget 3: plans (1+0, 6), (1+2, 11), (3+0, 10), (3+2 > 3) -> 11.
    cost = np.array([[1, 3], [0, 2]], dtype=np.int64)
    value = np.array([[5, 9], [1, 6]], dtype=np.int64)
    feas = np.ones((2, 2), dtype=bool)
    assert dp_optimum(MckpProblem(cost, value, feas, 3, "max_value")) == 11
    assert dp_optimum(MckpProblem(cost, value, feas, 0, "max_value")) is None
    # Floor 10 on value: (1+2, 11) and (3+0, 10) qualify; cheapest costs 3.
    assert dp_optimum(MckpProblem(cost, value, feas, None, "min_cost", 10)) == 3
    # Floor 15 (the best is 9 + 6): infeasible.
    assert dp_optimum(MckpProblem(cost, value, feas, None, "min_cost", 16)) is None
