"""Per-query allocation with side constraints against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from costplan.solvers.constrained import LinearConstraint, solve_constrained, undominated
from costplan.solvers.mckp import MckpProblem


def brute(p: MckpProblem, rows: list[LinearConstraint]) -> int | None:
    g = p.cost.shape[0]
    best = None
    for plan in itertools.product(*[np.flatnonzero(p.feasible[i]).tolist() for i in range(g)]):
        idx = (np.arange(g), np.asarray(plan))
        c, v = int(p.cost[idx].sum()), int(p.value[idx].sum())
        if p.budget is not None and c > p.budget:
            continue
        if p.min_value is not None and v < p.min_value:
            continue
        if any(int(r.coef[idx].sum()) > r.rhs for r in rows):
            continue
        obj = v if p.objective == "max_value" else c
        if best is None or (obj > best if p.objective == "max_value" else obj < best):
            best = obj
    return best


def random_instance(rng: np.random.Generator) -> tuple[MckpProblem, list[LinearConstraint]]:
    g, k = int(rng.integers(1, 6)), int(rng.integers(1, 5))
    cost = rng.integers(0, 20, (g, k)).astype(np.int64)
    value = rng.integers(0, 20, (g, k)).astype(np.int64)
    feasible = rng.random((g, k)) < 0.8
    feasible[np.arange(g), rng.integers(0, k, g)] = True
    objective = "max_value" if rng.random() < 0.5 else "min_cost"
    budget = (
        int(rng.integers(0, 20 * g)) if objective == "max_value" or rng.random() < 0.3 else None
    )
    min_value = int(rng.integers(0, 15 * g)) if objective == "min_cost" else None
    rows = []
    for _ in range(int(rng.integers(0, 3))):
        kind = rng.random()
        if kind < 0.4:  # capacity of one option column ("a model")
            col = int(rng.integers(0, k))
            coef = np.zeros((g, k), np.int64)
            coef[:, col] = 1
            rows.append(LinearConstraint(coef, int(rng.integers(0, g + 1)), "capacity"))
        elif kind < 0.7:  # spend share: den*spend(cols) - num*spend(all) <= 0
            member = rng.random(k) < 0.5
            coef = cost * (4 * member.astype(np.int64) - int(rng.integers(1, 4)))
            rows.append(LinearConstraint(coef.astype(np.int64), 0, "share"))
        else:  # a "task" quality floor over a subset of groups
            in_task = rng.random(g) < 0.6
            floor = int(rng.integers(0, 20))
            coef = np.where(in_task[:, None], floor - value, 0).astype(np.int64)
            rows.append(LinearConstraint(coef, 0, "floor"))
    problem = MckpProblem(cost, value, feasible, budget, objective, min_value)  # type: ignore[arg-type]
    return problem, rows


def test_matches_brute_force_on_1000_random_instances() -> None:
    rng = np.random.default_rng(4242)
    with_rows = 0
    paths = {"warm": 0, "cp-sat": 0}
    for _ in range(1000):
        p, rows = random_instance(rng)
        with_rows += bool(rows)
        expected = brute(p, rows)
        got = solve_constrained(p, rows, time_limit_s=10)
        if rows and got.status == "optimal":
            paths["warm" if "side rows slack" in got.method else "cp-sat"] += 1
        if expected is None:
            assert got.status == "infeasible"
            continue
        assert got.status == "optimal"
        assert got.objective == expected
        idx = (np.arange(p.cost.shape[0]), got.choice)
        assert p.feasible[idx].all()
        if p.budget is not None:
            assert int(p.cost[idx].sum()) <= p.budget
        if p.min_value is not None:
            assert int(p.value[idx].sum()) >= p.min_value
        for r in rows:
            assert int(r.coef[idx].sum()) <= r.rhs
        if p.objective == "max_value":
            assert got.bound >= expected
        else:
            assert got.bound <= expected
    assert with_rows > 500
    # both paths are exercised: side rows that do not bind (the unconstrained optimum is
    # returned) and rows that do (CP-SAT, hinted with the unconstrained plan)
    assert paths["warm"] >= 50, paths
    assert paths["cp-sat"] >= 50, paths


def test_a_non_binding_constraint_costs_nothing_at_2000_queries() -> None:
    # 2,000 queries x 20 models, budget not binding and a capacity no plan can break:
    # the optimum is each query's best value (by hand: the row maxima), proven at once.
    rng = np.random.default_rng(11)
    g, k = 2000, 20
    cost = rng.integers(1, 10**6, (g, k)).astype(np.int64)
    value = rng.integers(0, 10**6, (g, k)).astype(np.int64)
    feasible = np.ones((g, k), np.bool_)
    coef = np.zeros((g, k), np.int64)
    coef[:, 3] = 1
    rows = [LinearConstraint(coef, g, "capacity:m3:requests", "capacity:m3:requests")]
    p = MckpProblem(cost, value, feasible, int(cost.sum()), "max_value")
    got = solve_constrained(p, rows, time_limit_s=30)
    assert got.status == "optimal"
    assert got.objective == int(value.max(axis=1).sum())
    assert got.slack["capacity:m3:requests"] == g - int((value.argmax(axis=1) == 3).sum())
    assert "side rows slack" in got.method


def test_reduction_keeps_options_a_binding_capacity_needs() -> None:
    # Option 0 dominates option 1 on cost and value, but only option 1 avoids the capacity.
    cost = np.array([[1, 2], [1, 2]], np.int64)
    value = np.array([[5, 4], [5, 4]], np.int64)
    feasible = np.ones((2, 2), np.bool_)
    cap = LinearConstraint(np.array([[1, 0], [1, 0]], np.int64), 1, "capacity of option 0")
    assert undominated(cost, value, feasible, [cap]).all()
    assert undominated(cost, value, feasible, []).tolist() == [[True, False], [True, False]]
    got = solve_constrained(MckpProblem(cost, value, feasible, 10, "max_value"), [cap])
    assert got.objective == 9
    assert sorted(got.choice.tolist()) == [0, 1]


@pytest.mark.parametrize("workers", [1, 2])
def test_deterministic_across_runs_and_workers(workers: int) -> None:
    rng = np.random.default_rng(7)
    g, k = 300, 6
    cost = rng.integers(1, 1000, (g, k)).astype(np.int64)
    value = rng.integers(0, 1000, (g, k)).astype(np.int64)
    feasible = np.ones((g, k), np.bool_)
    coef = np.zeros((g, k), np.int64)
    coef[:, 0] = 1
    rows = [LinearConstraint(coef, 50, "cap")]
    p = MckpProblem(cost, value, feasible, int(cost.mean() * g * 0.6), "max_value")
    a = solve_constrained(p, rows, num_workers=workers)
    b = solve_constrained(p, rows, num_workers=workers)
    assert a.status == "optimal"
    assert np.array_equal(a.choice, b.choice)
    assert a.objective == solve_constrained(p, rows, num_workers=1).objective
