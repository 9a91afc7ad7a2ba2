"""Exact multiple-choice knapsack (MCKP) for per-query allocation, on plain integer arrays.

Formulation (``G`` groups = queries, ``K`` options = models, all data integers)::

    variables   x[g, k] in {0, 1}                   group g uses option k
    choice      sum_k x[g, k] = 1                    for every group g
                x[g, k] = 0                          where not feasible[g, k]
    max_value   maximise  sum value[g, k] x[g, k]    s.t.  sum cost[g, k] x[g, k] <= budget
    min_cost    minimise  sum cost[g, k] x[g, k]     s.t.  sum value[g, k] x[g, k] >= min_value

Both objectives become one canonical problem, *maximise profit s.t. weight <= capacity*, with
every weight >= 0 and a weight-0 option in every group:

    max_value   profit = value,  weight = cost - min_k cost,   capacity = budget - sum_g min_k cost
    min_cost    profit = -cost,  weight = max_k value - value, capacity = sum_g max_k value - floor

(``min_k``/``max_k`` over feasible options.) The problem is infeasible exactly when the capacity
is negative. A budget given with ``min_cost``, or a floor given with ``max_value``, is checked on
the optimum (a secondary constraint never changes which plan is optimal, only whether one exists).

Method (numpy arrays throughout; the only Python loops run over option ranks, hull steps or
the few core groups of the DP, never over all groups):

1. *Dominance and hull.* Per group, options are sorted by (weight asc, profit desc, index asc).
   An option is *undominated* when its profit beats every cheaper option (a cumulative max);
   a dominated option can be swapped for its dominator without loss, so only undominated
   options are ever chosen (ties go to the lower weight, then the lower index). The upper
   convex hull of the undominated options (a vectorised monotone chain: one pass per column,
   pops vectorised over the groups that need them) gives the LP-undominated options. All
   slope comparisons are exact (128-bit products, see ``_prod_sign``).
2. *LP relaxation.* Every group starts at its weight-0 hull point; the hull steps
   ``(dprofit, dweight)`` are sorted by efficiency ``dprofit/dweight`` (decreasing; stable, so a
   group's steps stay in order) and taken greedily while the capacity allows. The LP optimum has
   at most one fractional group; its step's efficiency ``lam`` is the LP dual. The *bound* is the
   Lagrangian value ``L(lam) = lam * capacity + sum_g max_k (profit[g, k] - lam * weight[g, k])``,
   computed exactly as a ``Fraction`` (valid for *any* ``lam >= 0``, equal to the LP optimum at
   the critical ``lam``; so float rounding in the sort can never make the bound invalid).
3. *Incumbent.* The greedy plan rounds the fractional group down, then a short best-improvement
   fill spends the leftover capacity on any undominated option (not only hull points).
4. *Reduced-profit fixing.* For any plan ``x``:
   ``profit(x) <= L(lam) - sum_g (r*_g - r[g, x_g])`` with reduced profits
   ``r[g, k] = profit - lam * weight`` and ``r*_g = max_k r[g, k]`` (the *loss* of option k is
   ``r*_g - r[g, k] >= 0``). So a plan of profit >= T only uses options of loss <= L - T. With
   ``T = z + 1`` (integers; ``z`` the incumbent) the other options are eliminated (float64 with
   a rigorous error margin: an uncertain option is kept, never dropped). Groups left with one
   option are fixed at their reduced-profit argmax; the rest is the *core*.
5. *Exact core, by bound-driven deepening.* Targets ``T`` decrease from ``floor(L)`` towards
   ``z + 1`` (geometrically growing steps). Each asks "is there a plan of profit >= T?", which
   only involves options of loss <= L - T, so the early questions are tiny. A dynamic program
   over the involved groups (Pareto states of (weight, profit) change from the argmax plan,
   pruned by the LP bound of the remaining groups, exact int64 arithmetic, groups nearest to
   ``lam`` first) answers it exactly: *found* -> that plan is optimal (it is the best plan with
   profit >= T, hence the best plan overall); *none* -> the bound drops to ``T - 1`` and the
   next target is tried. If the DP exceeds its state limit (near-degenerate data, e.g.
   strongly correlated costs and values) the same restricted question goes to CP-SAT: one
   boolean per (group, surviving option), exactly one per group, the residual capacity, the
   exact integer objective, the incumbent as a hint, fixed seed. Its proof answers the
   question the same way; a time-out ends the search with CP-SAT's bound. A restricted
   question with more than ``core_limit`` groups is not sent to CP-SAT: the plan is returned
   as ``feasible`` with its gap. (Measured on 100k x 20 cores of 600-2,200 groups: CP-SAT
   needs 0.3-43 s to prove them, the DP 0.005-0.3 s.)

Status ``optimal`` is reported only with a proof (``bound == objective`` at the integer scale).
Deterministic: stable sorts, ties to the lower option index, CP-SAT with a fixed seed and one
worker (or ``interleave_search`` with several); only a time limit that cuts a search short can
make two runs differ.

Side constraints (later) reuse the same machinery: a Lagrangian multiplier ``mu`` on
``sum coef[g, x_g] <= rhs`` only changes the profit array (``profit - mu * coef``), and
``relax(profit, weight, feasible, capacity)`` solves the hull/greedy relaxation for any profit
array, returning the exact ``L(lam)`` (add ``mu * rhs`` for the relaxed constraint's term).

Integers: costs and values are int64; the totals ``sum_g max_k |cost|`` and ``sum_g max_k |value|``
must stay below 2**61 (checked) so that every sum in the solver and in CP-SAT is exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError, SolverLimitError
from costplan.solvers.protocol import Certificate, Proof, Solution, settle

__all__ = [
    "MckpProblem",
    "MckpResult",
    "Objective",
    "Relaxation",
    "Status",
    "relax",
    "solve_mckp",
]

Status = Literal["optimal", "feasible", "infeasible"]
Objective = Literal["max_value", "min_cost"]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_LIMIT = 2**61  # bound on sum_g max_k |cost| and |value|: every exact sum fits in int64
_SENTINEL = np.int64(2**62)  # weight of an infeasible option, above every real weight
_CHUNK = 1 << 16  # groups per vectorised chunk (bounds temporaries, keeps them in cache)
_REL_EPS = 2.0**-46  # relative margin for float comparisons that are then confirmed exactly
_DP_MAX_STATES = 1 << 21  # DP states after one group: above this the DP hands over to CP-SAT
_DP_MAX_TOTAL = 1 << 25  # DP states summed over groups (traceback memory: 6 bytes each)
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


@dataclass(frozen=True)
class MckpProblem:
    """One multiple-choice knapsack: every group picks exactly one feasible option."""

    cost: I64  # (G, K) >= 0, integer money units (e.g. nano-dollars)
    value: I64  # (G, K) integer quality units (e.g. micro-units)
    feasible: Bool  # (G, K), every row has at least one True
    budget: int | None  # max total cost (max_value); also checked for min_cost
    objective: Objective
    min_value: int | None = None  # total value floor (min_cost); also checked for max_value


# One Solution type for every back end (``x`` = option per group here; ``choice`` reads it).
# ``bound`` is the best proven bound on the optimum (>= for max_value, <= for min_cost), an exact
# integer: the LP relaxation rounded to the integer scale, tightened by the exact core solve; it
# equals ``objective`` exactly when ``status == "optimal"``. ``lp_bound`` is the exact LP value (a
# ``Fraction``; ``None`` when infeasible); ``gap = |bound - objective| / max(1, |objective|)``
# (a ``Fraction``). When infeasible, ``choice`` is the plan closest to feasibility (cheapest plan
# for max_value, highest-value plan for min_cost), ``objective`` its objective and ``bound``
# ``None``. The certificate: the budget price (max_value; the ``quality`` price for min_cost),
# ``D`` = the LP value, and for ``proof: core`` the fixing threshold and the core groups
# (``docs/certificate.md``).
MckpResult = Solution


# ----------------------------------------------------------------------------- exact helpers


def _mul128(a: I64, b: I64) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Exact products of non-negative int64 arrays as (high, low) uint64 words."""
    au = a.astype(np.uint64)
    bu = b.astype(np.uint64)
    a0, a1 = au & _M32, au >> _S32
    b0, b1 = bu & _M32, bu >> _S32
    ll = a0 * b0
    mid = a1 * b0 + a0 * b1  # a1 < 2**31: each term < 2**63, the sum < 2**64
    lo = ll + (mid << _S32)
    carry = (lo < ll).astype(np.uint64)
    hi = a1 * b1 + (mid >> _S32) + carry
    return hi, lo


