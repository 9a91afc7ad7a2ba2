"""The LP relaxation of the canonical MCKP (maximise profit s.t. weight <= capacity).

Contract: every function here takes canonical arrays (``profit``/``weight`` int64 of shape
(G, K), every weight >= 0 with a weight-0 option per group, infeasible cells at weight
``_SENTINEL``; :func:`relax` does that shift itself) and is exact: slope and ratio comparisons
use 128-bit products (``_prod_sign``), the bound is a ``Fraction``. ``_build_hull`` gives each
group's undominated options and upper convex hull (steps 1 of :mod:`costplan.solvers.mckp`),
``_relax`` the greedy LP over the hull steps with its dual ``lam``, exact Lagrangian bound,
reduced-profit argmax and rounded-down greedy plan (step 2). ``hull_steps`` and
``more_efficient`` are the pieces the Dask engine's shards reuse so that they compute the very
same floats and decisions. No solver state; nothing here imports the rest of the solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

__all__ = ["Relaxation", "hull_steps", "more_efficient", "relax"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_SENTINEL = np.int64(2**62)  # weight of an infeasible option, above every real weight
_CHUNK = 1 << 16  # groups per vectorised chunk (bounds temporaries, keeps them in cache)
_REL_EPS = 2.0**-46  # relative margin for float comparisons that are then confirmed exactly
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


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
