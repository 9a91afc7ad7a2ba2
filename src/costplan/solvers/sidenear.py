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

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp import relax

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]
_LOW = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Near:
    """The whole problem's LP optimum ``bound`` and price ``lam`` (in ``p``'s units), the
    greedy plan, and how many queries were solved (``free``)."""

    bound: Fraction
    lam: Fraction
    greedy: I64
    free: int


def fixed_choice(p: I64, w: I64, feas: Bool, l0: int, l1: int) -> tuple[I64, Bool]:
    """Each query's maximiser of ``p - L w`` at ``L = l0`` and whether it is the unique one
    at both ``l0`` and ``l1`` (then at every ``L`` between)."""
    choice = np.zeros(p.shape[0], dtype=np.int64)
    fixed = np.ones(p.shape[0], dtype=np.bool_)
    for lam in sorted({l0, l1}):
        q = np.where(feas, p - lam * w if lam else p, _LOW)
        arg = q.argmax(axis=1)
        top = np.take_along_axis(q, arg[:, None], axis=1)
        fixed &= (q == top).sum(axis=1) == 1
        if lam == l0:
            choice = arg
        else:
            fixed &= arg == choice
    return choice.astype(np.int64), fixed & feas.any(axis=1)


def relax_near(p: I64, w: I64, feas: Bool, cap: int | None, l0: int, l1: int) -> Near | None:
    """The whole LP through the free queries only (module docstring), or ``None``."""
    if cap is None:
        l0 = l1 = 0
    choice, fixed = fixed_choice(p, w, feas, l0, l1)
    free = np.flatnonzero(~fixed)
    if free.size == 0 or free.size == p.shape[0]:
        return None
    at = np.flatnonzero(fixed)
    pf = int(p[at, choice[at]].astype(object).sum())
    wf = int(w[at, choice[at]].astype(object).sum())
    rel = relax(p[free], w[free], feas[free], None if cap is None else cap - wf)
    if rel is None or not (l0 <= rel.lam <= l1):
        return None
    plan = choice.copy()
    plan[free] = rel.greedy
    return Near(rel.bound + pf, rel.lam, plan, int(free.size))
