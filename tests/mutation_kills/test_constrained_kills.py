"""solvers/constrained.py: the per-query path with side rows (capacity, general rows, share
caps), on instances small enough to enumerate every plan.

Oracles, all written here from the raw arrays (none calls the code under test):

* the optimum by enumerating every plan (``K**G`` of them, Python integers), share caps as
  ``den * part <= num * whole`` exactly;
* every row's slack from the returned plan: ``rhs - sum coef``, ``num * whole - den * part``;
* the certificate's ``D`` recomputed in Fractions from its prices by the formula of
  ``docs/certificate.md`` (max: ``D = sum_r y_r b_r + sum_g max_k (v - sum_r y_r a_r)``, the
  budget row ``a = cost, b = budget``, a share row ``a = part - (num/den) whole, b = 0``; min:
  the same on the canonical ``-cost`` with the quality row ``a = -value, b = -min_value``);
* the full-dimension dominance of :func:`undominated` from its definition, option by option.

Seeds are fixed and printed.
"""

from __future__ import annotations

import itertools
import math
import time
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from ortools.sat.python import cp_model

from costplan.errors import SolverLimitError
from costplan.solvers import constrained
from costplan.solvers.constrained import (
    LinearConstraint,
    ShareConstraint,
    solve_constrained,
    undominated,
)
from costplan.solvers.mckp import MckpProblem, solve_mckp
from costplan.solvers.sidelag import LagrangianResult
from tests.worklimit import limit_cpsat, status

I64 = npt.NDArray[np.int64]
Rows = list[LinearConstraint]
Shares = list[ShareConstraint]


def _plans(p: MckpProblem) -> list[tuple[int, ...]]:
    g, k = p.cost.shape
    return [t for t in itertools.product(range(k), repeat=g)
            if all(p.feasible[i, t[i]] for i in range(g))]  # fmt: skip


def _sum(a: I64, plan: tuple[int, ...]) -> int:
    return sum(int(a[i, c]) for i, c in enumerate(plan))


def _meets(p: MckpProblem, rows: Rows, shares: Shares, plan: tuple[int, ...]) -> bool:
    if p.budget is not None and _sum(p.cost, plan) > p.budget:
        return False
    if p.min_value is not None and _sum(p.value, plan) < p.min_value:
        return False
    if any(_sum(r.coef, plan) > r.rhs for r in rows):
        return False
    return all(s.den * _sum(s.part, plan) <= s.num * _sum(s.whole, plan) for s in shares)


def brute(p: MckpProblem, rows: Rows, shares: Shares) -> int | None:
    maximize = p.objective == "max_value"
    objs = [_sum(p.value if maximize else p.cost, t) for t in _plans(p)
            if _meets(p, rows, shares, t)]  # fmt: skip
    if not objs:
        return None
    return max(objs) if maximize else min(objs)


def d_of(p: MckpProblem, rows: Rows, shares: Shares, prices: dict[str, Fraction]) -> Fraction:
    """The certificate's D from its prices (module docstring), in the problem's own sense."""
    g, k = p.cost.shape
    maximize = p.objective == "max_value"
    # canonical (maximise) rows: (label, coefficient (g, k) -> Fraction, rhs)
    lines: list[tuple[str, Any, Fraction]] = []
    if maximize and p.budget is not None:
        lines.append(("budget", lambda i, j: Fraction(int(p.cost[i, j])), Fraction(p.budget)))
    if not maximize and p.min_value is not None:
        lines.append(("quality", lambda i, j: Fraction(-int(p.value[i, j])),
                      Fraction(-p.min_value)))  # fmt: skip
    for r in rows:
        lines.append((r.key, lambda i, j, r=r: Fraction(int(r.coef[i, j])), Fraction(r.rhs)))
    for s in shares:
        cap = Fraction(s.num, s.den)
        lines.append((s.key, lambda i, j, s=s, cap=cap: int(s.part[i, j]) - cap * int(
            s.whole[i, j]), Fraction(0)))  # fmt: skip
    assert set(prices) <= {label for label, _, _ in lines}, prices
    total = sum((prices.get(label, Fraction(0)) * b for label, _, b in lines), Fraction(0))
    for i in range(g):
        reduced = []
        for j in range(k):
            if p.feasible[i, j]:
                priced = sum((prices.get(lb, Fraction(0)) * a(i, j) for lb, a, _ in lines), 0)
                reduced.append((int(p.value[i, j]) if maximize else -int(p.cost[i, j])) - priced)
        total += max(reduced)
    return total if maximize else -total