def _prod_sign(a: I64, b: I64, c: I64, d: I64) -> npt.NDArray[np.int8]:
    """sign(a*b - c*d) for non-negative int64 arrays, exactly (float first, 128-bit if close)."""
    x = a.astype(np.float64) * b.astype(np.float64)
    y = c.astype(np.float64) * d.astype(np.float64)
    sign = np.sign(x - y).astype(np.int8)
    close = np.abs(x - y) <= (x + y) * _REL_EPS
    if close.any():
        idx = np.flatnonzero(close)
        h1, l1 = _mul128(a[idx], b[idx])
        h2, l2 = _mul128(c[idx], d[idx])
        gt = (h1 > h2) | ((h1 == h2) & (l1 > l2))
        lt = (h1 < h2) | ((h1 == h2) & (l1 < l2))
        sign[idx] = gt.astype(np.int8) - lt.astype(np.int8)
    return sign


def _floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def _to_float_up(q: Fraction) -> float:
    """A float >= q (conversion rounds to nearest; step up one relative ulp-ish margin)."""
    f = float(q)
    return f + abs(f) * 2.0**-50 + 2.0**-1000


# ----------------------------------------------------------------------------- hull


@dataclass(frozen=True)
class _Hull:
    """Per-group dominance and upper convex hull (canonical problem)."""

    undominated: Bool  # (G, K) in original option order
    hull: npt.NDArray[np.int16]  # (H, G) option index of hull point i, -1 padded
    length: npt.NDArray[np.int16]  # (G,) number of hull points (>= 1)
    hp: I64  # (H, G) profit of hull point i (0 padded)
    hw: I64  # (H, G) weight of hull point i (0 padded)


def _hull_chunk(p: I64, w: I64, feas: Bool) -> _Hull:
    n, k = p.shape
    wk = np.where(feas, w, _SENTINEL)
    # Sort by weight asc, then profit desc, then index asc (stable argsort on weight; the rare
    # rows with equal weights get a full lexicographic sort). Sorted data is kept column-major
    # (option rank, group): every per-rank step below reads contiguous memory.
    order = np.argsort(wk, axis=1, kind="stable")
    flat = order.T + np.arange(0, n * k, k)
    pt = p.ravel()[flat]
    wt = wk.ravel()[flat]
    if k > 1:
        tie = np.flatnonzero(((wt[1:] == wt[:-1]) & (wt[1:] < _SENTINEL)).any(axis=0))
        if tie.size:
            cols = np.broadcast_to(np.arange(k), (tie.size, k))
            order[tie] = np.lexsort((cols, -p[tie], wk[tie]), axis=1)
            flat_t = order[tie].T + tie * k
            pt[:, tie] = p.ravel()[flat_t]
            wt[:, tie] = wk.ravel()[flat_t]
    fs = wt < _SENTINEL
    # Undominated: strictly more profit than every earlier (cheaper or equal-weight) option.
    prefix = np.maximum.accumulate(pt, axis=0)
    ut = np.empty_like(fs)
    ut[0] = True
    ut[1:] = fs[1:] & (pt[1:] > prefix[:-1])
    # Monotone chain over the ranks, vectorised over groups; pops only where needed.
    stack = np.zeros((k, n), dtype=np.int16)  # sorted position of hull point i
    length = np.ones(n, dtype=np.int16)
    # cached profit/weight of each group's top and second stack entries (1-D gathers only)
    top_p, top_w = pt[0].copy(), wt[0].copy()
    sec_p, sec_w = np.zeros_like(top_p), np.zeros_like(top_w)
    for j in range(1, k):
        rows = np.flatnonzero(ut[j])
        if rows.size == 0:
            continue
        pn, wn = pt[j, rows], wt[j, rows]
        act = np.flatnonzero(length[rows] >= 2)
        while act.size:
            r = rows[act]
            sp, sw = sec_p[r], sec_w[r]
            # pop the top when it is on or below the segment second -> new
            pop = _prod_sign(top_p[r] - sp, wn[act] - sw, pn[act] - sp, top_w[r] - sw) <= 0
            act, r = act[pop], r[pop]
            length[r] -= 1
            top_p[r], top_w[r] = sec_p[r], sec_w[r]
            deep = length[r] >= 2
            act, r = act[deep], r[deep]
            below = stack[length[r] - 2, r]
            sec_p[r], sec_w[r] = pt[below, r], wt[below, r]
        stack[length[rows], rows] = j
        sec_p[rows], sec_w[rows] = top_p[rows], top_w[rows]
        top_p[rows], top_w[rows] = pn, wn
        length[rows] += 1
    hmax = int(length.max())
    pos = stack[:hmax]  # (hmax, n) sorted position of each hull point (rank-major)
    valid = np.arange(hmax)[:, None] < length[None, :]
    cols = np.arange(n)[None, :]
    hull = np.where(valid, order[cols, pos], -1).astype(np.int16)
    hp = np.where(valid, pt[pos, cols], 0)
    hw = np.where(valid, wt[pos, cols], 0)
    und = np.zeros((n, k), dtype=np.bool_)
    np.put_along_axis(und, order, ut.T, axis=1)
    return _Hull(und, hull, length, hp, hw)


