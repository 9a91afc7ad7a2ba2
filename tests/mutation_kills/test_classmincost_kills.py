"""solvers/classmincost.py (min_cost without side rows, task by task) on hand-derived
instances: the quality tie-break, exact money past int64 and counts past 2^53."""

from __future__ import annotations

import math

import numpy as np

from costplan.solvers.classlevel import ClassProblem
from costplan.solvers.classmincost import solve_min_cost


def one_task(cost: list[int], quality: list[int], n: int, floor: int,
             budget: int | None = None) -> ClassProblem:  # fmt: skip
    m = len(cost)
    return ClassProblem(
        task=np.zeros(m, np.int64), cost=np.asarray(cost, np.int64),
        quality=np.asarray(quality, np.int64), volume=np.asarray([n], np.int64),
        floor=np.asarray([floor], np.int64), split=np.asarray([True]),
        objective="min_cost", budget=budget,
    )  # fmt: skip


def solve(p: ClassProblem):  # type: ignore[no-untyped-def]
    return solve_min_cost(p, np.ones(len(p.cost), np.bool_), math.inf, 10**6)


def test_equal_cost_configurations_take_the_best_quality() -> None:
    # Options (cost, quality) A (1, 5), B (2, 8), C (3, 12); 2 queries, floor 8 (16 in all).
    # (2,0,0) q 10 and (1,1,0) q 13 fail the floor; the cheapest that meet it cost 4:
    # (0,2,0) q 16 and (1,0,1) q 17, so the tie-break takes (1,0,1). (B lies below the
    # A-C line at cost 2: 5 + 7/2 = 8.5 > 8, so only A and C are zero-loss: not a free task.)
    sol = solve(one_task([1, 2, 3], [5, 8, 12], 2, 8))
    assert sol is not None
    assert sol.status == "optimal"
    assert sol.counts.tolist() == [1, 0, 1]
    assert sol.objective == 4


def test_costs_past_int64_are_summed_exactly() -> None:
    # 3 queries at 2^62 pusd each: 3 x 4,611,686,018,427,387,904 = 13,835,058,055,282,163,712
    # (past 2^63 - 1: int64 would wrap to a negative number).
    big = 2**62
    sol = solve(one_task([big], [1], 3, -1))
    assert sol is not None
    assert sol.objective == 13_835_058_055_282_163_712
    # a budget one pusd short of that is refused (a wrapped sum would fit it)
    short = solve(one_task([big], [1], 3, -1, budget=13_835_058_055_282_163_711))
    assert short is not None
    assert short.status == "infeasible"
    exact = solve(one_task([big], [1], 3, -1, budget=13_835_058_055_282_163_712))
    assert exact is not None
    assert exact.status == "optimal"


def test_counts_past_2_53_stay_exact() -> None:
    # 2^53 + 1 = 9,007,199,254,740,993 queries on one option of cost 1: a float64 count
    # would round to 9,007,199,254,740,992.
    n = 2**53 + 1
    sol = solve(one_task([1], [1], n, -1))
    assert sol is not None
    assert sol.counts.dtype == np.int64
    assert sol.counts.tolist() == [9_007_199_254_740_993]
    assert sol.objective == 9_007_199_254_740_993


def test_a_budget_one_pusd_short_at_2_53_is_refused() -> None:
    # One query at 2^53 + 1 = 9,007,199,254,740,993 pusd against a budget of 2^53: over by 1.
    # (In float64 the cost would round to 2^53 and fit.)
    p = one_task([2**53 + 1], [1], 1, -1, budget=2**53)
    sol = solve(p)
    assert sol is not None
    assert sol.status == "infeasible"
