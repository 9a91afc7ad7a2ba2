"""The class-level MCKP core's prices and exact bounds (no search: pure functions of the model).

The problem (see :mod:`costplan.solvers.classmckp`)::

    maximise    sum_o q_o x_o
    subject to  sum_{o in t} x_o = V_t,   sum_{o in t} (q_o - f_t) x_o >= 0     every task t
                sum_o b_o x_o <= B,       x_o >= 0 integer (x_o in {0, V_t} if not split)

1. *LP prices* (:func:`prices`). Per task, the (cost, quality) points a task can reach on
   average form a polygon: the hull of its options cut by ``quality >= f_t``; its vertices
   (:func:`floor_vertices`) are the options above the floor and the two-option mixes exactly
   at the floor. :func:`~costplan.solvers.mckp.relax` (the same hull + greedy as per-query
   allocation; a task is a group whose profit and weight are scaled by its volume) finds the
   step that binds the budget; its exact efficiency is the budget price ``lam``. Per task, the
   floor price ``mu_t`` (:func:`floor_price`) minimises ``max_o (q_o - lam b_o + mu_t (q_o -
   f_t))`` over ``mu_t >= 0`` (a 1-D convex piecewise-linear minimum at a crossing of two
   lines, recomputed exactly).
2. *Exact Lagrangian bound and penalties.* For **any** ``lam, mu >= 0`` and any feasible ``x``::

       Q(x) = D - sum_t P_t(x_t) - lam * (B - b.x),        D = lam B + sum_t V_t A_t,
       P_t(x_t) = sum_{o in t} d_o x_o + mu_t s_t(x_t) >= 0

   with ``a_o = q_o - lam b_o + mu_t (q_o - f_t)``, ``A_t = max a_o``, ``d_o = A_t - a_o >= 0``
   (:func:`task_prices`) and ``s_t`` the floor slack; :func:`penalty` is ``P_t`` exactly. ``D``
   (computed exactly with fractions) is a valid bound whatever float rounding chose ``lam``
   and ``mu``; it equals the LP optimum at the LP's prices.

:func:`relaxation_bound` is the bound on the *unscaled* problem that callers working at a money
scale above 1 fall back on. Everything returned is exact (``Fraction`` or ``int``); floats only
pick candidates that are then recomputed exactly.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp import relax

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem

I64 = npt.NDArray[np.int64]
LIMIT = 2**60  # totals fed to the MCKP core stay below its 2**61 limit


@dataclass(frozen=True)
class Prices:
    """Lagrangian prices and what they prove (all exact)."""

    lam: Fraction  # budget price
    mu: tuple[Fraction, ...]  # per-task floor price (0 without a floor)
    bound: Fraction  # D: upper bound on the optimal quality
    loss: tuple[Fraction, ...]  # d_o >= 0 per option
    critical: int | None  # the task whose LP step sets lam (None: the budget does not bind)


def floor_vertices(b: I64, q: I64, f: int) -> list[tuple[Fraction, int]]:
    """Vertices (cost, quality) per query of a task's polygon ``hull(options) & quality >= f``."""
    if f < 0:
        return [(Fraction(int(c)), int(v)) for c, v in zip(b, q, strict=True)]
    out = [(Fraction(int(c)), int(v)) for c, v in zip(b, q, strict=True) if v >= f]
    for i in range(len(b)):
        if q[i] <= f:
            continue
        for j in range(len(b)):
            if q[j] >= f:
                continue
            w = Fraction(f - int(q[j]), int(q[i]) - int(q[j]))  # share of option i
            out.append((int(b[j]) + w * (int(b[i]) - int(b[j])), f))
    return out


def floor_price(alpha: list[Fraction], beta: list[int]) -> Fraction:
    """``argmin_{mu >= 0} max_o alpha_o + mu beta_o``, exactly.

    The minimum of this convex piecewise-linear function is at 0 or where a line that does
    not fall (``beta >= 0``: an option at the floor counts, as it may be the only one meeting
    it) crosses a falling one; float picks the candidate, the crossing is then recomputed
    exactly (an exact price keeps exact ties, which the configurations rely on).
    """
    af = np.asarray([float(a) for a in alpha])
    bf = np.asarray(beta, dtype=np.float64)
    up, dn = np.flatnonzero(bf >= 0), np.flatnonzero(bf < 0)
    if not (up.size and dn.size):
        return Fraction(0)
    ii, jj = np.meshgrid(up, dn, indexing="ij")
    i, j = ii.ravel(), jj.ravel()
    mu = (af[j] - af[i]) / (bf[i] - bf[j])
    keep = mu > 0
    cands = np.concatenate([[0.0], mu[keep]])
    pair_i = np.concatenate([[-1], i[keep]])
    pair_j = np.concatenate([[-1], j[keep]])
    phi = (af[None, :] + cands[:, None] * bf[None, :]).max(axis=1)
    best = int(np.argmin(phi))
    if best == 0:
        return Fraction(0)
    bi, bj = int(pair_i[best]), int(pair_j[best])
    return max(Fraction(0), (alpha[bj] - alpha[bi]) / (beta[bi] - beta[bj]))


