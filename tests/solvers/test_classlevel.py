"""Class-level solver against brute force on hundreds of small random instances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.solvers.classlevel import ClassProblem, ClassSolution, LinearRow, solve_class
from tests.solvers.classlevel_oracle import brute_force


def random_problem(
    rng: np.random.Generator, objective: str, *, with_rows: bool = False, robust: bool = False
) -> ClassProblem:
    n_tasks = int(rng.integers(1, 4))
    task, cost, quality = [], [], []
    for t in range(n_tasks):
        k = int(rng.integers(1, 4))
        task += [t] * k
        cost += list(rng.integers(0, 50, size=k))
        quality += list(rng.integers(0, 11, size=k) * 100_000)
    volume = rng.integers(0, 5, size=n_tasks)
    floor = np.where(rng.random(n_tasks) < 0.5, rng.integers(0, 11, size=n_tasks) * 100_000, -1)
    split = rng.random(n_tasks) < 0.7
    total_max = int(
        sum(
            max(c for c, tt in zip(cost, task, strict=True) if tt == t) * volume[t]
            for t in range(n_tasks)
        )
    )
    budget = None
    if objective == "max_quality" or rng.random() < 0.5:
        budget = int(rng.integers(0, total_max + 2))
    budget_cost = None
    if robust:  # the budget is on a dearer (p95-length) cost
        budget_cost = np.asarray(cost, np.int64) + rng.integers(0, 20, size=len(cost))
        budget = int(rng.integers(0, total_max + 40))
    extra: list[LinearRow] = []
    if with_rows:
        n_opt = len(task)
        for _ in range(int(rng.integers(1, 3))):
            if rng.random() < 0.5:  # capacity on a random subset of options ("a model")
                coef = (rng.random(n_opt) < 0.5).astype(np.int64)
                extra.append(LinearRow(coef, int(rng.integers(0, 6)), "capacity"))
            else:  # spend share of a subset <= num/den
                member = rng.random(n_opt) < 0.5
                num, den = int(rng.integers(1, 4)), 4
                c = np.asarray(cost, np.int64)
                coef = np.where(member, (den - num) * c, -num * c).astype(np.int64)
                extra.append(LinearRow(coef, 0, "share"))
    return ClassProblem(
        task=np.asarray(task, np.int64),
        cost=np.asarray(cost, np.int64),
        quality=np.asarray(quality, np.int64),
        volume=np.asarray(volume, np.int64),
        floor=np.asarray(floor, np.int64),
        split=np.asarray(split, np.bool_),
        objective=objective,  # type: ignore[arg-type]
        budget=budget,
        extra=tuple(extra),
        budget_cost=budget_cost,
    )


def check_against_oracle(p: ClassProblem, sol: ClassSolution | None = None) -> None:
    """``sol`` (default: ``solve_class(p)``) equals brute force and is feasible."""
    expected = brute_force(p)
    if sol is None:
        sol = solve_class(p, time_limit_s=10)
    if expected is None:
        assert sol.status == "infeasible"
        return
    assert sol.status == "optimal"
    counts = sol.counts
    q = int(np.sum(p.quality * counts))
    c = int(np.sum(p.cost * counts))
    got = (q, c) if p.objective == "max_quality" else (c, q)
    assert got == expected  # primary optimum and the lexicographic tie-break
    # feasibility, checked independently of the solver
    for t in range(len(p.volume)):
        m = p.task == t
        assert counts[m].sum() == p.volume[t]
        assert (counts >= 0).all()
        if not p.split[t]:
            assert np.count_nonzero(counts[m]) <= 1
        if p.floor[t] >= 0:
            assert int(np.sum(p.quality[m] * counts[m])) >= int(p.floor[t]) * int(p.volume[t])
    if p.budget is not None:
        spend = c if p.budget_cost is None else int(np.sum(p.budget_cost * counts))
        assert spend <= p.budget
    for row in p.extra:
        assert int(np.sum(row.coef * counts)) <= row.rhs
    assert sol.objective == got[0]


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_matches_brute_force_on_300_seeded_instances(objective: str) -> None:
    rng = np.random.default_rng(20261128 if objective == "max_quality" else 7)
    for _ in range(150):
        check_against_oracle(random_problem(rng, objective))


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_side_constraints_match_brute_force(objective: str) -> None:
    rng = np.random.default_rng(99 if objective == "max_quality" else 100)
    for _ in range(150):
        check_against_oracle(random_problem(rng, objective, with_rows=True))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), objective=st.sampled_from(["max_quality", "min_cost"]))
def test_matches_brute_force_hypothesis(seed: int, objective: str) -> None:
    rng = np.random.default_rng(seed)
    check_against_oracle(random_problem(rng, objective, with_rows=seed % 2 == 0))


def test_large_volumes_stay_exact() -> None:
    # 2M queries at sub-micro-dollar-scale prices: integers all the way.
    p = ClassProblem(
        task=np.array([0, 0, 1, 1], np.int64),
        cost=np.array([120_000_000, 2_400_000_000, 7_500_000, 900_000_000], np.int64),
        quality=np.array([850_000, 950_000, 600_000, 900_000], np.int64),
        volume=np.array([2_000_000, 3_000_000], np.int64),
        floor=np.array([880_000, -1], np.int64),
        split=np.array([True, True]),
        objective="max_quality",
        budget=3_000_000_000_000_000,
    )
    sol = solve_class(p)
    assert sol.status == "optimal"
    cost = int(np.sum(p.cost * sol.counts))
    assert cost <= p.budget
    # floor: 0.85 x + 0.95 (2M - x) >= 0.88 * 2M  ->  x <= 1.4M
    assert sol.counts[0] <= 1_400_000
    assert sol.counts[:2].sum() == 2_000_000
    assert sol.counts[2:].sum() == 3_000_000