def instance(rng: np.random.Generator, more: bool = False) -> tuple[MckpProblem, Rows, Shares]:
    """A tiny problem (at most 4 queries x 3 options) with side rows likely to bind; ``more``:
    also max_value without a budget, and shares without a name or a label."""
    g, k = int(rng.integers(1, 5)), 1 if rng.random() < 0.05 else int(rng.integers(2, 4))
    cost = rng.integers(0, 9, (g, k)).astype(np.int64)
    value = (cost + rng.integers(0, 6, (g, k))).astype(np.int64)
    feasible = rng.random((g, k)) < 0.85
    feasible[np.arange(g), rng.integers(0, k, g)] = True
    maximize = rng.random() < 0.6
    low = int(np.where(feasible, cost, 99).min(axis=1).sum())
    top = int(np.where(feasible, cost, 0).max(axis=1).sum())
    if more:
        with_budget = rng.random() < (0.9 if maximize else 0.3)
    else:
        with_budget = maximize or rng.random() < 0.3
    budget = int(rng.integers(low, top + 2)) if with_budget else None
    vmax = int(np.where(feasible, value, 0).max(axis=1).sum())
    with_floor = (not maximize and (not more or rng.random() < 0.8)) or (
        maximize and rng.random() < 0.2)  # fmt: skip
    min_value = int(rng.integers(0, vmax + 1)) if with_floor else None
    rows: Rows = []
    shares: Shares = []
    for t in range(int(rng.integers(1, 3))):
        kind = rng.random()
        if kind < 0.35:  # the capacity of one option column
            coef = np.zeros((g, k), np.int64)
            coef[:, int(rng.integers(0, k))] = 1
            rows.append(LinearConstraint(coef, int(rng.integers(0, g)), f"cap{t}",
                                         f"capacity:m{t}"))  # fmt: skip
        elif kind < 0.6:  # a general row, signed coefficients (label only, no name)
            coef = rng.integers(-2, 4, (g, k)).astype(np.int64)
            rows.append(LinearConstraint(coef, int(rng.integers(0, g + 3)), f"row{t}"))
        else:  # a spend share cap num/den of the columns in `member`
            member = (rng.random(k) < 0.5).astype(np.int64)
            den = int(rng.integers(1, 8))
            num = int(rng.integers(0 if rng.random() < 0.1 else 1, den + 1))
            label, name = [(f"sh{t}", f"share:p{t}"), (f"sh{t}", ""), ("", "")][(t + g) % 3 * more]
            shares.append(ShareConstraint(cost * member, cost.copy(), num, den, label, name))
    objective = "max_value" if maximize else "min_cost"
    return MckpProblem(cost, value, feasible, budget, objective, min_value), rows, shares  # type: ignore[arg-type]


def expected_slack(p: MckpProblem, rows: Rows, shares: Shares,
                   plan: tuple[int, ...]) -> dict[str, Fraction]:  # fmt: skip
    out: dict[str, Fraction] = {}
    if p.budget is not None:
        out["budget"] = Fraction(p.budget - _sum(p.cost, plan))
    if p.min_value is not None:
        out["quality"] = Fraction(_sum(p.value, plan) - p.min_value)
    for r in rows:
        out[r.name or r.label] = Fraction(r.rhs - _sum(r.coef, plan))
    for s in shares:
        slack = s.num * _sum(s.whole, plan) - s.den * _sum(s.part, plan)
        out[s.name or s.label or "share"] = Fraction(slack)
    return out


def run(p: MckpProblem, rows: Rows, shares: Shares, **kw: Any) -> Any:
    """solve_constrained, its reported wall time within the time the call took."""
    t0 = time.perf_counter()
    got = solve_constrained(p, rows, shares=shares, **kw)
    took = time.perf_counter() - t0
    assert 0 <= got.wall_s <= took
    if got.method.startswith(("cp-sat", "lagrangian")):  # the constrained path's own total
        assert 0 <= got.stats["t_total"] <= took
    return got


