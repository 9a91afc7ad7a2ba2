"""solvers/classsearch.py (margin rounds, the core over configurations, the tie-break, branching
on a ``split: false`` task) against oracles that share no code with it.

* ``solve``'s plan against brute force over every plan (``tests/solvers/classlevel_oracle.py``),
  and its statistics against the module docstring's procedure re-run by brute force: every
  configuration of every task priced exactly in Fractions from the returned prices (``P_t(x) =
  sum_o d_o x_o + mu_t s_t``), ``L_t`` its least penalty, ``D' = D - sum_t L_t``, then the margin
  rounds (first margin ``min(D' - q_min, max(1, T))``; the best plan of configurations within
  ``L_t + G`` under the budget; stop when ``Z >= ceil(D' - G)``, else ``G = min(D' - Z, 4G)``,
  or ``4G`` capped at ``D' - q_min`` when no plan is within the margin). Only instances without
  a *free* task (whose configurations the budget windows) are compared round by round.
* ``branch`` with ``solve`` made to give up while a ``split: false`` task has several options:
  its answer against brute force, and its depth limit (two nested branchings) by hand.
* hand figures for the robust tie-break at a budget met exactly, the shifted budget past
  2^53, and the work limit's deadline.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from costplan.solvers import classsearch as cs
from costplan.solvers.classlevel import ClassProblem, ClassSolution
from costplan.solvers.classprices import Prices
from tests.mutation_kills.test_classbound_kills import holds
from tests.solvers.classlevel_oracle import brute_force
from tests.solvers.test_classlevel import random_problem

SEED = 40_913
FAR = 1e18  # a deadline no test reaches
Config = tuple[int, ...]


def problem(
    tasks: list[dict[str, Any]], budget: int, budget_cost: list[int] | None = None
) -> ClassProblem:
    """Tasks as dicts: q (qualities), c (costs), n (volume), f (floor, -1 none), split."""
    task, cost, quality = [], [], []
    for t, spec in enumerate(tasks):
        task += [t] * len(spec["q"])
        quality += list(spec["q"])
        cost += list(spec["c"])
    return ClassProblem(
        task=np.asarray(task, np.int64),
        cost=np.asarray(cost, np.int64),
        quality=np.asarray(quality, np.int64),
        volume=np.asarray([s["n"] for s in tasks], np.int64),
        floor=np.asarray([s["f"] for s in tasks], np.int64),
        split=np.asarray([s.get("split", True) for s in tasks], np.bool_),
        objective="max_quality",
        budget=budget,
        budget_cost=None if budget_cost is None else np.asarray(budget_cost, np.int64),
    )


def qc(p: ClassProblem, counts: np.ndarray) -> tuple[int, int]:
    x = [int(v) for v in counts]
    return (sum(int(p.quality[o]) * x[o] for o in range(len(x))),
            sum(int(p.cost[o]) * x[o] for o in range(len(x))))  # fmt: skip


def task_configs(p: ClassProblem, t: int) -> tuple[list[int], list[Config]]:
    """Task t's options and every count vector of it meeting its floor."""
    opts = [int(o) for o in np.flatnonzero(p.task == t)]
    n, f, m = int(p.volume[t]), int(p.floor[t]), len(opts)
    if p.split[t]:
        cands = [x for x in itertools.product(range(n + 1), repeat=m) if sum(x) == n]
    else:
        cands = [tuple(n if j == k else 0 for j in range(m)) for k in range(m)]
    ok = [
        x
        for x in cands
        if f < 0 or sum(int(p.quality[o]) * x[k] for k, o in enumerate(opts)) >= f * n
    ]
    return opts, ok


@dataclasses.dataclass
class Expected:
    status: str
    stats: dict[str, float]
    free: bool  # some task is free (its configurations depend on the budget window)