def _build_hull(p: I64, w: I64, feas: Bool) -> _Hull:
    g, k = p.shape
    parts = [
        _hull_chunk(p[s : s + _CHUNK], w[s : s + _CHUNK], feas[s : s + _CHUNK])
        for s in range(0, g, _CHUNK)
    ]
    hmax = max(part.hull.shape[0] for part in parts)
    und = np.empty((g, k), dtype=np.bool_)
    length = np.empty(g, dtype=np.int16)
    hull = np.full((hmax, g), -1, dtype=np.int16)
    hp = np.zeros((hmax, g), dtype=np.int64)
    hw = np.zeros((hmax, g), dtype=np.int64)
    for s, part in zip(range(0, g, _CHUNK), parts, strict=True):
        e, h = s + part.length.size, part.hull.shape[0]
        und[s:e] = part.undominated
        length[s:e] = part.length
        hull[:h, s:e] = part.hull
        hp[:h, s:e] = part.hp
        hw[:h, s:e] = part.hw
    return _Hull(und, hull, length, hp, hw)


# ----------------------------------------------------------------------------- LP relaxation


@dataclass(frozen=True)
class Relaxation:
    """LP relaxation of the canonical problem (maximise profit, weight <= capacity).

    ``lam`` is the dual price (critical efficiency, 0 when capacity does not bind), ``bound`` the
    exact Lagrangian value ``L(lam)`` (= the LP optimum), ``argmax`` each group's option of
    maximal reduced profit ``profit - lam * weight``, ``greedy`` the integer plan that rounds the
    fractional group down and ``residual`` its unused capacity. ``critical`` is the step that
    sets ``lam``: (group, option before, option after), ``None`` when nothing binds.
    """

    lam: Fraction
    bound: Fraction
    argmax: I64
    greedy: I64
    residual: int
    n_steps: int
    binding: bool
    critical: tuple[int, int, int] | None = None