def check(p: MckpProblem, rows: Rows, shares: Shares, got: Any, opt: int | None,
          exact: bool = True) -> None:  # fmt: skip
    """Everything the answer claims, against the oracles (``exact``: must be optimal)."""
    maximize = p.objective == "max_value"
    g, k = p.cost.shape
    if opt is None:
        assert got.status == "infeasible"
        assert got.bound is None
        return
    assert got.status in (("optimal",) if exact else ("optimal", "feasible"))
    plan = tuple(int(c) for c in got.choice)
    assert len(plan) == g
    assert all(p.feasible[i, c] for i, c in enumerate(plan))
    assert _meets(p, rows, shares, plan)
    z = _sum(p.value if maximize else p.cost, plan)
    assert got.objective == z
    assert type(got.objective) is int
    assert type(got.bound) is int
    if maximize:
        assert z <= opt <= got.bound
    else:
        assert got.bound <= opt <= z
    assert got.gap == Fraction(abs(got.bound - z), max(1, abs(z)))
    assert got.scale == 1  # nothing scaled
    free = brute(p, [], [])  # the problem without side rows bounds this one
    assert free is not None
    assert (got.bound <= free) if maximize else (got.bound >= free)
    plain = solve_mckp(p)  # the problem without side rows, by the per-query core
    if plain.status == "optimal" and _meets(p, rows, shares, tuple(int(c) for c in plain.choice)):
        assert "side rows slack" in got.method  # a row that does not bind costs nothing
    if "side rows slack" in got.method:  # the unconstrained plan, returned as it is
        assert got.method == f"{solve_mckp(p).method} (side rows slack)"
        assert got.stats["side_rows_binding"] == 0
    assert (got.status == "optimal") == (got.bound == z)
    if exact:
        assert z == opt
    assert dict(got.slack) == expected_slack(p, rows, shares, plan)
    cert = got.certificate
    assert cert is not None
    assert cert.sense == ("max" if maximize else "min")
    if cert.lagrangian_bound is not None:
        d = d_of(p, rows, shares, dict(cert.prices))
        assert cert.lagrangian_bound == d
        assert (d >= opt) if maximize else (d <= opt)
        if "side rows slack" not in got.method:  # the constrained path names its proof
            tight = (math.floor(d) if maximize else math.ceil(d)) == z
            assert cert.proof == ("lagrangian" if tight else "search")
    assert got.stats["groups"] == g
    assert got.stats["options"] == k
    assert got.stats["side_rows"] == len(rows) + len(shares)
    if "side rows slack" not in got.method:  # what the side-row search and CP-SAT did
        for key in ("lagrangian_evaluations", "lagrangian_moves", "lagrangian_restricted"):
            assert got.stats[key] >= 0
        assert 0 <= got.stats["t_total"] <= got.wall_s


def test_a_few_instances_first() -> None:
    # a short run of the enumeration below (another seed): fast, so tried first on every mutant
    seed = 3
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for _ in range(30):
        p, rows, shares = instance(rng)
        got = run(p, rows, shares, time_limit_s=20)
        check(p, rows, shares, got, brute(p, rows, shares))
    p, hard = _hard()
    check(p, hard, [], run(p, hard, []), 16)
    p, rows = _binding()
    check(p, rows, [], run(p, rows, []), 16)


def test_every_path_matches_enumeration_on_tiny_instances() -> None:
    seed = 20261204
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    paths: dict[str, int] = {}
    for _ in range(130):
        p, rows, shares = instance(rng)
        opt = brute(p, rows, shares)
        got = run(p, rows, shares, time_limit_s=None if _ % 2 else 20)
        check(p, rows, shares, got, opt)
        path = got.method if got.status != "infeasible" else f"infeasible {got.method}"
        paths[path] = paths.get(path, 0) + 1
        if got.method == "cp-sat" and got.status != "infeasible":
            assert got.stats["kept_options"] == int(np.asarray(dominance(p, rows, shares)).sum())
    print(paths)
    assert paths.get("cp-sat", 0) >= 10, paths
    assert paths.get("lagrangian", 0) >= 10, paths
    assert sum(n for m, n in paths.items() if "side rows slack" in m) >= 20, paths
    assert sum(n for m, n in paths.items() if m.startswith("infeasible")) >= 10, paths