def expected(p: ClassProblem, pr: Prices) -> Expected:
    """The docstring's procedure by brute force, from the prices ``pr`` (see the module doc)."""
    assert p.budget is not None
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    lam = pr.lam
    n_task = len(p.volume)
    d_total = lam * p.budget
    per_task: list[list[tuple[Fraction, int, int]]] = []  # (penalty, quality, budget cost)
    least: list[Fraction] = []
    free = False
    for t in range(n_task):
        opts, configs = task_configs(p, t)
        n, f = int(p.volume[t]), int(p.floor[t])
        mu = pr.mu[t] if f >= 0 and n > 0 else Fraction(0)
        a = [int(p.quality[o]) - lam * int(bcost[o]) + mu * (int(p.quality[o]) - f) for o in opts]
        top = max(a)
        d_total += n * top
        loss = [top - v for v in a]
        zero = sum(1 for v in loss if v == 0)
        free |= bool(p.split[t]) and (zero >= 3 or (zero == 2 and pr.mu[t] == 0))
        rows = []
        for x in configs:
            slack = sum((int(p.quality[o]) - f) * x[k] for k, o in enumerate(opts)) if f >= 0 else 0
            pen = sum(loss[k] * x[k] for k in range(len(opts))) + mu * slack
            rows.append((pen, sum(int(p.quality[o]) * x[k] for k, o in enumerate(opts)),
                         sum(int(bcost[o]) * x[k] for k, o in enumerate(opts))))  # fmt: skip
        per_task.append(rows)
        least.append(min(r[0] for r in rows) if rows and n > 0 else Fraction(0))
    assert d_total == pr.bound  # D from the prices, term by term
    bound = d_total - sum(least)
    stats = {"lp_bound": float(d_total), "lagrangian_bound": float(bound)}
    q_min = sum(int(p.volume[t]) * min(int(p.quality[o]) for o in np.flatnonzero(p.task == t))
                for t in range(n_task))  # fmt: skip
    full = max(Fraction(0), bound - q_min)
    margin = min(full, Fraction(max(1, n_task)))
    rounds = 0
    while True:
        rounds += 1
        within = [[r for r in rows if r[0] <= least[t] + margin]
                  for t, rows in enumerate(per_task)]  # fmt: skip
        plans = [sum(r[1] for r in c) for c in itertools.product(*within)
                 if sum(r[2] for r in c) <= p.budget]  # fmt: skip
        if not plans:
            if margin >= full:
                return Expected("infeasible", {}, free)
            margin = min(full, margin * 4)
            continue
        z = max(plans)
        if z >= math.ceil(bound - margin):
            break
        margin = min(bound - z, 4 * margin)
    n_configs = sum(len(w) for w in within)
    stats |= {"rounds": float(rounds), "configs": float(n_configs), "margin": float(margin)}
    return Expected("optimal", stats, free)


def check_optimal(p: ClassProblem, sol: ClassSolution, t0: float, t1: float) -> None:
    best = brute_force(p)
    assert best is not None
    assert sol.status == "optimal"
    assert sol.counts.dtype == np.int64
    assert holds(p, [int(v) for v in sol.counts])
    assert qc(p, sol.counts) == best  # the optimum, then the least cost at it
    assert sol.objective == sol.bound == best[0]
    assert sol.gap == 0
    assert isinstance(sol.gap, Fraction)
    assert sol.method == "mckp"
    assert sol.certificate is None  # the caller adds it
    assert 0 < sol.wall_s <= t1 - t0  # measured (not a speed claim)


def check_infeasible(p: ClassProblem, sol: ClassSolution, t0: float, t1: float) -> None:
    assert sol.status == "infeasible"
    assert sol.counts.dtype == np.int64
    assert sol.counts.tolist() == [0] * len(p.cost)
    assert (sol.objective, sol.bound, sol.gap, sol.method) == (0, None, None, "mckp")
    assert 0 < sol.wall_s <= t1 - t0  # measured (not a speed claim)


@pytest.mark.parametrize("robust", [False, True])
def test_solve_matches_brute_force_and_the_procedure_round_by_round(robust: bool) -> None:
    seed = SEED + robust
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    compared = multi = infeasible = 0
    for i in range(300):
        p = random_problem(rng, "max_quality", robust=robust)
        t0 = time.perf_counter()
        sol, pr = cs.solve(p, FAR, 1_000_000)
        t1 = time.perf_counter()
        assert sol is not None, (seed, i)
        if brute_force(p) is None:
            check_infeasible(p, sol, t0, t1)
            infeasible += 1
            continue
        check_optimal(p, sol, t0, t1)
        assert pr is not None
        exp = expected(p, pr)
        assert exp.status == "optimal", (seed, i)
        if exp.free:
            # the same bounds; rounds and configurations depend on the free task's window
            for k in ("lp_bound", "lagrangian_bound"):
                assert sol.stats[k] == exp.stats[k], (seed, i, k)
            continue
        compared += 1
        multi += exp.stats["rounds"] > 1
        assert sol.stats == exp.stats, (seed, i)
    # seed 40913 / 40914: many instances compared round by round, some of several rounds
    assert compared >= 60, compared
    assert multi >= 5, multi
    assert infeasible >= 20, infeasible


