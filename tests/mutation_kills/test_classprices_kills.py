"""solvers/classprices.py's per-task prices on hand-derived instances (min_cost profits
``alpha = -cost``): a floor price of exactly 1 and a floor of 0; and ``prices`` on weights, a
budget and profits past 2**53, where float64 rounding would move the step that binds."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from costplan.solvers import classprices as cp
from costplan.solvers.classlevel import ClassProblem


def one_task(cost: list[int], quality: list[int], floor: int) -> ClassProblem:
    m = len(cost)
    return ClassProblem(
        task=np.zeros(m, np.int64), cost=np.asarray(cost, np.int64),
        quality=np.asarray(quality, np.int64), volume=np.asarray([3], np.int64),
        floor=np.asarray([floor], np.int64), split=np.asarray([True]), objective="min_cost",
    )  # fmt: skip


def test_a_floor_price_of_exactly_one_is_applied() -> None:
    # A (cost 1, q 0), B (cost 2, q 1), floor 1: alpha = (-1, -2), beta = q - f = (-1, 0).
    # max(-1 - mu, -2) falls until mu = 1, then stays at -2: mu = 1. Priced profits
    # a = alpha + mu beta = (-2, -2): A_t = -2, both losses 0.
    p = one_task([1, 2], [0, 1], 1)
    mus, loss, best = cp.task_prices(p, [np.arange(2)], [1], [[Fraction(-1), Fraction(-2)]])
    assert mus == [Fraction(1)]
    assert loss == [Fraction(0), Fraction(0)]
    assert best == [Fraction(-2)]


def test_a_floor_of_zero_has_no_price() -> None:
    # The same options with a floor of 0: beta = q - 0 = (0, 1), no falling line, mu = 0;
    # a = alpha = (-1, -2), A_t = -1, losses (0, 1).
    p = one_task([1, 2], [0, 1], 0)
    mus, loss, best = cp.task_prices(p, [np.arange(2)], [0], [[Fraction(-1), Fraction(-2)]])
    assert mus == [Fraction(0)]
    assert loss == [Fraction(0), Fraction(1)]
    assert best == [Fraction(-1)]


# ------------------------------------------------------------------ money and profits past 2**53
# The LP that picks ``lam`` (``mckp.relax``) is fed int64 arrays and an int capacity. As
# float64 (or with the budget divided in floats) every value past 2**53 is rounded to a
# multiple of 2, 4, ... and the step that binds the budget can change; ``lam`` and the bound
# ``D`` follow it. The oracle is the LP optimum by enumeration of its basic solutions (each
# task at one option, at most one task mixing two), in Fractions from the raw numbers.


def lp_optimum(tasks: list[list[tuple[int, int]]], budget: int) -> Fraction:
    """max sum q s.t. sum cost <= budget, one (cost, quality) per task, one task mixed."""
    best: Fraction | None = None
    for f in range(len(tasks)):
        others = [range(len(t)) for k, t in enumerate(tasks) if k != f]
        rest_tasks = [t for k, t in enumerate(tasks) if k != f]
        for choice in itertools.product(*others):
            c0 = sum(t[o][0] for t, o in zip(rest_tasks, choice, strict=True))
            q0 = sum(t[o][1] for t, o in zip(rest_tasks, choice, strict=True))
            for (ci, qi), (cj, qj) in itertools.product(tasks[f], repeat=2):
                room = budget - c0 - ci
                if room < 0:
                    continue
                w = Fraction(1) if cj <= ci else min(Fraction(1), Fraction(room, cj - ci))
                val = q0 + qi + w * (qj - qi)
                best = val if best is None else max(best, val)
    assert best is not None
    return best


def budget_problem(tasks: list[list[tuple[int, int]]], budget: int) -> ClassProblem:
    """Volume 1 per task, no floors, max_quality under ``budget``."""
    task = [t for t, opts in enumerate(tasks) for _ in opts]
    n = len(tasks)
    return ClassProblem(
        task=np.asarray(task, np.int64),
        cost=np.asarray([c for opts in tasks for c, _ in opts], np.int64),
        quality=np.asarray([q for opts in tasks for _, q in opts], np.int64),
        volume=np.ones(n, np.int64), floor=np.full(n, -1, np.int64),
        split=np.ones(n, np.bool_), objective="max_quality", budget=budget,
    )  # fmt: skip


def test_weights_past_2_53_keep_their_last_pico_dollar() -> None:
    # W = 3*10^16 + 1 (2^54 < W < 2^55: float64 spacing 4, so float(W) = 3*10^16 = W - 1).
    # Task 0: $0 q 0 or $W q 2 (efficiency 2/W); task 1: $0 q 0 or $(W - 1) q 1 (1/(W - 1),
    # lower). Budget W - 1 < W: task 0's step does not fit, it binds: lam = 2/W, and
    # D = lam (W - 1) + max(0, 2 - 2) + max(0, 1 - 2(W - 1)/W) = 2 - 2/W, the LP optimum
    # (task 0 at (W - 1)/W of its step). With the weight rounded to W - 1 the step fits
    # exactly and task 1's step would bind: lam = 1/(W - 1), D = 2 - 1/(W - 1).
    w = 3 * 10**16 + 1
    tasks = [[(0, 0), (w, 2)], [(0, 0), (w - 1, 1)]]
    p = budget_problem(tasks, w - 1)
    pr = cp.prices(p, p.cost)
    assert pr is not None
    assert pr.lam == Fraction(2, w)
    assert pr.critical == 0
    assert pr.bound == 2 - Fraction(2, w) == lp_optimum(tasks, w - 1)


def test_a_budget_past_2_53_keeps_its_last_pico_dollar() -> None:
    # W = 3*10^16 (a multiple of 4, exact in float64); budget B = W - 1, and float(B) = W
    # (spacing 4 above 2^54; W - 1 is 1 from W, 3 from W - 4). Task 0: $0 q 0 or $W q 2
    # (2/W); task 1: $0 q 0 or $W q 1 (1/W). Exactly, task 0's step does not fit: lam = 2/W,
    # D = 2(W - 1)/W + 0 + max(0, 1 - 2) = 2 - 2/W (the LP optimum). With the budget
    # rounded up to W task 0's step fits and task 1's binds: lam = 1/W, D = (W - 1)/W + 1.
    w = 3 * 10**16
    tasks = [[(0, 0), (w, 2)], [(0, 0), (w, 1)]]
    p = budget_problem(tasks, w - 1)
    pr = cp.prices(p, p.cost)
    assert pr is not None
    assert pr.lam == Fraction(2, w)
    assert pr.critical == 0
    assert pr.bound == 2 - Fraction(2, w) == lp_optimum(tasks, w - 1)


def test_profits_past_2_53_keep_their_last_micro_unit() -> None:
    # One task (an artificial quality scale: profits past 2^53 need a quality that large at
    # volume 1): A $0 q 0, B $2 q 2^54 + 1, C $4 q 2^55. Exactly B is above the line A-C
    # (2 (2^54 + 1) > 2^55), so the LP's hull is A, B, C with steps of 2 pico-dollars; budget
    # 3 takes A->B and half of B->C: lam = (2^55 - 2^54 - 1)/2 = (2^54 - 1)/2 and
    # D = 3 lam + max(0, 2^54 + 1 - 2 lam, 2^55 - 4 lam) = (3*2^54 - 3)/2 + 2 = 3*2^53 + 1/2.
    # As float64 B's profit is 2^54 (spacing 4), on the line A-C, dropped from the hull:
    # one step A->C binds, lam = 2^55/4 = 2^53, D = 3*2^53 + max(0, 1, 0) = 3*2^53 + 1.
    tasks = [[(0, 0), (2, 2**54 + 1), (4, 2**55)]]
    p = budget_problem(tasks, 3)
    pr = cp.prices(p, p.cost)
    assert pr is not None
    assert pr.lam == Fraction(2**54 - 1, 2)
    assert pr.bound == 3 * 2**53 + Fraction(1, 2) == lp_optimum(tasks, 3)