def prices(p: ClassProblem, budget_cost: I64) -> Prices | None:
    """Budget and floor prices from the LP, with the exact bound they prove.

    ``None`` when even the relaxation cannot meet the budget or a floor (then no plan can).
    """
    assert p.budget is not None
    n_task = len(p.volume)
    groups = [np.flatnonzero(p.task == t) for t in range(n_task)]
    # a task without queries meets any floor
    floor = [int(f) if int(n) > 0 else -1 for f, n in zip(p.floor, p.volume, strict=True)]
    verts = [floor_vertices(budget_cost[g], p.quality[g], floor[t]) for t, g in enumerate(groups)]
    if any(not v for v in verts):
        return None  # some task has no option reaching its floor
    width = max(len(v) for v in verts)
    # weights rounded down (and the capacity up) only make the relaxation looser, which keeps
    # its price a price; exactness comes from recomputing D below.
    top = sum(int(p.volume[t]) * (int(max(c for c, _ in v)) + 1) for t, v in enumerate(verts))
    scale = 1
    while top // scale >= LIMIT:
        scale *= 10
    profit = np.zeros((n_task, width), np.int64)
    weight = np.zeros((n_task, width), np.int64)
    feas = np.zeros((n_task, width), np.bool_)
    for t, vs in enumerate(verts):
        n = int(p.volume[t])
        for k, (c, v) in enumerate(vs):
            profit[t, k] = n * v
            weight[t, k] = math.floor(n * c / scale)
            feas[t, k] = True
    rel = relax(profit, weight, feas, -(-p.budget // scale))
    if rel is None:
        return None
    lam = Fraction(0)
    if rel.critical is not None:
        # The exact efficiency of the step that binds: the relaxation's weights were rounded,
        # but at the exact price the fractional task's two vertices tie exactly, which is what
        # makes its move a free line rather than thousands of near-free configurations.
        t, i, j = rel.critical
        (c_i, q_i), (c_j, q_j) = verts[t][i], verts[t][j]
        lam = Fraction(q_j - q_i) / (c_j - c_i) if c_j != c_i else rel.lam / scale
    # q - lam b as one Fraction each (the same values as the operator form, without its
    # intermediate Fractions: this runs over every option at every solve)
    ln, ld = lam.numerator, lam.denominator
    qs, bs = p.quality.tolist(), budget_cost.tolist()
    alphas = [[Fraction(qs[o] * ld - ln * bs[o], ld) for o in g.tolist()] for g in groups]
    mus, loss, best = task_prices(p, groups, floor, alphas)
    bound = lam * p.budget + sum(
        (int(n) * a for n, a in zip(p.volume, best, strict=True)), Fraction(0)
    )
    critical = None if rel.critical is None else rel.critical[0]
    return Prices(lam, tuple(mus), bound, tuple(loss), critical)


def task_prices(
    p: ClassProblem, groups: list[I64], floor: list[int], alphas: list[list[Fraction]]
) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    """Per task, from each option's priced profit ``alpha_o`` (``q - lam b`` or ``-cost``): the
    floor price ``mu_t``, each option's loss ``d_o = A_t - a_o`` with ``a_o = alpha_o + mu_t (q_o
    - f_t)``, and ``A_t = max a_o``. ``floor[t] < 0``: no floor (``mu_t = 0``)."""
    mus: list[Fraction] = []
    loss: list[Fraction] = [Fraction(0)] * len(p.cost)
    best: list[Fraction] = []
    for t, (g, alpha) in enumerate(zip(groups, alphas, strict=True)):
        beta = [int(p.quality[o]) - max(0, floor[t]) for o in g]
        mu = Fraction(0) if floor[t] < 0 else floor_price(alpha, beta)
        a = list(alpha) if mu == 0 else [al + mu * be for al, be in zip(alpha, beta, strict=True)]
        top = max(a)
        for o, ao in zip(g, a, strict=True):
            loss[int(o)] = top - ao
        mus.append(mu)
        best.append(top)
    return mus, loss, best


def relaxation_bound(p: ClassProblem) -> int:
    """A bound on the optimum of ``p`` at exact money (no scale), valid with or without side
    rows: the Lagrangian (LP) bound ``D`` without them for ``max_quality`` with a budget, else
    each task at its best polygon vertex (max quality, or the least cost meeting its floor).

    Used where a solver worked at a money scale above 1 and did not prove its plan: its own
    bound is then a bound on the scaled (more constrained) model, not on this one.
    """
    base = dataclasses.replace(p, extra=())
    best_q = sum(int(p.volume[t]) * int(p.quality[p.task == t].max()) for t in range(len(p.volume)))
    if p.objective == "max_quality":
        if p.budget is None:
            return best_q
        bcost = p.cost if p.budget_cost is None else p.budget_cost
        pr = prices(base, bcost)
        return best_q if pr is None else min(best_q, math.floor(pr.bound))
    total = Fraction(0)
    for t in range(len(p.volume)):
        g = np.flatnonzero(p.task == t)
        f = int(p.floor[t]) if p.volume[t] > 0 else -1
        verts = floor_vertices(p.cost[g], p.quality[g], f)
        total += int(p.volume[t]) * min((c for c, _ in verts), default=Fraction(0))
    return math.ceil(total)


def penalty(p: ClassProblem, t: int, opts: I64, pr: Prices, x: tuple[int, ...]) -> Fraction:
    """Exact ``P_t(x) = sum d_o x_o + mu_t * slack``."""
    f = int(p.floor[t])
    pen = sum((pr.loss[int(o)] * c for o, c in zip(opts, x, strict=True)), Fraction(0))
    if f >= 0 and pr.mu[t]:
        pen += pr.mu[t] * sum((int(p.quality[o]) - f) * c for o, c in zip(opts, x, strict=True))
    return pen