def test_a_margin_of_zero_when_every_plan_has_the_same_quality() -> None:
    # two tasks, every option of quality .5: D' = q_min = 3 x .5 = 1.5, so D' - q_min = 0 and
    # the first (and only) margin is 0; the cheapest plan: 2 x $1 + $2 = $4
    p = problem([{"q": [500_000, 500_000], "c": [1, 3], "n": 2, "f": -1},
                 {"q": [500_000], "c": [2], "n": 1, "f": -1}], budget=9)  # fmt: skip
    t0 = time.perf_counter()
    sol, pr = cs.solve(p, FAR, 1_000_000)
    t1 = time.perf_counter()
    assert sol is not None
    assert pr is not None
    check_optimal(p, sol, t0, t1)
    assert qc(p, sol.counts) == (1_500_000, 4)
    assert sol.stats["margin"] == 0.0
    assert sol.stats["rounds"] == 1.0
    assert sol.stats["lagrangian_bound"] == 1_500_000.0


def test_no_plan_under_the_budget_is_infeasible() -> None:
    # one task, 2 queries, options $5 and $9, budget 9 < 2 x 5: no LP plan, no prices
    p = problem([{"q": [100_000, 900_000], "c": [5, 9], "n": 2, "f": -1}], budget=9)
    t0 = time.perf_counter()
    sol, pr = cs.solve(p, FAR, 1_000_000)
    t1 = time.perf_counter()
    assert pr is None
    assert sol is not None
    check_infeasible(p, sol, t0, t1)
    # split: false with a floor of .5 and budget 10: the LP mixes (1 query each, $14 > 10? no:
    # the LP's floor mix costs 5 + 4/8 x ... ) -- by brute force: (2, 0) misses the floor,
    # (0, 2) costs $18 > $10: no plan, while the LP (split ignored) has one: $5 x 2 x 3/8 ...
    q = problem([{"q": [100_000, 900_000], "c": [5, 9], "n": 2, "f": 500_000, "split": False}],
                budget=15)  # fmt: skip
    assert brute_force(q) is None
    t0 = time.perf_counter()
    sol, pr = cs.solve(q, FAR, 1_000_000)
    t1 = time.perf_counter()
    assert pr is not None
    assert sol is not None
    check_infeasible(q, sol, t0, t1)


def test_the_robust_tie_break_accepts_a_budget_met_exactly() -> None:
    # one query, two options of quality .5: A costs $1 with a p95 cost of $10, B $2 with $5;
    # budget $10: both fit (A exactly), the tie-break picks the cheaper A: (500000, 1)
    p = problem([{"q": [500_000, 500_000], "c": [1, 2], "n": 1, "f": -1}], budget=10,
                budget_cost=[10, 5])  # fmt: skip
    t0 = time.perf_counter()
    sol, _ = cs.solve(p, FAR, 1_000_000)
    t1 = time.perf_counter()
    assert sol is not None
    check_optimal(p, sol, t0, t1)
    assert sol.counts.tolist() == [1, 0]
    # the same with B listed first
    q = problem([{"q": [500_000, 500_000], "c": [2, 1], "n": 1, "f": -1}], budget=10,
                budget_cost=[5, 10])  # fmt: skip
    sol, _ = cs.solve(q, FAR, 1_000_000)
    assert sol is not None
    assert sol.counts.tolist() == [0, 1]


def test_the_shifted_budget_is_exact_past_2_53() -> None:
    # cheapest configurations 2^55 + 1 in each task: their sum 2^56 + 2 is not a float64
    # (spacing 16 there); the shifted budget is 2^57 - 2^56 - 2 = 2^56 - 2 exactly
    big = 2**55 + 1
    cost = np.array([[big, 2**56], [2**56, big]], np.int64)
    feas = np.ones((2, 2), np.bool_)
    m = cs._shifted(cost, np.ones((2, 2), np.int64), feas, 2**57, "max_value", None)
    assert m.budget == 2**56 - 2
    assert m.cost.tolist() == [[0, 2**56 - big], [2**56 - big, 0]]


