"""solvers/classbound.py (the class-level exact bound ``D``, prices, slack and repair) against
oracles written here from the formulation in its docstring:

* ``D`` recomputed in Fractions from the formula (``lam B + sum_r nu_r rhs_r + sum_t V_t max_o
  a_o``, max form), and weak duality against brute-force enumeration of every plan;
* the prices ``find_prices`` returns make ``D`` equal the LP relaxation's optimum (LP duality),
  the LP solved by HiGHS (``scipy.optimize.linprog``) from the raw arrays, compared with a
  float tolerance;
* ``repair`` ends feasible (checked here), never worse, and locally optimal: no single move of
  any number of queries between two options of a task both keeps every row and improves the
  objective (checked by enumerating every such move);
* slack, labels, proofs and feasibility by hand.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from costplan.solvers import classbound as cb
from costplan.solvers.classlevel import ClassProblem, LinearRow
from tests.solvers.classlevel_oracle import brute_force
from tests.solvers.test_classlevel import random_problem

SEED = 41_023


# ----------------------------------------------------------------------------- oracles


def formula_d(p: ClassProblem, prices: dict[str, Fraction]) -> Fraction:
    """D from the module docstring, term by term (labels: budget, floor:<name or index>, row
    key); rows absent from the problem are not priced."""
    maxq = p.objective == "max_quality"
    names = list(p.names) + [str(t) for t in range(len(p.names), len(p.volume))]
    lam = prices.get("budget", Fraction(0)) if p.budget is not None else Fraction(0)
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    total = lam * (p.budget or 0)
    for row in p.extra:
        total += prices.get(row.key, Fraction(0)) * int(row.rhs)
    for t in range(len(p.volume)):
        has_floor = int(p.floor[t]) >= 0 and int(p.volume[t]) > 0
        mu = prices.get(f"floor:{names[t]}", Fraction(0)) if has_floor else Fraction(0)
        best = None
        for o in range(len(p.task)):
            if int(p.task[o]) != t:
                continue
            a = Fraction(int(p.quality[o]) if maxq else -int(p.cost[o]))
            a -= lam * int(bcost[o])
            a += mu * (int(p.quality[o]) - int(p.floor[t]))
            for row in p.extra:
                a -= prices.get(row.key, Fraction(0)) * int(row.coef[o])
            best = a if best is None or a > best else best
        if best is not None:
            total += int(p.volume[t]) * best
    return total if maxq else -total


def lp_value(p: ClassProblem) -> float | None:
    """The LP relaxation (split ignored, as in D) by HiGHS; None when infeasible."""
    n = len(p.task)
    maxq = p.objective == "max_quality"
    c = [-float(q) for q in p.quality] if maxq else [float(v) for v in p.cost]
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for t in range(len(p.volume)):
        a_eq.append([1.0 if int(p.task[o]) == t else 0.0 for o in range(n)])
        b_eq.append(float(p.volume[t]))
        if int(p.floor[t]) >= 0 and int(p.volume[t]) > 0:
            f = int(p.floor[t])
            a_ub.append(
                [-(int(p.quality[o]) - f) / 1e6 if int(p.task[o]) == t else 0.0 for o in range(n)]
            )
            b_ub.append(0.0)
    if p.budget is not None:
        bcost = p.cost if p.budget_cost is None else p.budget_cost
        a_ub.append([float(v) for v in bcost])
        b_ub.append(float(p.budget))
    for row in p.extra:
        a_ub.append([float(v) for v in row.coef])
        b_ub.append(float(row.rhs))
    res = linprog(
        c,
        A_ub=a_ub or None,
        b_ub=b_ub or None,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=(0, None),
        method="highs",
    )
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return -res.fun if maxq else res.fun


def plans(p: ClassProblem) -> Iterator[list[int]]:
    """Every count vector meeting the volumes and ``split`` (not the other rows)."""
    per_task = []
    for t in range(len(p.volume)):
        opts = [o for o in range(len(p.task)) if int(p.task[o]) == t]
        vol = int(p.volume[t])
        cands = [c for c in itertools.product(range(vol + 1), repeat=len(opts)) if sum(c) == vol]
        if not p.split[t]:
            cands = [c for c in cands if sum(1 for v in c if v) <= 1]
        per_task.append([dict(zip(opts, c, strict=True)) for c in cands])
    for combo in itertools.product(*per_task):
        x = [0] * len(p.task)
        for d in combo:
            for o, v in d.items():
                x[o] = v
        yield x


def holds(p: ClassProblem, x: list[int]) -> bool:
    """Every row of p, checked from the raw arrays."""
    if any(v < 0 for v in x):
        return False
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    for t in range(len(p.volume)):
        opts = [o for o in range(len(p.task)) if int(p.task[o]) == t]
        if sum(x[o] for o in opts) != int(p.volume[t]):
            return False
        if not p.split[t] and sum(1 for o in opts if x[o]) > 1:
            return False
        f = int(p.floor[t])
        if f >= 0 and sum(int(p.quality[o]) * x[o] for o in opts) < f * int(p.volume[t]):
            return False
    if p.budget is not None and sum(int(bcost[o]) * x[o] for o in range(len(x))) > p.budget:
        return False
    return all(sum(int(r.coef[o]) * x[o] for o in range(len(x))) <= r.rhs for r in p.extra)


def key(p: ClassProblem, x: list[int]) -> tuple[int, int]:
    """Lexicographic objective, larger is better."""
    q = sum(int(p.quality[o]) * x[o] for o in range(len(x)))
    c = sum(int(p.cost[o]) * x[o] for o in range(len(x)))
    return (q, -c) if p.objective == "max_quality" else (-c, q)


def named(p: ClassProblem, rng: np.random.Generator) -> ClassProblem:
    """p with task names (sometimes fewer than tasks) and distinct side-row names."""
    k = int(rng.integers(0, len(p.volume) + 1))
    extra = tuple(dataclasses.replace(r, name=f"row{i}") for i, r in enumerate(p.extra))
    return dataclasses.replace(p, names=tuple(f"t{t}" for t in range(k)), extra=extra)


def random_prices(p: ClassProblem, rng: random.Random) -> dict[str, Fraction]:
    def v() -> Fraction:
        return rng.choice([Fraction(0), Fraction(rng.randint(1, 40), rng.randint(1, 9))])

    out = {"budget": v() / 10}
    for t in range(len(p.volume)):
        out[cb.floor_label(p, t)] = v() / 10**6
    for r in p.extra:
        out[r.key] = v() / 10
    out["floor:nobody"] = Fraction(5)  # a label of no row: ignored
    return out


# ----------------------------------------------------------------------------- D


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_lagrangian_bound_is_the_formula_and_a_bound(objective: str) -> None:
    rng = np.random.default_rng(SEED)
    prng = random.Random(SEED)
    checked = 0
    for i in range(300):
        p = named(random_problem(rng, objective, with_rows=i % 2 == 0, robust=i % 3 == 0), rng)
        prices = random_prices(p, prng)
        d = cb.lagrangian_bound(p, prices)
        assert d == formula_d(p, prices), (SEED, i)
        assert isinstance(d, Fraction)
        best = brute_force(p)
        if best is not None:
            checked += 1
            assert (d >= best[0]) if objective == "max_quality" else (d <= best[0]), (SEED, i)
    assert checked >= 80  # seed 41023 gives 96 (max) feasible of 300


def test_lagrangian_bound_refuses_negative_prices() -> None:
    p = hand_problem()
    with pytest.raises(ValueError, match=r"^Lagrangian prices must be >= 0$"):
        cb.lagrangian_bound(p, {"budget": Fraction(-1, 7)})
    assert cb.lagrangian_bound(p, {"budget": Fraction(0)}) == formula_d(p, {})


def _close(d: Fraction, lp: float, rel: float = 1e-6) -> bool:
    return abs(float(d) - lp) <= rel * max(1.0, abs(lp))


@pytest.mark.parametrize(
    ("objective", "rows", "robust"),
    [
        ("max_quality", False, False),  # exact LP prices (classmckp.prices)
        ("min_cost", False, False),  # lam = 0, exact floor prices per task
        ("max_quality", True, False),  # GLOP's duals, floor prices refined exactly
        ("max_quality", False, True),
        ("min_cost", True, True),
        ("min_cost", True, False),  # GLOP without a budget row (half of these)
        ("min_cost", False, True),  # a p95 budget on another cost: GLOP, the budget can bind
    ],
)
def test_find_prices_make_d_the_lp_optimum(objective: str, rows: bool, robust: bool) -> None:
    rng = np.random.default_rng(SEED + 1)
    tight = compared = 0
    for i in range(200):
        p = named(random_problem(rng, objective, with_rows=rows, robust=robust), rng)
        if rows and not p.extra:
            continue
        lp = lp_value(p)
        if lp is None:
            continue
        prices = cb.find_prices(p)
        assert all(v > 0 for v in prices.values()), (SEED, i, prices)
        allowed = {"budget"} if p.budget is not None else set()
        allowed |= {r.key for r in p.extra}
        allowed |= {cb.floor_label(p, t) for t in range(len(p.volume))
                    if p.floor[t] >= 0 and p.volume[t] > 0}  # fmt: skip
        assert set(prices) <= allowed, (SEED, i, prices)
        d = cb.lagrangian_bound(p, prices)
        compared += 1
        assert _close(d, lp), (SEED, i, float(d), lp, prices)
        tight += bool(prices)
    assert compared >= 40  # seed 41024: 46 to 86 feasible LPs of 200 per case
    assert tight >= 5  # some row is priced in a good share of the cases


def test_find_prices_at_money_scale() -> None:
    # Costs of 10^6..10^9 pusd and a side row with coefficients in the thousands: the GLOP
    # rows are normalised by their largest coefficient and the duals mapped back.
    rng = np.random.default_rng(SEED + 2)
    compared = 0
    for i in range(60):
        p = random_problem(rng, "max_quality", with_rows=True)
        mult = int(rng.integers(10**4, 10**7))
        extra = tuple(
            dataclasses.replace(r, coef=r.coef * 1000, rhs=r.rhs * 1000, name=f"r{k}")
            for k, r in enumerate(p.extra)
        )
        p = dataclasses.replace(
            p, cost=p.cost * mult, budget=None if p.budget is None else p.budget * mult,
            extra=extra,
        )  # fmt: skip
        lp = lp_value(p)
        if lp is None or not p.extra:
            continue
        d = cb.lagrangian_bound(p, cb.find_prices(p))
        compared += 1
        assert _close(d, lp), (SEED, i, float(d), lp)
    assert compared >= 18  # seed 41025: 23 of 60


def hand_problem() -> ClassProblem:
    # task "a": options 0 (q 0.5, $10) and 1 (q 0.9, $30), 4 queries, floor 0.6, split;
    # task "b": options 2 (q 0.2, $5) and 3 (q 0.8, $20), 2 queries, no floor, no split.
    # budget $100 (pusd here: 100), a capacity row "cap" on options 1 and 3: <= 3 queries.
    return ClassProblem(
        task=np.array([0, 0, 1, 1]),
        cost=np.array([10, 30, 5, 20]),
        quality=np.array([500_000, 900_000, 200_000, 800_000]),
        volume=np.array([4, 2]),
        floor=np.array([600_000, -1]),
        split=np.array([True, False]),
        objective="max_quality",
        budget=100,
        extra=(LinearRow(np.array([0, 1, 0, 1]), 3, "capacity of x", "cap"),),
        names=("a", "b"),
    )


def test_hand_d_and_proof() -> None:
    p = hand_problem()
    # lam = 1/100 (quality per pusd... in micro per pusd: 1/100 * 10^6 = 10^4 per pusd)
    prices = {"budget": Fraction(10_000), "cap": Fraction(50_000)}
    # a_o = q_o - 10^4 c_o - 5*10^4 cap_o:
    #   o0: 500000 - 100000 = 400000; o1: 900000 - 300000 - 50000 = 550000 -> task a: 550000
    #   o2: 200000 - 50000 = 150000; o3: 800000 - 200000 - 50000 = 550000 -> task b: 550000
    # D = 10^4 x 100 + 5*10^4 x 3 + 4 x 550000 + 2 x 550000 = 1e6 + 1.5e5 + 2.2e6 + 1.1e6
    d = cb.lagrangian_bound(p, prices)
    assert d == 4_450_000
    # a floor price for a: mu (q - 600000): o0 -100000 mu, o1 +300000 mu; at mu = 1/10:
    # o0 390000, o1 580000: D + 4 x 30000 = 4,570,000
    assert cb.lagrangian_bound(p, {**prices, "floor:a": Fraction(1, 10)}) == 4_570_000
    # "floor:b" prices nothing: b has no floor
    assert cb.lagrangian_bound(p, {**prices, "floor:b": Fraction(1)}) == 4_450_000
    # min_cost: D = -D_max with w = -c; no prices: -(4 x -10 + 2 x -5) = 50
    pm = dataclasses.replace(p, objective="min_cost", budget=None, extra=())
    assert cb.lagrangian_bound(pm, {}) == 50
    assert cb.lagrangian_bound(pm, {"budget": Fraction(3)}) == 50  # no budget row: unpriced
    # budget_cost replaces cost in the budget row only: lam x b_o with b = 2c
    pr = dataclasses.replace(p, budget_cost=p.cost * 2, extra=())
    # a_o = q - 2*10^4 c: o0 300000, o1 300000 -> 300000; o2 100000, o3 400000 -> 400000
    # D = 10^4 x 100 + 4 x 300000 + 2 x 400000 = 3,000,000
    assert cb.lagrangian_bound(pr, {"budget": Fraction(10_000)}) == 3_000_000
    assert cb.proof_for(p, prices, 4_450_000) == "lagrangian"
    assert cb.proof_for(p, prices, 4_449_999) == "search"
    assert cb.proof_for(pm, {}, 50) == "lagrangian"  # min: ceil(D) = objective
    pmf = dataclasses.replace(pm, volume=np.array([3, 2]), floor=np.array([-1, -1]))
    # D = 3 x 10 + 2 x 5 = 40
    assert cb.proof_for(pmf, {}, 40) == "lagrangian"
    cert = cb.certificate(p, prices)
    assert (cert.sense, cert.lagrangian_bound, cert.proof) == ("max", 4_450_000, "search")
    assert dict(cert.prices) == prices
    assert cert.prices is not prices
    assert cb.certificate(pm, {}, "lagrangian").sense == "min"
    assert cb.certificate(pm, {}, "lagrangian").proof == "lagrangian"


def test_fractional_d_rounds_to_the_objective_in_proof_for() -> None:
    # one task, 1 query, options q 1.0 $3 and q 0 $0, budget 1 (pusd): LP sends 1/3 query:
    # D at lam = 10^6 / 3: lam x 1 + max(10^6 - 10^6, 0) = 333333.33.. -> floor 333333
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([3, 0]),
        quality=np.array([1_000_000, 0]),
        volume=np.array([1]),
        floor=np.array([-1]),
        split=np.array([True]),
        objective="max_quality",
        budget=1,
    )
    prices = {"budget": Fraction(10**6, 3)}
    assert cb.lagrangian_bound(p, prices) == Fraction(10**6, 3)
    assert cb.proof_for(p, prices, 333_333) == "lagrangian"
    assert cb.proof_for(p, prices, 333_334) == "search"
    pm = dataclasses.replace(p, objective="min_cost", budget=None,
                             cost=np.array([3, 7]), volume=np.array([1]))  # fmt: skip
    # D = 3 exactly; a floor-free min problem at price 0
    assert cb.proof_for(pm, {}, 3) == "lagrangian"
    assert cb.proof_for(pm, {}, 4) == "search"
    # the exact LP price of this budget row: q per pusd of the only step, 10^6 / 3
    assert cb.find_prices(p) == {"budget": Fraction(10**6, 3)}


# ----------------------------------------------------------------------------- slack, labels


def test_labels_objective_and_slack_by_hand() -> None:
    p = hand_problem()
    assert cb.sense_of(p) == "max"
    assert cb.sense_of(dataclasses.replace(p, objective="min_cost")) == "min"
    assert cb.task_label(p, 1) == "b"
    assert cb.task_label(dataclasses.replace(p, names=("a",)), 1) == "1"
    assert cb.floor_label(p, 0) == "floor:a"
    x = np.array([3, 1, 0, 2])
    # quality 3 x 0.5 + 0.9 + 2 x 0.8 = 4.0; cost 30 + 30 + 40 = 100
    assert cb.objective_of(p, x) == 4_000_000
    assert cb.objective_of(dataclasses.replace(p, objective="min_cost"), x) == 100
    assert type(cb.objective_of(p, x)) is int
    s = cb.slack(p, x)
    # budget 100 - 100 = 0; floor:a: 3 x (-100000) + 300000 = 0; split:b 1 - 1 used = 0;
    # cap: 3 - (1 + 2) = 0
    assert s == {"budget": 0, "floor:a": 0, "split:b": 0, "cap": 0}
    assert all(isinstance(v, Fraction) for v in s.values())
    assert cb.feasible(p, x)
    y = np.array([4, 0, 2, 0])
    # budget 100 - 50 = 50; floor:a 4 x -100000; split:b 0; cap 3
    assert cb.slack(p, y) == {"budget": 50, "floor:a": -400_000, "split:b": 0, "cap": 3}
    assert not cb.feasible(p, y)
    z = np.array([2, 2, 1, 1])  # b split over two options: split slack 1 - 2 = -1
    assert cb.slack(p, z)["split:b"] == -1
    assert not cb.feasible(p, z)
    # robust: the budget row reads budget_cost
    pr = dataclasses.replace(p, budget_cost=p.cost + 1)
    assert cb.slack(pr, x)["budget"] == 100 - 106
    # no budget, no volume for b: neither a budget nor a split row; b's floor skipped
    q = dataclasses.replace(p, budget=None, volume=np.array([4, 0]),
                            floor=np.array([600_000, 700_000]), extra=())  # fmt: skip
    assert cb.slack(q, np.array([1, 3, 0, 0])) == {"floor:a": 800_000}
    assert cb.feasible(q, np.array([1, 3, 0, 0]))
    # unnamed tasks are labelled by index
    u = dataclasses.replace(p, names=())
    assert set(cb.slack(u, x)) == {"budget", "floor:0", "split:1", "cap"}


def test_feasible_by_hand() -> None:
    p = hand_problem()
    assert not cb.feasible(p, np.array([3, 1, 0, 1]))  # b's volume 2 not met
    assert not cb.feasible(p, np.array([4, 1, -1, 2]))  # a negative count, volumes off
    assert not cb.feasible(p, np.array([5, -1, 0, 2]))  # volumes right, one count negative
    assert not cb.feasible(p, np.array([2, 2, 0, 2]))  # cap 4 > 3 (and budget 120)
    assert cb.feasible(p, np.array([2, 2, 2, 0]))  # $80, floor 2.8 >= 2.4, cap 2


# ----------------------------------------------------------------------------- repair


def improving_moves(p: ClassProblem, x: list[int]) -> list[tuple[int, int, int]]:
    """Every move of k queries from option i to j (same task) that keeps every row and is
    better lexicographically (checked by re-evaluating the whole plan)."""
    out = []
    base = key(p, x)
    for i in range(len(x)):
        for j in range(len(x)):
            if i == j or p.task[i] != p.task[j]:
                continue
            for k in range(1, x[i] + 1):
                y = list(x)
                y[i] -= k
                y[j] += k
                if holds(p, y) and key(p, y) > base:
                    out.append((i, j, k))
    return out


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_repair_ends_feasible_better_and_locally_optimal(objective: str) -> None:
    rng = np.random.default_rng(SEED + 3)
    prng = random.Random(SEED + 3)
    moved = 0
    for i in range(250):
        p = random_problem(rng, objective, with_rows=i % 2 == 0, robust=i % 4 == 0)
        feas = [x for x in plans(p) if holds(p, x)]
        if not feas:
            continue
        start = prng.choice(feas)
        got = [int(v) for v in cb.repair(p, np.array(start, np.int64))]
        assert holds(p, got), (SEED, i, start, got)
        assert key(p, got) >= key(p, start), (SEED, i)
        assert not improving_moves(p, got), (SEED, i, start, got)
        moved += got != start
    assert moved >= 20  # seed 41026: 28 (max), 33 (min) of 250 starts improved


def test_repair_best_move_first_and_ties_to_the_lowest_task() -> None:
    # one task: A (q 1, $10), B (q 2, $10), C (q 3, $30); x = [2, 0, 0], budget 40.
    # moves from A: to B, k = 2 (no extra cost): gain (2 q, 0 $); to C: slack 20 / 20 = 1
    # query: gain (2, -20). Best: A -> B. Then B -> C, 1 query (slack 20): [0, 1, 1].
    p = ClassProblem(
        task=np.array([0, 0, 0]),
        cost=np.array([10, 10, 30]),
        quality=np.array([1, 2, 3]) * 10**6,
        volume=np.array([2]),
        floor=np.array([-1]),
        split=np.array([True]),
        objective="max_quality",
        budget=40,
    )
    assert cb.repair(p, np.array([2, 0, 0])).tolist() == [0, 1, 1]
    # one move only: A -> B
    assert cb.repair(p, np.array([2, 0, 0]), max_moves=1).tolist() == [0, 2, 0]
    assert cb.repair(p, np.array([2, 0, 0]), max_moves=0).tolist() == [2, 0, 0]
    # two tasks with the same move and room for one: task 0 moves
    # t0: A0 (q 1, $0), B0 (q 2, $5); t1 the same; x = [1, 0, 1, 0], budget 5
    two = ClassProblem(
        task=np.array([0, 0, 1, 1]),
        cost=np.array([0, 5, 0, 5]),
        quality=np.array([1, 2, 1, 2]) * 10**6,
        volume=np.array([1, 1]),
        floor=np.array([-1, -1]),
        split=np.array([True, True]),
        objective="max_quality",
        budget=5,
    )
    assert cb.repair(two, np.array([1, 0, 1, 0])).tolist() == [0, 1, 1, 0]
    # equal quality gain, the cheaper move wins: t0 B0 costs 5, t1 B1 costs 4; budget 5
    cheap = dataclasses.replace(two, cost=np.array([0, 5, 0, 4]))
    assert cb.repair(cheap, np.array([1, 0, 1, 0])).tolist() == [1, 0, 0, 1]
    # bigger gains first: t1's move gains 2 queries x 1 quality
    big = dataclasses.replace(two, volume=np.array([1, 2]), cost=np.array([0, 2, 0, 2]),
                              budget=4)  # fmt: skip
    assert cb.repair(big, np.array([1, 0, 2, 0])).tolist() == [1, 0, 0, 2]
    # among options of one task, the lowest (i, j) on a tie: A -> B and A -> C both gain
    # (1 q, 0 $) when B and C are copies; A -> B is taken
    copies = dataclasses.replace(
        p, cost=np.array([10, 10, 10]), quality=np.array([1, 2, 2]) * 10**6
    )
    assert cb.repair(copies, np.array([2, 0, 0])).tolist() == [0, 2, 0]


def test_repair_min_cost_moves_down_to_the_floor() -> None:
    # min_cost, one task of 4 queries, floor 0.5: D (q 0.2, $1), E (q 0.8, $4); start all on
    # E ($16). Moving k to D keeps the floor while 4 x 0.8 - 0.6 k >= 2.0, k <= 2: [2, 2], $10.
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([1, 4]),
        quality=np.array([200_000, 800_000]),
        volume=np.array([4]),
        floor=np.array([500_000]),
        split=np.array([True]),
        objective="min_cost",
    )
    assert cb.repair(p, np.array([0, 4])).tolist() == [2, 2]
    # split = false: the whole task must move, which breaks the floor: nothing moves
    ns = dataclasses.replace(p, split=np.array([False]))
    assert cb.repair(ns, np.array([0, 4])).tolist() == [0, 4]
    # equal cost, the better quality is the second criterion
    eq = dataclasses.replace(p, cost=np.array([4, 4]), floor=np.array([-1]))
    assert cb.repair(eq, np.array([4, 0])).tolist() == [0, 4]


def test_repair_leaves_an_infeasible_start_alone() -> None:
    p = hand_problem()
    over = np.array([0, 4, 0, 2])  # $160 > 100, cap 6 > 3
    assert cb.repair(p, over) is over
    below = np.array([4, 0, 2, 0])  # floor:a 4 x 0.5 < 2.4
    assert cb.repair(p, below) is below
    # exactly at every row (slack 0 everywhere) is feasible and is repaired
    assert cb.repair(p, np.array([3, 1, 0, 2])).dtype == np.int64


def test_floor_met_only_at_the_floor_gets_its_exact_price() -> None:
    # Found by the LP oracle above (a real defect, fixed in classmckp._floor_price): min_cost,
    # one task of 3 queries, floor 0.7; options E (q 0.7, $12) and F (q 0.3, $6). Only E
    # meets the floor, exactly at it (q - f = 0), so no option is strictly above the floor.
    # The floor price mu must make F no better than E: -6 - 400000 mu <= -12 from
    # mu = 6 / 400000 = 3/200000 on; D = 3 x 12 = 36 = the optimum (all on E). Before the fix
    # the price was 0 (only options strictly above the floor were "rising" lines) and D = 18.
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([12, 6]),
        quality=np.array([700_000, 300_000]),
        volume=np.array([3]),
        floor=np.array([700_000]),
        split=np.array([True]),
        objective="min_cost",
    )
    prices = cb.find_prices(p)
    assert prices == {"floor:0": Fraction(3, 200_000)}
    assert cb.lagrangian_bound(p, prices) == 36
    # max_quality with a budget (classmckp.prices' path) on the same task: budget $36 lets
    # E serve all 3; quality 3 x 0.7 = 2.1 is then both the LP and the integer optimum
    pq = dataclasses.replace(p, objective="max_quality", budget=36)
    assert cb.lagrangian_bound(pq, cb.find_prices(pq)) == 2_100_000


def test_find_prices_with_binding_floors_and_side_rows() -> None:
    # GLOP's path with every task floored and a tight budget: the floor rows, the budget
    # price and the exact floor re-optimisation all shape D, which must be the LP optimum.
    rng = np.random.default_rng(SEED + 5)
    compared = floored = 0
    for i in range(150):
        p = random_problem(rng, "max_quality" if i % 2 else "min_cost", with_rows=True)
        p = named(p, rng)  # distinct row keys (one price per row)
        p = dataclasses.replace(p, floor=np.full(len(p.volume), int(rng.integers(3, 8)) * 100_000))
        lp = lp_value(p)
        if lp is None or not p.extra:
            continue
        prices = cb.find_prices(p)
        compared += 1
        floored += any(k.startswith("floor:") for k in prices)
        assert _close(cb.lagrangian_bound(p, prices), lp), (SEED, i)
    assert compared >= 40
    assert floored >= 6  # seed 41028: 9


def test_find_prices_when_the_lp_has_no_solution() -> None:
    # a capacity row no plan meets (at most -1 queries on an option every plan uses): GLOP
    # reports no optimum; the prices are then 0 for the budget and the rows, and D is the
    # floor-priced bound of each task alone: min cost 2 x $3 = 6
    p = ClassProblem(
        task=np.array([0]),
        cost=np.array([3]),
        quality=np.array([500_000]),
        volume=np.array([2]),
        floor=np.array([-1]),
        split=np.array([True]),
        objective="min_cost",
        budget=10,
        extra=(LinearRow(np.array([1]), -1, "impossible", "cap"),),
    )
    assert cb.find_prices(p) == {}
    assert cb.lagrangian_bound(p, {}) == 6
    # the same with no budget row: the first price is a side row's, not the budget's
    q = dataclasses.replace(p, budget=None)
    assert cb.find_prices(q) == {}


def test_find_prices_without_a_budget_row() -> None:
    # min_cost, no budget, a capacity row that binds: option A ($1, q .5) at most 1 query,
    # B ($5, q .5) takes the rest of 3 queries: LP = integer optimum = 1 + 2 x 5 = 11, with
    # the capacity priced at 4 (the saving per query moved to A). D = 11 needs that price and
    # no budget price.
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([1, 5]),
        quality=np.array([500_000, 500_000]),
        volume=np.array([3]),
        floor=np.array([-1]),
        split=np.array([True]),
        objective="min_cost",
        extra=(LinearRow(np.array([1, 0]), 1, "capacity of A", "cap:A"),),
    )
    prices = cb.find_prices(p)
    assert set(prices) == {"cap:A"}
    assert abs(float(prices["cap:A"]) - 4) < 1e-9
    assert _close(cb.lagrangian_bound(p, prices), 11.0, 1e-9)


def test_min_cost_proof_rounds_a_fractional_d_up() -> None:
    # min_cost, 3 queries, floor 0.7; E (q 0.8, $12), F (q 0.4, $6). The LP serves a share
    # (0.7 - 0.4) / 0.4 = 3/4 of each query on E: 3 x (6 + 6 x 3/4) = 63/2 = D at the exact
    # floor price. The integer optimum: 2 E + 1 F reach only 2.0 < 2.1, so 3 E = $36.
    # min: ceil(63/2) = 32, so proof_for says "lagrangian" for an objective of 32 only.
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([12, 6]),
        quality=np.array([800_000, 400_000]),
        volume=np.array([3]),
        floor=np.array([700_000]),
        split=np.array([True]),
        objective="min_cost",
    )
    prices = cb.find_prices(p)
    assert cb.lagrangian_bound(p, prices) == Fraction(63, 2)
    assert cb.proof_for(p, prices, 32) == "lagrangian"
    assert cb.proof_for(p, prices, 31) == "search"
    assert cb.proof_for(p, prices, 36) == "search"


def test_split_row_of_a_single_query_task() -> None:
    p = dataclasses.replace(hand_problem(), volume=np.array([4, 1]))
    # b (split: false) with one query has its split row: 1 - 1 = 0
    assert cb.slack(p, np.array([3, 1, 0, 1]))["split:b"] == 0


def test_repair_moves_for_the_second_criterion_and_at_equal_quality() -> None:
    # max_quality: A (q .5, $5), B (q .5, $4): same quality, one pusd cheaper: move
    p = ClassProblem(
        task=np.array([0, 0]),
        cost=np.array([5, 4]),
        quality=np.array([500_000, 500_000]),
        volume=np.array([1]),
        floor=np.array([400_000]),
        split=np.array([True]),
        objective="max_quality",
        budget=5,
    )
    assert cb.repair(p, np.array([1, 0])).tolist() == [0, 1]
    # an expired deadline: no move, the plan back as an array
    out = cb.repair(p, np.array([1, 0]), time_s=-1.0)
    assert out.tolist() == [1, 0]


def test_repair_tracks_the_floor_slack_across_moves() -> None:
    # min_cost, 4 queries, floor 0.5 (slack 4 x 0.3 = 1.2 at the start, all on E):
    # E (q .8, $4), D (q .2, $1), G (q .6, $3); capacity: at most 1 query on D.
    # Move 1: E -> G, k = min(4, 1.2 / 0.2 = 6) = 4, saves $4 (E -> D saves only $3: cap 1).
    # Slack now 1.2 - 4 x 0.2 = 0.4. Move 2: G -> D, k = min(cap 1, 0.4 / 0.4 = 1) = 1,
    # saves $2. Then slack 0: nothing more. Result G 3, D 1: $10, quality exactly 2.0.
    p = ClassProblem(
        task=np.array([0, 0, 0]),
        cost=np.array([4, 1, 3]),
        quality=np.array([800_000, 200_000, 600_000]),
        volume=np.array([4]),
        floor=np.array([500_000]),
        split=np.array([True]),
        objective="min_cost",
        extra=(LinearRow(np.array([0, 1, 0]), 1, "capacity of D", "cap:D"),),
    )
    assert cb.repair(p, np.array([4, 0, 0])).tolist() == [0, 1, 3]