def test_more_kinds_of_rows_match_enumeration() -> None:
    seed = 11
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    paths: dict[str, int] = {}
    for _ in range(80):
        p, rows, shares = instance(rng, more=True)
        got = run(p, rows, shares, time_limit_s=20)
        check(p, rows, shares, got, brute(p, rows, shares))
        paths[got.method] = paths.get(got.method, 0) + 1
    print(paths)
    assert paths.get("cp-sat", 0) >= 5, paths
    assert paths.get("lagrangian", 0) >= 5, paths


def dominance(p: MckpProblem, rows: Rows, shares: Shares) -> list[list[bool]]:
    """Kept options by the definition: ``i`` is dropped when a feasible ``j`` has value >=,
    cost <= and every row coefficient <= (a share row's ``den*part - num*whole``), and is
    strictly better somewhere or equal everywhere with ``j < i``."""
    g, k = p.cost.shape
    mats = [[[int(x) for x in line] for line in r.coef] for r in rows]
    mats += [[[s.den * int(a) - s.num * int(b) for a, b in zip(pa, wh, strict=True)]
              for pa, wh in zip(s.part, s.whole, strict=True)] for s in shares]  # fmt: skip
    keep = []
    for q in range(g):
        row = []
        for i in range(k):
            dropped = False
            for j in range(k):
                if j == i or not p.feasible[q, j]:
                    continue
                a = [int(p.value[q, j]), -int(p.cost[q, j]), *(-c[q][j] for c in mats)]
                b = [int(p.value[q, i]), -int(p.cost[q, i]), *(-c[q][i] for c in mats)]
                if all(x >= y for x, y in zip(a, b, strict=True)) and (a != b or j < i):
                    dropped = True
            row.append(bool(p.feasible[q, i]) and not dropped)
        keep.append(row)
    return keep


def test_undominated_is_the_definition_on_ties_and_signed_rows() -> None:
    seed = 7
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for _ in range(300):
        g, k = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        cost = rng.integers(0, 3, (g, k)).astype(np.int64)  # small ranges: many ties
        value = rng.integers(0, 3, (g, k)).astype(np.int64)
        feasible = rng.random((g, k)) < 0.8
        p = MckpProblem(cost, value, feasible, None, "max_value")
        rows = [LinearConstraint(rng.integers(-1, 2, (g, k)).astype(np.int64), 0)
                for _ in range(int(rng.integers(0, 3)))]  # fmt: skip
        shares = [ShareConstraint(rng.integers(0, 3, (g, k)).astype(np.int64),
                                  rng.integers(0, 3, (g, k)).astype(np.int64), 1, 2)
                  for _ in range(int(rng.integers(0, 2)))]  # fmt: skip
        got = undominated(cost, value, feasible, rows, shares)
        assert got.tolist() == dominance(p, rows, shares)


def test_undominated_by_hand() -> None:
    cost = np.array([[1, 1, 2, 1]], np.int64)
    value = np.array([[5, 5, 5, 4]], np.int64)
    feasible = np.array([[True, True, True, True]])
    # 0 and 1 tie everywhere: the lower index stays; 2 costs more, 3 is worth less: dropped
    assert undominated(cost, value, feasible, []).tolist() == [[True, False, False, False]]
    # a row where 3 is strictly lower keeps it (better in that dimension), and 2 likewise
    row = LinearConstraint(np.array([[1, 1, 0, 0]], np.int64), 0)
    assert undominated(cost, value, feasible, [row]).tolist() == [[True, False, True, True]]
    # an infeasible option dominates nothing: 0 infeasible leaves 1 (its tie) kept
    feas = np.array([[False, True, True, True]])
    assert undominated(cost, value, feas, []).tolist() == [[False, True, False, False]]