def test_a_past_deadline_stops_the_work_limit_at_its_check() -> None:
    # the work limit reads the clock every 4,096 steps: with 4,097 steps the first step leaves
    # 4,096 and checks a deadline already past, so the search gives up (None, its prices)
    tight = problem([{"q": [300_000, 900_000], "c": [2, 10], "n": 3, "f": 500_000}], budget=20)
    sol, pr = cs.solve(tight, 0.0, 4097)
    assert sol is None
    assert pr is not None
    # a free task (two zero-loss options, no floor price) is enumerated only by the rounds
    free = problem([{"q": [500_000, 500_000], "c": [1, 2], "n": 1, "f": -1}], budget=10,
                   budget_cost=[10, 5])  # fmt: skip
    sol, pr = cs.solve(free, 0.0, 4097)
    assert sol is None
    assert pr is not None
    # a roomy budget (lam = 0): each task's one best option is its only zero-loss one, so no
    # task is free and the least penalties are enumerated, under the same work limit
    roomy = problem([{"q": [300_000, 900_000], "c": [2, 10], "n": 3, "f": 500_000}], budget=1000)
    sol, pr = cs.solve(roomy, 0.0, 4097)
    assert sol is None
    assert pr is not None
    assert pr.lam == 0
    sol, _ = cs.solve(roomy, FAR, 4097)
    assert sol is not None
    assert sol.counts.tolist() == [0, 3]
    # and with the deadline far away both are solved
    assert cs.solve(tight, FAR, 4097)[0] is not None
    assert cs.solve(free, FAR, 4097)[0] is not None


# ------------------------------------------------------------------------------ branching


