"""The worker side of ``assign --engine dask``'s distributed solve: one shard's part of each
phase of :func:`costplan.solvers.mckp.solve_mckp`, with the solver's own functions.

Every function here runs on a worker, takes a shard's state (kept on that worker between
phases) and a few driver-sent figures, and returns small results: counts, exact sums, the
few steps tied with the critical one, and the rows of the groups the driver's fill or exact
core needs. Group indices sent to the driver are global (the shard's ``start`` added), so
that the driver's tie-breaks (lowest group first) are the single-process solver's.

The single-process LP greedy takes hull steps in a stable sort of their float efficiencies
``eff`` (``min``-accumulated along each group's steps), ties in order of (step rank, group):
the taken set is every step with ``eff > e*`` plus the steps with ``eff == e*`` that come
before the critical step in that order, where ``e*`` is the critical step's ``eff``. The
shard keeps its steps sorted by ``-eff`` with the cumulative weights, so every question of
the driver's search for ``e*`` is a binary search here.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp import _build_hull, _canonical, _fix, _Hull, hull_steps, more_efficient

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Shard:
    """One shard in canonical form with its hull and hull steps (see the module docstring)."""

    start: int
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    offset: I64
    p: I64
    w: I64
    hull: _Hull
    neg_eff: F64  # sorted ascending (-eff)
    order: I64  # step positions (rank-major within the shard) in that order
    cum_w: I64  # cumulative weights in that order
    s_dp: I64  # per step, rank-major: profit and weight increments, rank and local group
    s_dw: I64
    s_rank: I64
    s_grp: I64
    s_eff: F64
    correctness: tuple[bool, bool]  # (any quality given, every given quality 0 or 1)


@dataclass(frozen=True)
class Summary:
    """Whole-shard figures the driver adds up (canonical units)."""

    groups: int
    offset: int
    base: int  # profit of the weight-0 hull points
    undominated: int
    hull_points: int
    steps: int
    step_weight: int


def prepare(built: tuple[Any, Any], start: int, maximize: bool) -> Shard:
    """A shard's ``(query set, arrays)`` in canonical form with its hull and sorted steps."""
    from costplan.queries import QUALITY_SCALE

    qs, (_, cost, value, feasible, _) = built
    p, w, offset = _canonical(cost, value, feasible, maximize)
    hull = _build_hull(p, w, feasible)
    g = hull.hull.shape[1]
    flat, s_eff, s_dp, s_dw = hull_steps(hull)  # as mckp._relax: the same float per step
    s_rank, s_grp = np.divmod(flat, g) if g else (flat, flat)
    order = np.argsort(-s_eff, kind="stable")
    given = qs.quality_micro[qs.quality_micro >= 0]
    flags = (bool(given.size), bool(np.isin(given, (0, QUALITY_SCALE)).all()))
    return Shard(start, qs.ids, qs.tasks, offset, p, w, hull, -s_eff[order], order,
                 np.cumsum(s_dw[order]), s_dp, s_dw, s_rank.astype(np.int64),
                 s_grp.astype(np.int64), s_eff, flags)  # fmt: skip


def summary(s: Shard) -> Summary:
    return Summary(len(s.ids), int(s.offset.sum()), int(s.hull.hp[0].sum()),
                   int(s.hull.undominated.sum()), int(s.hull.length.sum()), int(s.s_dp.size),
                   int(s.s_dw.sum()))  # fmt: skip


def _w_before(s: Shard, neg: float, side: str) -> int:
    i = int(np.searchsorted(s.neg_eff, neg, side=side))  # type: ignore[call-overload]
    return int(s.cum_w[i - 1]) if i else 0


def weights(s: Shard, e: float) -> tuple[int, int]:
    """(W(eff > e), W(eff >= e)) of the shard's steps."""
    return _w_before(s, -e, "left"), _w_before(s, -e, "right")


