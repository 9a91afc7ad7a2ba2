"""The LP of one priced evaluation, solved on the queries whose choice can still move.

``relax(p, w, feas, cap)`` rebuilds every query's hull. Near a price already evaluated most
queries' choice cannot change: given an interval ``[L0, L1]`` (integers, ``0 <= L0 <= L1``)
believed to hold the LP's primary price, a query whose reduced profit ``p - L w`` has the same
*unique* maximiser ``k_g`` at ``L0`` and at ``L1`` has it at every ``L`` in between (each
difference ``(p_j - L w_j) - (p_k - L w_k)`` is linear in ``L``, negative at both ends). Call
those queries fixed (F) and solve the LP on the others with the capacity ``cap - W_F``
(``W_F``, ``P_F`` the fixed queries' weight and profit at ``k_g``). If its price ``lam_r`` lies
in ``[L0, L1]``:

* ``L(lam_r) = lam_r cap + sum_g max_k (p - lam_r w) = P_F + L_r(lam_r) = P_F + bound_r``
  (the fixed queries' maxima are their ``k_g`` at ``lam_r``), and ``L(lam)`` bounds the LP for
  every ``lam >= 0``;
* the fixed choices with the restricted LP's optimum are a feasible LP solution of the whole
  problem of value ``P_F + bound_r``.

So ``P_F + bound_r`` *is* the LP optimum of the whole problem, exactly, and ``lam_r`` its
price; the fixed choices with the restricted greedy plan weigh at most ``W_F + (cap - W_F)``.
Otherwise (``lam_r`` outside, no free query, no restricted plan) ``None``: the caller solves
the whole LP. Everything is exact integer arithmetic (int64 guarded by the caller's bound on
``|p| + L1 |w|``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp import relax

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
_LOW = np.iinfo(np.int64).min
#: Rows per block wherever the side-row search scans every query (the corner checks here,
#: ``first_price``, ``sidelag.improve``): temporaries of a few MB, reused, not (G, K) arrays.
BLOCK_ROWS = 1 << 16


@dataclass(frozen=True)
class Near:
    """The whole problem's LP optimum ``bound`` and price ``lam`` (in ``p``'s units), the
    greedy plan, and how many queries were solved (``free``)."""

    bound: Fraction
    lam: Fraction
    greedy: I64
    free: int


def fixed_choice(p: I64, w: I64, feas: Bool, l0: int, l1: int,
                 scale: int = 1) -> tuple[I64, Bool]:  # fmt: skip
    """Each query's maximiser of ``p - L w`` at ``L = l0 / scale`` and whether it is the
    unique one at both ``l0 / scale`` and ``l1 / scale`` (then at every ``L`` between);
    compared as ``scale p - l w`` (the caller keeps ``scale |p| + l1 |w|`` below 2**62)."""
    choice = np.zeros(p.shape[0], dtype=np.int64)
    fixed = np.zeros(p.shape[0], dtype=np.bool_)
    lams = [l0] if l0 == l1 else [l0, l1]
    for s in range(0, p.shape[0], BLOCK_ROWS):
        sl = slice(s, s + BLOCK_ROWS)
        v = p[sl] * scale if scale != 1 else p[sl]
        choice[sl], fixed[sl] = _same_argmax([v], w[sl], feas[sl], lams)
    return choice, fixed


def _same_argmax(vs: list[I64], w: I64, feas: Bool, lams: list[int]) -> tuple[I64, Bool]:
    """Each row's maximiser of ``v - lam w`` at the first corner (``vs[0]``, ``lams[0]``) and
    whether it is the unique one at every corner (every ``v`` with every ``lam``), among the
    feasible options of rows that have one."""
    choice: I64 | None = None
    fixed = feas.any(axis=1)
    for v in vs:
        for lam in lams:
            q = np.where(feas, v - w * lam if lam else v, _LOW)
            arg = q.argmax(axis=1)
            top = np.take_along_axis(q, arg[:, None], axis=1)
            fixed &= (q == top).sum(axis=1) == 1
            if choice is None:
                choice = arg.astype(np.int64)
            else:
                fixed &= arg == choice
    assert choice is not None
    return choice, np.asarray(fixed, dtype=np.bool_)


def relax_near(p: I64, w: I64, feas: Bool, cap: int | None, l0: int, l1: int,
               scale: int = 1) -> Near | None:  # fmt: skip
    """The whole LP through the free queries only (module docstring), or ``None``. ``scale``:
    the interval is ``[l0 / scale, l1 / scale]`` (a finer grid than the integers; the caller
    keeps ``scale |p| + l1 |w|`` below 2**62)."""
    if cap is None:
        l0 = l1 = 0
    choice, fixed = fixed_choice(p, w, feas, l0, l1, scale)
    free = np.flatnonzero(~fixed)
    if free.size == 0 or free.size == p.shape[0]:
        return None
    at = np.flatnonzero(fixed)
    pf = exact_sum(p[at, choice[at]])
    wf = exact_sum(w[at, choice[at]])
    rel = relax(p[free], w[free], feas[free], None if cap is None else cap - wf)
    if rel is None or not (l0 <= rel.lam * scale <= l1):
        return None
    plan = choice.copy()
    plan[free] = rel.greedy
    return Near(rel.bound + pf, rel.lam, plan, int(free.size))


def exact_sum(x: npt.NDArray[np.int64]) -> int:
    """``sum(x)`` exactly: int64 when it cannot wrap, Python integers otherwise."""
    if x.size == 0:
        return 0
    if float(np.abs(x).max()) * x.size < 2.0**62:
        return int(x.sum())
    return int(x.astype(object).sum())


@dataclass(frozen=True)
class Box:
    """Queries fixed over a box of prices: row ``j``'s price in ``[nu_lo, nu_hi]``, the other
    rows' exactly ``nu``, the primary price in ``[lam_lo, lam_hi]`` (canonical units). The
    reduced value ``o - sum_r nu_r a_r - lam w`` is linear in the prices, so a query with the
    same unique maximiser at the box's four corners has it in the whole box (as in
    :func:`fixed_choice`). Kept: the free queries' arrays and the fixed ones' exact sums."""

    j: int
    nu: tuple[Fraction, ...]
    nu_lo: Fraction
    nu_hi: Fraction
    lam_lo: Fraction
    lam_hi: Fraction
    choice: I64
    free: I64
    obj: I64
    weight: I64
    feas: Bool
    coefs: list[I64]
    extra: list[I64]
    sums: tuple[int, int, list[int], list[int]]  # fixed: objective, weight, rows, extra rows


def make_box(obj: I64, weight: I64, feas: Bool, coefs: list[I64], extra: list[I64],
             nu: tuple[Fraction, ...], j: int, span: tuple[Fraction, Fraction, Fraction, Fraction],
             den: int, scale: int = 1) -> Box | None:  # fmt: skip
    """The box (class docstring) at ``den``'s grid (the primary price at ``den * scale``'s),
    rounded outwards; ``None`` when nothing is fixed. The caller keeps the corner values
    ``scale |v| + lam |w|`` below 2**62 (int64 cannot wrap)."""
    nu_lo, nu_hi, lam_lo, lam_hi = span
    n = [math.floor(v * den) for v in nu]
    if any(Fraction(n[r], den) != nu[r] for r in range(len(nu)) if r != j):
        return None
    nj = (math.floor(nu_lo * den), math.ceil(nu_hi * den))
    lams = [math.floor(lam_lo * den * scale), math.ceil(lam_hi * den * scale)]
    choice = np.zeros(obj.shape[0], dtype=np.int64)
    fixed = np.zeros(obj.shape[0], dtype=np.bool_)
    for s in range(0, obj.shape[0], BLOCK_ROWS):  # a block of rows at a time: small temporaries
        sl = slice(s, s + BLOCK_ROWS)
        base = obj[sl] * den
        for r, (c, nr) in enumerate(zip(coefs, n, strict=True)):
            if r != j and nr:
                base = base - c[sl] * nr
        vs = [base - coefs[j][sl] * m if m else base for m in nj]
        if scale != 1:
            vs = [v * scale for v in vs]
        choice[sl], fixed[sl] = _same_argmax(vs, weight[sl], feas[sl], lams)
    free = np.flatnonzero(~fixed)
    at = np.flatnonzero(fixed)
    if at.size == 0:
        return None
    ca = choice[at]
    rows = [exact_sum(c[at, ca]) for c in coefs]
    sums = (exact_sum(obj[at, ca]), exact_sum(weight[at, ca]), rows,
            [exact_sum(c[at, ca]) for c in extra])  # fmt: skip
    return Box(j, nu, nu_lo, nu_hi, lam_lo, lam_hi, choice, free, obj[free], weight[free],
               feas[free], [c[free] for c in coefs], [c[free] for c in extra], sums)  # fmt: skip


@dataclass(frozen=True)
class BoxLP:
    """The whole LP at one price vector, through a box: ``bound``/``lam`` in ``p``'s units
    (``p = den o - sum n_r a_r``), the plan, its exact row sums, extra-row sums, objective."""

    bound: Fraction
    lam: Fraction
    plan: I64
    lhs: tuple[int, ...]
    extra: tuple[int, ...]
    objective: int


def box_lp(box: Box, nu: tuple[Fraction, ...], den: int, n: list[int],
           cap: int | None) -> BoxLP | None:  # fmt: skip
    """The whole LP at ``nu = n / den`` from the box's free queries (exact as
    :func:`relax_near`: the fixed queries keep their choice because the price found lies in the
    box), or ``None`` (``nu`` or the price found outside the box; no restricted plan)."""
    if box.free.size == 0 or not box.nu_lo <= nu[box.j] <= box.nu_hi:
        return None
    if any(a != b for r, (a, b) in enumerate(zip(nu, box.nu, strict=True)) if r != box.j):
        return None
    o_f, w_f, a_f, e_f = box.sums
    p = box.obj * den
    for c, nr in zip(box.coefs, n, strict=True):
        if nr:
            p = p - c * nr
    rel = relax(p, box.weight, box.feas, None if cap is None else cap - w_f)
    if rel is None or not box.lam_lo * den <= rel.lam <= box.lam_hi * den:
        return None
    fixed_p = den * o_f - sum((nr * a for nr, a in zip(n, a_f, strict=True)), 0)
    g = rel.greedy
    at = np.arange(g.size)
    plan = box.choice.copy()
    plan[box.free] = g
    lhs = tuple(a + exact_sum(c[at, g]) for a, c in zip(a_f, box.coefs, strict=True))
    extra = tuple(e + exact_sum(c[at, g]) for e, c in zip(e_f, box.extra, strict=True))
    z = o_f + exact_sum(box.obj[at, g])
    return BoxLP(rel.bound + fixed_p, rel.lam, plan, lhs, extra, z)


def refine(box: Box, span: tuple[Fraction, Fraction, Fraction, Fraction], den: int,
           scale: int = 1) -> Box:  # fmt: skip
    """A narrower box inside ``box`` (``span`` within its own): only its free queries are
    checked at the new corners (the fixed ones stay fixed in any sub-box); ``box`` itself when
    none more is fixed (it stays valid for the narrower prices)."""
    sub = make_box(box.obj, box.weight, box.feas, box.coefs, box.extra, box.nu, box.j, span,
                   den, scale)  # fmt: skip
    if sub is None:
        return box
    choice = box.choice.copy()
    choice[box.free] = sub.choice
    (o, w, a, e), (so, sw, sa, se) = box.sums, sub.sums
    sums = (o + so, w + sw, [x + y for x, y in zip(a, sa, strict=True)],
            [x + y for x, y in zip(e, se, strict=True)])  # fmt: skip
    return Box(box.j, box.nu, *span, choice, box.free[sub.free], sub.obj, sub.weight, sub.feas,
               sub.coefs, sub.extra, sums)  # fmt: skip


def first_price(obj: npt.NDArray[Any], weight: npt.NDArray[Any], feas: Bool,
                coefs: list[npt.NDArray[Any]], mu: list[float], j: int, lam: float, plan: I64,
                excess: float, chunk: int = BLOCK_ROWS) -> float | None:  # fmt: skip
    """A guess (float, only to choose where to look first) of the least price of row ``j``
    meeting it with the primary price held at ``lam``: each query leaves its ``plan`` option
    ``c`` for the option ``k`` of lower row coefficient it reaches first as the price rises
    (least ``(r_c - r_k) / (a_c - a_k)``, ``r`` the reduced values at ``mu`` and ``lam``), and
    the guess is the price at which those moves first shed ``excess``; ``None`` when they never
    do. Processed ``chunk`` queries at a time (float64 copies of a slice only)."""
    ts: list[npt.NDArray[np.float64]] = []
    drops: list[npt.NDArray[np.float64]] = []
    for s in range(0, obj.shape[0], chunk):
        sl = slice(s, s + chunk)
        r = obj[sl].astype(np.float64) - lam * weight[sl].astype(np.float64)
        for i, (c, m) in enumerate(zip(coefs, mu, strict=True)):
            if m and i != j:
                r -= m * c[sl].astype(np.float64)
        a = coefs[j][sl].astype(np.float64)
        r -= mu[j] * a
        at = np.arange(r.shape[0])
        ch = plan[sl]
        gap = a[at, ch][:, None] - a
        ok = feas[sl] & (gap > 0)
        t = np.where(ok, (r[at, ch][:, None] - r) / np.where(ok, gap, 1.0), np.inf)
        k = t.argmin(axis=1)
        tk = t[at, k]
        keep = np.isfinite(tk)
        ts.append(np.maximum(tk[keep], 0.0))
        drops.append(gap[at, k][keep])
    t_all = np.concatenate(ts) if ts else np.zeros(0)
    order = np.argsort(t_all, kind="stable")
    cum = np.cumsum(np.concatenate(drops)[order]) if ts else np.zeros(0)
    idx = int(np.searchsorted(cum, excess))
    if idx >= cum.size:
        return None
    return mu[j] + float(t_all[order[idx]])
