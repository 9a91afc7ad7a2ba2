"""solvers/sidelag.py: the side rows' Lagrangian prices, its plan and its bound, by behaviour
(what :func:`lagrangian_plan` returns), against oracles written here from the raw arrays:

* the constrained optimum by enumerating every plan (numpy over all ``K**G`` choices);
* the bound ``D(nu) = min_{lam >= 0} lam cap + sum_r nu_r b_r + sum_g max_k (o - sum_r nu_r
  a_r - lam w)`` recomputed in Fractions at the reported prices (the minimum over ``lam`` at 0
  and every breakpoint: the function is convex and piecewise linear);
* the certificate's prices: ``nu_r * unit_r``, summed over rows sharing a label, zero omitted.

Minimum success rates (the plan found is the optimum, the bound closes) are measured on fixed
seeds and asserted with a margin: a search that degrades falls below them. Seeds are printed.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.solvers.sidelag import LagrangianResult, SideRow, improve, lagrangian_plan

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


def enumerate_opt(obj: I64, weight: I64, feas: Bool, cap: int | None,
                  rows: list[SideRow]) -> int | None:  # fmt: skip
    g, k = obj.shape
    plans = np.array(list(itertools.product(range(k), repeat=g)), dtype=np.int64)
    at = np.arange(g)
    ok = feas[at, plans].all(axis=1)
    if cap is not None:
        ok &= weight[at, plans].sum(axis=1) <= cap
    for r in rows:
        ok &= r.coef[at, plans].sum(axis=1) <= r.rhs
    if not ok.any():
        return None
    return int(obj[at, plans].sum(axis=1)[ok].max())


def d_at(obj: I64, weight: I64, feas: Bool, cap: int | None, rows: list[SideRow],
         nu: tuple[Fraction, ...], lam: Fraction) -> Fraction:  # fmt: skip
    total = sum((n * r.rhs for n, r in zip(nu, rows, strict=True)), Fraction(0))
    if cap is not None:
        total += lam * cap
    for g in range(obj.shape[0]):
        total += max(int(obj[g, k]) - sum((n * int(r.coef[g, k]) for n, r in zip(nu, rows,
                     strict=True)), Fraction(0)) - lam * int(weight[g, k])
                     for k in range(obj.shape[1]) if feas[g, k])  # fmt: skip
    return total


def d_min(obj: I64, weight: I64, feas: Bool, cap: int | None, rows: list[SideRow],
          nu: tuple[Fraction, ...]) -> Fraction:  # fmt: skip
    """``D(nu)``: the least over the primary price (0 and every breakpoint)."""
    if cap is None:
        return d_at(obj, weight, feas, cap, rows, nu, Fraction(0))
    prof = [[int(obj[g, k]) - sum((n * int(r.coef[g, k]) for n, r in zip(nu, rows, strict=True)),
             Fraction(0)) for k in range(obj.shape[1])] for g in range(obj.shape[0])]  # fmt: skip
    cands = {Fraction(0)}
    for g in range(obj.shape[0]):
        ks = [k for k in range(obj.shape[1]) if feas[g, k]]
        for a, b in itertools.combinations(ks, 2):
            dw = int(weight[g, a]) - int(weight[g, b])
            if dw and (prof[g][a] - prof[g][b]) / dw > 0:
                cands.add((prof[g][a] - prof[g][b]) / dw)
    return min(d_at(obj, weight, feas, cap, rows, nu, c) for c in cands)


def instance(rng: np.random.Generator) -> tuple[I64, I64, Bool, int | None, list[SideRow],
                                                 list[SideRow]]:  # fmt: skip
    g, k = int(rng.integers(2, 7)), int(rng.integers(2, 4))
    obj = rng.integers(-10, 40, (g, k)).astype(np.int64)
    weight = rng.integers(0, 10, (g, k)).astype(np.int64)
    feas = rng.random((g, k)) < 0.85
    feas[np.arange(g), rng.integers(0, k, g)] = True
    heaviest = int(np.where(feas, weight, 0).max(axis=1).sum())
    cap = None if rng.random() < 0.15 else int(rng.integers(heaviest // 3, heaviest + 1))
    rows: list[SideRow] = []
    for t in range(int(rng.integers(1, 4))):
        kind = rng.random()
        if kind < 0.4:  # a capacity on one option
            coef = np.zeros((g, k), np.int64)
            coef[:, int(rng.integers(0, k))] = 1
            rows.append(SideRow(coef, int(rng.integers(0, g)), f"capacity:{t}"))
        elif kind < 0.7:  # a share row den*part - num*whole <= 0, price unit den
            den = int(rng.integers(2, 6))
            num = int(rng.integers(1, den))
            member = (rng.random(k) < 0.5).astype(np.int64)
            spend = weight + 1
            rows.append(SideRow(den * spend * member - num * spend, 0, "share:p", den))
        else:  # a general signed row
            coef = rng.integers(-2, 4, (g, k)).astype(np.int64)
            rows.append(SideRow(coef, int(rng.integers(0, g + 2)), f"row:{t}"))
    extra: list[SideRow] = []
    if rng.random() < 0.3:  # a checked-only row (the secondary quality row, say)
        coef = -rng.integers(0, 5, (g, k)).astype(np.int64)
        extra.append(SideRow(coef, -int(rng.integers(0, 2 * g)), "quality"))
    return obj, weight, feas, cap, rows, extra


def check(obj: I64, weight: I64, feas: Bool, cap: int | None, rows: list[SideRow],
          extra: list[SideRow], res: LagrangianResult) -> tuple[bool, bool]:  # fmt: skip
    """The claims of ``res``; returns (plan is optimal, bound closes)."""
    opt = enumerate_opt(obj, weight, feas, cap, rows + extra)
    at = np.arange(obj.shape[0])
    found = closed = False
    if res.plan is not None:
        assert opt is not None
        plan = res.plan
        assert feas[at, plan].all()
        if cap is not None:
            assert int(weight[at, plan].sum()) <= cap
        assert all(int(r.coef[at, plan].sum()) <= r.rhs for r in rows + extra)
        assert res.objective == int(obj[at, plan].sum())
        assert res.objective <= opt
        found = res.objective == opt
    else:
        assert res.objective is None
    b = res.best
    if b is not None:
        assert len(b.nu) == len(rows)
        assert all(n >= 0 for n in b.nu)
        assert b.lam >= 0
        # D at the reported prices, and lam minimises it (the LP of the priced problem)
        assert b.d == d_at(obj, weight, feas, cap, rows, b.nu, b.lam)
        assert b.d == d_min(obj, weight, feas, cap, rows, b.nu)
        if opt is not None:
            assert b.d >= opt
            closed = int(b.d.__floor__()) == opt
        # the evaluation's plan and its row sums
        assert feas[at, b.plan].all()
        assert b.lhs == tuple(int(r.coef[at, b.plan].sum()) for r in rows)
        if cap is not None:
            assert int(weight[at, b.plan].sum()) <= cap
        want: dict[str, Fraction] = {}
        for n, r in zip(b.nu, rows, strict=True):
            if n:
                want[r.label] = want.get(r.label, Fraction(0)) + n * r.unit
        assert res.prices == want
    else:
        assert res.prices == {}
    assert res.evaluations >= (1 if b is not None else 0)
    assert 0 <= res.restricted <= res.evaluations
    return found, closed


def test_plans_bounds_and_prices_on_enumerable_instances() -> None:
    seed = 424242
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    runs = 150
    found = closed = with_plan = binding = 0
    for _ in range(runs):
        obj, weight, feas, cap, rows, extra = instance(rng)
        res = lagrangian_plan(obj, weight, feas, cap, rows, extra)
        f, c = check(obj, weight, feas, cap, rows, extra, res)
        found += f
        closed += c
        with_plan += res.plan is not None
        binding += bool(res.prices)
    print(f"plans {with_plan}, optimal {found}, closed {closed}, priced {binding} of {runs}")
    assert with_plan >= 70
    assert found >= 65
    assert closed >= 40
    assert binding >= 70


def test_improve_keeps_every_row_and_only_gains() -> None:
    seed = 77
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    moved_any = 0
    for _ in range(150):
        g, k = int(rng.integers(1, 8)), int(rng.integers(1, 4))
        obj = rng.integers(0, 10, (g, k)).astype(np.int64)
        feas = rng.random((g, k)) < 0.8
        feas[np.arange(g), 0] = True
        plan = np.zeros(g, np.int64)
        rows = [SideRow(rng.integers(-1, 3, (g, k)).astype(np.int64), 0, "r")
                for _ in range(int(rng.integers(0, 3)))]  # fmt: skip
        rows = [SideRow(r.coef, int(r.coef[np.arange(g), plan].sum()) + int(rng.integers(0, 3)),
                        "r") for r in rows]  # the start meets every row  # fmt: skip
        limit = int(rng.integers(1, 4))
        new, moves = improve(obj, feas, plan, rows, max_moves=limit)
        at = np.arange(g)
        assert feas[at, new].all()
        assert all(int(r.coef[at, new].sum()) <= r.rhs for r in rows)
        changed = int((new != plan).sum())
        assert moves == changed <= limit
        assert plan.tolist() == [0] * g  # the input is not modified
        # every move gains strictly
        assert all(int(obj[q, new[q]]) > int(obj[q, 0]) for q in range(g) if new[q] != 0)
        if not rows and moves < limit:  # no row: each query moved to its best (value-wise)
            assert int(obj[at, new].sum()) == int(np.where(feas, obj, -1).max(axis=1).sum())
        moved_any += moves > 0
    assert moved_any >= 50


def test_improve_by_hand() -> None:
    # two queries, options values 1 / 5 / 4; a row counting option 1 with rhs 1. Start at
    # option 0 for both. Gains: 4 (option 1), 3 (option 2) each. Best first: query 0 to
    # option 1 (ties by query index), then query 1 cannot take option 1 (row full), takes 2.
    obj = np.array([[1, 5, 4], [1, 5, 4]], np.int64)
    feas = np.ones((2, 3), np.bool_)
    row = SideRow(np.array([[0, 1, 0], [0, 1, 0]], np.int64), 1, "cap")
    new, moves = improve(obj, feas, np.zeros(2, np.int64), [row])
    assert new.tolist() == [1, 2]
    assert moves == 2
    # max_moves 1: only the first (best) move
    new, moves = improve(obj, feas, np.zeros(2, np.int64), [row], max_moves=1)
    assert (new.tolist(), moves) == ([1, 0], 1)
    # an infeasible better option is never taken; no gain: nothing moves
    feas2 = np.array([[True, False, False], [True, False, True]])
    new, moves = improve(obj, feas2, np.zeros(2, np.int64), [row])
    assert (new.tolist(), moves) == ([0, 2], 1)
    new, moves = improve(obj, feas, np.array([1, 1], np.int64), [])
    assert (new.tolist(), moves) == ([1, 1], 0)


def test_no_plan_and_no_bound_are_reported_as_such() -> None:
    # a row counting every option once, at most 1 use over 2 queries: no price can meet it
    obj = np.array([[3, 1], [2, 2]], np.int64)
    weight = np.array([[1, 0], [1, 0]], np.int64)
    feas = np.ones((2, 2), np.bool_)
    row = SideRow(np.ones((2, 2), np.int64), 1, "never")
    res = lagrangian_plan(obj, weight, feas, 2, [row], [])
    assert res.plan is None
    assert res.objective is None
    assert res.moves == 0
    assert res.best is not None  # D at price 0 is still a bound (of an infeasible problem)
    assert res.best.d == d_min(obj, weight, feas, 2, [row], res.best.nu)
    # the primary row cannot be met (lightest plan weighs 2 > 1): no LP, no bound, no plan
    res = lagrangian_plan(obj, np.ones((2, 2), np.int64), feas, 1, [row], [])
    assert (res.plan, res.best, res.prices) == (None, None, {})


def test_a_binding_capacity_by_hand() -> None:
    # three queries, options (obj, weight) (10, 1) / (4, 1); option 0 at most once; cap 3.
    # Optimum by hand: one query on option 0: 10 + 4 + 4 = 18. Pricing option 0's row at nu:
    # D(nu) = nu * 1 + 3 * max(10 - nu, 4) (lam = 0: cap never binds, weights are all 1 and
    # 3 <= 3); least at nu = 6: 6 + 12 = 18, closed. The search must reach a price in [6, 10)
    # where one... every query moves to option 1 at nu > 6 (ties at 6), so its rounded plan
    # meets the row only at nu >= 6; the incumbent improved by single moves is the optimum.
    obj = np.array([[10, 4]] * 3, np.int64)
    weight = np.ones((3, 2), np.int64)
    feas = np.ones((3, 2), np.bool_)
    coef = np.array([[1, 0]] * 3, np.int64)
    res = lagrangian_plan(obj, weight, feas, 3, [SideRow(coef, 1, "capacity:a", 1)], [])
    assert res.objective == 18
    assert res.plan is not None
    assert sorted(res.plan.tolist()) == [0, 1, 1]
    assert res.best is not None
    assert res.best.d >= 18
    assert res.best.d < 19  # the bound closes: floor(D) = 18
    assert res.moves >= 1  # the rounded plan at the price (all on option 1) was improved
    assert set(res.prices) == {"capacity:a"}
    assert 6 <= res.prices["capacity:a"] <= Fraction(61, 10)


def test_one_capacity_without_primary_row_closes() -> None:
    # max sum o s.t. option c used at most m times (no primary row): an assignment problem,
    # whose LP is integral, so min_nu D(nu) is the optimum and the search's bisection must get
    # within 1 of it (floor(D) == optimum) with the optimal plan. Optimum by enumeration.
    seed = 515
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    closed = found = 0
    runs = 60
    for _ in range(runs):
        g, k = int(rng.integers(2, 7)), int(rng.integers(2, 4))
        obj = rng.integers(0, 50, (g, k)).astype(np.int64)
        feas = np.ones((g, k), np.bool_)
        coef = np.zeros((g, k), np.int64)
        coef[:, int(obj.sum(axis=0).argmax())] = 1  # the most valuable option, capped
        rows = [SideRow(coef, int(rng.integers(0, g)), "capacity:m")]
        weight = np.zeros((g, k), np.int64)
        res = lagrangian_plan(obj, weight, feas, None, rows, [])
        f, c = check(obj, weight, feas, None, rows, [], res)
        found += f
        closed += c
    print(f"optimal {found}, closed {closed} of {runs}")
    assert found == runs
    assert closed >= runs - 1


def test_large_numbers_keep_every_claim_exact() -> None:
    # the same kind of instances with objective, weights and rows multiplied by 2**44 (an
    # equivalent problem: the optimum is 2**44 times the small one's): priced entries pass
    # int64 and the search goes through Python integers; every claim stays exact.
    seed = 616
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    scale = 2**44
    found = 0
    runs = 40
    for _ in range(runs):
        obj, weight, feas, cap, rows, extra = instance(rng)
        big = [SideRow(r.coef.astype(np.int64) * scale, r.rhs * scale, r.label, r.unit)
               for r in rows]  # fmt: skip
        bigx = [SideRow(r.coef * scale, r.rhs * scale, r.label) for r in extra]
        bcap = None if cap is None else cap * scale
        res = lagrangian_plan(obj * scale, weight * scale, feas, bcap, big, bigx)
        f, _ = check(obj * scale, weight * scale, feas, bcap, big, bigx, res)
        found += f
    print(f"optimal {found} of {runs}")
    assert found >= runs // 3