def test_share_combined_is_exact_past_int64() -> None:
    # part = whole = 2**60, num/den = 999_999/10**6: den * part = 10**6 * 2**60 > 2**63, so
    # int64 would wrap; the exact value is (10**6 - 999_999) * 2**60 = 2**60.
    big = 2**60
    part = np.array([[big, 0]], np.int64)
    whole = np.array([[big, 3]], np.int64)
    s = ShareConstraint(part, whole, 999_999, 10**6)
    out = s.combined()
    assert [int(x) for x in out[0]] == [big, -3 * 999_999]
    assert s.key == ""
    assert ShareConstraint(part, whole, 1, 2, "l").key == "l"
    assert ShareConstraint(part, whole, 1, 2, "l", "share:x").key == "share:x"
    # 2**60 + 1 is no float: kept exactly (10**6 (2**60 + 1) - 999_999 (2**60 + 1) = 2**60 + 1)
    odd = ShareConstraint(part + 1, whole * 0 + big + 1, 999_999, 10**6)
    assert [int(x) for x in odd.combined()[0]] == [big + 1, 10**6 - 999_999 * (big + 1)]
    # den * part = 2**13 * 2**51 = 2**64 alone passes int64: exact, 2**64 - 1 * 1
    wide = ShareConstraint(np.array([[2**51]], np.int64), np.array([[1]], np.int64), 1, 2**13)
    assert int(wide.combined()[0, 0]) == 2**64 - 1
    # small: int64 kept (2 * 3 - 1 * 4 = 2, 2 * 0 - 1 * 5 = -5)
    small = ShareConstraint(np.array([[3, 0]], np.int64), np.array([[4, 5]], np.int64), 1, 2)
    got = small.combined()
    assert got.dtype == np.int64
    assert got.tolist() == [[2, -5]]
    # the threshold: den * max|part| + num * max|whole| = 2**62 exactly needs Python ints
    edge = ShareConstraint(np.array([[2**61]], np.int64), np.array([[2**61]], np.int64), 1, 1)
    assert edge.combined().dtype == object
    assert LinearConstraint(np.zeros((1, 1), np.int64), 0, "lab").key == "lab"
    assert LinearConstraint(np.zeros((1, 1), np.int64), 0, "lab", "capacity:x").key == (
        "capacity:x"
    )


def _binding() -> tuple[MckpProblem, Rows]:
    """Three queries, options (cost, value) (1, 1), (2, 5), (3, 6); budget 9 is slack and a
    capacity of 1 on option 2. By enumeration the optimum is one query on option 2 and two
    on option 1: 6 + 5 + 5 = 16 (cost 3 + 2 + 2 = 7)."""
    cost = np.array([[1, 2, 3]] * 3, np.int64)
    value = np.array([[1, 5, 6]] * 3, np.int64)
    coef = np.zeros((3, 3), np.int64)
    coef[:, 2] = 1
    p = MckpProblem(cost, value, np.ones((3, 3), np.bool_), 9, "max_value")
    return p, [LinearConstraint(coef, 1, "cap", "capacity:m2")]


