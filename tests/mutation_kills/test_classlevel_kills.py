"""solvers/classlevel.py (the CP-SAT back end, the method choice, money and row scaling, the
scaled model's looser twin, the answer's fields) against oracles that share no code with it:

* brute force over every plan (``tests/solvers/classlevel_oracle.py``) for unscaled problems,
  and ``tests/solvers/test_scaled_claims.py``'s raw-list enumeration past 2^60 pico-dollars;
* the money unit and a side row's unit by hand: the least power of ten that brings the worst
  total (every option of a task at its whole volume, or the budget or rhs if larger) below
  2^60;
* the method by the documented rule: the MCKP core first from 32 tasks on, or past CP-SAT's
  money range; optima of many-task instances by hand (a roomy budget: every task at its best
  option, the cheapest among equals).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import pytest

from costplan.solvers.classlevel import ClassProblem, LinearRow, solve_class
from costplan.solvers.protocol import Scaling
from tests.mutation_kills.test_classbound_kills import formula_d
from tests.solvers.classlevel_oracle import brute_force
from tests.solvers.test_classlevel import random_problem
from tests.solvers.test_scaled_claims import _d_from_prices, _instance, _oracle, _worst_spend

SEED = 61_027
BIG = 2**60


def hand_unit(worst: int) -> int:
    unit = 1
    while worst // unit >= BIG:
        unit *= 10
    return unit


def qc(p: ClassProblem, counts: np.ndarray) -> tuple[int, int]:
    x = [int(v) for v in counts]
    q = sum(int(p.quality[o]) * x[o] for o in range(len(x)))
    c = sum(int(p.cost[o]) * x[o] for o in range(len(x)))
    return (q, c) if p.objective == "max_quality" else (c, q)


def four_queries_with(row: LinearRow) -> ClassProblem:
    """One task of 4 queries, options (cost 1, quality .4) and (cost 2, quality .9), budget
    100 (never binding) and the side row ``row``."""
    return ClassProblem(
        task=np.zeros(2, np.int64),
        cost=np.asarray([1, 2], np.int64),
        quality=np.asarray([400_000, 900_000], np.int64),
        volume=np.asarray([4], np.int64),
        floor=np.asarray([-1], np.int64),
        split=np.asarray([True]),
        objective="max_quality",
        budget=100,
        extra=(row,),
    )


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_cpsat_answers_and_their_fields_match_brute_force(objective: str) -> None:
    seed = SEED + (objective == "min_cost")
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    infeasible = 0
    for i in range(120):
        p = random_problem(rng, objective, with_rows=i % 2 == 0, robust=i % 3 == 0)
        t0 = time.perf_counter()
        sol = solve_class(p, time_limit_s=10, method="cp-sat")
        t1 = time.perf_counter()
        assert 0 < sol.wall_s <= t1 - t0  # measured (not a speed claim)
        assert sol.method == "cp-sat"
        assert sol.counts.dtype == np.int64
        best = brute_force(p)
        if best is None:
            infeasible += 1
            assert sol.status == "infeasible", (seed, i)
            assert sol.counts.tolist() == [0] * len(p.cost)
            assert (sol.objective, sol.bound, sol.gap, sol.certificate) == (0, None, None, None)
            continue
        assert sol.status == "optimal", (seed, i)
        assert qc(p, sol.counts) == best, (seed, i)
        assert sol.objective == sol.bound == best[0]
        assert sol.gap == 0
        assert sol.scaling == ()
        assert sol.stats["branches"] >= 0
        cert = sol.certificate
        assert cert is not None
        # the proof: D alone when its floor (max) or ceiling (min) is the optimum, with D
        # recomputed here from the certificate's prices term by term
        d = formula_d(p, dict(cert.prices))
        tight = math.floor(d) if objective == "max_quality" else math.ceil(d)
        assert cert.proof == ("lagrangian" if tight == best[0] else "search"), (seed, i)
        assert cert.lagrangian_bound == d
    assert infeasible >= 10, infeasible


@pytest.mark.parametrize("method", ["cp-sat", "auto"])
def test_money_past_2_60_makes_no_false_claim(method: str) -> None:
    # the raw-list instances of test_scaled_claims, fewer of them, every one past 2^60
    seed = SEED + 10 + (method == "auto")
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    with_plan = proven = 0
    while with_plan < 120:
        p, raw = _instance(rng)
        worst = _worst_spend(raw)
        if worst < BIG:
            continue
        sol = solve_class(p, time_limit_s=10, method=method)  # type: ignore[arg-type]
        best = _oracle(**raw)
        if best is None:
            assert sol.status in ("infeasible", "unknown"), seed
            if sol.status == "infeasible":
                assert sol.counts.tolist() == [0] * len(p.cost)
                assert (sol.bound, sol.gap) == (None, None)
            continue
        with_plan += 1
        if sol.status == "unknown":
            continue
        x = [int(v) for v in sol.counts]
        cost = sum(int(c) * n for c, n in zip(p.cost, x, strict=True))
        qual = sum(int(q) * n for q, n in zip(p.quality, x, strict=True))
        assert raw["budget"] is None or cost <= raw["budget"]
        for t, v in enumerate(raw["volume"]):
            opts = [o for o in range(len(x)) if p.task[o] == t]
            assert sum(x[o] for o in opts) == v
            if raw["floor"][t] >= 0:
                assert sum(int(p.quality[o]) * x[o] for o in opts) >= raw["floor"][t] * v
            if not raw["split"][t]:
                assert sum(1 for o in opts if x[o]) <= 1
        for row in p.extra:
            assert sum(int(a) * n for a, n in zip(row.coef, x, strict=True)) <= row.rhs
        value = qual if raw["maximize"] else cost
        assert value == sol.objective
        assert sol.bound is not None
        if raw["maximize"]:
            assert value <= best <= sol.bound
        else:
            assert value >= best >= sol.bound
        if method == "cp-sat":
            # the unit by hand: worst spend (every option at its task's volume, or the budget)
            assert sol.scaling[0] == Scaling("money", hand_unit(worst))
            assert sol.method == "cp-sat"
        else:
            assert sol.method in ("mckp", "cp-sat")
        cert = sol.certificate
        assert cert is not None
        assert cert.lagrangian_bound == _d_from_prices(raw, cert.prices)
        if sol.status == "optimal":
            proven += 1
            assert value == best == sol.bound
            assert sol.gap == 0
        else:
            assert sol.status == "feasible"
            assert sol.gap == Fraction(abs(sol.bound - value), max(1, abs(value)))
            assert cert.proof in ("search", "lagrangian")
    assert proven >= 100, proven


def many(n_task: int, budget_factor: int = 10) -> tuple[ClassProblem, tuple[int, int]]:
    """``n_task`` tasks of 3 queries, options (q .4, $2), (q .8, $5), (q .8, $7); a roomy budget:
    every task on its $5 option, quality 3 x .8 each, cost 3 x 5 each (by hand)."""
    task = np.repeat(np.arange(n_task), 3)
    p = ClassProblem(
        task=task.astype(np.int64),
        cost=np.tile([2, 5, 7], n_task).astype(np.int64),
        quality=np.tile([400_000, 800_000, 800_000], n_task).astype(np.int64),
        volume=np.full(n_task, 3, np.int64),
        floor=np.full(n_task, -1, np.int64),
        split=np.ones(n_task, np.bool_),
        objective="max_quality",
        budget=budget_factor * 3 * 7 * n_task,
    )
    return p, (n_task * 3 * 800_000, n_task * 3 * 5)


def test_the_mckp_core_goes_first_from_32_tasks_on() -> None:
    p, best = many(32)
    sol = solve_class(p, time_limit_s=20)
    assert (sol.status, sol.method) == ("optimal", "mckp")
    assert qc(p, sol.counts) == best
    q, best_q = many(31)
    sol = solve_class(q, time_limit_s=20)
    assert (sol.status, sol.method) == ("optimal", "cp-sat")
    assert qc(q, sol.counts) == best_q
    # forced either way
    assert solve_class(p, time_limit_s=20, method="cp-sat").method == "cp-sat"
    small = solve_class(q, time_limit_s=20, method="mckp")
    assert (small.method, qc(q, small.counts)) == ("mckp", best_q)
    # min_cost without a budget: every task on its $2 option (3 x 2 each)
    mc = ClassProblem(p.task, p.cost, p.quality, p.volume, p.floor, p.split, "min_cost")
    sol = solve_class(mc, time_limit_s=20)
    assert (sol.status, sol.method, qc(mc, sol.counts)) == (
        "optimal",
        "mckp",
        (32 * 6, 32 * 1_200_000),
    )


def test_a_few_tasks_past_cpsats_money_range_go_to_the_core_too() -> None:
    # one task, 2 queries; costs x 2^59: worst spend 2 x (2^59 + 3 x 2^59) = 2^62 >= 2^60
    p = ClassProblem(
        task=np.zeros(2, np.int64),
        cost=np.asarray([2**59, 3 * 2**59], np.int64),
        quality=np.asarray([400_000, 900_000], np.int64),
        volume=np.asarray([2], np.int64),
        floor=np.asarray([-1], np.int64),
        split=np.asarray([True]),
        objective="max_quality",
        budget=4 * 2**59,  # one query on each option, exactly (by hand): quality 1.3
    )
    sol = solve_class(p, time_limit_s=20)
    assert sol.method == "mckp"
    assert (sol.status, sol.counts.tolist(), sol.objective) == ("optimal", [1, 1], 1_300_000)
    cp = solve_class(p, time_limit_s=20, method="cp-sat")
    assert cp.method == "cp-sat"
    # money unit by hand: worst 2^62 (the budget 2^61 is smaller): 10^2 leaves 2^62 / 100 >=
    # 2^60? 2^62 / 100 < 2^60 (4 / 100 < 1), 2^62 / 10 >= 2^60: unit 10
    assert cp.scaling == (Scaling("money", 10),)
    assert cp.objective <= 1_300_000 <= cp.bound  # type: ignore[operator]
    assert cp.status in ("optimal", "feasible")
    if cp.status == "optimal":
        assert cp.counts.tolist() == [1, 1]


def test_a_side_row_past_2_60_is_scaled_on_its_own() -> None:
    # two options, 4 queries, unscaled money; a row with coefficients 2^59 and 3 x 2^59 and
    # rhs 6 x 2^59 (at most "6 units"): worst 4 x (2^59 + 3 x 2^59) = 2^63 -> unit 10 (2^63 / 10
    # >= 2^60, / 100 < 2^60). Quality: max .9 per query on the second option, the row allows
    # x1 + 3 x2 <= 6 with x1 + x2 = 4: x2 <= 1: (3, 1), quality 3 x .4 + .9 = 2.1 (by hand)
    u = 2**59
    row = LinearRow(np.asarray([u, 3 * u], np.int64), 6 * u, "a row", name="capacity:m:r")
    p = four_queries_with(row)
    assert brute_force(p) == (2_100_000, 5)
    sol = solve_class(p, time_limit_s=20)
    assert sol.method == "cp-sat"
    assert sol.scaling == (Scaling("capacity:m:r", 10),)
    assert sol.counts.tolist() == [3, 1]
    assert sol.status == "optimal"
    assert sol.objective == sol.bound == 2_100_000


def test_a_relative_gap_stop_keeps_the_bound_on_the_right_side() -> None:
    rng = np.random.default_rng(SEED + 20)
    print(f"seed {SEED + 20}")
    for i in range(60):
        objective = ("max_quality", "min_cost")[i % 2]
        p = random_problem(rng, objective, with_rows=i % 4 < 2)
        best = brute_force(p)
        sol = solve_class(p, time_limit_s=10, relative_gap=0.5)
        if best is None:
            assert sol.status == "infeasible"
            continue
        assert sol.status in ("optimal", "feasible")
        assert sol.bound is not None
        if objective == "max_quality":
            assert sol.objective <= best[0] <= sol.bound
        else:
            assert sol.objective >= best[0] >= sol.bound
        if sol.status == "optimal":
            assert sol.objective == sol.bound == best[0]


def test_the_looser_twin_closes_a_scaled_cpsat_search() -> None:
    # the swap instance of test_classmckp_kills (hand figures there): at unit 10 the stricter
    # model's optimum is T1 dear (1.3), no single exact move improves it, and the looser
    # twin's plan, T2 dear (1.4), is exactly feasible and better: the exact optimum
    from tests.mutation_kills.test_classmckp_kills import swap_instance

    p = swap_instance()
    assert brute_force(p) == (1_400_000, 2 * 2**60 + 10_003)
    sol = solve_class(p, time_limit_s=20, method="cp-sat")
    assert sol.method == "cp-sat"
    assert sol.scaling == (Scaling("money", 10),)
    assert sol.counts.tolist() == [1, 0, 0, 1]
    assert (sol.status, sol.objective, sol.bound, sol.gap) == ("optimal", 1_400_000, 1_400_000, 0)
    assert "branches" in sol.stats  # the stricter model's search statistics are kept
    # one pico-dollar less: the twin's plan is over the budget; the stricter plan stays
    q = swap_instance(short=1)
    sol = solve_class(q, time_limit_s=20, method="cp-sat")
    assert sol.counts.tolist() == [0, 1, 1, 0]
    assert sol.objective == 1_300_000
    assert sol.bound is not None
    assert sol.bound >= 1_300_000
    assert "branches" in sol.stats


def test_a_scaled_side_row_rounds_its_rhs_down() -> None:
    # u = 10 x 2^55 (a multiple of 10); 4 queries; a row x1 u + x2 3u <= 6u - 1. Worst 4 x 4u =
    # 5 x 2^60: unit 10 (16u / 10 = 2^59 < 2^60). Exactly, (3, 1) needs 6u > 6u - 1: only
    # (4, 0) fits (x2 >= 1 needs x1 <= 2, then 2u + 6u > 6u - 1), quality 4 x .4 = 1.6. At the
    # unit the coefficients are exact and the rhs must round down, to 6u / 10 - 1: (3, 1), at
    # 6u / 10, must not fit there either
    u = 10 * 2**55
    row = LinearRow(np.asarray([u, 3 * u], np.int64), 6 * u - 1, "a row", name="capacity:m:r")
    p = four_queries_with(row)
    assert brute_force(p) == (1_600_000, 4)
    sol = solve_class(p, time_limit_s=20)
    assert sol.scaling == (Scaling("capacity:m:r", 10),)
    assert sol.counts.tolist() == [4, 0]
    assert sol.objective == 1_600_000