def _select(eff: F64, weight: I64, capacity: int) -> tuple[I64, I64, int]:
    """Greedy order without a full sort: steps by efficiency desc (ties by index) taken while
    their cumulative weight stays <= capacity.

    Returns (indices of the taken steps, index of the first step that does not fit, its
    cumulative weight before it). Equivalent to a stable argsort of ``-eff`` followed by a
    cumulative sum, but the steps far from the threshold are split off by weighted quickselect
    (median pivots) and only a small band is sorted.
    """
    cand = np.arange(eff.size)
    need = capacity
    taken: list[I64] = []
    while cand.size > 4096:
        e = eff[cand]
        piv = np.partition(e, e.size // 2)[e.size // 2]
        above = e > piv
        if not above.any():
            break
        w_above = int(weight[cand[above]].sum())
        if w_above > need:
            cand = cand[above]
        else:
            need -= w_above
            taken.append(cand[above])
            cand = cand[~above]
    order = cand[np.argsort(-eff[cand], kind="stable")]
    cum = np.cumsum(weight[order])
    f = int(np.searchsorted(cum, need, side="right"))
    taken.append(order[:f])
    used = capacity - need + (int(cum[f - 1]) if f > 0 else 0)
    return np.concatenate(taken), order[f], used


def hull_steps(hull: _Hull) -> tuple[I64, F64, I64, I64]:
    """The hull's steps between consecutive points, rank-major (step rank, then group):
    ``(flat, eff, dp, dw)`` with ``flat`` each step's position ``rank * G + group``, ``dp``/
    ``dw`` its profit and weight increments and ``eff`` its float efficiency, ``min``-
    accumulated along each group's steps so that a group's steps stay in order under a sort
    (the LP greedy's order; the Dask engine's shards compute the very same floats)."""
    h, top, hp, hw = hull.hull, hull.length.astype(np.intp) - 1, hull.hp, hull.hw
    dp = np.diff(hp, axis=0)
    dw = np.diff(hw, axis=0)
    valid = np.arange(h.shape[0] - 1)[:, None] < top[None, :]
    eff = np.where(valid, dp / np.where(valid, dw, 1).astype(np.float64), -np.inf)
    eff = np.minimum.accumulate(eff, axis=0)
    flat = np.flatnonzero(valid.ravel())
    return flat, eff.ravel()[flat], dp.ravel()[flat], dw.ravel()[flat]


def more_efficient(eff: F64, dp: I64, dw: I64, dp_c: int, dw_c: int) -> Bool:
    """Exactly which steps have ``dp / dw > dp_c / dw_c``: a float filter on ``eff``, decided
    by exact 128-bit products where the float is within ``2**-40`` of the ratio."""
    lam_f = float(Fraction(dp_c, dw_c))
    hi = eff > lam_f * (1 + 2.0**-40)
    maybe = np.flatnonzero(~hi & (eff >= lam_f * (1 - 2.0**-40)))
    if maybe.size:
        n = maybe.size
        hi[maybe] = _prod_sign(dp[maybe], np.full(n, dw_c), np.full(n, dp_c), dw[maybe]) > 0
    return hi


def _relax(hull: _Hull, capacity: int | None) -> Relaxation:
    h, length, hp = hull.hull, hull.length, hull.hp
    g = h.shape[1]
    base = int(hp[0].sum())
    rows = np.arange(g)
    top = length.astype(np.intp) - 1
    if h.shape[0] == 1:
        plan = h[0].astype(np.int64)
        return Relaxation(Fraction(0), Fraction(base), plan, plan.copy(), capacity or 0, 0, False)
    flat, s_eff, s_dp, s_dw = hull_steps(hull)
    s_grp = flat % g
    total_w = int(s_dw.sum())
    if capacity is None or total_w <= capacity:
        plan = h[top, rows].astype(np.int64)
        bound = Fraction(base + int(s_dp.sum()))
        res = 0 if capacity is None else capacity - total_w
        return Relaxation(Fraction(0), bound, plan, plan.copy(), res, flat.size, False)
    taken, sf, used = _select(s_eff, s_dw, capacity)
    lam = Fraction(int(s_dp[sf]), int(s_dw[sf]))
    greedy_pos = np.bincount(s_grp[taken], minlength=g)
    greedy = h[greedy_pos, rows].astype(np.int64)
    in_s = np.flatnonzero(more_efficient(s_eff, s_dp, s_dw, int(s_dp[sf]), int(s_dw[sf])))
    sum_dp = int(s_dp[in_s].sum())
    sum_dw = int(s_dw[in_s].sum())
    bound = Fraction(base + sum_dp) + lam * (capacity - sum_dw)
    arg_pos = np.bincount(s_grp[in_s], minlength=g)
    argmax = h[arg_pos, rows].astype(np.int64)
    rank, grp = divmod(int(flat[sf]), g)
    critical = (grp, int(h[rank, grp]), int(h[rank + 1, grp]))
    return Relaxation(lam, bound, argmax, greedy, capacity - used, flat.size, True, critical)


def relax(profit: I64, weight: I64, feasible: Bool, capacity: int | None) -> Relaxation | None:
    """Exact LP relaxation of ``max sum profit[g, x_g] s.t. sum weight[g, x_g] <= capacity``.

    The reusable core of the solver (hull + greedy), for any integer ``profit`` (e.g. values
    minus integer-scaled Lagrangian prices of side constraints: with ``mu = N / D`` on
    ``sum coef[g, x_g] <= rhs``, pass ``D * value - N * coef`` and read
    ``(bound + N * rhs) / D`` as a valid bound of the constrained problem) and ``weight >= 0``.
    Weights are shifted per group so that the cheapest feasible option weighs 0; the returned
    ``bound``, ``lam`` and option indices refer to the arrays as given. ``None`` when even the
    lightest plan exceeds ``capacity``. Totals must respect the solver's 2**61 limit.
    """
    big = np.iinfo(np.int64).max
    wmin = np.where(feasible, weight, big).min(axis=1)
    p = np.where(feasible, profit, 0)
    w = np.where(feasible, weight - wmin[:, None], _SENTINEL)
    cap = None if capacity is None else capacity - int(wmin.sum())
    if cap is not None and cap < 0:
        return None
    return _relax(_build_hull(p, w, feasible), cap)


# ----------------------------------------------------------------------------- incumbent


def _fill(
    p: I64, w: I64, und: Bool, plan: I64, residual: int, max_moves: int = 256
) -> tuple[I64, int, int]:
    """Spend leftover capacity: repeatedly apply the single move with the largest profit gain."""
    plan = plan.copy()
    if residual <= 0:
        return plan, residual, 0
    g = p.shape[0]
    cand_g: list[I64] = []
    cand_k: list[I64] = []
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        r = np.arange(s, e)
        pc, wc = p[r, plan[s:e]], w[r, plan[s:e]]
        dwc = w[s:e] - wc[:, None]
        ok = und[s:e] & (dwc > 0) & (dwc <= residual) & (p[s:e] > pc[:, None])
        gi, ki = np.nonzero(ok)
        cand_g.append(gi + s)
        cand_k.append(ki.astype(np.int64))
    cg = np.concatenate(cand_g)
    ck = np.concatenate(cand_k)
    moves = 0
    while cg.size and moves < max_moves:
        dpc = p[cg, ck] - p[cg, plan[cg]]
        dwc = w[cg, ck] - w[cg, plan[cg]]
        ok = (dpc > 0) & (dwc > 0) & (dwc <= residual)
        cg, ck, dpc, dwc = cg[ok], ck[ok], dpc[ok], dwc[ok]
        if cg.size == 0:
            break
        best = np.lexsort((ck, cg, dwc, -dpc))[0]
        plan[cg[best]] = ck[best]
        residual -= int(dwc[best])
        moves += 1
    return plan, residual, moves


# ----------------------------------------------------------------------------- fixing


@dataclass(frozen=True)
class _Core:
    """Groups with a second option whose reduced-profit loss may be within the slack."""

    groups: I64  # core group ids (ascending)
    loss: F64  # (len(groups), K) lower bound on each option's loss; +inf if eliminated, -inf at h


def _fix(p: I64, w: I64, und: Bool, argmax: I64, lam: Fraction, slack: Fraction) -> _Core:
    """Reduced-profit fixing: keep options whose loss ``r*_g - r[g, k]`` may be <= ``slack``.

    The loss is computed in float64 minus a rigorous rounding bound, so an option is dropped only
    when its exact loss exceeds the slack.
    """
    g, k = p.shape
    lam_f = float(lam)
    lim = _to_float_up(slack)
    groups: list[I64] = []
    losses: list[F64] = []
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        r = np.arange(e - s)
        am = argmax[s:e]
        pb, wb = p[s:e], w[s:e]
        dpk = (pb[r, am][:, None] - pb).astype(np.float64)
        dwk = (wb[r, am][:, None] - wb).astype(np.float64)
        loss = dpk - lam_f * dwk
        loss -= (np.abs(dpk) + lam_f * np.abs(dwk)) * 2.0**-48  # exact loss >= this
        keep = und[s:e] & (loss <= lim)
        keep[r, am] = False
        ci = np.flatnonzero(keep.any(axis=1))
        if ci.size:
            lo = np.where(keep[ci], loss[ci], np.inf)
            lo[np.arange(ci.size), am[ci]] = -np.inf
            groups.append(ci + s)
            losses.append(lo)
    return _Core(
        np.concatenate(groups) if groups else np.zeros(0, np.int64),
        np.concatenate(losses) if losses else np.zeros((0, k), np.float64),
    )


# ----------------------------------------------------------------------------- exact core DP


@dataclass(frozen=True)
class _DpResult:
    outcome: Literal["found", "none", "aborted"]
    groups: I64  # groups whose option differs from the argmax plan's (when found)
    options: I64
    profit: int
    layers: int
    peak_states: int
    total_states: int


def _dp(
    p: I64,
    w: I64,
    argmax: I64,
    groups: I64,
    keep: Bool,
    lam: Fraction,
    p0: int,
    c0: int,
    target: int,
    deadline: float | None,
    max_states: int,
    max_total: int,
) -> _DpResult:
    """Best plan of profit >= ``target``, or a proof that there is none (exact).

    Every group starts at its reduced-profit argmax (plan profit ``p0``, residual capacity
    ``c0``); ``groups`` may switch to their ``keep`` options. States are (weight change, profit
    change) pairs; after each group only Pareto-undominated states survive, and a state is
    pruned when even the LP of the remaining groups cannot lift it to ``target``: from the
    argmax, extra capacity ``c >= 0`` buys profit at most at the best remaining forward
    efficiency ``lam+ <= lam``, and a deficit ``c < 0`` costs at least the smallest remaining
    backward efficiency ``lam- >= lam``. Groups are processed nearest-to-``lam`` first, so the
    remaining groups' efficiencies are far from ``lam`` and the bound is tight.
    """
    empty = np.zeros(0, np.int64)
    m = groups.size
    hg = argmax[groups]
    d_w = np.where(keep, w[groups] - w[groups, hg][:, None], 0)
    d_p = np.where(keep, p[groups] - p[groups, hg][:, None], 0)
    fwd_m = keep & (d_w > 0)
    bwd_m = keep & (d_w < 0)
    fwd = np.where(fwd_m, d_p / np.where(fwd_m, d_w, 1), 0.0).max(axis=1)
    bwd = np.where(bwd_m, d_p / np.where(bwd_m, d_w, 1), np.inf).min(axis=1)
    lam_f = float(lam)
    score = np.minimum(np.where(fwd_m.any(axis=1), lam_f - fwd, np.inf), bwd - lam_f)
    order = np.argsort(score, kind="stable")
    fwd, bwd = fwd[order], bwd[order]
    lam_plus = np.maximum.accumulate(np.append(fwd, 0.0)[::-1])[::-1] * (1 + 2.0**-48)
    lam_minus = np.minimum.accumulate(np.append(bwd, np.inf)[::-1])[::-1] * (1 - 2.0**-48)
    base = p0 - target
    sw = np.zeros(1, np.int64)
    sp = np.zeros(1, np.int64)
    parents: list[npt.NDArray[np.int32]] = []
    opts: list[npt.NDArray[np.int16]] = []
    peak = total = 0
    for i in range(m):
        row = order[i]
        ks = np.flatnonzero(keep[row])  # includes the argmax option (change 0, 0)
        n_s = sw.size
        cw = (sw[None, :] + d_w[row, ks][:, None]).ravel()
        cp = (sp[None, :] + d_p[row, ks][:, None]).ravel()
        o = np.lexsort((-cp, cw))
        cw, cp = cw[o], cp[o]
        und = np.empty(cw.size, dtype=np.bool_)
        und[0] = True
        und[1:] = cp[1:] > np.maximum.accumulate(cp)[:-1]
        c = c0 - cw
        a = (base + cp).astype(np.float64)
        ext = np.empty(c.size, dtype=np.float64)
        pos = c >= 0
        ext[pos] = lam_plus[i + 1] * c[pos].astype(np.float64)
        neg = ~pos
        ext[neg] = (
            -np.inf if np.isinf(lam_minus[i + 1]) else lam_minus[i + 1] * c[neg].astype(np.float64)
        )
        ub = a + ext
        alive = und & (ub >= -(np.abs(a) + np.abs(ext)) * 2.0**-49)
        o = o[alive]
        sw, sp = cw[alive], cp[alive]
        parents.append((o % n_s).astype(np.int32))
        opts.append(ks[o // n_s].astype(np.int16))
        peak = max(peak, sw.size)
        total += sw.size
        if sw.size == 0:
            return _DpResult("none", empty, empty, 0, i + 1, peak, total)
        if (
            sw.size > max_states
            or total > max_total
            or (deadline is not None and time.perf_counter() > deadline)
        ):
            return _DpResult("aborted", empty, empty, 0, i + 1, peak, total)
    j = int(np.searchsorted(sw, c0, side="right")) - 1
    if j < 0 or p0 + int(sp[j]) < target:
        return _DpResult("none", empty, empty, 0, m, peak, total)
    profit = p0 + int(sp[j])
    chosen = np.empty(m, dtype=np.int64)
    for i in range(m - 1, -1, -1):
        chosen[order[i]] = opts[i][j]
        j = int(parents[i][j])
    return _DpResult("found", groups, chosen, profit, m, peak, total)


# ----------------------------------------------------------------------------- CP-SAT core


@dataclass(frozen=True)
class _SubResult:
    plan: I64 | None  # option per sub-problem group (None: no solution found)
    proven: bool  # the sub-problem was solved to optimality or proven infeasible
    bound: int | None  # upper bound on the sub-problem's profit (None: proven infeasible)
    wall: float


def _solve_sub(
    p: I64,
    w: I64,
    groups: I64,
    keep: Bool,
    capacity: int,
    hint: I64,
    deadline: float | None,
    num_workers: int,
) -> _SubResult:
    """Exact: maximise sum p[g, x_g] over ``groups`` (options where ``keep``), sum w <= capacity.

    One boolean per (group, kept option), exactly one per group, one knapsack row. Coefficients
    are shifted by per-group minima (same optimum, smaller numbers for CP-SAT's LP).
    """
    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    start = time.perf_counter()
    n = groups.size
    gi, ki = np.nonzero(keep)  # row-major: options of a group are contiguous, ascending
    gg = groups[gi]
    pv, wv = p[gg, ki], w[gg, ki]
    big = np.iinfo(np.int64).max
    pmin = np.full(n, big, dtype=np.int64)
    wmin = np.full(n, big, dtype=np.int64)
    np.minimum.at(pmin, gi, pv)
    np.minimum.at(wmin, gi, wv)
    cap = capacity - int(wmin.sum())
    offset = int(pmin.sum())
    if cap < 0:
        return _SubResult(None, True, None, time.perf_counter() - start)
    pc = (pv - pmin[gi]).tolist()
    wc = (wv - wmin[gi]).tolist()
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(gi.size)]
    starts = np.searchsorted(gi, np.arange(n + 1)).tolist()
    for j in range(n):
        model.add_exactly_one(xs[starts[j] : starts[j + 1]])
    hinted = (ki == hint[gi]).tolist()
    for x, hv in zip(xs, hinted, strict=True):
        model.add_hint(x, hv)
    model.add(cp_model.LinearExpr.weighted_sum(xs, wc) <= cap)
    model.maximize(cp_model.LinearExpr.weighted_sum(xs, pc))
    solver = cp_solver(None, num_workers=num_workers)
    prm = solver.parameters
    if deadline is not None:
        left = deadline - time.perf_counter()  # building the model counts against the limit
        if left <= 0:
            return _SubResult(None, False, None, time.perf_counter() - start)
        prm.max_time_in_seconds = left
    code = solver.solve(model)
    wall = time.perf_counter() - start
    if code == cp_model.INFEASIBLE:
        return _SubResult(None, True, None, wall)
    raw = float(solver.best_objective_bound)
    bound = offset + int(np.floor(raw + abs(raw) * 2.0**-50)) + 1  # conservative (float bound)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _SubResult(None, False, bound, wall)
    vals = np.fromiter((solver.boolean_value(x) for x in xs), dtype=np.bool_, count=len(xs))
    plan = np.empty(n, dtype=np.int64)
    plan[gi[vals]] = ki[vals]
    if code == cp_model.OPTIMAL:
        bound = offset + int(np.sum(np.asarray(pc, dtype=np.int64)[vals]))
    return _SubResult(plan, code == cp_model.OPTIMAL, bound, wall)


# ----------------------------------------------------------------------------- driver


def _validate(problem: MckpProblem) -> tuple[I64, I64, Bool]:
    cost = np.asarray(problem.cost)
    value = np.asarray(problem.value)
    feas = np.asarray(problem.feasible)
    if problem.objective not in ("max_value", "min_cost"):
        raise InputError("unknown objective", key="objective", value=problem.objective)
    for name, arr in (("cost", cost), ("value", value)):
        if arr.ndim != 2:
            raise InputError(f"{name} must be a (groups, options) array", key=name, value=arr.shape)
        if not np.issubdtype(arr.dtype, np.integer):
            raise InputError(
                f"{name} must be integers",
                key=name,
                value=str(arr.dtype),
                hint="scale money/quality to integer units before solving",
            )
    if feas.dtype != np.bool_:
        raise InputError("feasible must be a boolean array", key="feasible", value=str(feas.dtype))
    if not (cost.shape == value.shape == feas.shape):
        raise InputError(
            "cost, value and feasible must have the same shape",
            key="cost",
            value=(cost.shape, value.shape, feas.shape),
        )
    g, k = cost.shape
    if k == 0 and g > 0:
        raise InputError("every group needs at least one option", key="feasible", value=(g, k))
    if k > np.iinfo(np.int16).max:
        raise InputError("too many options per group", key="cost", value=k)
    cost = cost.astype(np.int64, copy=False)
    value = value.astype(np.int64, copy=False)
    if g == 0:
        return cost, value, feas
    empty = np.flatnonzero(~feas.any(axis=1))
    if empty.size:
        raise InputError(
            "a group has no feasible option",
            key=("feasible", int(empty[0])),
            hint="drop the query or allow at least one model",
        )
    return cost, value, feas


def _canonical(cost: I64, value: I64, feas: Bool, maximize: bool) -> tuple[I64, I64, I64]:
    """(profit, weight, per-group offset) of the canonical form, built chunk by chunk.

    ``offset`` is the per-group min cost (max_value) or max value (min_cost). Also checks that
    costs are >= 0 and that the exact sums stay below 2**61. Infeasible cells get profit 0 and
    weight ``_SENTINEL`` whatever the input held there.
    """
    g, k = cost.shape
    p = np.empty((g, k), dtype=np.int64)
    w = np.empty((g, k), dtype=np.int64)
    offset = np.empty(g, dtype=np.int64)
    cmax_total = vabs_total = 0.0
    big = np.iinfo(np.int64).max
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        c, v, f = cost[s:e], value[s:e], feas[s:e]
        neg = f & (c < 0)
        if neg.any():
            g0, k0 = np.argwhere(neg)[0]
            raise InputError(
                "costs must be >= 0",
                key=("cost", int(g0) + s, int(k0)),
                value=int(c[g0, k0]),
            )
        cmax_total += float(np.where(f, c, 0).max(axis=1).astype(np.float64).sum())
        vabs = np.where(f, np.abs(v), 0)
        if np.any(f & (v == np.iinfo(np.int64).min)):
            vabs_total = float(_LIMIT)
        vabs_total += float(vabs.max(axis=1).astype(np.float64).sum())
        if maximize:
            off = np.where(f, c, big).min(axis=1)
            p[s:e] = np.where(f, v, 0)
            w[s:e] = np.where(f, c - off[:, None], _SENTINEL)
        else:
            off = np.where(f, v, -big).max(axis=1)
            p[s:e] = np.where(f, -c, 0)
            w[s:e] = np.where(f, off[:, None] - v, _SENTINEL)
        offset[s:e] = off
    if cmax_total >= _LIMIT or vabs_total >= _LIMIT:
        raise InputError(
            "costs or values too large for exact int64 sums (limit 2**61 over all groups)",
            key="cost" if cmax_total >= _LIMIT else "value",
            hint="use a coarser integer unit",
        )
    return p, w, offset


def _start_plan(p: I64, w: I64, feas: Bool) -> I64:
    """Weight-0 option of maximal profit per group (lowest index on ties)."""
    cand = feas & (w == 0)
    best: I64 = np.where(cand, p, np.iinfo(np.int64).min).argmax(axis=1).astype(np.int64)
    return best


def _profit(a: I64, plan: I64) -> int:
    return int(a[np.arange(a.shape[0]), plan].sum())


def solve_mckp(
    problem: MckpProblem,
    *,
    time_limit_s: float | None = None,
    core_limit: int = 100_000,
    num_workers: int = 1,
) -> MckpResult:
    """Solve ``problem`` exactly (see the module docstring for the method and the proof).

    ``core_limit`` caps the number of core groups handed to CP-SAT when the exact DP exceeds its
    state limit; above it (or at the time limit) the plan is returned as ``feasible`` with its
    proven gap. ``time_limit_s`` bounds the exact phase (the DP checks it after every group,
    CP-SAT gets what is left after building its model); the numpy phases before it always run
    to completion (about 5 s for 1M x 20 on two cores). ``num_workers`` is passed to CP-SAT
    (with ``interleave_search`` when > 1, which keeps it deterministic). Raises ``InputError``
    for malformed arrays and ``SolverLimitError`` when a secondary constraint (a budget with
    min_cost, a floor with max_value) cannot be decided within the limits.
    """
    t0 = time.perf_counter()
    cost, value, feas = _validate(problem)
    g, k = cost.shape
    maximize = problem.objective == "max_value"
    stats: dict[str, float | int] = {"groups": g, "options": k}

    # canonical form: maximise p s.t. sum w <= cap, w >= 0 with a weight-0 option per group
    p, w, offset = _canonical(cost, value, feas, maximize)
    if maximize:
        cap = None if problem.budget is None else int(problem.budget) - int(offset.sum())
    else:
        cap = None if problem.min_value is None else int(offset.sum()) - int(problem.min_value)
    stats["t_prepare"] = time.perf_counter() - t0

    lam_box: list[Fraction] = [Fraction(0)]  # the LP's price, once known
    core_box: list[_Core | None] = [None]

    def finish(plan: I64, status: Status, ub: int | None, lp: Fraction | None) -> MckpResult:
        obj_p = _profit(p, plan) if g else 0
        objective = obj_p if maximize else -obj_p
        bound_exact = None if ub is None else (ub if maximize else -ub)
        lp_out = None if lp is None else (lp if maximize else -lp)
        # secondary constraint: checked on the (proven) optimum
        if status != "infeasible":
            if maximize and problem.min_value is not None and objective < problem.min_value:
                if status != "optimal" and ub is not None and ub >= problem.min_value:
                    raise SolverLimitError(
                        "no plan meeting the value floor found within the limits",
                        key="min_value",
                        value=problem.min_value,
                    )
                status, bound_exact = "infeasible", None
            if not maximize and problem.budget is not None and objective > problem.budget:
                if status != "optimal" and ub is not None and -ub <= problem.budget:
                    raise SolverLimitError(
                        "no plan within the budget found within the limits",
                        key="budget",
                        value=problem.budget,
                    )
                status, bound_exact = "infeasible", None
        stats["wall_s"] = time.perf_counter() - t0
        if status == "infeasible" or bound_exact is None:
            return Solution(status, plan, objective, None, None, method="mckp",
                            wall_s=stats["wall_s"], stats=stats, lp_bound=lp_out)  # fmt: skip
        t_cert = time.perf_counter()
        cert = _certificate(maximize, lam_box[0], lp_out, core_box[0], lp, obj_p, status)
        status2, bound2, gap = settle("max" if maximize else "min", objective, bound_exact, cert)
        assert status2 == status or status != "optimal"
        slack = _slack(problem, cost, value, plan, objective)
        stats["t_certificate"] = time.perf_counter() - t_cert
        return Solution(
            status=status2,
            x=plan,
            objective=objective,
            bound=bound2,
            gap=gap,
            certificate=cert,
            slack=slack,
            method="mckp",
            wall_s=stats["wall_s"],
            stats=stats,
            lp_bound=lp_out,
        )

    if g == 0:
        empty = np.zeros(0, dtype=np.int64)
        if cap is not None and cap < 0:
            return finish(empty, "infeasible", None, None)
        return finish(empty, "optimal", 0, Fraction(0))
    if cap is not None and cap < 0:
        return finish(_start_plan(p, w, feas), "infeasible", None, None)

    t = time.perf_counter()
    hull = _build_hull(p, w, feas)
    stats["t_hull"] = time.perf_counter() - t
    stats["undominated"] = int(hull.undominated.sum())
    stats["hull_points"] = int(hull.length.sum())
    t = time.perf_counter()
    rel = _relax(hull, cap)
    stats["t_lp"] = time.perf_counter() - t
    stats["lp_steps"] = rel.n_steps
    stats["lp_bound"] = float(rel.bound)
    lp = rel.bound
    lam_box[0] = rel.lam
    ub = _floor(lp)
    if not rel.binding:
        return finish(rel.greedy, "optimal", ub, lp)
    assert cap is not None  # a binding relaxation has a capacity

    t = time.perf_counter()
    stats["greedy"] = _profit(p, rel.greedy) if maximize else -_profit(p, rel.greedy)
    plan, _, moves = _fill(p, w, hull.undominated, rel.greedy, rel.residual)
    z = _profit(p, plan)
    stats["t_fill"] = time.perf_counter() - t
    stats["fill_moves"] = moves
    stats["incumbent_initial"] = z if maximize else -z

    # Exact phase (:func:`exact_core`) on the core groups' rows only.
    deadline = None if time_limit_s is None else t0 + time_limit_s
    argmax = rel.argmax
    rows = np.arange(g)
    t = time.perf_counter()
    core = _fix(p, w, hull.undominated, argmax, rel.lam, lp - (z + 1)) if z < ub else None
    core_box[0] = core
    stats["t_fix"] = time.perf_counter() - t
    stats["core_groups"] = 0 if core is None else int(core.groups.size)
    stats["core_options"] = 0 if core is None else int(np.isfinite(core.loss).sum())
    sel = np.zeros(0, np.int64) if core is None else core.groups
    p0, c0 = int(p[rows, argmax].sum()), cap - int(w[rows, argmax].sum())
    loss = None if core is None else core.loss
    question = CoreInput(p[sel], w[sel], argmax[sel], plan[sel], loss, rel.lam, lp, p0, c0, z, ub)
    out = exact_core(question, deadline=deadline, core_limit=core_limit,
                     num_workers=num_workers, stats=stats)  # fmt: skip
    if out.switch is not None:
        plan = argmax.copy()
        plan[sel] = out.switch
    return finish(plan, out.status, out.ub, lp)


@dataclass(frozen=True)
class CoreInput:
    """The exact phase's question, restricted to the core groups.

    Rows are the core groups (those ``_fix`` kept with a second option), in ascending order of
    the whole problem's groups: their canonical ``p``/``w`` rows, their LP-argmax and incumbent
    options, and ``loss`` (``_fix``'s lower bounds; ``None`` when there is no core). The rest are
    whole-problem figures: the dual ``lam``, the LP value ``lp``, the argmax plan's profit ``p0``
    and residual capacity ``c0``, the incumbent's profit ``z`` and the integer bound ``ub``.
    Every other group stays at its argmax option in any plan the phase builds, so these rows and
    figures are all it reads (the Dask engine gathers exactly them from its workers).
    """

    p: I64
    w: I64
    argmax: I64
    incumbent: I64
    loss: F64 | None
    lam: Fraction
    lp: Fraction
    p0: int
    c0: int
    z: int
    ub: int


@dataclass(frozen=True)
class CoreOutcome:
    """``status``/``ub``/``z`` after the exact phase; ``switch``: ``None`` when the plan is the
    incumbent, else the core groups' options of a plan that is the argmax elsewhere."""

    status: Status
    ub: int
    z: int
    switch: I64 | None


def exact_core(
    q: CoreInput,
    *,
    deadline: float | None,
    core_limit: int,
    num_workers: int,
    stats: dict[str, float | int],
) -> CoreOutcome:
    """Bound-driven deepening on the core (module docstring, step 5).

    Targets T = floor(L) - depth (depth from gap/512, growing): "is there a plan of profit
    >= T?" only involves options of loss <= L - T, so early questions are tiny. A DP answer
    "found" is the optimum; "none" lowers ub to T - 1; an aborted DP (state limit) hands the
    same restricted question to CP-SAT. Fills the ``t_dp``/``t_cpsat``/``dp_*`` statistics.
    """
    p, w, argmax, lam, lp = q.p, q.w, q.argmax, q.lam, q.lp
    z, ub, cur, switch = q.z, q.ub, q.incumbent, None
    status: Status = "feasible"
    t_dp = cpsat_wall = 0.0
    runs = dp_layers = dp_peak = dp_total = 0
    top_target = ub
    depth = (ub - (z + 1)) // 512  # targets: top_target - depth, depth growing
    groups = np.arange(p.shape[0])
    while q.loss is not None:
        if z >= ub:
            status, ub = "optimal", z
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        target = max(z + 1, top_target - depth)
        sel = q.loss <= _to_float_up(lp - target)
        in_run = sel.sum(axis=1) >= 2
        run_groups, run_keep = groups[in_run], sel[in_run]
        runs += 1
        t = time.perf_counter()
        res = _dp(p, w, argmax, run_groups, run_keep, lam, q.p0, q.c0, target, deadline,
                  _DP_MAX_STATES, _DP_MAX_TOTAL)  # fmt: skip
        t_dp += time.perf_counter() - t
        dp_layers += res.layers
        dp_peak = max(dp_peak, res.peak_states)
        dp_total += res.total_states
        if res.outcome == "found":
            switch = argmax.copy()
            switch[res.groups] = res.options
            z = res.profit
            status, ub = "optimal", z
            break
        if res.outcome == "none":
            ub = target - 1
            # the DP's work grows steeply with the depth: double it while runs are cheap, then
            # advance by a quarter (at least one integer step)
            depth = 2 * depth + 1 if res.total_states < 200_000 else depth + max(1, depth // 4)
            continue
        # DP aborted: CP-SAT on the same restricted question, if small enough and time is left
        if run_groups.size > core_limit:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        # the groups outside the run stay at their argmax: capacity c0 plus the run's argmax use
        sub_cap = q.c0 + int(w[run_groups, argmax[run_groups]].sum())
        sub = _solve_sub(p, w, run_groups, run_keep, sub_cap, cur[run_groups], deadline,
                         num_workers)  # fmt: skip
        cpsat_wall += sub.wall
        stats["cpsat_groups"] = int(run_groups.size)
        fixed = q.p0 - int(p[run_groups, argmax[run_groups]].sum())
        if sub.plan is not None:
            cz = fixed + int(p[run_groups, sub.plan].sum())
            if cz > z:
                switch = argmax.copy()
                switch[run_groups] = sub.plan
                cur, z = switch, cz
        if sub.proven:
            if z >= target:
                status, ub = "optimal", z
                break
            ub = target - 1
            depth = depth + max(1, depth // 4)
            continue
        if sub.bound is not None:
            ub = min(ub, max(target - 1, fixed + sub.bound))
        break
    if z >= ub:
        status, ub = "optimal", z
    stats["t_dp"] = t_dp
    stats["t_cpsat"] = cpsat_wall
    stats["dp_runs"] = runs
    stats["dp_layers"] = dp_layers
    stats["dp_peak_states"] = dp_peak
    stats["dp_total_states"] = dp_total
    return CoreOutcome(status, ub, z, switch)


def _certificate(
    maximize: bool,
    lam: Fraction,
    d: Fraction | None,
    core: _Core | None,
    lp: Fraction | None,
    z: int,
    status: str,
) -> Certificate:
    """Prices and proof of a solved problem (``docs/certificate.md``). ``lp``/``z``: the LP
    value and the plan's profit in canonical form. ``core``: the fixing the exact phase used
    (threshold ``lp - (z0 + 1)`` for the initial incumbent ``z0 <= z``), narrowed here to the
    groups with two or more options of loss bound ``<= S = lp - (z + 1)``."""
    label = "budget" if maximize else "quality"
    prices = {label: lam} if lam > 0 else {}
    proof: Proof = "search"
    threshold: Fraction | None = None
    groups: tuple[int, ...] | None = None
    if status == "optimal" and lp is not None:
        if _floor(lp) == z:
            proof = "lagrangian"
        elif core is not None:
            proof = "core"
            threshold = lp - (z + 1)
            sel = core.loss <= _to_float_up(threshold)
            groups = tuple(int(v) for v in core.groups[sel.sum(axis=1) >= 2])
    return Certificate("max" if maximize else "min", prices, d, proof, threshold, groups)


def _slack(
    problem: MckpProblem, cost: I64, value: I64, plan: I64, objective: int
) -> dict[str, Fraction]:
    rows = np.arange(cost.shape[0])
    out: dict[str, Fraction] = {}
    total_cost = int(cost[rows, plan].sum()) if cost.shape[0] else 0
    total_value = int(value[rows, plan].sum()) if cost.shape[0] else 0
    if problem.budget is not None:
        out["budget"] = Fraction(int(problem.budget) - total_cost)
    if problem.min_value is not None:
        out["quality"] = Fraction(total_value - int(problem.min_value))
    del objective
    return out