def test_more_choices_than_cpsat_takes_answers_from_the_lagrangian(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed = 99
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(constrained, "CPSAT_MAX_CHOICES", 0)
    solvers = limit_cpsat(monkeypatch)
    seen = 0
    for _ in range(90):
        p, rows, shares = instance(rng)
        opt = brute(p, rows, shares)
        got = run(p, rows, shares, time_limit_s=5)
        if got.method == "lagrangian":
            seen += 1
            check(p, rows, shares, got, opt, exact=False)
            assert got.stats["cpsat_status"] == -1
    print(f"lagrangian answers: {seen}")
    assert seen >= 8
    assert len(solvers) < 90  # the big instances never built a CP-SAT model
    p, rows = _binding()
    got = solve_constrained(p, rows)
    check(p, rows, [], got, 16, exact=False)


def test_a_stopped_cpsat_keeps_the_lagrangian_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    seed = 5
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    solvers = limit_cpsat(monkeypatch, conflicts=0, deterministic_time=0.0)
    kept = raised = 0
    for _ in range(90):
        p, rows, shares = instance(rng)
        opt = brute(p, rows, shares)
        solvers.clear()
        try:
            got = solve_constrained(p, rows, shares=shares, time_limit_s=5)
        except SolverLimitError as e:  # CP-SAT stopped and no plan was known
            err, hint = e.message, e.hint or ""
        else:
            err = hint = ""
        if err:
            assert err == "no plan satisfying the side constraints found within the time limit"
            assert hint == "raise --time-limit"
            assert [status(s) for s in solvers] == ["UNKNOWN"]
            raised += 1
            continue
        check(p, rows, shares, got, opt, exact=False)
        if got.method.startswith("lagrangian (cp-sat"):
            kept += 1
            assert status(solvers[-1]) in ("UNKNOWN", "FEASIBLE")
    print(f"kept {kept}, raised {raised}")
    assert kept >= 5


def test_cpsat_infeasible_answer() -> None:
    # Two queries, capacity 0 on option 0 and a row forbidding option 1 twice... every plan
    # breaks a row: option 0 is capped at 0 uses, option 1 at 1 use, and each query has only
    # options 0 and 1 -> infeasible, found by CP-SAT (the unconstrained problem is feasible).
    cost = np.array([[1, 1], [1, 1]], np.int64)
    value = np.array([[2, 1], [2, 1]], np.int64)
    c0 = np.array([[1, 0], [1, 0]], np.int64)
    c1 = np.array([[0, 1], [0, 1]], np.int64)
    p = MckpProblem(cost, value, np.ones((2, 2), np.bool_), 5, "max_value")
    rows = [LinearConstraint(c0, 0, "c0"), LinearConstraint(c1, 1, "c1")]
    got = solve_constrained(p, rows)
    assert got.status == "infeasible"
    assert got.bound is None
    assert got.gap is None
    assert got.objective == 0
    assert got.choice.tolist() == [0, 0]
    assert got.method == "cp-sat"
    assert got.stats["cpsat_status"] == cp_model.INFEASIBLE


def _hard() -> tuple[MckpProblem, Rows]:
    """Four queries, (cost, value) of options 0 and 1: (-, -)/(2, 3), (0, 1)/(6, 8),
    (4, 9)/(1, 4), (8, 9)/(4, 8) (query 0's option 0 infeasible), budget 11, option 0 used at
    most once. By hand: query 0 takes (2, 3), 9 left; the three others on option 1 cost 11;
    with query 1 on option 0: 0 + 1 + 4 = 5, value 1 + 4 + 8 = 13; query 2 or 3 on option 0
    leaves too little for query 1's option 1. Optimum 3 + 13 = 16, not proven by the prices
    (CP-SAT runs)."""
    cost = np.array([[1, 2], [0, 6], [4, 1], [8, 4]], np.int64)
    value = np.array([[4, 3], [1, 8], [9, 4], [9, 8]], np.int64)
    feas = np.array([[False, True], [True, True], [True, True], [True, True]])
    coef = np.array([[1, 0]] * 4, np.int64)
    return MckpProblem(cost, value, feas, 11, "max_value"), [LinearConstraint(coef, 1, "cap")]


def test_out_of_range_data_is_refused() -> None:
    p, rows = _hard()
    got = solve_constrained(p, rows)
    assert (got.status, got.objective, got.bound, got.method) == ("optimal", 16, 16, "cp-sat")
    # a share cap above 1 (num > den) that does not bind (den * c <= num * c): refused by name
    bad = ShareConstraint(p.cost.copy(), p.cost.copy(), 3, 2, "odd share")
    with pytest.raises(SolverLimitError, match="odd share: cap 3/2 out of range"):
        solve_constrained(p, rows, shares=[bad])
    # negative spends (2 * -2c <= 1 * -c holds for c >= 0): refused, unnamed
    neg = ShareConstraint(-2 * p.cost, -p.cost, 1, 2)
    with pytest.raises(SolverLimitError, match="share: cap 1/2 out of range"):
        solve_constrained(p, rows, shares=[neg])
    # num * den = 2**31 * 2**31 = 2**62: refused (part 0 never binds)
    wide = ShareConstraint(0 * p.cost, p.cost.copy(), 2**31, 2**31, "w")
    with pytest.raises(SolverLimitError, match="w: cap"):
        solve_constrained(p, rows, shares=[wide])
    ok = ShareConstraint(0 * p.cost, p.cost.copy(), 2**31 - 1, 2**31, "w")
    assert solve_constrained(p, rows, shares=[ok]).objective == 16
    # the same capacity in units of 2**60, query 0's forced option 1 counted too (rhs 2 units):
    # the worst plan sums to 4 x 2**60 = 2**62 exactly, refused
    coef = rows[0].coef * 2**60
    coef[0, 1] = 2**60
    huge = LinearConstraint(coef, 2**61, "cap")
    with pytest.raises(SolverLimitError, match="cap too large for exact integer solving"):
        solve_constrained(p, [huge])
    # unnamed: the message says "row" (a share's spends: "share")
    with pytest.raises(SolverLimitError, match=r"^row too large"):
        solve_constrained(p, [LinearConstraint(coef, 2**61)])
    big = ShareConstraint(0 * p.cost, coef, 1, 2)  # whole spends summing to 2**62
    with pytest.raises(SolverLimitError, match=r"^share too large"):
        solve_constrained(p, rows, shares=[big])


def _lp(obj: list[list[int]], weight: list[list[int]], cap: int | None) -> Fraction:
    """The LP optimum of ``max sum obj x, sum weight x <= cap`` (``x`` fractional, one unit
    per query): ``min_{lam >= 0} L(lam)`` with ``L(lam) = lam cap + sum_g max_k (obj - lam
    weight)``, convex and piecewise linear, so its minimum is at 0 or a breakpoint."""
    if cap is None:
        return Fraction(sum(max(o) for o in obj))
    cands = {Fraction(0)}
    for o, w in zip(obj, weight, strict=True):
        for a, b in itertools.combinations(range(len(o)), 2):
            if w[a] != w[b]:
                cands.add(max(Fraction(0), Fraction(o[a] - o[b], w[a] - w[b])))
    return min(lam * cap + sum(max(x - lam * y for x, y in zip(o, w, strict=True))
                               for o, w in zip(obj, weight, strict=True))
               for lam in cands)  # fmt: skip


def test_certificate_without_side_rows_is_the_lp_price() -> None:
    # _certificate is the fallback when the side-row search evaluates nothing: the budget
    # (or quality) row's LP price and D. Checked on its own against the LP by breakpoints.
    seed = 31
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for t in range(60):
        g, k = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        cost = rng.integers(0, 9, (g, k)).astype(np.int64)
        value = rng.integers(0, 9, (g, k)).astype(np.int64)
        feas = np.ones((g, k), np.bool_)
        maximize = t % 2 == 0
        c, v = cost.tolist(), value.tolist()
        if maximize:
            budget = None if t % 6 == 0 else int(cost.min(axis=1).sum()) + int(rng.integers(0, 6))
            p = MckpProblem(cost, value, feas, budget, "max_value")
            want = _lp(v, c, budget)
            label, rhs = "budget", budget
        else:
            floor = None if t % 6 == 1 else int(rng.integers(0, int(value.max(axis=1).sum()) + 1))
            p = MckpProblem(cost, value, feas, None, "min_cost", floor)
            # min cost s.t. value >= floor  =  -(max -cost s.t. -value <= -floor)
            want = -_lp([[-x for x in r] for r in c], [[-x for x in r] for r in v],
                        None if floor is None else -floor)  # fmt: skip
            label, rhs = "quality", floor
        cert = constrained._certificate(p, cost, value, feas)
        assert cert.sense == ("max" if maximize else "min")
        assert cert.proof == "search"
        assert cert.lagrangian_bound == want, (t, cert)
        assert set(cert.prices) <= {label}
        assert all(x > 0 for x in cert.prices.values())
        if rhs is None:
            assert cert.prices == {}
        # its price attains D (docs/certificate.md's formula, recomputed here)
        assert d_of(p, [], [], dict(cert.prices)) == want


def test_certificate_gives_up_on_an_lp_it_cannot_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    def overflow(*_: Any) -> None:
        raise OverflowError("too big")

    monkeypatch.setattr(constrained, "relax", overflow)
    for objective, floor in (("max_value", None), ("min_cost", 3)):
        p = MckpProblem(
            np.ones((1, 1), np.int64),
            np.ones((1, 1), np.int64),
            np.ones((1, 1), np.bool_),
            5,
            objective,  # type: ignore[arg-type]
            floor,
        )
        cert = constrained._certificate(p, p.cost, p.value, p.feasible)
        assert (cert.sense, dict(cert.prices), cert.lagrangian_bound, cert.proof) == (
            "max" if objective == "max_value" else "min",
            {},
            None,
            "search",
        )


def test_a_search_that_evaluates_nothing_falls_back_to_the_lp_certificate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The side-row search may find no price and no plan (here: replaced by one that does
    # nothing); CP-SAT then answers alone and the certificate is the LP's without side rows.
    def nothing(*_: Any) -> LagrangianResult:
        return LagrangianResult(None, None, None, {}, 0, 0)

    monkeypatch.setattr(constrained, "lagrangian_plan", nothing)
    p, rows = _hard()
    got = run(p, rows, [])
    check(p, rows, [], got, 16)
    assert got.method == "cp-sat"
    cert = got.certificate
    assert cert is not None
    assert set(cert.prices) == {"budget"}
    # the LP without the capacity, by hand: queries 1-3 take their best value per cost until
    # the budget 11 - 2 (query 0) = 9 runs out... D is recomputed from the price instead:
    assert cert.lagrangian_bound == d_of(p, [], [], dict(cert.prices))
    assert cert.lagrangian_bound >= 16
    assert cert.proof == "search"
    # and with an LP that cannot be solved either: no D, the bound is CP-SAT's alone
    monkeypatch.setattr(constrained, "relax", lambda *_: (_ for _ in ()).throw(ValueError()))
    got = run(p, rows, [])
    assert (got.status, got.objective, got.bound) == ("optimal", 16, 16)
    assert got.certificate is not None
    assert got.certificate.lagrangian_bound is None
    assert got.certificate.proof == "search"


def test_a_share_met_by_spending_nothing() -> None:
    # two queries, options (cost, value) (0, 1) / (3, 4); option 1 at most 1/2 of spend.
    # Spending 0 (both on option 0) meets the cap (0 <= 0); one query on option 1 spends 3,
    # all of it on option 1 (3 > 3/2): so the only feasible plan is [0, 0], value 2.
    cost = np.array([[0, 3], [0, 3]], np.int64)
    value = np.array([[1, 4], [1, 4]], np.int64)
    p = MckpProblem(cost, value, np.ones((2, 2), np.bool_), 6, "max_value")
    share = ShareConstraint(cost * np.array([0, 1]), cost.copy(), 1, 2, "s", "share:p1")
    got = run(p, [], [share])
    check(p, [], [share], got, 2)
    assert got.choice.tolist() == [0, 0]
    # the same with a cap of 1/1 (all spend allowed on option 1): both on option 1, value 8
    share = ShareConstraint(cost * np.array([0, 1]), cost.copy(), 1, 1, "s", "share:p1")
    check(p, [], [share], run(p, [], [share]), 8)


def test_the_range_limit_is_exact() -> None:
    # _hard's capacity in units of 2**60 - 1 per use... the worst plan sums to
    # 3 x (2**60 + 2**59) + 0 = 2**62 - ... computed exactly: just under 2**62 is solved.
    p, rows = _hard()
    unit = (2**62 - 1) // 4  # 4 queries x unit = 2**62 - 4 < 2**62, not a float's 2**62
    coef = rows[0].coef * unit
    coef[0, 1] = unit
    got = run(p, [LinearConstraint(coef, 2 * unit, "cap")], [])
    check(p, [LinearConstraint(coef, 2 * unit, "cap")], [], got, 16)


def test_cpsat_stopped_at_its_first_solution_keeps_a_valid_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CP-SAT told to stop at its first solution (no presolve): FEASIBLE with its own bound,
    # which is widened and rounded away from the objective; every claim still holds.
    from costplan.solvers import cpsat

    real = cpsat.cp_solver
    made: list[Any] = []

    def first(*args: Any, **kwargs: Any) -> Any:
        solver = real(*args, **kwargs)
        solver.parameters.stop_after_first_solution = True
        solver.parameters.cp_model_presolve = False
        made.append(solver)
        return solver

    monkeypatch.setattr(constrained, "cp_solver", first)
    seed = 5
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    stopped = 0
    for _ in range(100):
        p, rows, shares = instance(rng)
        made.clear()
        got = run(p, rows, shares, time_limit_s=5)
        check(p, rows, shares, got, brute(p, rows, shares), exact=False)
        stopped += [status(s) for s in made] == ["FEASIBLE"]
    print(f"stopped at a first solution: {stopped}")
    assert stopped >= 3


def test_the_cpsat_size_limit_is_exclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    # _hard has 7 usable (query, option) pairs; CP-SAT runs up to and including the limit
    p, rows = _hard()
    monkeypatch.setattr(constrained, "CPSAT_MAX_CHOICES", 7)
    assert run(p, rows, []).method == "cp-sat"
    monkeypatch.setattr(constrained, "CPSAT_MAX_CHOICES", 6)
    got = run(p, rows, [])
    assert got.method == "lagrangian"
    check(p, rows, [], got, 16, exact=False)