def give_up_while_a_split_false_task_has_options(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make ``solve`` give up, naming the first ``split: false`` task with several options as
    the LP's fractional task, until none is left; returns the list of calls' option counts."""
    real = cs.solve
    calls: list[int] = []

    def fake(p: ClassProblem, deadline: float, max_work: int) -> Any:
        sol, pr = real(p, deadline, max_work)
        calls.append(len(p.cost))
        multi = [t for t in range(len(p.volume))
                 if not p.split[t] and np.count_nonzero(p.task == t) > 1]  # fmt: skip
        if pr is None or not multi:
            return sol, pr
        return None, dataclasses.replace(pr, critical=multi[0])

    monkeypatch.setattr(cs, "solve", fake)
    return calls


def sf(q: list[int], c: list[int], n: int = 2, f: int = -1) -> dict[str, Any]:
    return {"q": q, "c": c, "n": n, "f": f, "split": False}


def test_two_nested_branchings_find_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = give_up_while_a_split_false_task_has_options(monkeypatch)
    # two split: false tasks of three options each and a split one; by brute force
    p = problem([sf([300_000, 600_000, 900_000], [1, 3, 8], 2, 500_000),
                 sf([200_000, 700_000, 800_000], [1, 2, 6], 3),
                 {"q": [400_000, 600_000], "c": [1, 4], "n": 2, "f": -1}], budget=25)  # fmt: skip
    t0 = time.perf_counter()
    sol = cs.branch(p, FAR, 1_000_000, 0)
    t1 = time.perf_counter()
    assert sol is not None
    # 1 + 3 + 6 solves: the first task fixed to each option, then the second; the first
    # task's $1 option misses its floor (.3 < .5, split: false), so that branch has no LP
    # plan and is not branched again
    assert len(calls) == 10
    check_optimal(p, sol, t0, t1)
    assert sol.counts.tolist()[0] == 0  # that option serves no query


def test_a_third_nested_branching_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = give_up_while_a_split_false_task_has_options(monkeypatch)
    tasks = [sf([300_000, 900_000], [1, 3]), sf([200_000, 700_000], [1, 2]),
             sf([400_000, 600_000], [1, 4])]  # fmt: skip
    p = problem(tasks, budget=14)
    assert cs.branch(p, FAR, 1_000_000, 0) is None  # the depth limit: two nested branchings
    assert len(calls) == 3  # depth 0, 1 and 2 each gave up on its first branch
    # two such tasks are within the limit: the optimum by brute force
    calls.clear()
    q = problem(tasks[:2], budget=7)
    t0 = time.perf_counter()
    sol = cs.branch(q, FAR, 1_000_000, 0)
    t1 = time.perf_counter()
    assert sol is not None
    check_optimal(q, sol, t0, t1)
    # 1 + 2 + 2 solves: the first task on its $3 option ($6) leaves $1 of the $7 for the
    # second task's 2 queries (at least $2): no LP plan there, not branched again
    assert len(calls) == 1 + 2 + 2


def test_branches_of_equal_quality_keep_the_cheaper(monkeypatch: pytest.MonkeyPatch) -> None:
    give_up_while_a_split_false_task_has_options(monkeypatch)
    # two options of quality .5 for 2 queries: $3 a query or $1; budget 10: both branches
    # give quality 1.0, at $6 and $2: the answer is the $1 option
    for c, want in (([3, 1], [0, 2]), ([1, 3], [2, 0])):
        p = problem([sf([500_000, 500_000], c)], budget=10)
        t0 = time.perf_counter()
        sol = cs.branch(p, FAR, 1_000_000, 0)
        t1 = time.perf_counter()
        assert sol is not None
        check_optimal(p, sol, t0, t1)
        assert sol.counts.tolist() == want


def test_every_branch_infeasible_is_infeasible(monkeypatch: pytest.MonkeyPatch) -> None:
    give_up_while_a_split_false_task_has_options(monkeypatch)
    # 2 queries, floor .5: option .3 misses it; option .9 costs 2 x $8 = $16 > $12
    p = problem([sf([300_000, 900_000], [1, 8], 2, 500_000)], budget=12)
    assert brute_force(p) is None
    t0 = time.perf_counter()
    sol = cs.branch(p, FAR, 1_000_000, 0)
    t1 = time.perf_counter()
    assert sol is not None
    check_infeasible(p, sol, t0, t1)


def test_a_binding_floor_tightens_the_bound_by_its_least_penalty() -> None:
    # task A: 2 queries, (q .3, $2) or (q .9, $10), floor .5; task B: 3 queries, (q 0, $0) or
    # (q 1, $2); budget 13. LP: A at its floor mix (1/3 on .9: 2 x (2 + 8/3) = 28/3), B up with
    # the rest (13 - 28/3 = 11/3 buys 11/6 queries): B's step binds, lam = 10^6 / 2 per pusd.
    # A's two lines -700000 - 200000 mu and -4.1e6 + 400000 mu (a = q - lam c + mu (q - f))
    # meet at mu = 17/3, value -5.5e6 / 3. D = 13 lam + 2 x (-5.5e6 / 3) + 3 x 0 = 8.5e6 / 3.
    # A's configurations: (1, 1) slack 200000, penalty 17/3 x 200000 = 3.4e6 / 3 (the least);
    # (0, 2) slack 800000; (2, 0) misses the floor. D' = (8.5e6 - 3.4e6) / 3 = 1.7e6.
    # Plans: A (1, 1) ($12) + B all at q 0: 1.2; nothing else fits: the optimum (1.2, $12).
    p = problem(
        [
            {"q": [300_000, 900_000], "c": [2, 10], "n": 2, "f": 500_000},
            {"q": [0, 1_000_000], "c": [0, 2], "n": 3, "f": -1},
        ],
        budget=13,
    )
    assert brute_force(p) == (1_200_000, 12)
    t0 = time.perf_counter()
    sol, pr = cs.solve(p, FAR, 1_000_000)
    t1 = time.perf_counter()
    assert sol is not None
    assert pr is not None
    check_optimal(p, sol, t0, t1)
    assert (pr.lam, pr.mu[0], pr.bound) == (
        Fraction(500_000),
        Fraction(17, 3),
        Fraction(8_500_000, 3),
    )
    assert sol.stats["lp_bound"] == float(Fraction(8_500_000, 3))
    assert sol.stats["lagrangian_bound"] == 1_700_000.0
    exp = expected(p, pr)
    assert exp.free  # B is the LP's fractional task: its two options trade freely
    assert exp.stats["lagrangian_bound"] == 1_700_000.0


def test_a_core_that_does_not_close_in_time_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    # the MCKP core answers "feasible" when its time runs out: no proof, so solve gives up
    # (None, its prices) for CP-SAT to decide, never "infeasible"
    real = cs.solve_mckp

    def out_of_time(problem: Any, **kw: Any) -> Any:
        return dataclasses.replace(real(problem, **kw), status="feasible")

    monkeypatch.setattr(cs, "solve_mckp", out_of_time)
    p = problem([{"q": [300_000, 900_000], "c": [2, 10], "n": 3, "f": 500_000}], budget=20)
    sol, pr = cs.solve(p, FAR, 1_000_000)
    assert sol is None
    assert pr is not None