def inside(s: Shard, lo: float, hi: float) -> tuple[int, float | None]:
    """The number of steps with ``lo < eff < hi`` and the median one's ``eff``."""
    a = int(np.searchsorted(s.neg_eff, -hi, side="right"))
    b = int(np.searchsorted(s.neg_eff, -lo, side="left"))
    if b <= a:
        return 0, None
    return b - a, float(-s.neg_eff[(a + b) // 2])


def ties(s: Shard, e: float) -> tuple[I64, I64, I64, I64]:
    """(rank, global group, dprofit, dweight) of the steps with ``eff == e``."""
    a = int(np.searchsorted(s.neg_eff, -e, side="left"))
    b = int(np.searchsorted(s.neg_eff, -e, side="right"))
    idx = s.order[a:b]
    return s.s_rank[idx], s.s_grp[idx] + s.start, s.s_dp[idx], s.s_dw[idx]


@dataclass(frozen=True)
class Lp:
    """A shard's LP plans: the reduced-profit argmax at ``lam`` and the rounded-down greedy."""

    argmax: I64
    greedy: I64
    sum_dp: int  # over the steps strictly more efficient than lam
    sum_dw: int
    argmax_p: int
    argmax_w: int
    greedy_p: int


def lp(s: Shard, e: float, crit: tuple[int, int, int, int] | None) -> Lp:
    """The shard's plans given the critical step ``crit`` = (rank, global group, dp, dw) of
    float efficiency ``e``; ``None``: the budget does not bind (every group at its top)."""
    h, g = s.hull.hull, len(s.ids)
    rows = np.arange(g)
    if crit is None:
        plan = h[s.hull.length.astype(np.intp) - 1, rows].astype(np.int64)
        return _lp(s, plan, plan, int(s.s_dp.sum()), int(s.s_dw.sum()))
    rank, group, dp_c, dw_c = crit
    # steps strictly more efficient than lam = dp_c / dw_c, as mckp._relax decides them
    in_s = np.flatnonzero(more_efficient(s.s_eff, s.s_dp, s.s_dw, dp_c, dw_c))
    argmax = h[np.bincount(s.s_grp[in_s], minlength=g), rows].astype(np.int64)
    gg = s.s_grp + s.start
    taken = (s.s_eff > e) | ((s.s_eff == e) & ((s.s_rank < rank) | ((s.s_rank == rank)
                                                                   & (gg < group))))  # fmt: skip
    greedy = h[np.bincount(s.s_grp[taken], minlength=g), rows].astype(np.int64)
    return _lp(s, argmax, greedy, int(s.s_dp[in_s].sum()), int(s.s_dw[in_s].sum()))


def _lp(s: Shard, argmax: I64, greedy: I64, sum_dp: int, sum_dw: int) -> Lp:
    rows = np.arange(len(s.ids))
    return Lp(argmax, greedy, sum_dp, sum_dw, int(s.p[rows, argmax].sum()),
              int(s.w[rows, argmax].sum()), int(s.p[rows, greedy].sum()))  # fmt: skip


def lp_sums(x: Lp) -> tuple[int, int, int, int, int]:
    return x.sum_dp, x.sum_dw, x.argmax_p, x.argmax_w, x.greedy_p


def fill_rows(s: Shard, x: Lp, residual: int) -> tuple[I64, I64, I64, Bool, I64]:
    """The groups where ``mckp._fill`` has a candidate move from the greedy plan: (global
    groups, their profit, weight and undominated rows, their greedy option)."""
    if residual <= 0:
        z = np.zeros(0, np.int64)
        k = s.p.shape[1]
        return z, s.p[:0], s.w[:0], np.zeros((0, k), np.bool_), z
    rows = np.arange(len(s.ids))
    pc, wc = s.p[rows, x.greedy], s.w[rows, x.greedy]
    dwc = s.w - wc[:, None]
    ok = s.hull.undominated & (dwc > 0) & (dwc <= residual) & (s.p > pc[:, None])
    sel = np.flatnonzero(ok.any(axis=1))
    return sel + s.start, s.p[sel], s.w[sel], s.hull.undominated[sel], x.greedy[sel]


def core_rows(s: Shard, x: Lp, lam: Fraction, slack: Fraction) -> tuple[I64, F64, I64, I64,
                                                                         I64, I64]:  # fmt: skip
    """``mckp._fix`` on the shard: (global core groups, their losses, profit and weight rows,
    argmax and greedy options)."""
    core = _fix(s.p, s.w, s.hull.undominated, x.argmax, lam, slack)
    c = core.groups
    return c + s.start, core.loss, s.p[c], s.w[c], x.argmax[c], x.greedy[c]


def choose(s: Shard, x: Lp, base: str, groups: I64, options: I64, maximize: bool,
           ) -> tuple[tuple[str, ...], tuple[str, ...], I64, I64, I64, bool]:  # fmt: skip
    """The final plan on the shard: the ``base`` plan ("argmax" or "greedy") with ``options``
    at the shard-local ``groups``; returns ids, tasks, choice, each query's cost and quality
    (original units) and whether every chosen option is feasible."""
    from costplan.solvers.mckp import _SENTINEL

    choice = (x.argmax if base == "argmax" else x.greedy).copy()
    choice[groups] = options
    rows = np.arange(len(s.ids))
    pc, wc = s.p[rows, choice], s.w[rows, choice]
    ok = bool((wc < _SENTINEL).all())
    if maximize:  # profit = value, weight = cost - min cost
        cost, value = wc + s.offset, pc
    else:  # profit = -cost, weight = max value - value
        cost, value = -pc, s.offset - wc
    return s.ids, s.tasks, choice, cost, value, ok
