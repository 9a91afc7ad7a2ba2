"""A constrained per-query run stopped before CP-SAT finds anything still answers: the
Lagrangian plan (:mod:`costplan.solvers.sidelag`), ``feasible``, with an exact bound and gap.

No wall clock: CP-SAT is stopped by a deterministic work limit (``tests.worklimit``) and the
test asserts on its recorded status. Oracles, independent of the code under test: the
optimum from the test's own CP-SAT model of the whole problem (every (query, option)
boolean, no reduction, no limit), the rows summed in Python integers, and the
certificate's ``D`` recomputed here in Fractions from its prices
(``D = lam B + sum_r nu_r b_r + sum_g max_k (v - lam c - sum_r nu_r a_r)``).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from ortools.sat.python import cp_model

from costplan.solvers.constrained import LinearConstraint, ShareConstraint, solve_constrained
from costplan.solvers.mckp import MckpProblem
from tests.worklimit import limit_cpsat, status

G, K = 400, 6


def instance() -> tuple[MckpProblem, LinearConstraint, ShareConstraint]:
    """Values correlated with costs, a budget at 70% of the best-value plan's spend, the most
    popular option's capacity at half its demand, options 0, 2, 4 at most 2/5 of spend."""
    rng = np.random.default_rng(7)
    cost = rng.integers(1, 1000, (G, K)).astype(np.int64)
    value = (cost // 3 + rng.integers(0, 400, (G, K))).astype(np.int64)
    best = value.argmax(axis=1)
    top = int(np.bincount(best, minlength=K).argmax())
    coef = np.zeros((G, K), np.int64)
    coef[:, top] = 1
    cap = LinearConstraint(coef, int((best == top).sum()) // 2, "cap", "capacity:m:requests")
    part = cost * (np.arange(K) % 2 == 0)
    share = ShareConstraint(part, cost, 2, 5, "share", "share:p")
    budget = int(cost[np.arange(G), best].sum()) * 7 // 10
    return MckpProblem(cost, value, np.ones((G, K), np.bool_), budget, "max_value"), cap, share


def optimum(p: MckpProblem, cap: LinearConstraint, share: ShareConstraint) -> int:
    """The test's own exact model of the whole problem (one worker, fixed seed, no limit)."""
    m = cp_model.CpModel()
    x = [[m.new_bool_var(f"x{g}_{k}") for k in range(K)] for g in range(G)]
    for g in range(G):
        m.add_exactly_one(x[g])
    flat = [x[g][k] for g in range(G) for k in range(K)]

    def total(a: np.ndarray) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(flat, a.ravel().tolist())

    m.add(total(p.cost) <= int(p.budget or 0))
    m.add(total(cap.coef) <= cap.rhs)
    m.add(share.den * total(share.part) <= share.num * total(share.whole))
    m.maximize(total(p.value))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    assert solver.solve(m) == cp_model.OPTIMAL
    return round(solver.objective_value)


def d_of(p: MckpProblem, cap: LinearConstraint, share: ShareConstraint,
         prices: dict[str, Fraction]) -> Fraction:  # fmt: skip
    lam = prices.get("budget", Fraction(0))
    nu_cap = prices.get("capacity:m:requests", Fraction(0))
    nu_share = prices.get("share:p", Fraction(0))  # on c (1[p] - s), s = 2/5
    s = Fraction(share.num, share.den)
    total = lam * int(p.budget or 0) + nu_cap * cap.rhs
    for g in range(G):
        total += max(
            int(p.value[g, k]) - lam * int(p.cost[g, k]) - nu_cap * int(cap.coef[g, k])
            - nu_share * (int(share.part[g, k]) - s * int(share.whole[g, k]))
            for k in range(K)
        )
    return total


def test_stopped_cpsat_still_gives_the_lagrangian_plan_with_its_exact_gap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, cap, share = instance()
    solvers = limit_cpsat(monkeypatch, deterministic_time=1e-6)
    got = solve_constrained(p, [cap], shares=[share], time_limit_s=600)
    # CP-SAT ran and was stopped before it found anything...
    assert [status(s) for s in solvers] == ["UNKNOWN"]
    assert got.stats["cpsat_status"] == cp_model.UNKNOWN
    # ...and the answer is still a plan meeting every row, exactly
    assert got.status == "feasible"
    at = (np.arange(G), got.choice)
    spent = int(p.cost[at].sum())
    assert spent <= int(p.budget or 0)
    assert int(cap.coef[at].sum()) <= cap.rhs
    assert share.den * int(share.part[at].sum()) <= share.num * spent
    assert got.objective == int(p.value[at].sum())
    # bound and gap are exact integers / rationals, and the bound is valid
    assert isinstance(got.bound, int)
    assert isinstance(got.gap, Fraction)
    assert got.gap == Fraction(got.bound - got.objective, got.objective)
    best = optimum(p, cap, share)
    assert got.objective <= best <= got.bound
    # the certificate prices the side rows and its D is what they give
    cert = got.certificate
    assert cert is not None
    assert cert.lagrangian_bound is not None
    assert {"capacity:m:requests", "share:p"} <= set(cert.prices)
    assert cert.lagrangian_bound == d_of(p, cap, share, dict(cert.prices))
    assert got.bound <= math.floor(cert.lagrangian_bound)
    # close to the optimum (measured: 425 / 204,446 = 2.1e-3 above the plan)
    assert got.gap < Fraction(1, 100)


def test_without_a_work_limit_cpsat_closes_the_same_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p, cap, share = instance()
    solvers = limit_cpsat(monkeypatch)
    got = solve_constrained(p, [cap], shares=[share], time_limit_s=600)
    assert [status(s) for s in solvers] == ["OPTIMAL"]
    assert got.status == "optimal"
    assert got.objective == got.bound == optimum(p, cap, share)
