"""The budget's dual price of ``assign --engine dask``, searched over shard-level hull steps.

Contract: :func:`dual_price` returns the exact LP dual ``lam`` (a ``Fraction``) of the budget
row of the whole shard set, ``0`` when the budget does not bind, ``None`` when even the
cheapest plan breaks it; the arrays never leave the workers, only counts, weight sums and one
candidate step per shard per round do.

Method. Each worker turns its shards' arrays into the canonical problem and per-query upper
hulls with the single-process solver's own functions (:mod:`costplan.solvers.mckp`
``_canonical``, ``_build_hull``) and keeps the hull steps ``(dprofit, dweight)`` (both > 0,
efficiencies strictly decreasing within a query). The LP optimum takes steps by decreasing
efficiency while the capacity lasts, so ``lam`` is the unique step efficiency ``e`` with
``W(> e) <= capacity < W(>= e)``, ``W(> e)`` the total weight of the steps more efficient than
``e``. The driver finds it by an exact selection: every round each worker reports how many of
its steps lie strictly inside the current interval and its median one; the driver takes the
count-weighted median of those as the pivot ``e``, the workers sum ``W(> e)`` and ``W(>= e)``
(exact 128-bit comparisons ``dp * D`` against ``N * dw``), and the interval shrinks to one side
of ``e`` or ``e`` is ``lam``. Rounds: about ``log2`` of the number of steps.

Status: a tested building block, not yet called by ``costplan assign``:
:mod:`costplan.dask_engine` still solves on the driver, and the price found here is tested to
be the one the driver's solver certifies. Next: gather only the queries whose loss at ``lam``
is within the fixing threshold, for the exact core on the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Ratio = tuple[int, int]  # N / D, both >= 0, D > 0


@dataclass(frozen=True)
class Steps:
    """A shard's hull steps and the sum of its per-query offsets (canonical form)."""

    dp: I64
    dw: I64
    offset: int


def shard_steps(built: tuple[Any, Any], maximize: bool) -> Steps:
    """On a worker: the hull steps of one shard's ``(query set, arrays)``."""
    from costplan.solvers.mckp import _build_hull, _canonical

    _, (_, cost, value, feasible, _) = built
    p, w, offset = _canonical(cost, value, feasible, maximize)
    hull = _build_hull(p, w, feasible)
    valid = np.arange(hull.hp.shape[0] - 1)[:, None] < (hull.length.astype(np.intp) - 1)[None, :]
    dp = np.diff(hull.hp, axis=0)[valid]
    dw = np.diff(hull.hw, axis=0)[valid]
    return Steps(dp.astype(np.int64), dw.astype(np.int64), int(offset.sum()))


def _sign(s: Steps, r: Ratio) -> npt.NDArray[np.int8]:
    """sign(dp/dw - N/D) per step, exactly."""
    from costplan.solvers.mckp import _prod_sign

    n = s.dp.size
    return _prod_sign(s.dp, np.full(n, r[1], np.int64), np.full(n, r[0], np.int64), s.dw)


def _inside(s: Steps, lo: Ratio, hi: Ratio | None) -> npt.NDArray[np.bool_]:
    mask = _sign(s, lo) > 0
    if hi is not None:
        mask &= _sign(s, hi) < 0
    return mask


def shard_round(s: Steps, lo: Ratio, hi: Ratio | None) -> tuple[int, Ratio | None]:
    """On a worker: the number of steps strictly inside (lo, hi) and the median one."""
    idx = np.flatnonzero(_inside(s, lo, hi))
    if idx.size == 0:
        return 0, None
    eff = s.dp[idx] / s.dw[idx].astype(np.float64)
    i = int(idx[np.argpartition(eff, idx.size // 2)[idx.size // 2]])
    return int(idx.size), (int(s.dp[i]), int(s.dw[i]))


def shard_weights(s: Steps, r: Ratio) -> tuple[int, int]:
    """On a worker: (W(> r), W(>= r)) of the shard's steps."""
    sign = _sign(s, r)
    return int(s.dw[sign > 0].sum()), int(s.dw[sign >= 0].sum())


def dual_price(client: Any, built: list[Any], maximize: bool, bound: int) -> Fraction | None:
    """The exact budget dual (see the module docstring). ``bound``: the budget (max_quality)
    or the total value floor (min_cost), in the arrays' integer units."""
    steps = [client.submit(shard_steps, b, maximize, pure=False) for b in built]
    offsets = client.gather([client.submit(lambda s: s.offset, f, pure=False) for f in steps])
    cap = bound - sum(offsets) if maximize else sum(offsets) - bound
    if cap < 0:
        return None

    def weights(r: Ratio) -> tuple[int, int]:
        got = client.gather([client.submit(shard_weights, f, r, pure=False) for f in steps])
        return sum(a for a, _ in got), sum(b for _, b in got)

    if weights((0, 1))[0] <= cap:  # every step fits: the budget does not bind
        return Fraction(0)
    lo: Ratio = (0, 1)
    hi: Ratio | None = None
    while True:
        rounds = client.gather([client.submit(shard_round, f, lo, hi, pure=False) for f in steps])
        cands = sorted(((Fraction(*c), n) for n, c in rounds if c is not None))
        if not cands:
            raise AssertionError("dual search lost the critical step")  # pragma: no cover
        half, acc = sum(n for _, n in cands) / 2, 0
        piv = cands[-1][0]
        for f, n in cands:
            acc += n
            if acc >= half:
                piv = f
                break
        r = (piv.numerator, piv.denominator)
        w_gt, w_ge = weights(r)
        if w_ge <= cap:
            hi = r
        elif w_gt > cap:
            lo = r
        else:
            return piv
