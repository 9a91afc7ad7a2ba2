"""The per-query MCKP beyond its relaxation (mckp_core, mckp, mckp_problem, mckp_cpsat,
mckp_cert) against brute force over every plan of tiny instances, in exact ints and Fractions.

Oracles (sharing no code with the solver): every plan enumerated with ``itertools.product``;
the LP value ``min_{lam >= 0} D(lam)`` over 0 and every kink of the dual
``D(lam) = lam C + sum_g max_k (p[g, k] - lam w[g, k])`` (as in test_mckp_relax_kills); exact
reduced-profit losses ``r*_g - r[g, k]`` in Fractions; undominated options by definition (no
other option at most as heavy with at least the profit, ties to the lower index); the fill's
best-improvement moves by a plain double loop. ``_DP_MAX_STATES`` / ``_DP_MAX_TOTAL`` and the
chunk size are patched in mckp_core (and mckp_problem) to force the CP-SAT path, aborted DPs
and several chunks on tiny arrays.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import time
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from costplan.errors import InputError, SolverLimitError, format_key_path
from costplan.solvers import mckp, mckp_core, mckp_cpsat, mckp_problem
from costplan.solvers.mckp import MckpProblem, MckpResult, solve_mckp
from costplan.solvers.mckp_cert import _certificate, _slack
from costplan.solvers.mckp_core import _dp, _fill, _fix, _floor, _to_float_up
from costplan.solvers.mckp_cpsat import _solve_sub

SEED = 61_027
SENT = 2**62
Rows = list[list[int]]


# ----------------------------------------------------------------------------- oracles


def dual(p: Rows, w: Rows, f: list[list[bool]], c: int, lam: Fraction) -> Fraction:
    return lam * c + sum(
        max(p[g][j] - lam * w[g][j] for j in range(len(p[g])) if f[g][j]) for g in range(len(p))
    )


def lp_oracle(p: Rows, w: Rows, f: list[list[bool]], c: int | None) -> Fraction:
    if c is None:
        return Fraction(
            sum(
                max(v for v, ok in zip(r, fr, strict=True) if ok)
                for r, fr in zip(p, f, strict=True)
            )
        )
    kinks = {Fraction(0)}
    for g in range(len(p)):
        for i, j in itertools.permutations(range(len(p[g])), 2):
            if f[g][i] and f[g][j] and w[g][i] != w[g][j]:
                lam = Fraction(p[g][i] - p[g][j], w[g][i] - w[g][j])
                if lam > 0:
                    kinks.add(lam)
    return min(dual(p, w, f, c, lam) for lam in kinks)


def undominated(p: Rows, w: Rows, f: list[list[bool]]) -> list[list[bool]]:
    out = []
    for g in range(len(p)):
        row = []
        for k in range(len(p[g])):
            beaten = any(
                f[g][j]
                and j != k
                and (
                    (w[g][j] < w[g][k] and p[g][j] >= p[g][k])
                    or (
                        w[g][j] == w[g][k] and (p[g][j] > p[g][k] or (p[g][j] == p[g][k] and j < k))
                    )
                )
                for j in range(len(p[g]))
            )
            row.append(f[g][k] and not beaten)
        out.append(row)
    return out


def canon_instance(
    rng: random.Random, gmax: int = 5, kmax: int = 4, span: int = 30
) -> tuple[Rows, Rows, list[list[bool]]]:
    """Canonical rows: weights >= 0, a feasible weight-0 option per group, infeasible cells at
    profit 0 and weight 2**62."""
    g, k = rng.randint(1, gmax), rng.randint(1, kmax)
    p, w, f = [], [], []
    for _ in range(g):
        fr = [rng.random() < 0.8 for _ in range(k)]
        zero = rng.randrange(k)
        fr[zero] = True
        pr = [rng.randint(-span // 3, span) if ok else 0 for ok in fr]
        wr = [rng.randint(0, span) if ok else SENT for ok in fr]
        wr[zero] = 0
        p.append(pr)
        w.append(wr)
        f.append(fr)
    return p, w, f


def arr(rows: Rows) -> np.ndarray:
    return np.array(rows, dtype=np.int64)


def argmax_at(p: Rows, w: Rows, f: list[list[bool]], lam: Fraction) -> list[int]:
    return [
        max((k for k in range(len(p[g])) if f[g][k]), key=lambda k: p[g][k] - lam * w[g][k])
        for g in range(len(p))
    ]


def brute(problem: MckpProblem, *, secondary: bool = True) -> int | None:
    """Best objective over every plan (None: no plan meets the constraints)."""
    cost, value, feas = problem.cost, problem.value, problem.feasible
    rows = [[k for k in range(cost.shape[1]) if feas[g, k]] for g in range(cost.shape[0])]
    best = None
    for plan in itertools.product(*rows):
        c = sum(int(cost[g, k]) for g, k in enumerate(plan))
        v = sum(int(value[g, k]) for g, k in enumerate(plan))
        mx = problem.objective == "max_value"
        if (mx or secondary) and problem.budget is not None and c > problem.budget:
            continue
        if (not mx or secondary) and problem.min_value is not None and v < problem.min_value:
            continue
        obj = v if mx else c
        if best is None or (obj > best if mx else obj < best):
            best = obj
    return best


# ----------------------------------------------------------------------------- helpers


def test_floor_and_float_up_by_hand() -> None:
    # floor(-7/2) = -4, floor(7/2) = 3, floor(-6/3) = -2: exact ints, never floats
    for q, want in ((Fraction(-7, 2), -4), (Fraction(7, 2), 3), (Fraction(-6, 3), -2)):
        got = _floor(q)
        assert type(got) is int
        assert got == want
    # float(1/3) = 0.33333333333333331 < 1/3 (rounds down): the result must be >= 1/3 and
    # within a few ulps; 0 goes to a tiny positive float; negatives stay >= q
    for q in (
        Fraction(1, 3),
        Fraction(-1, 3),
        Fraction(2, 3),
        Fraction(10**20 + 1, 7),
        Fraction(0),
        Fraction(-(10**18) - 1, 3),
    ):
        up = _to_float_up(q)
        assert Fraction(up) >= q
        assert Fraction(up) - q <= abs(q) * Fraction(1, 2**48) + Fraction(1, 2**999)
    assert _to_float_up(Fraction(0)) > 0


def test_fill_is_best_improvement() -> None:
    rng = random.Random(SEED)
    print("seed", SEED)
    moved = 0
    for it in range(200):
        p, w, f = canon_instance(rng)
        und = undominated(p, w, f)
        plan = [rng.choice([k for k in range(len(r)) if r[k]]) for r in f]
        residual = rng.randint(-2, 60)
        max_moves = rng.choice([1, 2, 256])
        # oracle: repeatedly the move of the largest gain, then least extra weight, group, option
        want, res, moves = list(plan), residual, 0
        while res > 0 and moves < max_moves:
            cands = [
                (-(p[g][k] - p[g][want[g]]), w[g][k] - w[g][want[g]], g, k)
                for g in range(len(p))
                for k in range(len(p[g]))
                if und[g][k] and p[g][k] > p[g][want[g]] and 0 < w[g][k] - w[g][want[g]] <= res
            ]
            if not cands:
                break
            _, dw, g, k = min(cands)
            want[g], res, moves = k, res - dw, moves + 1
        start = np.array(plan, dtype=np.int64)
        if it % 2:
            mckp_core._CHUNK = 2  # type: ignore[attr-defined]
        try:
            got, got_res, got_moves = _fill(
                arr(p), arr(w), np.array(und), start, residual, max_moves
            )
        finally:
            mckp_core._CHUNK = 1 << 16  # type: ignore[attr-defined]
        assert (got.tolist(), got_res, got_moves) == (want, res, moves), (it, p, w, plan)
        assert start.tolist() == plan  # the caller's plan is not modified
        moved += moves
    assert moved > 60


def test_fix_keeps_exactly_the_options_within_the_slack() -> None:
    rng = random.Random(SEED + 1)
    print("seed", SEED + 1)
    kept_total = 0
    for it in range(200):
        p, w, f = canon_instance(rng)
        und = undominated(p, w, f)
        lam = Fraction(rng.randint(0, 12), rng.randint(1, 4))
        am = argmax_at(p, w, f, lam)
        losses = [
            [
                (p[g][am[g]] - lam * w[g][am[g]]) - (p[g][k] - lam * w[g][k])
                for k in range(len(p[g]))
            ]
            for g in range(len(p))
        ]
        cand = [x for g, r in enumerate(losses) for k, x in enumerate(r) if und[g][k]]
        slack = rng.choice([*cand, Fraction(rng.randint(0, 40), rng.randint(1, 5))])
        keep = [
            [und[g][k] and k != am[g] and losses[g][k] <= slack for k in range(len(p[g]))]
            for g in range(len(p))
        ]
        want_groups = [g for g in range(len(p)) if any(keep[g])]
        chunk = 1 if it % 3 == 0 else 1 << 16
        mckp_core._CHUNK = chunk  # type: ignore[attr-defined]
        try:
            core = _fix(arr(p), arr(w), np.array(und), np.array(am, dtype=np.int64), lam, slack)
        finally:
            mckp_core._CHUNK = 1 << 16  # type: ignore[attr-defined]
        assert core.groups.tolist() == want_groups, (it, p, w, lam, slack)
        assert core.groups.dtype == np.int64
        assert core.loss.dtype == np.float64
        assert core.loss.shape == (len(want_groups), len(p[0]))
        for row, g in enumerate(want_groups):
            for k in range(len(p[g])):
                lo = float(core.loss[row, k])
                if k == am[g]:
                    assert lo == -np.inf
                elif keep[g][k]:
                    assert Fraction(lo) <= losses[g][k]
                    assert losses[g][k] - Fraction(lo) < Fraction(1, 10**6)
                else:
                    assert lo == np.inf
        kept_total += sum(map(sum, keep))
    assert kept_total > 60


# ----------------------------------------------------------------------------- the DP


def dp_case(rng: random.Random, huge: bool = False) -> dict[str, Any]:
    # huge: profits and weights near 2**55 (the states' int64 sums must stay exact)
    p, w, f = canon_instance(rng, gmax=5, kmax=4, span=2**55 if huge else 20)
    lam = Fraction(rng.randint(0, 9), rng.randint(1, 3))
    am = argmax_at(p, w, f, lam)
    keep = [
        [f[g][k] and (k == am[g] or rng.random() < 0.8) for k in range(len(p[g]))]
        for g in range(len(p))
    ]
    groups = [g for g in range(len(p)) if sum(keep[g]) >= 2]
    cap = rng.randint(
        0,
        sum(max(x for x, ok in zip(r, fr, strict=True) if ok) for r, fr in zip(w, f, strict=True))
        + 2,
    )
    # oracle: every plan with the other groups at the argmax
    best = None
    for opt in itertools.product(*[[k for k in range(len(p[g])) if keep[g][k]] for g in groups]):
        plan = list(am)
        for g, k in zip(groups, opt, strict=True):
            plan[g] = k
        if sum(w[g][plan[g]] for g in range(len(p))) <= cap:
            val = sum(p[g][plan[g]] for g in range(len(p)))
            best = val if best is None else max(best, val)
    return {
        "p": p,
        "w": w,
        "am": am,
        "keep": keep,
        "groups": groups,
        "cap": cap,
        "lam": lam,
        "best": best,
    }


def run_dp(
    c: dict[str, Any],
    target: int,
    max_states: int = 1 << 21,
    max_total: int = 1 << 25,
    deadline: float | None = None,
) -> Any:
    p, w, am, groups = c["p"], c["w"], c["am"], c["groups"]
    p0 = sum(p[g][am[g]] for g in range(len(p)))
    c0 = c["cap"] - sum(w[g][am[g]] for g in range(len(p)))
    keep = np.array([c["keep"][g] for g in groups], dtype=bool).reshape(len(groups), len(p[0]))
    return _dp(
        arr(p),
        arr(w),
        np.array(am, dtype=np.int64),
        np.array(groups, dtype=np.int64),
        keep,
        c["lam"],
        p0,
        c0,
        target,
        deadline,
        max_states,
        max_total,
    )


def test_dp_answers_the_target_question_exactly() -> None:
    rng = random.Random(SEED + 2)
    print("seed", SEED + 2)
    found = none = 0
    for it in range(250):
        c = dp_case(rng, huge=it % 5 == 4)
        best = c["best"]
        base = best if best is not None else 0
        target = base + rng.choice([-30, -3, -1, 0, 0, 0, 1, 2])
        res = run_dp(c, target)
        assert res.layers == len(c["groups"]) or res.outcome == "none"
        assert res.total_states >= res.peak_states
        if best is None or best < target:
            assert res.outcome == "none", (it, c, target)
            assert res.groups.size == res.options.size == res.profit == 0
            assert res.groups.dtype == res.options.dtype == np.int64
            m = len(c["groups"])
            assert (1 if m else 0) <= res.layers <= m
            none += 1
            continue
        assert res.outcome == "found", (it, c, target)
        found += 1
        assert res.profit == best
        assert res.groups.tolist() == c["groups"]
        plan = list(c["am"])
        for g, k in zip(res.groups.tolist(), res.options.tolist(), strict=True):
            assert c["keep"][g][k]
            plan[g] = k
        assert sum(c["p"][g][plan[g]] for g in range(len(plan))) == best
        assert sum(c["w"][g][plan[g]] for g in range(len(plan))) <= c["cap"]
        # at the state limits the answer is the same; one state fewer aborts after that layer
        same = run_dp(c, target, max_states=res.peak_states, max_total=res.total_states)
        assert (same.outcome, same.profit) == ("found", best)
        if c["groups"]:
            assert 1 <= res.peak_states <= res.total_states
            cut = run_dp(c, target, max_states=res.peak_states - 1)
            assert cut.outcome == "aborted"
            assert cut.layers <= len(c["groups"])
            assert cut.groups.size == cut.options.size == cut.profit == 0
            assert cut.options.dtype == np.int64
            cut = run_dp(c, target, max_total=res.total_states - 1)
            assert cut.outcome == "aborted"
            assert cut.total_states == res.total_states
            late = run_dp(c, target, deadline=0.0)
            assert late.outcome == "aborted"
            assert late.layers == 1
            early = run_dp(c, target, deadline=1e300)
            assert (early.outcome, early.profit) == ("found", best)
    assert found > 80
    assert none > 50


# ----------------------------------------------------------------------------- whole solves


def random_problem(rng: random.Random) -> MckpProblem:
    g, k = rng.randint(1, 5), rng.randint(1, 4)
    scale = rng.choice([3, 30, 1000, 10**6])
    cost = [[rng.randint(0, scale) for _ in range(k)] for _ in range(g)]
    value = [[rng.randint(-scale // 3, scale) for _ in range(k)] for _ in range(g)]
    if rng.random() < 0.3:  # correlated: ties and collinear options
        value = [[c + rng.randint(0, 1) for c in r] for r in cost]
    feas = [[rng.random() < 0.8 for _ in range(k)] for _ in range(g)]
    for r in feas:
        r[rng.randrange(k)] = True
    objective = rng.choice(["max_value", "min_cost"])
    lo_c = sum(
        min(c for c, ok in zip(r, f, strict=True) if ok) for r, f in zip(cost, feas, strict=True)
    )
    hi_c = sum(
        max(c for c, ok in zip(r, f, strict=True) if ok) for r, f in zip(cost, feas, strict=True)
    )
    lo_v = sum(
        min(v for v, ok in zip(r, f, strict=True) if ok) for r, f in zip(value, feas, strict=True)
    )
    hi_v = sum(
        max(v for v, ok in zip(r, f, strict=True) if ok) for r, f in zip(value, feas, strict=True)
    )
    budget = min_value = None
    if objective == "max_value" or rng.random() < 0.2:
        budget = rng.randint(lo_c - 2, hi_c + 2) if rng.random() < 0.9 else None
    if objective == "min_cost" or rng.random() < 0.2:
        min_value = rng.randint(lo_v - 2, hi_v + 2) if rng.random() < 0.9 else None
    return MckpProblem(
        arr(cost),
        arr(value),
        np.array(feas),
        budget,
        objective,  # type: ignore[arg-type]
        min_value,
    )


def primary_only(pr: MckpProblem) -> MckpProblem:
    """``pr`` without its secondary row (the budget of a ``min_cost`` problem, the value floor
    of a ``max_value`` one)."""
    return MckpProblem(
        pr.cost,
        pr.value,
        pr.feasible,
        pr.budget if pr.objective == "max_value" else None,
        pr.objective,
        pr.min_value if pr.objective == "min_cost" else None,
    )


def canonical_rows(pr: MckpProblem) -> tuple[Rows, Rows, list[list[bool]], int | None]:
    """max_value: profit value, weight cost, capacity budget; min_cost: profit -cost, weight
    -value, capacity -floor (the LP and the losses do not depend on per-group shifts)."""
    f = pr.feasible.tolist()
    if pr.objective == "max_value":
        return pr.value.tolist(), pr.cost.tolist(), f, pr.budget
    cap = None if pr.min_value is None else -pr.min_value
    return (-pr.cost).tolist(), (-pr.value).tolist(), f, cap


# The statistics of a solve that reaches the exact phase (the Dask engine reports the same
# names, src/costplan/dask_solve.py); ``cpsat_groups`` only when CP-SAT ran.
FULL = {
    "groups", "options", "t_prepare", "t_hull", "undominated", "hull_points", "t_lp",
    "lp_steps", "lp_bound", "greedy", "t_fill", "fill_moves", "incumbent_initial", "t_fix",
    "core_groups", "core_options", "t_dp", "t_cpsat", "dp_runs", "dp_layers",
    "dp_peak_states", "dp_total_states", "wall_s", "t_certificate",
}  # fmt: skip


def check_stats(pr: MckpProblem, res: MckpResult, real_clock: bool) -> None:
    st = res.stats
    assert set(st) <= FULL | {"cpsat_groups"}
    assert {"groups", "options", "t_prepare", "wall_s"} <= set(st)
    assert res.wall_s == st["wall_s"]
    for key in st:  # wall_s is taken before the certificate is built
        if key.startswith("t_") and key != "t_certificate" and real_clock:
            assert 0 <= st[key] <= st["wall_s"], key
    p, w, f, cap = canonical_rows(pr)
    if "undominated" in st:
        und = undominated(p, w, f)
        assert st["undominated"] == sum(map(sum, und))
        assert len(p) <= st["hull_points"] <= st["undominated"]
        assert res.lp_bound is not None
        lp_c = res.lp_bound if pr.objective == "max_value" else -res.lp_bound
        assert st["lp_bound"] == float(lp_c)
        assert type(st["lp_steps"]) is int
        assert st["lp_steps"] >= 0
    if (
        cap is not None
        and "undominated" in st
        and lp_oracle(p, w, f, cap) < lp_oracle(p, w, f, None)
    ):  # the capacity binds: every phase ran
        assert set(st) >= FULL - {"t_certificate"}
        assert ("t_certificate" in st) == (res.status != "infeasible")
        mx = pr.objective == "max_value"
        assert type(st["fill_moves"]) is int
        assert st["fill_moves"] >= 0
        best = brute(pr, secondary=False)
        assert best is not None
        assert (st["greedy"] <= st["incumbent_initial"] <= best) if mx else (
            st["greedy"] >= st["incumbent_initial"] >= best)  # fmt: skip
        assert 0 <= st["core_groups"] <= len(p)
        assert st["core_options"] >= st["core_groups"]  # the argmax (-inf) is not counted


def check(pr: MckpProblem, res: MckpResult, real_clock: bool = True) -> None:
    mx = pr.objective == "max_value"
    g = pr.cost.shape[0]
    best = brute(pr)
    primary = brute(pr, secondary=False)
    p, w, f, cap = canonical_rows(pr)
    assert res.method == "mckp"
    assert res.stats["groups"] == g
    assert res.stats["options"] == pr.cost.shape[1]
    check_stats(pr, res, real_clock)
    rows = np.arange(g)
    ch = res.choice
    assert ch.shape == (g,)
    assert bool(pr.feasible[rows, ch].all())
    tc, tv = int(pr.cost[rows, ch].sum()), int(pr.value[rows, ch].sum())
    assert res.objective == (tv if mx else tc)
    if best is None:
        assert res.status == "infeasible"
        assert res.bound is None
        assert res.gap is None
        assert res.certificate is None
        if primary is None:  # the primary row itself cannot be met: the start plan, no LP
            assert res.lp_bound is None
            lightest = [min(w[x][j] for j in range(len(w[x])) if f[x][j]) for x in range(g)]
            start = [
                max(
                    (j for j in range(len(w[x])) if f[x][j] and w[x][j] == lightest[x]),
                    key=lambda j, x=x: (p[x][j], -j),  # type: ignore[misc]
                )
                for x in range(g)
            ]
            assert ch.tolist() == start
        else:  # only the secondary fails: the optimum of the primary and its LP
            assert res.objective == primary
            lp = lp_oracle(p, w, f, cap)
            assert res.lp_bound == (lp if mx else -lp)
        return
    assert (res.status, res.objective) == ("optimal", best), (pr, res)
    assert res.bound == best
    assert res.gap == 0
    lp = lp_oracle(p, w, f, cap)
    assert res.lp_bound == (lp if mx else -lp)
    cert = res.certificate
    assert cert is not None
    assert cert.sense == ("max" if mx else "min")
    assert cert.lagrangian_bound == res.lp_bound
    label = "budget" if mx else "quality"
    assert set(cert.prices) <= {label}
    lam = cert.prices.get(label, Fraction(0))
    assert lam > 0 or label not in cert.prices
    if cap is not None:
        assert dual(p, w, f, cap, lam) == lp  # the price is an LP-optimal dual
    z = best if mx else -best
    if _floor(lp) == z:
        assert cert.proof == "lagrangian"
        assert cert.core_threshold is None
        assert cert.core_groups is None
    else:
        thr = lp - (z + 1)
        assert cert.proof == "core"
        assert cert.core_threshold == thr
        und = undominated(p, w, f)
        want = []
        for x in range(g):
            rs = [p[x][k] - lam * w[x][k] for k in range(len(p[x])) if f[x][k]]
            top = max(rs)
            n = sum(
                1 for k in range(len(p[x])) if und[x][k] and top - (p[x][k] - lam * w[x][k]) <= thr
            )
            if n >= 2:
                want.append(x)
        assert cert.core_groups == tuple(want)
    slack: dict[str, Fraction] = {}
    if pr.budget is not None:
        slack["budget"] = Fraction(pr.budget - tc)
    if pr.min_value is not None:
        slack["quality"] = Fraction(tv - pr.min_value)
    assert dict(res.slack) == slack


@pytest.mark.parametrize("states", [None, 0, 1, 3])
def test_solves_match_brute_force(states: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if states is not None:
        monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", states)
    seed = SEED + 3 + (states or 0)
    rng = random.Random(seed)
    print("seed", seed)
    cpsat = core = 0
    for it in range(120 if states is None else 50):
        pr = random_problem(rng)
        res = solve_mckp(pr)
        check(pr, res)
        st = res.stats
        assert res.bound is None or type(res.bound) is int
        if st.get("dp_runs", 0):
            assert st["dp_peak_states"] <= st["dp_total_states"]
            assert type(st["dp_runs"]) is int
            if states is None:  # tiny DPs never reach 2**21 states: no CP-SAT
                assert "cpsat_groups" not in st
                assert st["t_cpsat"] == 0
            # one target between the initial incumbent and floor(LP): exactly one DP run
            assert res.lp_bound is not None
            lp = res.lp_bound if pr.objective == "max_value" else -res.lp_bound
            z0 = (
                st["incumbent_initial"] if pr.objective == "max_value" else -st["incumbent_initial"]
            )
            if _floor(lp) == z0 + 1:
                assert st["dp_runs"] == 1
                if states == 0:  # aborted after its first layer: peak and total agree
                    assert st["dp_total_states"] == st["dp_peak_states"]
            assert st["t_dp"] >= 0
            assert st["t_cpsat"] >= 0
            assert st["dp_layers"] >= st["dp_runs"]
            core += 1
            if states == 0:  # every DP stops after its first layer
                assert st["dp_layers"] == st["dp_runs"]
        if st.get("t_cpsat", 0) > 0:
            cpsat += 1
            assert 1 <= st["cpsat_groups"] <= st["core_groups"] <= pr.cost.shape[0]
        if (
            states == 0 and it % 5 == 0
        ):  # CP-SAT may take every group (a run of g groups is not above g)
            check(pr, solve_mckp(pr, core_limit=pr.cost.shape[0]))
    assert core > 8
    if states is not None and states < 3:
        assert cpsat > 2


def test_unproven_plans_and_undecided_secondaries(monkeypatch: pytest.MonkeyPatch) -> None:
    # No DP, no CP-SAT: the plan is the incumbent with a valid bound; a secondary row between
    # the incumbent and the bound cannot be decided (SolverLimitError); above the bound it is
    # proven infeasible; at or below the incumbent the same plan is returned.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    rng = random.Random(SEED + 9)
    print("seed", SEED + 9)
    unproven = raised = 0
    for _ in range(150):
        pr = random_problem(rng)
        pr = primary_only(pr)
        best = brute(pr)
        res = solve_mckp(pr, core_limit=0)
        if best is None or res.status == "optimal":
            check(pr, res)
            continue
        unproven += 1
        mx = pr.objective == "max_value"
        assert res.status == "feasible"
        assert res.bound is not None
        assert res.gap is not None
        assert (res.objective <= best <= res.bound) if mx else (res.bound <= best <= res.objective)
        assert res.gap == Fraction(abs(res.bound - res.objective), max(1, abs(res.objective)))
        assert res.certificate is not None
        assert res.certificate.proof == "search"
        obj, ub = res.objective, res.bound
        mid = obj + 1 if mx else obj - 1
        if mx:
            variants = [(ub + 1, "infeasible"), (mid, "raise"), (obj, "same")]
        else:
            variants = [(ub - 1, "infeasible"), (mid, "raise"), (obj, "same")]
        for sec, want in variants:
            q = (
                MckpProblem(pr.cost, pr.value, pr.feasible, pr.budget, "max_value", sec)
                if mx
                else MckpProblem(pr.cost, pr.value, pr.feasible, sec, "min_cost", pr.min_value)
            )
            if want == "raise":
                with pytest.raises(SolverLimitError):
                    solve_mckp(q, core_limit=0)
                raised += 1
                continue
            r2 = solve_mckp(q, core_limit=0)
            if want == "infeasible":
                assert r2.status == "infeasible"
                assert r2.bound is None
                assert brute(q) is None
            else:
                assert (r2.status, r2.objective, r2.bound) == ("feasible", obj, ub)
    assert unproven > 10
    assert raised > 10


def test_small_edges_by_hand() -> None:
    e = np.zeros((0, 3), dtype=np.int64)
    eb = np.zeros((0, 3), dtype=bool)
    for budget, status in ((-1, "infeasible"), (0, "optimal"), (None, "optimal")):
        r = solve_mckp(MckpProblem(e, e, eb, budget, "max_value"))
        assert r.status == status
        assert r.objective == 0
        assert r.choice.shape == (0,)
        assert r.lp_bound == (None if status == "infeasible" else 0)
        assert r.bound == (None if status == "infeasible" else 0)
    r = solve_mckp(MckpProblem(e, e, eb, None, "min_cost", 1))  # floor 1 with no query
    assert r.status == "infeasible"
    # one group, options (cost, value) (0, 1), (5, 9), (5, 9), (2, 1); budget 4 takes option 0
    # (option 3 costs more for the same value); budget 5 takes option 1 (lowest index of a tie)
    cost = np.array([[0, 5, 5, 2]], dtype=np.int64)
    value = np.array([[1, 9, 9, 1]], dtype=np.int64)
    feas = np.ones((1, 4), dtype=bool)
    assert solve_mckp(MckpProblem(cost, value, feas, 4, "max_value")).choice.tolist() == [0]
    assert solve_mckp(MckpProblem(cost, value, feas, 5, "max_value")).choice.tolist() == [1]
    # min_cost, floor 9: option 1 costs 5; floor 10: infeasible, the highest-value plan (1)
    r = solve_mckp(MckpProblem(cost, value, feas, None, "min_cost", 9))
    assert (r.status, r.objective, r.choice.tolist()) == ("optimal", 5, [1])
    assert r.slack == {"quality": Fraction(0)}
    r = solve_mckp(MckpProblem(cost, value, feas, None, "min_cost", 10))
    assert (r.status, r.choice.tolist(), r.lp_bound) == ("infeasible", [1], None)
    # a budget with min_cost: floor 1 alone costs 0; budget -1 makes every plan too dear
    r = solve_mckp(MckpProblem(cost, value, feas, -1, "min_cost", 1))
    assert (r.status, r.objective) == ("infeasible", 0)


def test_canonical_form_and_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    # costs (g0) 3, 7, - ; (g1) 4, -, 2 with values 1, 5, 9 / 2, 9, 6 (- = infeasible, which
    # may hold garbage). max_value: profit = value, weight = cost - min cost: g0 (1, 0) (5, 4),
    # g1 (2, 2) (6, 0); offsets 3, 2. min_cost: profit = -cost, weight = max value - value:
    # g0 (-3, 4) (-7, 0), g1 (-4, 4) (-2, 0); offsets 5, 6.
    cost = np.array([[3, 7, -9], [4, -9, 2]], dtype=np.int64)
    value = np.array([[1, 5, 99], [2, 99, 6]], dtype=np.int64)
    feas = np.array([[True, True, False], [True, False, True]])
    for chunk in (1, 1 << 16):
        monkeypatch.setattr(mckp_problem, "_CHUNK", chunk)
        p, w, off = mckp_problem._canonical(cost, value, feas, True)
        assert p.tolist() == [[1, 5, 0], [2, 0, 6]]
        assert w.tolist() == [[0, 4, SENT], [2, SENT, 0]]
        assert off.tolist() == [3, 2]
        p, w, off = mckp_problem._canonical(cost, value, feas, False)
        assert p.tolist() == [[-3, -7, 0], [-4, 0, -2]]
        assert w.tolist() == [[4, 0, SENT], [4, SENT, 0]]
        assert off.tolist() == [5, 6]
    # the 2**61 limit on sum_g max |cost| and |value| (exactly 2**61 is refused)
    half = 2**60
    ok = np.ones((2, 1), dtype=bool)
    big = np.array([[half], [half - 1024]], dtype=np.int64)
    top = np.array([[half], [half]], dtype=np.int64)  # sums to exactly 2**61
    mckp_problem._canonical(big, big, ok, True)
    for c, v, key in ((top, big, "cost"), (big, top, "value"), (big, -top, "value")):
        with pytest.raises(InputError) as info:
            mckp_problem._canonical(c, v, ok, True)
        assert info.value.key == key
    # a value of -2**63 (|v| overflows int64) is refused, also when it is a row's only option:
    # two such rows once summed to 0 through int64 wrap-around and were "optimal" at 0
    lowest = np.full((2, 1), np.iinfo(np.int64).min, dtype=np.int64)
    for objective in ("max_value", "min_cost"):
        with pytest.raises(InputError) as info:
            solve_mckp(
                MckpProblem(
                    np.zeros((2, 1), np.int64),
                    lowest,
                    np.ones((2, 1), bool),
                    None,
                    objective,
                )
            )
        assert info.value.key == "value"
    with pytest.raises(InputError) as info:
        mckp_problem._canonical(
            np.array([[1, 2], [3, -1]]), value[:, :2], np.ones((2, 2), bool), True
        )
    assert info.value.key == "cost[1][1]"
    assert info.value.value == -1
    # start plan: weight-0 option of the highest profit, lowest index on ties
    p = np.array([[5, 7, 7, 9]], dtype=np.int64)
    w = np.array([[0, 0, 0, 3]], dtype=np.int64)
    assert mckp_problem._start_plan(p, w, np.ones((1, 4), bool)).tolist() == [1]
    assert mckp_problem._start_plan(p, w, np.array([[True, False, True, True]])).tolist() == [2]
    assert mckp_problem._profit(p, np.array([3])) == 9


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"objective": "min"}, "objective"),
        ({"cost": np.zeros(3, np.int64)}, "cost"),
        ({"value": np.zeros((1, 3), np.float64)}, "value"),
        ({"feasible": np.ones((1, 3), np.int64)}, "feasible"),
        ({"feasible": np.ones((1, 2), bool)}, "cost"),
        ({"feasible": np.array([[False, False, False]])}, "feasible[0]"),
    ],
)
def test_validation_names_the_field(kw: dict[str, Any], key: object) -> None:
    base: dict[str, Any] = {
        "cost": np.array([[1, 2, 3]]),
        "value": np.array([[1, 2, 3]]),
        "feasible": np.ones((1, 3), bool),
        "budget": 5,
        "objective": "max_value",
    }
    base.update(kw)
    with pytest.raises(InputError) as info:
        solve_mckp(MckpProblem(**base))
    assert info.value.key == key
    with pytest.raises(InputError):
        solve_mckp(
            MckpProblem(
                np.zeros((2, 0), np.int64),
                np.zeros((2, 0), np.int64),
                np.zeros((2, 0), bool),
                1,
                "max_value",
            )
        )
    n = np.iinfo(np.int16).max + 1
    with pytest.raises(InputError):
        solve_mckp(
            MckpProblem(
                np.zeros((1, n), np.int64),
                np.zeros((1, n), np.int64),
                np.ones((1, n), bool),
                1,
                "max_value",
            )
        )
    small = np.array([[1, 2]], dtype=np.int32)
    r = solve_mckp(MckpProblem(small, small, np.ones((1, 2), bool), 1, "max_value"))  # type: ignore[arg-type]
    assert r.choice.dtype == np.int64
    assert r.objective == 1


# ----------------------------------------------------------------------------- CP-SAT, cert


def test_solve_sub_by_brute_force() -> None:
    rng = random.Random(SEED + 11)
    print("seed", SEED + 11)
    for it in range(30):
        p, w, f = canon_instance(rng, gmax=4, kmax=3, span=25)
        keep = [[f[g][k] and rng.random() < 0.8 for k in range(len(p[g]))] for g in range(len(p))]
        groups = [g for g in range(len(p)) if any(keep[g])]
        cap = rng.randint(-1, 40)
        best, best_plan = None, None
        for opt in itertools.product(
            *[[k for k in range(len(p[g])) if keep[g][k]] for g in groups]
        ):
            if sum(w[g][k] for g, k in zip(groups, opt, strict=True)) <= cap:
                val = sum(p[g][k] for g, k in zip(groups, opt, strict=True))
                if best is None or val > best:
                    best, best_plan = val, opt
        kp = np.array([keep[g] for g in groups], dtype=bool).reshape(len(groups), len(p[0]))
        hint = np.zeros(len(groups), dtype=np.int64)
        deadline = None if it % 2 else 1e300
        sub = _solve_sub(
            arr(p), arr(w), np.array(groups, dtype=np.int64), kp, cap, hint, deadline, 1
        )
        assert sub.proven
        assert sub.wall >= 0
        if best is None:
            assert (sub.plan, sub.bound) == (None, None), (it, p, w, keep, cap)
            continue
        assert sub.plan is not None, (it, p, w, keep, cap, best_plan)
        assert sub.bound == best
        got = sub.plan.tolist()
        assert all(keep[g][k] for g, k in zip(groups, got, strict=True))
        assert sum(p[g][k] for g, k in zip(groups, got, strict=True)) == best
        assert sum(w[g][k] for g, k in zip(groups, got, strict=True)) <= cap
    # no time left: nothing proven, no plan, no bound
    one = np.ones((1, 2), bool)
    late = _solve_sub(arr([[0, 1]]), arr([[0, 1]]), np.array([0]), one, 1, np.array([0]), 0.0, 1)
    assert (late.plan, late.proven, late.bound) == (None, False, None)


def test_certificate_and_slack_by_hand() -> None:
    core = mckp_core._Core(
        np.array([1, 4], dtype=np.int64), np.array([[-np.inf, 0.5, 3.0], [2.0, -np.inf, np.inf]])
    )
    lp = Fraction(27, 2)
    # z = 13 = floor(27/2): lagrangian; the price appears only when positive
    c = _certificate(True, Fraction(3, 2), lp, core, lp, 13, "optimal")
    assert (c.sense, dict(c.prices), c.lagrangian_bound, c.proof) == (
        "max",
        {"budget": Fraction(3, 2)},
        lp,
        "lagrangian",
    )
    assert c.core_threshold is None
    assert c.core_groups is None
    # z = 11: threshold 27/2 - 12 = 3/2; group 1 has -inf and 0.5 <= 3/2, group 4 only -inf
    c = _certificate(False, Fraction(0), -lp, core, lp, 11, "optimal")
    assert (c.sense, dict(c.prices), c.lagrangian_bound) == ("min", {}, -lp)
    assert (c.proof, c.core_threshold, c.core_groups) == ("core", Fraction(3, 2), (1,))
    # z = 10: threshold 5/2, and group 4's 2.0 counts too; 3.0 in group 1 is not needed
    c = _certificate(False, Fraction(1, 7), -lp, core, lp, 10, "optimal")
    assert c.core_groups == (1, 4)
    assert dict(c.prices) == {"quality": Fraction(1, 7)}
    for status, cr in (("feasible", core), ("optimal", None)):
        c = _certificate(True, Fraction(1), lp, cr, lp, 11, status)
        assert (c.proof, c.core_threshold, c.core_groups) == ("search", None, None)
    c = _certificate(True, Fraction(1), None, core, None, 11, "optimal")
    assert c.proof == "search"
    # slack: budget 20 - cost (3 + 4), value (5 + 1) - floor 2
    cost = np.array([[3, 9], [8, 4]], dtype=np.int64)
    value = np.array([[5, 7], [2, 1]], dtype=np.int64)
    plan = np.array([0, 1], dtype=np.int64)
    both = MckpProblem(cost, value, np.ones((2, 2), bool), 20, "max_value", 2)
    assert _slack(both, cost, value, plan, 6) == {"budget": Fraction(13), "quality": Fraction(4)}
    none = MckpProblem(cost, value, np.ones((2, 2), bool), None, "max_value")
    assert _slack(none, cost, value, plan, 6) == {}
    e = np.zeros((0, 2), np.int64)
    empty = MckpProblem(e, e, np.zeros((0, 2), bool), 5, "min_cost", 0)
    assert _slack(empty, e, e, np.zeros(0, np.int64), 0) == {"budget": 5, "quality": 0}


class Clock:
    """A fake ``time`` module: ``perf_counter`` counts its calls (1.0 per call), or returns the
    real clock for its first ``real`` calls and then a time past every deadline."""

    def __init__(self, real: int | None = None) -> None:
        self.calls, self.real = 0, real

    def perf_counter(self) -> float:
        self.calls += 1
        if self.real is None:
            return float(self.calls)
        return time.perf_counter() + (1e9 if self.calls > self.real else 0.0)


def test_phase_statistics_by_a_counting_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # With no deadline, exact_core reads the clock twice per run (before and after the DP) and
    # _solve_sub twice per call: with a clock that counts calls, t_dp = runs and t_cpsat =
    # the number of CP-SAT calls, each of wall 1.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    calls: list[int] = []

    def counted(*args: Any) -> Any:
        calls.append(int(args[2].size))
        return _solve_sub(*args)

    monkeypatch.setattr(mckp_core, "_solve_sub", counted)
    runs: list[Any] = []

    def traced(*args: Any) -> Any:
        runs.append(_dp(*args))
        return runs[-1]

    monkeypatch.setattr(mckp_core, "_dp", traced)
    rng = random.Random(SEED + 21)
    print("seed", SEED + 21)
    several = 0
    for _ in range(40):
        pr = random_problem(rng)
        calls.clear()
        runs.clear()
        monkeypatch.setattr(mckp_core, "time", Clock())
        monkeypatch.setattr(mckp_cpsat, "time", Clock())
        res = solve_mckp(pr)
        check(pr, res, real_clock=False)
        st = res.stats
        if not st.get("dp_runs", 0):
            continue
        assert st["t_dp"] == st["dp_runs"] == len(runs)
        assert st["dp_layers"] == sum(r.layers for r in runs)
        assert st["dp_total_states"] == sum(r.total_states for r in runs)
        assert st["dp_peak_states"] == max(r.peak_states for r in runs)
        assert st["t_cpsat"] == len(calls)
        if calls:
            assert st["cpsat_groups"] == calls[-1]
        several += len(calls) >= 2
    assert several >= 2


def test_deadlines_inside_the_exact_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(SEED + 22)
    print("seed", SEED + 22)
    past = core = cut = 0
    for _ in range(60):
        pr = random_problem(rng)
        best = brute(pr)
        mx = pr.objective == "max_value"
        # (a) the deadline has passed before the exact phase: the incumbent with its bound
        # (b) the clock passes the deadline after the DP's first layer: one run of one layer
        # (c) CP-SAT starts past the deadline (DP limit 0): nothing proven by CP-SAT
        for case in "abc":
            monkeypatch.setattr(mckp_core, "time", Clock(2) if case == "b" else time)
            monkeypatch.setattr(mckp_cpsat, "time", Clock(0) if case == "c" else time)
            monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0 if case == "c" else 1 << 21)
            try:
                res = solve_mckp(pr, time_limit_s=1e-9 if case == "a" else 1000.0)
            except SolverLimitError:
                continue
            if best is None:
                assert res.status == "infeasible"
                continue
            assert res.bound is not None
            assert (res.objective <= best <= res.bound) if mx else (res.bound <= best)
            if res.status == "optimal":
                assert res.objective == best
            st = res.stats
            if case == "a" and st.get("core_groups", 0):
                assert st.get("dp_runs", 0) == 0
                past += 1
            if case == "b" and st.get("dp_runs", 0):
                assert (st["dp_runs"], st["dp_layers"]) == (1, 1)
                core += 1
            if case == "c" and st.get("cpsat_groups", 0):
                assert res.status == "feasible"
                cut += 1
    assert past > 10
    assert core > 10
    assert cut > 5


@pytest.mark.parametrize("states", [None, 0])
def test_bound_after_a_run_cut_short(states: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    # The clock passes the deadline after its k-th reading, k = 3..9: the phase stops between
    # runs, after a DP (or CP-SAT) "none" has lowered the bound to target - 1; whatever comes
    # back must still bound the brute-force optimum.
    if states is not None:
        monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", states)
    rng = random.Random(SEED + 23 + (states or 0))
    print("seed", SEED + 23 + (states or 0))
    cut = 0
    # Three instances where the optimum is floor(LP) - 1 and the first incumbent is at least 2
    # below floor(LP) (found by a seeded search): the first target, floor(LP), gets "none".
    # E.g. the first, min_cost with floor 3: plans of value >= 3 cost 4 (g0 0, g1 2), 3 (1, 0),
    # 6, 3 (2, 0), 6: optimum 3; the LP's cost is below 3 and the greedy-fill plan costs 4.
    fixed = [
        MckpProblem(arr([[1, 3, 3], [0, 1, 3]]), arr([[2, 4, 3], [0, 1, 4]]),
                    np.array([[True, True, True], [True, False, True]]), None, "min_cost", 3),
        MckpProblem(arr([[4, 9, 2], [24, 26, 9], [9, 18, 25]]),
                    arr([[4, 10, 3], [24, 26, 10], [9, 19, 25]]),
                    np.array([[True, True, False], [True] * 3, [True] * 3]), 42, "max_value"),
        MckpProblem(arr([[16, 20], [25, 27], [14, 6], [5, 5]]),
                    arr([[16, 20], [25, 28], [15, 7], [6, 6]]),
                    np.ones((4, 2), bool), None, "min_cost", 60),
    ]  # fmt: skip
    for i in range(50):
        pr = fixed[i] if i < len(fixed) else random_problem(rng)
        pr = primary_only(pr)
        best = brute(pr)
        if best is None:
            continue
        for k in range(3, 13 if i < len(fixed) else 10):
            monkeypatch.setattr(mckp_core, "time", Clock(k))
            res = solve_mckp(pr, time_limit_s=1000.0)
            assert res.bound is not None
            if pr.objective == "max_value":
                assert res.objective <= best <= res.bound
            else:
                assert res.bound <= best <= res.objective
            cut += res.status == "feasible"
    assert cut > 5


def test_fill_move_limit_and_one_unit_left() -> None:
    # 300 groups, options (profit, weight) (0, 0) and (1, 1), residual 1,000: one move per
    # group is possible, the default limit stops after 256 of them (groups 0..255, the
    # tie-break goes to the lowest group); with residual 1 exactly one move is made.
    p = np.tile(np.array([[0, 1]], dtype=np.int64), (300, 1))
    w = p.copy()
    und = np.ones((300, 2), dtype=bool)
    start = np.zeros(300, dtype=np.int64)
    plan, res, moves = _fill(p, w, und, start, 1000)
    assert (res, moves) == (1000 - 256, 256)
    assert plan.tolist() == [1] * 256 + [0] * 44
    plan, res, moves = _fill(p, w, und, start, 1)
    assert (res, moves) == (0, 1)
    assert plan.tolist() == [1] + [0] * 299
    plan, res, moves = _fill(p, w, und, start, 0)
    assert (res, moves, plan.tolist()) == (0, 0, [0] * 300)


def test_cpsat_cut_short_keeps_a_valid_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # CP-SAT "timed out": the real sub-problem's answer handed back unproven, with its bound
    # raised by 0, 1 or 5 and with or without its plan. The plan must stay feasible and the
    # bound valid; with the exact bound and the plan, the sub-problem's optimum is proven.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    extra = [0, True]

    def timed_out(*args: Any) -> Any:
        real = _solve_sub(*args)
        if not real.proven or real.plan is None or real.bound is None:
            return real
        plan = real.plan if extra[1] else None
        return mckp_cpsat._SubResult(plan, False, real.bound + extra[0], real.wall)

    monkeypatch.setattr(mckp_core, "_solve_sub", timed_out)
    outs: list[Any] = []

    def traced(*args: Any, **kw: Any) -> Any:
        outs.append(mckp_core.exact_core(*args, **kw))
        return outs[-1]

    monkeypatch.setattr(mckp, "exact_core", traced)
    rng = random.Random(SEED + 25)
    print("seed", SEED + 25)
    unproven = 0
    # max_value, budget 96 (found by a seeded search): the first incumbent is below the
    # optimum and the optimum equals the rounded LP bound, so CP-SAT's first question already
    # holds the optimum and a bound cut below it (fixed - bound for fixed + bound) is caught
    first = MckpProblem(
        arr([[2, 17, 1], [23, 19, 25], [8, 5, 16], [6, 15, 2], [25, 8, 19]]),
        arr([[2, 18, 1], [23, 19, 25], [9, 5, 16], [6, 16, 3], [25, 9, 20]]),
        np.array([[True] * 3, [True] * 3, [True, False, True], [True] * 3, [True, True, False]]),
        96,
        "max_value",
    )
    for i in range(40):
        pr = first if i == 0 else random_problem(rng)
        pr = primary_only(pr)
        best = brute(pr)
        if best is None:
            continue
        mx = pr.objective == "max_value"
        for extra[0], extra[1] in ((0, True), (1, True), (5, False), (0, False)):
            outs.clear()
            res = solve_mckp(pr)
            assert res.bound is not None
            assert (res.objective <= best <= res.bound) if mx else (res.bound <= best)
            assert mx or best <= res.objective
            if outs:  # the outcome's z is the returned plan's profit in canonical form
                assert outs[-1].z == (res.objective if mx else -res.objective)
                assert outs[-1].ub == (res.bound if mx else -res.bound)
            unproven += res.status == "feasible"
    assert unproven > 5


def test_dp_prunes_hopeless_states_by_hand() -> None:
    # One group, options (profit, weight) (0, 0) and (10, 5), lam = 3: reduced profits 0 and
    # -5, argmax option 0; capacity 2 (c0 = 2), target 0. After the group the states are
    # (0, 0) and (5, 10); the second is 3 over capacity with no group left to give weight
    # back, so it is pruned: one state, the plan of profit 0. (A -inf extension once slipped
    # through the rounding tolerance, -(|a| + |-inf|) * 2**-49 = -inf, and kept it.)
    res = _dp(arr([[0, 10]]), arr([[0, 5]]), np.array([0]), np.array([0]), np.ones((1, 2), bool),
              Fraction(3), 0, 2, 0, None, 1 << 21, 1 << 25)  # fmt: skip
    assert (res.outcome, res.profit, res.peak_states, res.total_states) == ("found", 0, 1, 1)
    # Two groups: A (0, 0), (2, 1) and B (0, 0), (5, 3), lam = 2 (A's step has efficiency 2 =
    # lam, B's 5/3), capacity 1, target 2. A's forward step of weight 1 must count in the
    # bound when A comes second: B's step is 2 over capacity and pruned, (0, 0) is alive
    # (-2 + 2 * 1 >= 0), then A's step gives the plan of profit 2.
    res = _dp(arr([[0, 2], [0, 5]]), arr([[0, 1], [0, 3]]), np.array([0, 0]), np.array([0, 1]),
              np.ones((2, 2), bool), Fraction(2), 0, 1, 2, None, 1 << 21, 1 << 25)  # fmt: skip
    assert (res.outcome, res.profit) == ("found", 2)
    assert res.options.tolist() == [1, 0]
    for out in (
        res,
        _dp(
            arr([[0, 10]]),
            arr([[0, 5]]),
            np.array([0]),
            np.array([0]),
            np.ones((1, 2), bool),
            Fraction(3),
            0,
            2,
            1,
            None,
            1 << 21,
            1 << 25,
        ),
    ):
        assert out.groups.dtype == np.int64  # fmt: skip
        assert out.options.dtype == np.int64


def dp_states(c: dict[str, Any], target: int) -> tuple[str, int, int, int]:
    """The DP of the docstring in Fractions: (outcome, layers, peak, total states).

    Groups go nearest-to-lam first (score min(lam - fwd, bwd - lam), fwd = the best forward
    efficiency, at least 0, bwd = the least backward one; ties in group order); after each group
    the states (weight, profit change) are the Pareto-undominated ones (ties to the lower weight)
    whose bound a + ext >= 0, a = p0 - target + profit change, ext = lam+ * c for a capacity
    c >= 0 left, lam- * c for a deficit (-inf with no backward step left), lam+/lam- the
    max/min over the groups still to come.
    """
    p, w, am, groups, keep, lam = c["p"], c["w"], c["am"], c["groups"], c["keep"], c["lam"]
    p0 = sum(p[g][am[g]] for g in range(len(p)))
    c0 = c["cap"] - sum(w[g][am[g]] for g in range(len(p)))
    inf = float("inf")
    moves, fwd, bwd, score = [], [], [], []
    for g in groups:
        mv = [
            (w[g][k] - w[g][am[g]], p[g][k] - p[g][am[g]]) for k in range(len(p[g])) if keep[g][k]
        ]
        f = [Fraction(dp_, dw) for dw, dp_ in mv if dw > 0]
        b = [Fraction(dp_, dw) for dw, dp_ in mv if dw < 0]
        fwd.append(max([Fraction(0), *f]))
        bwd.append(min(b) if b else inf)
        score.append(min(lam - fwd[-1] if f else inf, bwd[-1] - lam))
        moves.append(mv)
    order = sorted(range(len(groups)), key=lambda i: score[i])
    states = [(0, 0)]
    peak = total = 0
    for n, i in enumerate(order):
        rest = order[n + 1 :]
        lp_ = max([Fraction(0), *(fwd[j] for j in rest)])
        lm = min([inf, *(bwd[j] for j in rest)])
        cand = sorted({(sw + dw, sp + dp_) for sw, sp in states for dw, dp_ in moves[i]},
                      key=lambda t: (t[0], -t[1]))  # fmt: skip
        kept, best = [], None
        for sw, sp in cand:
            if best is not None and sp <= best:
                continue
            best = sp
            left = c0 - sw
            if left >= 0:
                ok = p0 - target + sp + lp_ * left >= 0
            else:
                ok = lm != inf and p0 - target + sp + lm * left >= 0
            if ok:
                kept.append((sw, sp))
        states = kept
        peak, total = max(peak, len(states)), total + len(states)
        if not states:
            return "none", n + 1, peak, total
    fits = [sp for sw, sp in states if sw <= c0]
    found = bool(fits) and p0 + max(fits) >= target
    return ("found" if found else "none"), len(order), peak, total


def test_dp_state_counts_match_the_exact_dp() -> None:
    rng = random.Random(SEED + 31)
    print("seed", SEED + 31)
    pruned = 0
    for it in range(250):
        c = dp_case(rng)
        base = c["best"] if c["best"] is not None else 0
        target = base + rng.choice([-30, -3, 0, 0, 1])
        res = run_dp(c, target)
        want = dp_states(c, target)
        assert (res.outcome, res.layers, res.peak_states, res.total_states) == want, (it, c)
        pruned += want[3] < sum(len(c["keep"][g]) for g in c["groups"])
    assert pruned > 50


def test_deepening_targets_follow_the_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    # exact_core's comments: targets T = max(z + 1, floor(L) - depth), depth starting at
    # (ub - (z + 1)) // 512; after a "none" the depth doubles plus one while the run was cheap
    # (< 200,000 states) and else grows by a quarter, at least 1. Every other DP run is
    # reported as 250,000 states to take the second branch.
    seen: dict[str, Any] = {}

    def traced_core(q: Any, **kw: Any) -> Any:
        seen.update(q=q, depth=(q.ub - (q.z + 1)) // 512, n=0)
        return mckp_core.exact_core(q, **kw)

    def traced_dp(*args: Any) -> Any:
        q, d = seen["q"], seen["depth"]
        assert args[8] == max(q.z + 1, q.ub - d)
        res = _dp(*args)
        if seen["n"] % 2:
            res = dataclasses.replace(res, total_states=250_000)
        seen["n"] += 1
        seen["deep"] = seen.get("deep", 0) + (d >= 8)
        if res.outcome == "none":
            seen["depth"] = 2 * d + 1 if res.total_states < 200_000 else d + max(1, d // 4)
        return res

    monkeypatch.setattr(mckp, "exact_core", traced_core)
    monkeypatch.setattr(mckp_core, "_dp", traced_dp)
    rng = random.Random(SEED + 33)
    print("seed", SEED + 33)
    for _ in range(150):
        pr = random_problem(rng)
        pr = primary_only(pr)
        res = solve_mckp(pr)
        best = brute(pr)
        assert res.objective == best or best is None
    assert seen.get("deep", 0) > 10


# ---------------------------------------------------------------- _validate: every refusal
# Each malformed problem is refused with its own message, key path, offending value and hint
# (the contract of errors.InputError: what is wrong, where, the value); written from the
# validation rules in mckp_problem's docstring, one rule per case.

_OK_COST = [[1, 2]]
_OK_VALUE = [[3, 4]]
_OK_FEAS = [[True, True]]


def _refusal(cost: object, value: object, feas: object, objective: str = "max_value"
             ) -> InputError:  # fmt: skip
    problem = MckpProblem(cost, value, feas, 10, objective)  # type: ignore[arg-type]
    with pytest.raises(InputError) as info:
        solve_mckp(problem)
    return info.value


def test_an_unknown_objective_is_refused_by_name() -> None:
    e = _refusal(np.asarray(_OK_COST), np.asarray(_OK_VALUE), np.asarray(_OK_FEAS), "max")
    assert (e.message, e.key, e.value) == ("unknown objective", "objective", "max")


@pytest.mark.parametrize("name", ["cost", "value"])
def test_a_one_dimensional_array_is_refused_with_its_shape(name: str) -> None:
    arrays = {"cost": np.asarray(_OK_COST), "value": np.asarray(_OK_VALUE)}
    arrays[name] = np.asarray([1, 2])
    e = _refusal(arrays["cost"], arrays["value"], np.asarray(_OK_FEAS))
    assert (e.message, e.key, e.value) == (f"{name} must be a (groups, options) array", name,
                                           (2,))  # fmt: skip


@pytest.mark.parametrize("name", ["cost", "value"])
def test_float_money_or_quality_is_refused_with_its_dtype_and_a_hint(name: str) -> None:
    arrays = {"cost": np.asarray(_OK_COST), "value": np.asarray(_OK_VALUE)}
    arrays[name] = np.asarray([[1.0, 2.0]])
    e = _refusal(arrays["cost"], arrays["value"], np.asarray(_OK_FEAS))
    assert (e.message, e.key, e.value) == (f"{name} must be integers", name, "float64")
    assert e.hint == "scale money/quality to integer units before solving"


def test_a_feasibility_mask_of_integers_is_refused() -> None:
    e = _refusal(np.asarray(_OK_COST), np.asarray(_OK_VALUE), np.asarray([[1, 1]]))
    assert (e.message, e.key, e.value) == ("feasible must be a boolean array", "feasible",
                                           "int64")  # fmt: skip


@pytest.mark.parametrize(
    "shapes",
    [((1, 2), (1, 3), (1, 2)), ((1, 2), (1, 2), (2, 2)), ((2, 2), (1, 2), (1, 2))],
)
def test_arrays_of_different_shapes_are_refused_with_all_three_shapes(
    shapes: tuple[tuple[int, int], ...],
) -> None:
    c, v, f = shapes
    e = _refusal(np.ones(c, np.int64), np.ones(v, np.int64), np.ones(f, np.bool_))
    assert (e.message, e.key, e.value) == (
        "cost, value and feasible must have the same shape", "cost", (c, v, f)
    )


def test_groups_without_options_are_refused_but_no_groups_at_all_is_a_problem() -> None:
    e = _refusal(np.zeros((3, 0), np.int64), np.zeros((3, 0), np.int64), np.zeros((3, 0), bool))
    assert (e.message, e.key, e.value) == ("every group needs at least one option", "feasible",
                                           (3, 0))  # fmt: skip
    # zero groups and zero options: the empty plan, optimal at 0 (nothing to choose)
    empty = MckpProblem(np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64),
                        np.zeros((0, 0), bool), 10, "max_value")  # fmt: skip
    res = solve_mckp(empty)
    assert (res.status, res.objective, res.bound) == ("optimal", 0, 0)


def test_32768_options_per_group_are_refused_and_32767_are_not() -> None:
    # option indices are int16 in the hull: at most 2**15 - 1 = 32,767 options
    k = 2**15
    e = _refusal(np.zeros((1, k), np.int64), np.zeros((1, k), np.int64), np.ones((1, k), bool))
    assert (e.message, e.key, e.value) == ("too many options per group", "cost", k)
    k -= 1
    value = np.zeros((1, k), np.int64)
    value[0, 7] = 5
    ok = MckpProblem(np.ones((1, k), np.int64), value, np.ones((1, k), bool), 10, "max_value")
    res = solve_mckp(ok)
    assert (res.status, res.objective, int(res.x[0])) == ("optimal", 5, 7)


def test_a_group_with_no_feasible_option_is_named_by_its_index() -> None:
    feas = np.asarray([[True, False], [False, False], [False, False]])
    e = _refusal(np.ones((3, 2), np.int64), np.ones((3, 2), np.int64), feas)
    assert e.message == "a group has no feasible option"
    assert e.key == format_key_path(("feasible", 1))  # the first such group: index 1
    assert e.hint == "drop the query or allow at least one model"


def test_int32_and_uint8_arrays_are_accepted_as_integers() -> None:
    # by hand: budget 10, options (cost 4, value 6) and (cost 7, value 9): the better fits
    cost = np.asarray([[4, 7]], np.int32)
    value = np.asarray([[6, 9]], np.uint8)
    res = solve_mckp(MckpProblem(cost, value, np.asarray([[True, True]]), 10, "max_value"))
    assert (res.status, res.objective, int(res.x[0])) == ("optimal", 9, 1)
