"""solvers/classprices.py's per-task prices on hand-derived instances (min_cost profits
``alpha = -cost``): a floor price of exactly 1 and a floor of 0."""

from __future__ import annotations

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
